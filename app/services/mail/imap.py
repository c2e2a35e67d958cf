"""The e-mail channel from a hosted mailbox: poll an IMAP folder over TLS, file each message like `mail ingest`.

Each message is fetched without marking it read, handed to `mail_ingest.ingest_safely` (so every rule
of the pipe and Maildir modes holds, quarantine included), then moved to IMAP_PROCESSED_FOLDER, or to
IMAP_QUARANTINE_FOLDER when it was quarantined. Nothing is lost or doubled when the connection drops:
a message stays in the inbox until it has been moved, and the next poll that meets it again finds it
already filed (Message-ID + sender + content, as an MTA retry) and only moves it. A message the
database could not take (unavailable) also stays for the next poll.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import ssl
import subprocess
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from app.services import context
from app.services.mail.ingest import TRANSIENT_ERRORS, IngestResult, ingest_safely

log = logging.getLogger(__name__)
DELETED = b"\\Deleted"
TOKEN_COMMAND_SECONDS = 30


class MailboxError(Exception):
    """The mailbox cannot be read: wrong settings, credentials or certificate (fix them; retrying won't)."""


class MailboxUnavailable(Exception):
    """The connection failed or dropped: try again later (every unmoved message stays in the inbox)."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str | None
    oauth2_command: str | None
    folder: str
    processed_folder: str
    quarantine_folder: str
    ca_file: str | None
    timeout: float
    batch: int

    @classmethod
    def from_config(cls, config) -> MailboxSettings:
        return cls(host=(config.get("IMAP_HOST") or "").strip(), port=int(config["IMAP_PORT"]),
                   user=config.get("IMAP_USER") or "", password=config.get("IMAP_PASSWORD") or None,
                   oauth2_command=config.get("IMAP_OAUTH2_COMMAND") or None, folder=config["IMAP_FOLDER"],
                   processed_folder=config["IMAP_PROCESSED_FOLDER"],
                   quarantine_folder=config["IMAP_QUARANTINE_FOLDER"], ca_file=config.get("IMAP_CA_FILE") or None,
                   timeout=float(config["IMAP_TIMEOUT"]), batch=int(config["IMAP_BATCH"]))

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def configured() -> bool:
    return bool((current_app.config.get("IMAP_HOST") or "").strip())


@dataclass
class PollReport:
    """What became of each message (by UID), and why a poll stopped early, if it did."""

    filed: list[tuple[int, IngestResult]] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)  # stays in the inbox for the next poll
    stopped: str | None = None

    def __str__(self) -> str:
        moved = len(self.filed)
        text = f"{moved} message(s) filed and moved, {len(self.left)} left in the mailbox"
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def access_token(command: str) -> str:
    """Run IMAP_OAUTH2_COMMAND (no shell) and take its standard output as the access token."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=TOKEN_COMMAND_SECONDS,
                              check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise MailboxError(f"IMAP_OAUTH2_COMMAND could not run: {type(exc).__name__}: {exc}") from exc
    token = done.stdout.strip()
    if done.returncode != 0 or not token or any(c.isspace() for c in token):
        # The command's own output may hold a secret: say only how it ended.
        raise MailboxError(f"IMAP_OAUTH2_COMMAND gave no token (exit status {done.returncode})")
    return token


def connect(settings: MailboxSettings) -> IMAPClient:
    """Open a verified TLS connection and sign in; the error says which of the two failed."""
    if not settings.host:
        raise MailboxError("IMAP_HOST is not set")
    if not settings.user:
        raise MailboxError("IMAP_USER is not set")
    if not settings.password and not settings.oauth2_command:
        raise MailboxError("set IMAP_PASSWORD or IMAP_OAUTH2_COMMAND")
    try:
        tls = ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(f"IMAP_CA_FILE {settings.ca_file!r} cannot be used: {exc}") from exc
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=True, ssl_context=tls, timeout=settings.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"the TLS certificate of {settings.host}:{settings.port} is not trusted "
                           f"({exc.verify_message}); set IMAP_CA_FILE to the CA that signed it") from exc
    except (OSError, ssl.SSLError, IMAPClientError) as exc:
        raise MailboxUnavailable(f"cannot reach {settings.host}:{settings.port}: {type(exc).__name__}: {exc}") from exc
    try:
        if settings.oauth2_command:
            client.oauth2_login(settings.user, access_token(settings.oauth2_command))
        else:
            client.login(settings.user, settings.password)
    except LoginError as exc:
        _close(client)
        how = "XOAUTH2 token" if settings.oauth2_command else "password"
        raise MailboxError(f"{settings.host} refused the sign-in of {settings.user!r} by {how}: "
                           f"{_server_text(exc)}") from exc
    except MailboxError:
        _close(client)
        raise
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise MailboxUnavailable(f"connection to {settings.host} lost while signing in: {exc}") from exc
    return client


