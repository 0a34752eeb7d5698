"""The floor for ``bench.webchat``: a bare Starlette WebSocket that speaks the web chat's frames.

It answers a hello with a session frame and each text frame with the two frames Usher sends
for a turn (the fan's message, then one bot reply of about the same size as Usher's verify
prompt), from memory: no Redis, no conversation. Served by uvicorn with the same WebSocket
options as ``usher serve`` (``adapters.webchat.frames.SERVER_OPTIONS``).

    python -m bench._ws_echo --port 8010
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from adapters.webchat.frames import SERVER_OPTIONS

REPLY = (
    "First I need to make sure it's you. Send me the email you used when you bought. "
    "Have an order number? Send it with its email."
)
_ids = itertools.count(1)


async def chat(websocket: WebSocket) -> None:
    """One socket: hello, then an echo and a reply per text frame."""
    await websocket.accept()
    try:
        while True:
            frame = json.loads(await websocket.receive_text())
            if frame.get("type") == "hello":
                token = f"{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(32)}"
                await websocket.send_text(json.dumps({"type": "session", "session": token}))
                continue
            echo = {"type": "message", "id": f"{next(_ids)}-0", "from": "fan", **frame}
            await websocket.send_text(json.dumps(echo))
            reply = {
                "type": "message",
                "id": f"{next(_ids)}-0",
                "from": "bot",
                "replies": [{"text": REPLY, "buttons": [], "images": [], "links": []}],
            }
            await websocket.send_text(json.dumps(reply))
    except WebSocketDisconnect:
        return


def main() -> None:
    """Serve the echo on ``--port``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    app = Starlette(routes=[WebSocketRoute("/chat/ws", chat)])
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_level="warning", **SERVER_OPTIONS)


if __name__ == "__main__":
    main()
