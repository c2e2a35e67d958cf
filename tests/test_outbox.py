"""Outbox delivery over a real SMTP server: headers, threading, links, retries, sent once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage
from app.services.complaints import customer, links
from app.services.errors import ValidationFailed
from app.services.mail import outbox

from .helpers import ACK, audit_actions, classify, complete, ist, refreshed, register, solve
from .mailbox import deliver, html_of, text_of, tokens_in

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)


def messages_of(complaint) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id).order_by(OutboxMessage.id)))


def acknowledged(at=RECEIVED):
    complaint = register("faks", at=at)
    complete(complaint, "task_acknowledge", ACK, at + timedelta(minutes=30))
    return complaint


def tamper(token: str) -> str:
    body, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    return f"{body}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1:]}"


def test_a_complaint_gets_three_threaded_mails_once_each_with_links_that_work_once(smtp):
    complaint = acknowledged()
    number = complaint.registration_number
    assert deliver(ist(2026, 11, 25, 10, 31)).sent == 1

    (ack,) = smtp.messages()
    (ack_row,) = messages_of(complaint)
    assert ack_row.status == "sent" and ack_row.attempts == 1
    assert ack["Message-ID"] == ack_row.message_id == f"<{number}.acknowledgement.{ack_row.id}@example.com.tr>"
    assert ack["Subject"] == f"[{number}] Şikâyetiniz alındı"
    assert ack["Date"].datetime == ist(2026, 11, 25, 10, 31)
    assert ack["From"].addresses[0].display_name == "Key İnternet Şikâyet Masası"
    assert ack["To"].addresses[0].addr_spec == "ayse@example.com.tr"
    assert ack["Reply-To"] is not None and ack["In-Reply-To"] is None
    assert ack.get_content_type() == "multipart/alternative"
    assert ack.get_body(("plain",)).get_content_charset() == "utf-8"
    text = text_of(ack)
    assert f"Kayıt numaranız: {number}" in text
    assert "1 iş günü" in text and "3 iş günü" in text and "5 iş günü" in text
    assert "http://127.0.0.1:5000/takip" in text
    assert f"<strong>{number}</strong>" in html_of(ack)
    assert smtp.envelopes[0][1] == ["ayse@example.com.tr"]

    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 26, 10, 0))
    deliver(ist(2026, 11, 26, 10, 1))
    decision = smtp.messages()[1]
    assert decision["Subject"] == f"[{number}] Şikâyetinize ilişkin çözüm önerimiz"
    assert decision["In-Reply-To"] == ack["Message-ID"] and decision["References"] == ack["Message-ID"]
    text = text_of(decision)
    assert "Santral kartı değiştirildi, hattınız yeniden yapılandırıldı." in text
    accept, reject = tokens_in(text, "yanit")
    assert tokens_in(html_of(decision), "yanit") == [accept, reject]

    claim = links.verify_token(accept, links.ANSWER, at=ist(2026, 11, 27, 9, 0))
    assert (claim.complaint.id, claim.action, claim.task.spec_name) == (complaint.id, "accept", "task_customer_answer")
    with pytest.raises(links.InvalidLink) as bad:
        links.verify_token(tamper(accept), links.ANSWER, at=ist(2026, 11, 27, 9, 0))
    assert bad.value.kind == "tampered"
    with pytest.raises(links.InvalidLink) as late:
        links.verify_token(reject, links.ANSWER, at=ist(2026, 12, 27, 10, 2))
    assert late.value.kind == "expired"
    with pytest.raises(links.InvalidLink) as wrong_purpose:
        links.verify_token(accept, links.SURVEY, at=ist(2026, 11, 27, 9, 0))
    assert wrong_purpose.value.kind == "tampered"

    customer.record_customer_answer(accept, at=ist(2026, 11, 27, 9, 0))
    assert refreshed(complaint).status == "closed"
    for token in (accept, reject):
        with pytest.raises(links.InvalidLink) as used:
            customer.record_customer_answer(token, at=ist(2026, 11, 27, 9, 5))
        assert used.value.kind == "used"

    deliver(ist(2026, 11, 27, 9, 1))
    survey = smtp.messages()[2]
    assert survey["Subject"] == f"[{number}] Görüşünüz bizim için önemli"
    assert survey["In-Reply-To"] == ack["Message-ID"]
    (token,) = tokens_in(text_of(survey), "anket")
    response = customer.record_survey(token, 5, True, "Hızlı çözüldü, teşekkürler.", at=ist(2026, 11, 27, 12, 0))
    assert (response.score, response.solved, response.comment) == (5, True, "Hızlı çözüldü, teşekkürler.")
    with pytest.raises(links.InvalidLink) as used:
        customer.record_survey(token, 1, False, at=ist(2026, 11, 27, 12, 5))
    assert used.value.kind == "used"

    assert deliver(ist(2026, 11, 30, 9, 0)).sent == 0
    assert len(smtp.envelopes) == 3
    assert len({m["Message-ID"] for m in smtp.messages()}) == 3
    assert [m.status for m in messages_of(complaint)] == ["sent", "sent", "sent"]
    assert audit_actions(complaint).count("message_sent") == 3


def test_english_customers_get_english_mail(smtp):
    complaint = register("faks", at=RECEIVED)
    complaint.language = "en"
    db.session.commit()
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    deliver(ist(2026, 11, 25, 10, 31))
    (ack,) = smtp.messages()
    assert ack["Subject"] == f"[{complaint.registration_number}] We have received your complaint"
    assert f"Registration number: {complaint.registration_number}" in text_of(ack)
    assert ack["Content-Language"] == "en"


def test_a_rejection_needs_a_reason_and_reopens_the_complaint(smtp):
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 14, 0))
    deliver(ist(2026, 11, 25, 14, 1))
    _, reject = tokens_in(text_of(smtp.messages()[0]), "yanit")

    with pytest.raises(ValidationFailed) as missing:
        customer.record_customer_answer(reject, reason="  ", at=ist(2026, 11, 26, 9, 0))
    assert "rejection_reason" in missing.value.errors
    customer.record_customer_answer(reject, reason="Bağlantı hâlâ kopuyor.", at=ist(2026, 11, 26, 9, 0))
    complaint = refreshed(complaint)
    assert complaint.reopen_count == 1 and complaint.status == "open"
    with pytest.raises(ValidationFailed):
        customer.record_survey(complaint, 6, True)


def test_smtp_down_messages_wait_with_backoff_and_go_out_once_when_it_is_back(smtp_down):
    complaint = acknowledged()
    t0 = ist(2026, 11, 25, 10, 31)
    report = deliver(t0)
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = messages_of(complaint)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, t0 + timedelta(seconds=60))
    assert "Connection" in row.last_error

    assert deliver(t0 + timedelta(seconds=30)).retrying == 0  # not due yet
    deliver(t0 + timedelta(seconds=61))
    (row,) = messages_of(complaint)
    assert (row.attempts, row.next_attempt_at) == (2, t0 + timedelta(seconds=61 + 120))

    smtp_down.start()
    assert deliver(t0 + timedelta(seconds=61 + 119)).sent == 0
    assert deliver(t0 + timedelta(seconds=61 + 121)).sent == 1
    assert deliver(t0 + timedelta(hours=1)).sent == 0
    assert len(smtp_down.envelopes) == 1
    (row,) = messages_of(complaint)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)


def test_after_the_last_attempt_a_message_is_failed_and_listed_for_staff(app, smtp_down, runner):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    complaint = acknowledged()
    t0 = ist(2026, 11, 25, 10, 31)
    deliver(t0)
    assert deliver(t0 + timedelta(minutes=5)).failed == 1
    (row,) = messages_of(complaint)
    assert (row.status, row.attempts) == ("failed", 2)
    assert "message_failed" in audit_actions(complaint)
    assert deliver(t0 + timedelta(days=1)).sent == 0

    result = runner.invoke(args=["outbox", "list", "--status", "failed"])
    assert result.exit_code == 0, result.output
    assert complaint.registration_number in result.output and "failed" in result.output

    smtp_down.start()
    assert runner.invoke(args=["outbox", "retry", str(row.id)]).exit_code == 0
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    assert len(smtp_down.envelopes) == 1


def test_a_claimed_message_is_not_sent_by_a_second_sweep_and_is_retried_after_its_lease(smtp):
    complaint = acknowledged()
    t0 = ist(2026, 11, 25, 10, 31)
    claimed = outbox.claim_due(t0)  # sweep A claims ... and dies before sending
    assert len(claimed) == 1
    assert deliver(t0).sent == 0  # sweep B
    assert deliver(t0 + timedelta(seconds=299)).sent == 0
    assert smtp.envelopes == []
    assert deliver(t0 + timedelta(seconds=301)).sent == 1
    assert len(smtp.envelopes) == 1
    (row,) = messages_of(complaint)
    assert (row.status, row.attempts) == ("sent", 2)


def test_two_concurrent_sweeps_send_each_message_exactly_once(app, smtp):
    complaints = [acknowledged(RECEIVED + timedelta(minutes=i)) for i in range(6)]
    db.session.commit()
    at = ist(2026, 11, 25, 12, 0)
    start = threading.Barrier(2)
    reports, errors = [], []

    def sweep():
        with app.app_context():
            try:
                start.wait(timeout=10)
                reports.append(outbox.deliver_pending(at=at, limit=2))
            except Exception as exc:  # noqa: BLE001 - surfaced below
                errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in reports) == 6
    assert len(smtp.envelopes) == 6
    assert len({m["Message-ID"] for m in smtp.messages()}) == 6
    assert sorted(e[1][0] for e in smtp.envelopes) == ["ayse@example.com.tr"] * 6
    assert {m.status for c in complaints for m in messages_of(c)} == {"sent"}