def _server_text(exc: Exception) -> str:
    """The server's words, not Python's repr of its bytes."""
    text = str(exc)
    return text[2:-1] if len(text) > 2 and text[:2] in ("b'", 'b"') and text[-1] == text[1] else text


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        _drop(client)


def _ensure_folder(client: IMAPClient, folder: str) -> None:
    if client.folder_exists(folder):
        return
    try:
        client.create_folder(folder)
    except IMAPClientError:
        if not client.folder_exists(folder):  # another poller may have made it meanwhile
            raise


def move(client: IMAPClient, uid: int, folder: str) -> None:
    """MOVE where the server has it; else COPY, flag \\Deleted and expunge this UID only (UIDPLUS)."""
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()


def _leftovers(client: IMAPClient) -> None:
    """A copy made, then the connection dropped before the expunge: finish that move now."""
    deleted = client.search([b"DELETED"])
    if not deleted:
        return
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(deleted)
    else:
        client.expunge()


def poll(*, at: datetime | None = None, settings: MailboxSettings | None = None) -> PollReport:
    """File and move up to IMAP_BATCH messages of the inbox folder, oldest first.

    Raises MailboxError (settings, credentials, certificate, a command the server refuses) or
    MailboxUnavailable (cannot connect); a connection lost mid-batch ends the poll with `stopped` set.
    """
    settings = settings or MailboxSettings.from_config(current_app.config)
    at = context.utc(at)
    report = PollReport()
    client = connect(settings)
    unmoved: tuple[int, IngestResult] | None = None
    try:
        for folder in (settings.processed_folder, settings.quarantine_folder):
            _ensure_folder(client, folder)
        validity = client.select_folder(settings.folder).get(b"UIDVALIDITY", "?")
        _leftovers(client)
        for uid in sorted(client.search([b"NOT", b"DELETED"]))[: settings.batch]:
            fetched = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid)
            if fetched is None or b"BODY[]" not in fetched:
                continue  # expunged by someone else meanwhile
            source = f"imap:{settings.where};UIDVALIDITY={validity};UID={uid}"
            try:
                result = ingest_safely(fetched[b"BODY[]"], source=source, at=at)
            except TRANSIENT_ERRORS as exc:
                report.left.append((uid, f"database unavailable: {type(exc).__name__}"))
                report.stopped = "database unavailable"
                break
            unmoved = (uid, result)
            move(client, uid, settings.quarantine_folder if result.outcome == "quarantined"
                 else settings.processed_folder)
            report.filed.append(unmoved)
            unmoved = None
    except (OSError, IMAPClientAbortError) as exc:
        if unmoved is not None:
            report.left.append((unmoved[0], f"{unmoved[1]}, not moved yet"))
        report.stopped = f"connection lost: {type(exc).__name__}: {exc}"
        log.warning("IMAP poll of %s stopped after %d message(s): connection lost", settings.where, len(report.filed))
        _drop(client)
        return report
    except IMAPClientError as exc:
        _close(client)
        raise MailboxError(f"{settings.host} refused a command: {_server_text(exc)}") from exc
    _close(client)
    return report


def _drop(client: IMAPClient) -> None:
    with contextlib.suppress(OSError, IMAPClientError):
        client.shutdown()
