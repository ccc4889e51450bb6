"""A real SMTP server on a local port (aiosmtpd) that keeps what it receives, for the tests of
mails the catalog sends (password resets)."""

import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from opencat.mail.smtp import SmtpMailer
from tests.ports import free_port


class Mailbox:
    """The messages received, in order; ``wait`` for one sent in the background."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self._arrived:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} mail(s) arrived, {count} expected"
                self._arrived.wait(left)
            return list(self.messages)


class SmtpServer:
    def __init__(self, controller: Controller, mailbox: Mailbox) -> None:
        self.controller = controller
        self.mailbox = mailbox
        self.stopped = False

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        """A server gone away (to test a mail that cannot be sent)."""
        self.controller.stop()
        self.stopped = True

    def mailer(self, sender: str = "catalog@example.org") -> SmtpMailer:
        return SmtpMailer(host="127.0.0.1", port=self.port, sender=sender, starttls=False)


def link_in(message: EmailMessage) -> str:
    body: Any = message.get_body(("plain",))
    found = re.search(r"^(https?://\S+)\s*$", body.get_content(), re.MULTILINE)  # the line of its own
    assert found is not None, "no link in the mail"
    return found.group(1)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    server = SmtpServer(controller, mailbox)
    try:
        yield server
    finally:
        if not server.stopped:
            controller.stop()
