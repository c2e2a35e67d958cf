"""SMTP transport (smtplib), one connection per delivery sweep, settings from the app config."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import default as default_policy

from flask import current_app

_WIRE_POLICY = default_policy.clone(linesep="\r\n")


class SmtpTransport:
    """Connects lazily, once; `send` raises smtplib/OSError exceptions for the outbox to classify."""

    def __init__(self, config=None):
        self.config = config or current_app.config
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: Exception | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        host, port, timeout = cfg["SMTP_HOST"], cfg["SMTP_PORT"], cfg["SMTP_TIMEOUT"]
        if cfg["SMTP_SSL"]:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
        if cfg["SMTP_USER"]:
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"] or "")
        return smtp

    def send(self, mail: EmailMessage, envelope_from: str, recipient: str) -> None:
        if self._unreachable is not None:  # one connection attempt per sweep, not one per message
            raise self._unreachable
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except OSError as exc:
                self._unreachable = exc
                raise
        try:
            self._smtp.sendmail(envelope_from, [recipient], mail.as_bytes(policy=_WIRE_POLICY))
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server refused this message; the connection is still good
        except OSError:  # includes SMTPServerDisconnected
            self.close()  # the next message reconnects
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
