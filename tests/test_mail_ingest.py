"""The e-mail channel with real .eml files: new complaints, replies, answers, quarantine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, AuditEvent, Complaint
from app.services.mail import ingest as mail_ingest

from .conftest import TESTS_DIR
from .helpers import ACK, all_tasks, audit_actions, classify, complete, ist, ready_names, refreshed, register, solve
from .mailbox import deliver

pytestmark = pytest.mark.usefixtures("live_version", "mail_dirs")
MAIL = TESTS_DIR / "data" / "mail"
AT = ist(2026, 11, 25, 10, 0)


def eml(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def complaints_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def quarantined(folder: Path) -> list[tuple[bytes, str]]:
    return [(p.read_bytes(), p.with_suffix(".reason").read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.eml"))]


def events(complaint, action: str) -> list[dict]:
    return [json.loads(e.data_json) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id, AuditEvent.action == action)
        .order_by(AuditEvent.seq))]


def test_a_plain_message_opens_an_e_mail_complaint_once_and_our_mail_threads_under_it(smtp):
    result = mail_ingest.ingest_bytes(eml("plain.eml"), at=AT)
    assert (result.outcome, result.number) == ("created", "SK-2026-000001")

    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint.channel == "eposta"
    assert (complaint.customer_name, complaint.customer_email) == ("Mehmet Öztürk", "mehmet@example.com.tr")
    assert complaint.subject == "İnternet hızım çok düşük"
    assert complaint.description.startswith("Merhaba,\n\nÜç gündür internet hızım 2 Mbps'nin altına düşüyor.")
    assert (complaint.preferred_contact, complaint.language) == ("eposta", "tr")
    assert complaint.source_message_id == "<20261125094012.plain-1@mail.example.com.tr>"
    assert ready_names(complaint) == ["task_classify"]  # acknowledged by e-mail at registration

    assert mail_ingest.ingest_bytes(eml("plain.eml"), at=AT).outcome == "duplicate"  # the MTA retried
    assert complaints_count() == 1

    deliver(ist(2026, 11, 25, 10, 31))
    (ack,) = smtp.messages()
    assert ack["In-Reply-To"] == "<20261125094012.plain-1@mail.example.com.tr>"
    assert ack["To"].addresses[0].addr_spec == "mehmet@example.com.tr"


def test_a_multipart_message_keeps_its_pdf_attachment(mail_dirs):
    result = mail_ingest.ingest_bytes(eml("multipart_pdf.eml"), at=AT)
    assert result.outcome == "created"
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint.subject == "Faturamda çift ücret"
    assert "iki kez ücret alınmış" in complaint.description and "<b>" not in complaint.description

    (attachment,) = db.session.scalars(sa.select(Attachment))
    assert (attachment.complaint_id, attachment.original_filename) == (complaint.id, "kasim-faturasi.pdf")
    assert attachment.content_type == "application/pdf"
    stored = (mail_dirs / "attachments" / attachment.storage_path).read_bytes()
    assert stored.startswith(b"%PDF-") and attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.size == len(stored)
    assert "attachment_added" in audit_actions(complaint)


def test_an_html_only_message_becomes_plain_text():
    mail_ingest.ingest_bytes(eml("html_only.eml"), at=AT)
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint.description == "Sayın yetkili,\n\nModemim sürekli yeniden başlıyor.\n\nCan Demir"


def _waiting_for_answer():
    complaint = register("faks", at=AT)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 15, 0))
    assert ready_names(complaint) == ["task_customer_answer"]
    return complaint


def test_a_reply_with_the_number_in_the_subject_is_history_and_the_customer_s_acceptance():
    complaint = _waiting_for_answer()
    result = mail_ingest.ingest_bytes(eml("reply_accept.eml"), at=ist(2026, 11, 26, 9, 20))
    assert (result.outcome, result.number, result.reason) == ("answered", "SK-2026-000001", "accepted")
    assert complaints_count() == 1

    complaint = refreshed(complaint)
    assert complaint.status == "closed"
    (message,) = events(complaint, "customer_message")
    assert message["text"] == "Kabul ediyorum, teşekkürler. Artık bağlantım sorunsuz.\n\nAyşe"
    assert message["sender_matches"] is True
    (answer,) = all_tasks(complaint, "task_customer_answer")
    assert (answer.state, answer.completed_by) == ("completed", "customer")

    assert mail_ingest.ingest_bytes(eml("reply_accept.eml"), at=ist(2026, 11, 26, 9, 30)).outcome == "duplicate"
    assert len(events(complaint, "customer_message")) == 1


def test_a_reply_found_by_its_references_in_windows_1254_rejects_with_its_text_as_reason():
    complaint = _waiting_for_answer()
    result = mail_ingest.ingest_bytes(eml("reply_reject.eml"), at=ist(2026, 11, 26, 9, 20))
    assert (result.outcome, result.reason) == ("answered", "rejected")

    complaint = refreshed(complaint)
    assert complaint.reopen_count == 1 and complaint.status == "open"
    assert ready_names(complaint) == ["task_analyse"]
    completed = [json.loads(e.data_json) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id, AuditEvent.action == "task_completed"))]
    assert completed[-1]["data"] == {
        "answer": "rejected",
        "rejection_reason": "KABUL ETMİYORUM. Bağlantı hâlâ akşamları kopuyor, dün de iki kez koptu."}


def test_a_reply_from_someone_else_or_when_no_answer_is_due_only_joins_the_history():
    complaint = _waiting_for_answer()
    stranger = eml("reply_accept.eml").replace(b"<ayse@example.com.tr>", b"<kotu@example.org>")
    assert mail_ingest.ingest_bytes(stranger, at=ist(2026, 11, 26, 9, 0)).outcome == "appended"
    assert ready_names(complaint) == ["task_customer_answer"]
    assert events(complaint, "customer_message")[0]["sender_matches"] is False

    other = register("faks", at=AT)  # SK-2026-000002, still waiting for acknowledgement
    reply = eml("reply_accept.eml").replace(b"SK-2026-000001", b"SK-2026-000002").replace(
        b"reply-accept-4", b"reply-accept-9")
    assert mail_ingest.ingest_bytes(reply, at=ist(2026, 11, 26, 9, 0)).outcome == "appended"
    assert ready_names(other) == ["task_acknowledge"]
    assert "customer_message" in audit_actions(other)


@pytest.mark.parametrize(("name", "reason"), [("malformed.eml", "malformed"), ("undecodable.eml", "undecodable")])
def test_unreadable_messages_are_quarantined_with_their_reason(mail_dirs, name, reason):
    result = mail_ingest.ingest_bytes(eml(name), source="test", at=AT)
    assert result.outcome == "quarantined" and result.reason.startswith(reason)
    ((raw, why),) = quarantined(mail_dirs / "quarantine")
    assert raw == eml(name)
    assert f"reason: {reason}" in why and "source: test" in why
    assert complaints_count() == 0


def test_an_oversized_message_is_quarantined_whole(app, mail_dirs):
    app.config["MAIL_MAX_BYTES"] = 1000
    result = mail_ingest.ingest_bytes(eml("multipart_pdf.eml"), at=AT)
    assert result.outcome == "quarantined"
    ((raw, why),) = quarantined(mail_dirs / "quarantine")
    assert raw == eml("multipart_pdf.eml") and "oversized" in why
    assert complaints_count() == 0


def test_the_cli_reads_a_maildir_and_moves_what_it_handled_to_cur(runner, mail_dirs):
    maildir = mail_dirs / "Maildir"
    for folder in ("new", "cur", "tmp"):
        (maildir / folder).mkdir(parents=True)
    for number, name in enumerate(("plain.eml", "multipart_pdf.eml", "malformed.eml"), start=1):
        (maildir / "new" / f"1764050000.{number}.mx").write_bytes(eml(name))

    result = runner.invoke(args=["mail", "ingest", "--maildir", str(maildir), "--now", "2026-11-25T10:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert "created SK-2026-000001" in result.output and "quarantined" in result.output
    assert list((maildir / "new").iterdir()) == []
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1764050000.1.mx:2,S", "1764050000.2.mx:2,S", "1764050000.3.mx:2,S"]
    assert complaints_count() == 2
    assert len(quarantined(mail_dirs / "quarantine")) == 1


def test_the_cli_reads_one_message_on_stdin(runner):
    result = runner.invoke(args=["mail", "ingest"], input=eml("plain.eml"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created SK-2026-000001"


@pytest.mark.parametrize(("results", "decides"), [
    (None, False),                                                     # no verdict from our MTA
    ("mx.example.com.tr; spf=pass; dkim=fail; dmarc=fail", False),     # forged From
    ("mx.attacker.example; dmarc=pass", False),                        # someone else's verdict
    ("mx.example.com.tr; spf=pass smtp.mailfrom=example.com.tr; dkim=pass header.d=example.com.tr; "
     "dmarc=pass header.from=example.com.tr", True),
])
def test_with_a_trusted_mta_only_an_authenticated_reply_decides(app, results, decides):
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = "mx.example.com.tr"
    complaint = _waiting_for_answer()
    raw = eml("reply_accept.eml")
    if results:
        raw = f"Authentication-Results: {results}\r\n".encode() + raw
    result = mail_ingest.ingest_bytes(raw, at=ist(2026, 11, 26, 9, 20))
    assert result.outcome == ("answered" if decides else "appended")
    assert refreshed(complaint).status == ("closed" if decides else "open")
    (message,) = events(refreshed(complaint), "customer_message")
    assert message["sender_authenticated"] is decides
