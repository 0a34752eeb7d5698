"""SMTP with TLS: STARTTLS is required on ``smtp://``; plain text only by explicit choice."""

from __future__ import annotations

import pytest

from adapters.mailer import SmtpMailer
from bot.errors import UpstreamConnectError
from tests.support.smtp import smtp_server, tls_smtp_server

FROM = "Usher <tickets@usher.test>"


async def test_smtp_sends_after_starttls() -> None:
    with tls_smtp_server() as server:
        mailer = SmtpMailer(server.url, FROM, tls_context=server.client_context())
        await mailer.send("jane@example.com", "Your code", "123456 is your code")
        [message] = server.inbox.messages
    assert message["To"] == "jane@example.com"


async def test_smtp_refuses_to_send_in_clear_to_a_server_without_starttls() -> None:
    """A server (or a man in the middle) that offers no STARTTLS gets no mail and no login."""
    with smtp_server(scheme="smtp") as (inbox, url):
        mailer = SmtpMailer(url.replace("smtp://", "smtp://user:pw@"), FROM)
        with pytest.raises(UpstreamConnectError):
            await mailer.send("jane@example.com", "Your code", "123456 is your code")
    assert inbox.messages == []


async def test_smtp_insecure_sends_in_clear_when_chosen() -> None:
    with smtp_server() as (inbox, url):
        assert url.startswith("smtp+insecure://")
        await SmtpMailer(url, FROM).send("jane@example.com", "Your code", "123456 is your code")
    assert len(inbox.messages) == 1


async def test_a_certificate_nobody_vouches_for_is_refused() -> None:
    with tls_smtp_server() as server:
        mailer = SmtpMailer(server.url, FROM)  # the system's CAs: the test's own is not one
        with pytest.raises(UpstreamConnectError):
            await mailer.send("jane@example.com", "Your code", "123456 is your code")
        assert server.inbox.messages == []
