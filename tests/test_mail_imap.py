"""`complaintflow mail poll` against a real Dovecot: the hosted mailbox as an e-mail channel."""

from __future__ import annotations

import email
import sys
from email.policy import default

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, MailMessage
from app.scheduler import build_scheduler, poll_mailbox
from app.services.mail import imap as mail_imap

from .conftest import TESTS_DIR
from .helpers import register
from .imap_server import xoauth2_token
from .mailbox import free_port

pytestmark = pytest.mark.usefixtures("live_version", "mail_dirs")
MAIL = TESTS_DIR / "data" / "mail"
PROCESSED, QUARANTINE = "Complaintflow-Processed", "Complaintflow-Quarantine"


def eml(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def numbered(n: int) -> bytes:
    """A new complaint message of its own (Message-ID, sender and words all differ)."""
    return (f"From: Musteri {n} <musteri{n}@example.com.tr>\r\nTo: sikayet@example.com.tr\r\n"
            f"Subject: Baglanti sorunu {n}\r\nDate: Wed, 25 Nov 2026 09:0{n}:00 +0300\r\n"
            f"Message-ID: <poll-{n}@example.com.tr>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"Bağlantım {n}. kez koptu.\r\n").encode()


def message_ids(raws: list[bytes]) -> list[str]:
    return [email.message_from_bytes(raw, policy=default)["Message-ID"] for raw in raws]


def complaints() -> list[Complaint]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Complaint).order_by(Complaint.id)))


def poll(runner):
    return runner.invoke(args=["mail", "poll"])


