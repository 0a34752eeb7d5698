"""Prometheus metrics, defined once so every module counts into the same series.

``GET /metrics`` exposes the default registry. Labels are low-cardinality on purpose: service
and endpoint *names* (never URLs with ids), intents, outcomes.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPSTREAM_LATENCY = Histogram(
    "usher_upstream_seconds",
    "Time of one upstream HTTP attempt.",
    ["service", "endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPSTREAM_ERRORS = Counter(
    "usher_upstream_errors_total",
    "Upstream attempts that failed, by kind of failure.",
    ["service", "endpoint", "kind"],
)
UPSTREAM_RETRIES = Counter(
    "usher_upstream_retries_total",
    "Upstream attempts that were retried.",
    ["service", "endpoint"],
)
TURNS = Counter("usher_turns_total", "Conversation turns handled.", ["channel", "outcome"])
INTENTS = Counter("usher_intents_total", "Intents recognised.", ["intent"])
TURN_LATENCY = Histogram(
    "usher_turn_seconds",
    "Time of one conversation turn, lock to reply.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CACHE = Counter("usher_cache_total", "Cache lookups.", ["cache", "result"])
QUEUE_DEPTH = Gauge("usher_queue_depth", "Jobs waiting in a queue.", ["queue"])
CHANNEL_EVENTS = Counter(
    "usher_channel_events_total",
    "Platform events a channel adapter received, by outcome "
    "(handled, refused, duplicate, ignored, malformed, forbidden, unreachable, failed; "
    "Telegram's inbox: unavailable, taken_over, dropped).",
    ["channel", "outcome"],
)
SEND_RETRIES = Counter(
    "usher_send_retries_total",
    "Sends the platform answered with 'too many requests' and that were retried later.",
    ["scope"],
)
LATE_SLOTS = Counter(
    "usher_send_slots_missed_total",
    "Reserved send slots given up because the sender woke too late to use them.",
    ["scope"],
)
WEBCHAT_SOCKETS = Gauge("usher_webchat_sockets", "Web chat sockets open in this process.")
