"""`complaintflow outbox …` and `complaintflow mail …`: deliver customer mail, take mail in."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.common import INSTANT, fail

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again


@click.group("outbox")
def outbox_group() -> None:
    """Customer mail waiting to be sent (acknowledgement, decision, survey)."""


@outbox_group.command("deliver")
@click.option("--now", "at", type=INSTANT, help="deliver as of this instant (default: now)")
@with_appcontext
def outbox_deliver(at) -> None:
    """Send every due message once over SMTP (the server the scheduler uses: environment, else the settings file)."""
    from flask import current_app

    from app.config import setting_source
    from app.services.errors import MailNotConfigured
    from app.services.mail import outbox

    config = current_app.config
    try:
        report = outbox.deliver_pending(at=at)
    except MailNotConfigured as exc:
        fail(f"{exc}; nothing sent")
    click.echo(f"SMTP {config['SMTP_HOST']}:{config['SMTP_PORT']} (from {setting_source('SMTP_HOST')}): {report}")


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]))
@click.option("--limit", default=200, show_default=True)
@with_appcontext
def outbox_list(status: str | None, limit: int) -> None:
    """List messages, newest first."""
    from app.extensions import db
    from app.models import Complaint
    from app.services.mail import outbox

    for m in outbox.list_messages(status, limit):
        number = db.session.get(Complaint, m.complaint_id).registration_number
        when = (m.sent_at or m.next_attempt_at).isoformat()
        error = f"  {m.last_error[:80]}" if m.last_error and m.status != "sent" else ""
        click.echo(f"{m.id:>6}  {number}  {m.kind:<15} {m.status:<8} attempts={m.attempts}  {when}  "
                   f"{m.recipient}{error}")


@outbox_group.command("retry")
@click.argument("message_id", type=int)
@with_appcontext
def outbox_retry(message_id: int) -> None:
    """Give a failed message a fresh set of attempts."""
    from app.services.errors import NotFound
    from app.services.mail import outbox

    try:
        message = outbox.requeue(message_id, actor="cli")
    except NotFound as exc:
        fail(str(exc))
    click.echo(f"message {message.id}: {message.status}")


@click.group("mail")
def mail_group() -> None:
    """The e-mail channel."""


@mail_group.command("ingest")
@click.option("--maildir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="process every message in MAILDIR/new and move it to MAILDIR/cur")
@click.option("--now", "at", type=INSTANT)
@with_appcontext
def mail_ingest(maildir: Path | None, at) -> None:
    """Read one RFC 5322 message on stdin (an MTA pipe), or a Maildir."""
    from app.services.mail import ingest

    if maildir is not None:
        failures = 0
        for name, result in ingest.ingest_maildir(maildir, at=at):
            if isinstance(result, Exception):
                failures += 1
                click.secho(f"{name}: left in new/ ({type(result).__name__}: {result})", fg="red", err=True)
            else:
                click.echo(f"{name}: {result}")
        if failures:
            sys.exit(EX_TEMPFAIL)
        return

    raw = sys.stdin.buffer.read()
    try:
        result = ingest.ingest_safely(raw, source="stdin", at=at)
    except ingest.TRANSIENT_ERRORS as exc:
        click.secho(f"database unavailable, try again later: {exc.__class__.__name__}", fg="red", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(str(result))


@mail_group.command("poll")
@click.option("--now", "at", type=INSTANT)
@with_appcontext
def mail_poll(at) -> None:
    """Read the IMAP mailbox (IMAP_HOST …) once: file each message, move it to the processed or quarantine folder.

    Exit 1: settings, credentials or certificate are wrong; exit 75: try again later (connection or
    database away; what was not moved stays in the mailbox).
    """
    from app.services.mail import imap as mail_imap

    try:
        report = mail_imap.poll(at=at)
    except mail_imap.MailboxError as exc:
        fail(f"IMAP: {exc}")
    except mail_imap.MailboxUnavailable as exc:
        click.secho(f"IMAP: {exc}; try again later", fg="red", err=True)
        sys.exit(EX_TEMPFAIL)
    for uid, result in report.filed:
        click.echo(f"UID {uid}: {result}")
    for uid, why in report.left:
        click.secho(f"UID {uid}: left in the mailbox ({why})", fg="yellow", err=True)
    click.echo(str(report))
    if report.stopped:
        sys.exit(EX_TEMPFAIL)
