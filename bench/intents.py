"""Intent recogniser figures: accuracy on the labelled sets and per-text latency.

Run from the repository root: ``python -m bench.intents``. Prints one JSON document:

- ``tune`` / ``heldout`` / ``heldout_conversations``: ``intent_accuracy`` (intent right),
  ``slot_accuracy`` (slots exactly right), ``exact_accuracy`` (both), and per gold intent how
  many were right and what the misses were recognised as, plus the missed texts themselves (cut
  to 80 characters). ``new_intents``: each intent added in issue 16, its accuracy over both
  held-out sets, and the lowest of them (the target: at least 0.90 each).
- ``latency_us``: p50/p99/max microseconds per text over every labelled text, ``repeats`` passes
  with the typo-correction cache warm (the steady state of a running bot); ``latency_cold_us``: one
  pass right after clearing that cache.

``heldout.jsonl`` (and, for issue 16's intents, ``heldout_conversations.jsonl``) was written
before tuning and is never tuned against: its figure is the honest one.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.intents.recognise import recognise
from bot.intents.text import correct

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "intents"
REPEATS = 50
#: The intents added in issue 16 (transfer, resale, refund, upgrade, lost, venue, small talk).
NEW_INTENTS = (
    "transfer_ticket",
    "resell_ticket",
    "refund",
    "upgrade",
    "lost_ticket",
    "venue_question",
    "small_talk",
)


def load(name: str) -> list[dict[str, Any]]:
    """The labelled lines of ``tests/data/intents/<name>.jsonl``."""
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def accuracy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy figures and a per-intent confusion summary for one labelled set."""
    intent_ok = slots_ok = both_ok = 0
    per_intent: dict[str, dict[str, Any]] = {}
    misses: list[dict[str, Any]] = []
    for row in rows:
        got = recognise(row["text"])
        want_slots = row.get("slots", {})
        right_intent, right_slots = got.intent == row["intent"], got.slots == want_slots
        intent_ok += right_intent
        slots_ok += right_slots
        both_ok += right_intent and right_slots
        summary = per_intent.setdefault(row["intent"], {"n": 0, "correct": 0, "as": Counter()})
        summary["n"] += 1
        summary["correct"] += right_intent
        if not right_intent:
            summary["as"][got.intent] += 1
        if not (right_intent and right_slots):
            misses.append({"text": row["text"][:80], "want": row, "got": got.as_dict()})
    for miss in misses:
        miss["want"] = {"intent": miss["want"]["intent"], "slots": miss["want"].get("slots", {})}
    n = len(rows)
    return {
        "n": n,
        "intent_accuracy": round(intent_ok / n, 4),
        "slot_accuracy": round(slots_ok / n, 4),
        "exact_accuracy": round(both_ok / n, 4),
        "per_intent": {
            intent: {"n": s["n"], "correct": s["correct"], "misrecognised_as": dict(s["as"])}
            for intent, s in sorted(per_intent.items())
        },
        "misses": misses,
    }


def latency(texts: list[str], repeats: int) -> dict[str, float | int]:
    """Percentiles of the time one ``recognise`` call takes, in microseconds."""
    samples: list[int] = []
    for _ in range(repeats):
        for text in texts:
            start = time.perf_counter_ns()
            recognise(text)
            samples.append(time.perf_counter_ns() - start)
    samples.sort()

    def at(q: float) -> float:
        return round(samples[min(len(samples) - 1, int(q * len(samples)))] / 1000, 1)

    return {"p50": at(0.5), "p99": at(0.99), "max": at(1.0), "calls": len(samples)}


def new_intents(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy of each new intent over the held-out lines labelled with it."""
    found: dict[str, float] = {}
    for intent in NEW_INTENTS:
        mine = [row for row in rows if row["intent"] == intent]
        if mine:
            right = sum(recognise(row["text"]).intent == intent for row in mine)
            found[intent] = round(right / len(mine), 4)
    return {"per_intent": found, "lowest": min(found.values(), default=0.0)}


def main() -> int:
    """Print the figures as JSON."""
    tune, heldout, conversations = load("tune"), load("heldout"), load("heldout_conversations")
    texts = [row["text"] for row in tune + heldout + conversations]
    correct.cache_clear()
    cold = latency(texts, 1)
    warm = latency(texts, REPEATS)
    report = {
        "tune": accuracy(tune),
        "heldout": accuracy(heldout),
        "heldout_conversations": accuracy(conversations),
        "new_intents": new_intents(heldout + conversations),
        "latency_us": {**warm, "repeats": REPEATS, "texts": len(texts)},
        "latency_cold_us": cold,
        "python": sys.version.split()[0],
    }
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