def test_a_message_in_the_mailbox_opens_a_complaint_and_moves_to_the_processed_folder(imap, runner):
    imap.deliver(eml("plain.eml"))

    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert "created SK-2026-000001" in result.output
    (complaint,) = complaints()
    assert (complaint.channel, complaint.customer_email) == ("eposta", "mehmet@example.com.tr")
    assert complaint.subject == "İnternet hızım çok düşük"
    assert imap.messages("INBOX") == []
    assert imap.messages(PROCESSED) == [eml("plain.eml").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")]
    assert imap.messages(QUARANTINE) == []  # made, empty

    assert poll(runner).exit_code == 0  # nothing new
    assert len(complaints()) == 1 and len(imap.messages(PROCESSED)) == 1


def test_a_reply_is_filed_on_its_complaint_not_as_a_new_one(imap, runner):
    complaint = register()
    imap.deliver(eml("reply_accept.eml"))

    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert "appended SK-2026-000001" in result.output
    assert [c.id for c in complaints()] == [complaint.id]
    (message,) = db.session.scalars(sa.select(MailMessage))
    assert (message.complaint_id, message.message_id) == (complaint.id, "<reply-accept-4@example.com.tr>")
    assert message.text.startswith("Kabul ediyorum")
    assert message_ids(imap.messages(PROCESSED)) == ["<reply-accept-4@example.com.tr>"]


def test_a_hostile_message_is_quarantined_and_moved_to_the_quarantine_folder(imap, runner, mail_dirs):
    imap.deliver(eml("malformed.eml"), numbered(1))

    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output
    assert [c.customer_email for c in complaints()] == ["musteri1@example.com.tr"]
    assert imap.messages("INBOX") == []
    assert message_ids(imap.messages(QUARANTINE)) == ["<malformed-6@example.com>"]
    assert message_ids(imap.messages(PROCESSED)) == ["<poll-1@example.com.tr>"]
    (kept,) = (mail_dirs / "quarantine").glob("*.eml")
    reason = kept.with_suffix(".reason").read_text(encoding="utf-8")
    assert f"source: imap:sikayet@127.0.0.1:{imap.port}/INBOX;" in reason and ";UID=1" in reason


@pytest.mark.parametrize("drop", ["kick", "restart"])
def test_a_connection_dropped_between_filing_and_moving_loses_and_doubles_nothing(imap, runner, monkeypatch,
                                                                                  mail_dirs, drop):
    imap.deliver(numbered(1), eml("malformed.eml"), numbered(3))
    real_ingest, calls = mail_imap.ingest_safely, []

    def ingest_then_drop(raw, **kwargs):
        """The real ingest; after the second message, the server cuts the line before the move."""
        result = real_ingest(raw, **kwargs)
        calls.append(result.outcome)
        if len(calls) == 2:
            getattr(imap, drop)()
        return result

    monkeypatch.setattr(mail_imap, "ingest_safely", ingest_then_drop)
    first = poll(runner)
    assert first.exit_code == 75, first.output
    assert "connection lost" in first.output and "quarantined" in first.output and "not moved yet" in first.output
    assert calls == ["created", "quarantined"]
    assert len(complaints()) == 1
    assert len(imap.messages("INBOX")) == 2  # the filed one that was not moved, and the one not reached

    monkeypatch.setattr(mail_imap, "ingest_safely", real_ingest)
    second = poll(runner)
    assert second.exit_code == 0, second.output
    assert [c.customer_email for c in complaints()] == ["musteri1@example.com.tr", "musteri3@example.com.tr"]
    assert imap.messages("INBOX") == []
    assert message_ids(imap.messages(PROCESSED)) == ["<poll-1@example.com.tr>", "<poll-3@example.com.tr>"]
    assert message_ids(imap.messages(QUARANTINE)) == ["<malformed-6@example.com>"]
    assert len(list((mail_dirs / "quarantine").glob("*.eml"))) == 1  # read twice, kept once


def test_without_move_a_message_is_copied_flagged_and_expunged_and_a_half_done_move_is_finished(
        imap_without_move, runner):
    server = imap_without_move
    with server.client() as client:
        assert not client.has_capability("MOVE") and client.has_capability("UIDPLUS")
    server.deliver(numbered(1))
    assert poll(runner).exit_code == 0
    server.deliver(numbered(2), numbered(3))
    with server.client() as client:  # a poll copied message 2 and flagged it, then lost the line before EXPUNGE
        client.select_folder("INBOX")
        uid = min(client.search())
        client.copy([uid], PROCESSED)
        client.add_flags([uid], [b"\\Deleted"])

    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert [c.customer_email for c in complaints()] == ["musteri1@example.com.tr", "musteri3@example.com.tr"]
    with server.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search() == []  # flagged copy expunged, the rest moved
    assert message_ids(server.messages(PROCESSED)) == [
        "<poll-1@example.com.tr>", "<poll-2@example.com.tr>", "<poll-3@example.com.tr>"]


def test_while_the_database_is_away_the_messages_stay_in_the_mailbox(imap, runner, monkeypatch):
    from app.services.mail import ingest as mail_ingest

    imap.deliver(numbered(1), numbered(2))
    real_ingest = mail_ingest.ingest_bytes

    def database_away(raw, **_):
        raise mail_ingest.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(mail_ingest, "ingest_bytes", database_away)
    away = poll(runner)
    assert away.exit_code == 75 and "database unavailable" in away.output
    assert imap.messages(PROCESSED) == [] and len(imap.messages("INBOX")) == 2

    monkeypatch.setattr(mail_ingest, "ingest_bytes", real_ingest)
    assert poll(runner).exit_code == 0
    assert len(complaints()) == 2 and imap.messages("INBOX") == []


def test_a_wrong_password_is_a_clear_error_and_touches_nothing(imap, runner, app):
    imap.deliver(numbered(1))
    app.config["IMAP_PASSWORD"] = "yanlis-parola"

    result = poll(runner)
    assert result.exit_code == 1
    assert "refused the sign-in of 'sikayet' by password" in result.output
    assert "yanlis-parola" not in result.output and "Traceback" not in result.output
    assert complaints() == [] and imap.count("INBOX") == 1


def test_the_servers_certificate_is_verified_unless_its_ca_is_configured(imap, runner, app):
    imap.deliver(numbered(1))
    app.config["IMAP_CA_FILE"] = None  # the system's CAs do not know a self-signed certificate

    refused = poll(runner)
    assert refused.exit_code == 1
    assert f"TLS certificate of 127.0.0.1:{imap.port} is not trusted" in refused.output
    assert "IMAP_CA_FILE" in refused.output
    assert complaints() == [] and len(imap.messages("INBOX")) == 1

    app.config["IMAP_CA_FILE"] = str(imap.cert)
    assert poll(runner).exit_code == 0 and len(complaints()) == 1


def test_an_xoauth2_token_from_the_configured_command_signs_in(imap, runner, app, tmp_path):
    script = tmp_path / "token.py"
    script.write_text(f"print({xoauth2_token()!r})\n")
    app.config.update(IMAP_PASSWORD=None, IMAP_OAUTH2_COMMAND=f"{sys.executable} {script}")
    imap.deliver(numbered(1))

    result = poll(runner)
    assert result.exit_code == 0, result.output
    assert len(complaints()) == 1 and imap.messages("INBOX") == []

    script.write_text(f"print({xoauth2_token(key=b'not-the-servers-key')!r})\n")
    refused = poll(runner)
    assert refused.exit_code == 1 and "refused the sign-in of 'sikayet' by XOAUTH2 token" in refused.output

    script.write_text("import sys\nprint('secret detail', file=sys.stderr)\nsys.exit(3)\n")
    failed = poll(runner)
    assert failed.exit_code == 1
    assert "IMAP_OAUTH2_COMMAND gave no token (exit status 3)" in failed.output
    assert "secret detail" not in failed.output


def test_no_server_listening_asks_to_try_again_later(app, runner):
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=free_port(), IMAP_USER="sikayet", IMAP_PASSWORD="x",
                      IMAP_TIMEOUT=5)
    result = poll(runner)
    assert result.exit_code == 75 and "try again later" in result.output


def test_poll_without_a_mailbox_configured_says_so(app, runner):
    app.config["IMAP_HOST"] = ""
    result = poll(runner)
    assert result.exit_code == 1 and "IMAP_HOST is not set" in result.output


def test_the_scheduler_polls_the_mailbox_only_when_one_is_configured(imap, app):
    assert "imap-poll" in [job.id for job in build_scheduler(app, blocking=False).get_jobs()]
    imap.deliver(numbered(1))
    assert poll_mailbox(app) == 1
    assert len(complaints()) == 1 and imap.messages("INBOX") == []

    app.config["IMAP_HOST"] = ""
    assert "imap-poll" not in [job.id for job in build_scheduler(app, blocking=False).get_jobs()]
