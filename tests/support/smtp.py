"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

:func:`smtp_server` speaks plain SMTP (``smtp+insecure://``, or a server without STARTTLS);
:func:`tls_smtp_server` requires STARTTLS with a certificate made for the test (openssl), and
gives the file a client must trust (``SSL_CERT_FILE`` for a subprocess, or a context).
"""

from __future__ import annotations

import re
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Inbox:
    """aiosmtpd handler: every message delivered, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def last_code(self, to: str) -> str:
        for message in reversed(self.messages):
            if message["To"] == to:
                body = message.get_payload(decode=True)
                assert isinstance(body, bytes)
                match = re.search(rb"\b(\d{6})\b", body)
                assert match
                return match.group(1).decode()
        raise AssertionError(f"no mail to {to}")


@contextmanager
def smtp_server(scheme: str = "smtp+insecure") -> Iterator[tuple[Inbox, str]]:
    """A server without TLS: yield the inbox and its URL (``smtp+insecure://`` by default)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"{scheme}://127.0.0.1:{port}"
    finally:
        controller.stop()


OPENSSL_SELF_SIGNED = (
    *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
    *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
)


@dataclass
class TlsSmtp:
    """A STARTTLS-only server: its inbox, ``smtp://`` URL and the certificate to trust."""

    inbox: Inbox
    url: str
    cafile: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.cafile))


@contextmanager
def tls_smtp_server() -> Iterator[TlsSmtp]:
    """An SMTP server that refuses mail before STARTTLS, with a fresh certificate."""
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        subprocess.run(
            [*OPENSSL_SELF_SIGNED, "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        inbox = Inbox()
        port = free_port()
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            tls_context=server_context,
            require_starttls=True,
        )
        controller.start()
        try:
            yield TlsSmtp(inbox, f"smtp://127.0.0.1:{port}", cert)
        finally:
            controller.stop()
