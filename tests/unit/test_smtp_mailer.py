"""The SMTP adapter against a real local SMTP server (aiosmtpd): the message's headers and body,
authentication when a user is configured, and its errors when the server refuses or is gone."""

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from opencat.mail.smtp import SmtpMailer
from tests.mailbox import Mailbox
from tests.ports import free_port


class _Accounts:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.seen.append((login, password))
        return AuthResult(success=(login, password) == ("catalog", "s3cret"))


@pytest.fixture
def relay() -> Iterator[tuple[Controller, Mailbox, _Accounts]]:
    mailbox, accounts = Mailbox(), _Accounts()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=free_port(), authenticator=accounts, auth_require_tls=False
    )
    controller.start()
    try:
        yield controller, mailbox, accounts
    finally:
        controller.stop()


def test_a_mail_is_sent_with_its_headers(relay: tuple[Controller, Mailbox, _Accounts]) -> None:
    controller, mailbox, accounts = relay
    mailer = SmtpMailer("127.0.0.1", int(controller.port), "catalog@example.org", starttls=False)
    mailer.send(
        "camille@example.org", "Réinitialisez votre mot de passe", "Bonjour,\n\nUn lien : https://x/\n"
    )
    [message] = mailbox.wait(1)
    assert message["From"] == "catalog@example.org"
    assert message["To"] == "camille@example.org"
    assert message["Subject"] == "Réinitialisez votre mot de passe"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]
    body: Any = message.get_body(("plain",))
    assert body.get_content().replace("\r\n", "\n") == "Bonjour,\n\nUn lien : https://x/\n"
    assert accounts.seen == []  # no user configured: no authentication


def test_a_configured_user_authenticates(relay: tuple[Controller, Mailbox, _Accounts]) -> None:
    controller, mailbox, accounts = relay
    port = int(controller.port)
    good = SmtpMailer(
        "127.0.0.1", port, "catalog@example.org", user="catalog", password="s3cret", starttls=False
    )
    good.send("camille@example.org", "Subject", "Body\n")
    assert accounts.seen == [("catalog", "s3cret")]
    assert len(mailbox.wait(1)) == 1


def test_starttls_is_refused_by_a_server_without_it(relay: tuple[Controller, Mailbox, _Accounts]) -> None:
    controller, mailbox, _ = relay
    mailer = SmtpMailer("127.0.0.1", int(controller.port), "catalog@example.org", starttls=True)
    with pytest.raises(smtplib.SMTPNotSupportedError):  # never sent in clear when TLS was asked for
        mailer.send("camille@example.org", "Subject", "Body\n")
    assert mailbox.messages == []


def test_a_server_gone_refuses_the_connection() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), "catalog@example.org", starttls=False, timeout=2)
    with pytest.raises(ConnectionRefusedError):
        mailer.send("camille@example.org", "Subject", "Body\n")
