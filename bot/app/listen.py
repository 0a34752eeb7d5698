"""Listening sockets bound before anything else starts, so a taken port is one clear line.

uvicorn binds its port only once the app is built and, in ``usher demo``, after the chat prompt
is on the screen: a second demo used to show its prompt, then die on the first message with no
word of why. Binding here first turns that into one line naming the port and how to pick
another, and a non-zero exit, before any prompt or log line appears. The bound socket is then
handed to uvicorn (``Server.serve(sockets=[...])``), so nothing can take the port in between.
"""

from __future__ import annotations

import errno
import socket

from bot.errors import UsherError


class PortTaken(UsherError):
    """The port is in use by another process (or not ours to bind)."""


def bind(host: str, port: int, *, how_to_change: str) -> socket.socket:
    """A listening TCP socket on ``host:port``; PortTaken with one line when it cannot be had.

    ``how_to_change`` finishes the sentence "choose another with ..." for the command at hand.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            reason = "is already in use (another usher, or another program, is listening there)"
        elif exc.errno == errno.EACCES:
            reason = "is not ours to use (ports below 1024 need root)"
        else:
            reason = f"cannot be used: {exc.strerror}"
        message = f"port {port} on {host} {reason}; choose another with {how_to_change}"
        raise PortTaken(message) from exc
    return sock
