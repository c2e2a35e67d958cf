"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and mail helpers for tests."""

from __future__ import annotations

import email
import re
import socket
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from app.services.mail import outbox


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collector:
    def __init__(self):
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start and stop at will on a fixed port, so a test can have the server down and then back."""

    def __init__(self, port: int):
        self.port = port
        self.collector = _Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def envelopes(self):
        return self.collector.envelopes

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=default) for _, _, raw in self.envelopes]


@pytest.fixture
def smtp_down(app):
    """SMTP settings pointing at a free port with nothing listening (start() brings it up)."""
    server = SmtpServer(free_port())
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TIMEOUT=5, SMTP_STARTTLS=False,
                      SMTP_SSL=False, SMTP_USER=None)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_down):
    smtp_down.start()
    return smtp_down


@pytest.fixture
def mail_dirs(app, tmp_path):
    app.config.update(ATTACHMENT_DIR=str(tmp_path / "attachments"),
                      MAIL_QUARANTINE_DIR=str(tmp_path / "quarantine"))
    return tmp_path


def deliver(at) -> outbox.DeliveryReport:
    return outbox.deliver_pending(at=at)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def tokens_in(text: str, path: str) -> list[str]:
    return re.findall(rf"http://127\.0\.0\.1:5000/{path}/([A-Za-z0-9_\-.]+)", text)
