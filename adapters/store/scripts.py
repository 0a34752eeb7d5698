"""Lua scripts sent inside a pipeline, with the command that rides with them.

Several round trips carry a script with other commands (the update's claim with the per-fan
order check, the pacer's slot with a turn's end and a keyboard). redis-py can queue a
registered script object in a pipeline, but then checks with ``SCRIPT EXISTS`` before every
``execute``: one more round trip, the very thing the pipeline saves. So the script goes as a
plain ``EVALSHA`` and its answer is read here: a Redis that forgot it (restarted: ``NOSCRIPT``)
has it loaded and run now, any other error is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

ScriptArg = str | int | float


def queue_script(
    pipe: Pipeline, script: AsyncScript, keys: Sequence[str], args: Sequence[ScriptArg]
) -> None:
    """Add ``script`` to ``pipe`` as an ``EVALSHA`` (read its answer with :func:`answer_of`)."""
    pipe.evalsha(script.sha, len(keys), *keys, *map(str, args))


async def answer_of(
    found: Any, script: AsyncScript, keys: Sequence[str], args: Sequence[ScriptArg]
) -> Any:
    """What the queued ``script`` answered (``found``, from ``execute(raise_on_error=False)``)."""
    if isinstance(found, NoScriptError):
        return await script(keys=list(keys), args=list(args))
    if isinstance(found, Exception):
        raise found
    return found


def raise_first_error(found: Sequence[Any]) -> None:
    """Raise the first error among a pipeline's answers, if any."""
    for result in found:
        if isinstance(result, Exception):
            raise result
