"""Warm-up at start: the first fan of a fresh process waits no longer than the tenth.

Several things Usher needs on every turn are built lazily the first time they are used: the
copy file is parsed, the recogniser's caches and the phone and email libraries' metadata are
filled, pydantic compiles a validator for each upstream answer model, segno draws its first
QR code, the Redis connection is opened and its Lua runtime (the per-fan lock's scripts) is
loaded. Left lazy, all of that lands on the first fan's turn. :func:`warm_up` does it before the
process takes traffic (``usher demo`` and ``converse`` before the first line, ``usher serve``
before the web app reports started, ``usher worker`` before its first job).

What it does not do: call ACME or Ticketmaster. Those connections open on the first real call
(an upstream request is not free and may be rate-limited), so the first upstream call of a
process still pays its TCP and TLS handshake.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from adapters import qr, upstream
from bot import copy
from bot.acme.cart_models import Cart
from bot.acme.models import Order, OrderPage
from bot.acme.types import to_e164
from bot.app.bootstrap import Usher
from bot.intents.recognise import recognise
from bot.ticketmaster.models import OrderManagementResponse, SecureRenderResponse

log = structlog.get_logger("usher.warmup")

#: Phrases that walk the recogniser through commands, both languages, typos and every slot.
SAMPLE_TEXTS = (
    "/start",
    "where are my tickets?",
    "dónde están mis entradas",
    "find my ordr 100148401 janedoe@gmail.com",
    "my phone is +1 415 555 0134",
    "membership 7700123456",
    "coupon AAA5 for 2 tickets",
)
#: The upstream answers every fan turn may parse.
ANSWER_MODELS = (Order, OrderPage, Cart, OrderManagementResponse, SecureRenderResponse)


async def warm_up(usher: Usher) -> dict[str, float]:
    """Build everything lazy now; milliseconds per step done (logged at INFO).

    A step that fails (Redis not up yet, say) is logged and skipped: the process still starts
    and that piece warms on first use, as it would have without a warm-up.
    """
    steps: dict[str, float] = {}

    async def step(name: str, work: Callable[[], Awaitable[None]]) -> None:
        started = time.perf_counter()
        try:
            await work()
        except Exception as exc:  # an optimisation, never a reason not to start
            log.warning("warm_up_step_failed", step=name, error=type(exc).__name__)
            return
        steps[name] = round((time.perf_counter() - started) * 1000, 2)

    await step("copy", _copy)
    await step("recogniser", _recogniser)
    await step("models", _models)
    await step("qr", _qr)
    await step("redis", lambda: _redis(usher))
    log.info("warmed_up", **steps)
    return steps


async def _copy() -> None:
    for lang in copy.languages():
        copy.text("welcome", lang)
    copy.staff("refused")


async def _recogniser() -> None:
    for text in SAMPLE_TEXTS:
        recognise(text)
    to_e164("4155550134")


async def _models() -> None:
    upstream.prepare(*ANSWER_MODELS)


async def _qr() -> None:
    # The undecorated function: the warm-up's code must not take a slot in the PNG cache.
    qr.qr_png.__wrapped__("usher-warm-up")


async def _redis(usher: Usher) -> None:
    """Open the pool and load the lock's scripts (a lock taken and released on its own key)."""
    await usher.store.ping()
    async with usher.store.locked("warm-up", lease=5.0, wait=5.0):
        pass
