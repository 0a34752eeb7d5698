"""Mail for one-time codes: SMTP in production, the console in the sandbox.

``USHER_SMTP_URL``, optionally with ``user:password@``:

* ``smtps://host:port`` (465 by default): TLS from the first byte;
* ``smtp://host:port`` (587 by default): STARTTLS, *required*. A server that does not offer it
  (or a man in the middle who strips it from the greeting) gets nothing: the mail fails
  rather than go, login included, in clear text;
* ``smtp+insecure://host:port`` (25 by default): no TLS at all, only by this explicit choice
  (a relay on the same host), and logged at every start.

The server's certificate is verified against the system's CAs. Without a URL the sandbox
prints each mail to the console (standard error, never the log), so a developer can try the
code flow with nothing installed; outside the sandbox start-up refuses to run without SMTP
(see ``bot.app.settings``).
"""

from __future__ import annotations

import ssl
import sys
from email.message import EmailMessage
from typing import TextIO
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.errors import UpstreamConnectError

SMTP_TIMEOUT = 10.0


class SmtpMailer:
    """Sends through an SMTP server."""

    def __init__(self, url: str, sender: str, *, tls_context: ssl.SSLContext | None = None) -> None:
        """``tls_context``: how to verify the server (default: the system's CAs)."""
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.tls = parts.scheme == "smtps"
        self.insecure = parts.scheme == "smtp+insecure"
        self.port = parts.port or (465 if self.tls else 25 if self.insecure else 587)
        self.tls_context = tls_context
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.tls,
                start_tls=not self.tls and not self.insecure,
                tls_context=self.tls_context,
                timeout=SMTP_TIMEOUT,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise UpstreamConnectError(
                f"smtp: could not send ({type(exc).__name__})", service="smtp", endpoint="send"
            ) from exc


class ConsoleMailer:
    """The sandbox's mailbox: prints the mail where the developer is looking."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def send(self, to: str, subject: str, body: str) -> None:
        """Write the mail to the console (standard error by default)."""
        out = self.stream or sys.stderr
        out.write(f"[sandbox mail] to {to}: {subject}\n{body}\n[end of mail]\n")
        out.flush()
