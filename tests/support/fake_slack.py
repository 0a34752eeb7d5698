"""A local stand-in for Slack: its Web API, file upload URLs and ``response_url`` endpoints.

Usher's Slack app runs unchanged (real Bolt, real ``AsyncWebClient``) with
``USHER_SLACK_API_URL`` pointed here. Each Web API method answers the way Slack documents it
(``{"ok": true, ...}``; ``invalid_auth`` for a wrong token; ``unknown_method`` for anything this
fake does not know, so an unexpected call fails loudly) and is recorded for the test to read.
Work after ``ack()`` runs in the background, so tests wait for the calls they expect. It keeps
no state a test depends on beyond what it records, so one server (in a thread, ``serve_asgi``)
can serve a whole module, :meth:`FakeSlack.reset` between tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

T = TypeVar("T")

BOT_TOKEN = "xoxb-usher-test"
BOT_USER = "UBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    """One Web API call as Slack received it (form or JSON body, JSON fields decoded)."""

    method: str
    args: dict[str, Any]


class FakeSlack:
    """The Starlette app (``.app``) and everything it was sent."""

    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.base_url = ""  # set once served: upload URLs point back here
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.responses: list[dict[str, Any]] = []
        #: Messages posted (and as later updated), as Slack shows them in action payloads.
        self.messages: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["POST"]),
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
                Route("/respond/{key}", self._respond, methods=["POST"]),
            ]
        )

    def reset(self) -> None:
        """Forget every call (one served fake is shared by the tests of a module)."""
        self.calls.clear()
        self.uploads.clear()
        self.responses.clear()
        self.messages.clear()

    # --- reading what happened ---------------------------------------------------------------

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of ``method``, in order."""
        return [call.args for call in self.calls if call.method == method]

    def response_url(self, key: str = "r") -> str:
        """A ``response_url`` for a command or action payload."""
        return f"{self.base_url}/respond/{key}"

    async def wait_for(
        self,
        method: str,
        where: Callable[[dict[str, Any]], bool] = lambda _: True,
        *,
        within: float = 5.0,
    ) -> dict[str, Any]:
        """The first call of ``method`` matching ``where``, waiting for it if needed."""
        return await _poll(lambda: next((a for a in self.of(method) if where(a)), None), within)

    async def wait_message(
        self, where: Callable[[dict[str, Any]], bool] = lambda _: True, *, within: float = 5.0
    ) -> dict[str, Any]:
        """The first posted message matching ``where`` (with its ``channel`` and ``ts``)."""
        return await _poll(lambda: next((m for m in self.messages if where(m)), None), within)

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A posted message as it looks now."""
        return next(m for m in self.messages if m["channel"] == channel and m["ts"] == ts)

    async def wait_response(
        self, where: Callable[[dict[str, Any]], bool] = lambda _: True, *, within: float = 5.0
    ) -> dict[str, Any]:
        """The first message posted to a ``response_url`` matching ``where``."""
        return await _poll(lambda: next((r for r in self.responses if where(r)), None), within)

    # --- the endpoints ---------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        method = request.path_params["method"]
        args = await _arguments(request)
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return JSONResponse({"ok": False, "error": "unknown_method"})
        self.calls.append(Call(method, args))
        return JSONResponse({"ok": True, **answer(args)})

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://usher-test.slack.com/",
            "team": "Usher Test",
            "user": "usher",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER, "ts": ts, **_message(args)}
        self.messages.append({**message, "channel": args["channel"]})
        return {"channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        current = self.message(args["channel"], args["ts"])
        current.update(_message(args))
        return {"channel": args["channel"], "ts": args["ts"], "text": args.get("text", "")}

    def _chat_postEphemeral(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": f"D{args['users']}"}}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": "V0VIEW", **args["view"]}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{len(self.of('files.getUploadURLExternal'))}"
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args["files"]
        return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    async def _upload(self, request: Request) -> Response:
        self.uploads[request.path_params["file_id"]] = await request.body()
        return PlainTextResponse(f"OK - {len(self.uploads)}")

    async def _respond(self, request: Request) -> Response:
        self.responses.append(json.loads(await request.body()))
        return PlainTextResponse("ok")

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"


def _message(args: dict[str, Any]) -> dict[str, Any]:
    return {key: args[key] for key in ("text", "blocks", "thread_ts") if key in args}


async def _arguments(request: Request) -> dict[str, Any]:
    """Slack takes arguments as query parameters, a form or JSON (slack-sdk uses all three);
    JSON-encoded form fields (``blocks``, ``files``...) are decoded."""
    body = await request.body()
    pairs = list(request.query_params.multi_items())
    if request.headers.get("content-type", "").startswith("application/json"):
        data: dict[str, Any] = json.loads(body)
        return {**dict(pairs), **data}
    args: dict[str, Any] = {}
    for key, value in [*pairs, *parse_qsl(body.decode(), keep_blank_values=True)]:
        args[key] = json.loads(value) if value[:1] in "[{" else value
    return args


async def _poll(find: Callable[[], T | None], within: float) -> T:
    deadline = time.monotonic() + within
    while (found := find()) is None:
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for Slack")
        await asyncio.sleep(0.01)
    return found


def texts(message: dict[str, Any]) -> str:
    """All the text of a message or response: its ``text`` and every text in its blocks."""
    parts = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message's blocks."""
    return [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
