"""Stages 7 and 8 as the diagram now runs them: phone attempts, the written fallback, a silent customer.

Issue 12, items 1 and 2: "not reached" is not "notified"; a customer who never answers is reminded and
then closed as "closed without an answer", counted apart from accepted closures.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services.complaints import links
from app.services.review import figures
from app.services.review.figures import Scope

from .helpers import (
    ANALYSIS,
    RESPONSE,
    all_tasks,
    answer,
    classify,
    complete,
    fire,
    ist,
    outbox_kinds,
    ready_names,
    refreshed,
    register,
    task_named,
)
from .mailbox import deliver, text_of

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)  # a Wednesday
NOT_REACHED = {"reached": False, "call_at": "2026-11-25T15:00:00+03:00", "call_outcome": "Telefon kapalı."}
REACHED = {"reached": True, "call_at": "2026-11-26T10:00:00+03:00", "call_outcome": "Karar okundu, anlaşıldı."}


def _to_phone_call(**fields):
    complaint = register("telefon", at=RECEIVED, preferred_contact="telefon", **fields)
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 12, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 13, 0))
    return complaint


def _events(complaint, action):
    return [json.loads(e.data_json) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id, AuditEvent.action == action)
        .order_by(AuditEvent.seq))]


def test_the_phone_task_shows_the_decision_to_read_out():
    complaint = _to_phone_call()
    task = task_named(complaint, "task_notify_phone")
    assert RESPONSE["solution"] in task.instructions
    assert "deneme 1 / 3" in task.instructions and complaint.registration_number in task.instructions


def test_an_unreached_call_is_recorded_and_retried_two_business_hours_later():
    complaint = _to_phone_call()
    complete(complaint, "task_notify_phone", NOT_REACHED, ist(2026, 11, 25, 15, 0))

    complaint = refreshed(complaint)
    assert complaint.decision_notified_at is None and complaint.stage == 7  # not reached is not notified
    assert ready_names(complaint) == []
    attempt = [e for e in _events(complaint, "task_completed") if e["spec"] == "task_notify_phone"]
    assert attempt[0]["data"]["reached"] is False and attempt[0]["data"]["call_outcome"] == "Telefon kapalı."
    assert complaint.instance.next_timer_at == ist(2026, 11, 25, 17, 0)

    assert fire(ist(2026, 11, 25, 16, 59)) == 0
    fire(ist(2026, 11, 25, 17, 0, 1))
    second = task_named(complaint, "task_notify_phone")
    assert "deneme 2 / 3" in second.instructions

    # An attempt late in the day is retried the next business morning, in business hours.
    complete(complaint, "task_notify_phone", NOT_REACHED, ist(2026, 11, 25, 17, 30))
    assert refreshed(complaint).instance.next_timer_at == ist(2026, 11, 26, 10, 30)
    fire(ist(2026, 11, 26, 10, 31))
    complete(complaint, "task_notify_phone", REACHED, ist(2026, 11, 26, 11, 0))

    complaint = refreshed(complaint)
    assert complaint.decision_notified_at == ist(2026, 11, 26, 11, 0)
    assert ready_names(complaint) == ["task_customer_answer"]
    assert outbox_kinds(complaint) == []  # phone customer: nothing went by e-mail
    assert len(all_tasks(complaint, "task_notify_phone")) == 3


def _fail_three_calls(complaint):
    complete(complaint, "task_notify_phone", NOT_REACHED, ist(2026, 11, 25, 14, 0))
    fire(ist(2026, 11, 25, 16, 1))
    complete(complaint, "task_notify_phone", NOT_REACHED, ist(2026, 11, 25, 16, 30))
    fire(ist(2026, 11, 26, 9, 31))
    complete(complaint, "task_notify_phone", NOT_REACHED, ist(2026, 11, 26, 10, 0))


def test_after_three_unreached_calls_the_decision_goes_by_e_mail():
    complaint = _to_phone_call()
    _fail_three_calls(complaint)

    complaint = refreshed(complaint)
    assert outbox_kinds(complaint) == ["decision"]
    assert complaint.decision_notified_at == ist(2026, 11, 26, 10, 0)
    assert ready_names(complaint) == ["task_customer_answer"]
    assert links.ready_answer_task(complaint) is not None


def test_without_an_e_mail_address_the_decision_goes_by_letter():
    complaint = _to_phone_call(customer_email="")
    _fail_three_calls(complaint)

    assert ready_names(complaint) == ["task_notify_letter"]
    letter = task_named(complaint, "task_notify_letter")
    assert letter.lane == "Şikâyet Uzmanı" and RESPONSE["solution"] in letter.instructions
    assert refreshed(complaint).decision_notified_at is None
    complete(complaint, "task_notify_letter", {"letter_posted_at": "2026-11-26T14:00:00+03:00",
                                               "letter_tracking_number": "RR123456789TR"}, ist(2026, 11, 26, 14, 30))
    complaint = refreshed(complaint)
    assert complaint.decision_notified_at == ist(2026, 11, 26, 14, 30)
    assert ready_names(complaint) == ["task_customer_answer"] and outbox_kinds(complaint) == []


def _decided_by_e_mail():
    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", {"ack_method": "telefon"}, ist(2026, 11, 25, 10, 30))
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 12, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 15, 0))
    return complaint


def test_a_silent_customer_is_reminded_then_closed_without_an_answer(smtp):
    complaint = _decided_by_e_mail()
    assert refreshed(complaint).instance.next_timer_at == ist(2026, 12, 2, 15, 0)  # 5 business days

    assert fire(ist(2026, 12, 2, 14, 59)) == 0
    fire(ist(2026, 12, 2, 15, 1))
    assert outbox_kinds(complaint) == ["decision", "answer_reminder"]
    assert ready_names(complaint) == ["task_customer_answer"]  # the reminder keeps the question open
    deliver(ist(2026, 12, 2, 15, 2))
    reminder = smtp.messages()[-1]
    assert "Hatırlatma" in reminder["Subject"]
    assert "09.12.2026" in text_of(reminder) and "/yanit/" in text_of(reminder)

    fire(ist(2026, 12, 9, 15, 1))  # 10 business days after the decision
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome) == ("closed", "no_answer")
    assert complaint.closed_at == ist(2026, 12, 9, 15, 1)
    assert ready_names(complaint) == [] and links.ready_answer_task(complaint) is None
    (answer_task,) = all_tasks(complaint, "task_customer_answer")
    assert answer_task.state == "cancelled"
    assert outbox_kinds(complaint)[-1] == "closed_without_answer"
    assert _events(complaint, "closed") == [{"outcome": "no_answer"}]
    deliver(ist(2026, 12, 9, 15, 2))
    notice = smtp.messages()[-1]
    assert "yanıt alınmadan kapatıldı" in notice["Subject"] and "/anket/" in text_of(notice)


def test_figures_count_closures_without_an_answer_apart(staff):
    silent = _decided_by_e_mail()
    fire(ist(2026, 12, 10, 12, 0))
    accepted = _decided_by_e_mail()
    answer(accepted, True, ist(2026, 11, 26, 10, 0))
    assert refreshed(accepted).closure_outcome == "accepted"
    assert refreshed(silent).closure_outcome == "no_answer"

    f = figures.compute(Scope(start=ist(2026, 11, 1, 0, 0).date(), end=ist(2026, 12, 1, 0, 0).date()),
                        now=ist(2026, 12, 10, 12, 0))
    assert (f.closed_accepted, f.closed_without_answer) == (1, 1)
    assert (f.accepted_first.numerator, f.accepted_first.denominator) == (1, 1)  # silence is not an answer


def test_an_answer_before_the_deadline_stops_the_reminder_and_the_closure():
    complaint = _decided_by_e_mail()
    fire(ist(2026, 12, 2, 15, 1))
    answer(complaint, True, ist(2026, 12, 3, 10, 0))
    assert fire(ist(2026, 12, 20, 10, 0)) == 0
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome) == ("closed", "accepted")
    assert outbox_kinds(complaint) == ["decision", "answer_reminder", "survey"]


def test_a_rejection_restarts_the_answer_clock_on_the_next_decision():
    complaint = _decided_by_e_mail()
    answer(complaint, False, ist(2026, 11, 26, 10, 0))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 12, 7, 10, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 12, 7, 11, 0))
    assert fire(ist(2026, 12, 9, 15, 1)) == 0  # the first decision's closing date no longer applies
    assert refreshed(complaint).status == "open"
