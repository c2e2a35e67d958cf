"""Every path through processes/complaint.bpmn, driven through the services with a controlled clock."""

from __future__ import annotations

import pytest

from .helpers import (
    ACK,
    ESCALATION,
    all_tasks,
    answer,
    audit_actions,
    classify,
    complete,
    fire,
    ist,
    outbox_kinds,
    ready_names,
    refreshed,
    register,
    solve,
)

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.mark.parametrize("channel", ["telefon", "yuz_yuze"])
def test_phone_and_face_to_face_are_acknowledged_on_the_spot(channel):
    complaint = register(channel, at=RECEIVED)

    assert complaint.registration_number == "SK-2026-000001"
    assert complaint.acknowledged_at == RECEIVED
    assert ready_names(complaint) == ["task_classify"]
    assert complaint.stage == 3
    assert "task_acknowledge" not in [t.spec_name for t in all_tasks(complaint, "task_acknowledge")]


@pytest.mark.parametrize("channel", ["faks", "posta_kargo", "anket"])
def test_fax_post_and_survey_get_an_acknowledgement_task_due_the_same_business_day(channel):
    complaint = register(channel, at=RECEIVED)

    assert ready_names(complaint) == ["task_acknowledge"]
    (task,) = all_tasks(complaint, "task_acknowledge")
    assert task.lane == "Şikâyet Kabul"
    assert task.due_at == ist(2026, 11, 25, 18, 0)
    assert complaint.acknowledgement_due_at == ist(2026, 11, 25, 18, 0)
    assert complaint.acknowledged_at is None
    assert complaint.stage == 2


def test_registration_numbers_count_up_per_year():
    first = register("telefon", at=ist(2026, 12, 31, 23, 0))
    second = register("telefon", at=ist(2026, 12, 31, 23, 30))
    third = register("telefon", at=ist(2027, 1, 1, 0, 30))
    assert [first.registration_number, second.registration_number, third.registration_number] == [
        "SK-2026-000001", "SK-2026-000002", "SK-2027-000001"]


def test_acknowledgement_in_time_sends_the_acknowledgement_mail_and_raises_no_escalation():
    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 11, 0))

    assert refreshed(complaint).acknowledged_at == ist(2026, 11, 25, 11, 0)
    assert outbox_kinds(complaint) == ["acknowledgement"]
    assert ready_names(complaint) == ["task_classify"]
    fire(ist(2026, 11, 26, 9, 0))
    assert ready_names(complaint) == ["task_classify"]


def test_acknowledgement_by_phone_queues_no_mail():
    complaint = register("posta_kargo", at=RECEIVED)
    complete(complaint, "task_acknowledge", {"ack_method": "telefon"}, ist(2026, 11, 25, 11, 0))
    assert outbox_kinds(complaint) == []


def test_missed_acknowledgement_escalates_once_to_the_representative():
    complaint = register("faks", at=RECEIVED)
    assert fire(ist(2026, 11, 25, 17, 59)) == 0
    assert ready_names(complaint) == ["task_acknowledge"]

    fire(ist(2026, 11, 25, 18, 1))
    assert ready_names(complaint) == ["task_ack_escalation", "task_acknowledge"]
    (escalation,) = all_tasks(complaint, "task_ack_escalation")
    assert escalation.lane == "Şikâyetleri Ele Alma Yönetim Temsilcisi"
    assert escalation.escalation == "acknowledgement"

    fire(ist(2026, 11, 26, 12, 0))
    assert len(all_tasks(complaint, "task_ack_escalation")) == 1
    assert "escalation_raised" in audit_actions(complaint)

    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 26, 12, 5))
    complete(complaint, "task_ack_escalation", ESCALATION, ist(2026, 11, 26, 12, 10))
    assert ready_names(complaint) == ["task_classify"]


@pytest.mark.parametrize(
    ("priority", "deadline"),
    [
        ("high", ist(2026, 11, 26, 10, 0)),
        ("normal", ist(2026, 11, 30, 10, 0)),
        ("low", ist(2026, 12, 2, 10, 0)),
    ],
)
def test_each_priority_gets_its_business_day_deadline_from_receipt(priority, deadline):
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, priority, ist(2026, 11, 25, 12, 0))

    complaint = refreshed(complaint)
    assert complaint.priority == priority
    assert complaint.solution_due_at == deadline
    assert complaint.instance.next_timer_at == deadline
    assert complaint.stage == 5
    (analysis,) = all_tasks(complaint, "task_analyse")
    assert analysis.due_at == deadline
    assert analysis.lane == "Şikâyet Uzmanı"


def test_deadline_met_raises_no_escalation_and_the_customer_is_asked():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 15, 0))

    complaint = refreshed(complaint)
    assert ready_names(complaint) == ["task_customer_answer"]
    assert complaint.decision_notified_at == ist(2026, 11, 25, 15, 0)
    assert outbox_kinds(complaint) == ["decision"]
    # The only timer left is the reminder to the customer, five business days after the decision.
    assert complaint.instance.next_timer_at == ist(2026, 12, 2, 15, 0)
    fire(ist(2026, 11, 27, 10, 0))
    assert all_tasks(complaint, "task_deadline_escalation") == []


def test_missed_deadline_raises_exactly_one_escalation():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))

    fire(ist(2026, 11, 26, 10, 1))
    fire(ist(2026, 11, 26, 11, 0))
    fire(ist(2026, 11, 30, 9, 0))
    assert len(all_tasks(complaint, "task_deadline_escalation")) == 1
    assert ready_names(complaint) == ["task_analyse", "task_deadline_escalation"]

    solve(complaint, ist(2026, 11, 26, 12, 0))
    complete(complaint, "task_deadline_escalation", ESCALATION, ist(2026, 11, 26, 12, 30))
    assert ready_names(complaint) == ["task_customer_answer"]


def test_accepted_at_once_closes_the_complaint_and_invites_to_the_survey():
    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 26, 10, 0))
    answer(complaint, True, ist(2026, 11, 27, 9, 30))

    complaint = refreshed(complaint)
    assert complaint.status == "closed"
    assert complaint.stage == 8
    assert complaint.closed_at == ist(2026, 11, 27, 9, 30)
    assert complaint.reopen_count == 0
    assert complaint.instance.status == "completed"
    assert complaint.root_cause_category == "network_infrastructure"
    assert outbox_kinds(complaint) == ["acknowledgement", "decision", "survey"]
    assert ready_names(complaint) == []


def test_rejected_once_is_re_evaluated_with_a_new_deadline_then_closed():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 14, 0))
    answer(complaint, False, ist(2026, 11, 26, 15, 0))

    complaint = refreshed(complaint)
    assert complaint.reopen_count == 1
    assert complaint.status == "open"
    assert complaint.stage == 5
    assert ready_names(complaint) == ["task_analyse"]
    # Re-evaluation gets its own 1-business-day deadline, counted from the customer's answer.
    assert complaint.solution_due_at == ist(2026, 11, 27, 15, 0)
    assert "reopened" in audit_actions(complaint)

    solve(complaint, ist(2026, 11, 27, 10, 0))
    answer(complaint, True, ist(2026, 11, 27, 16, 0))
    assert refreshed(complaint).status == "closed"


def test_rejected_twice_counts_two_reopens():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "low", ist(2026, 11, 25, 11, 0))
    for day in (26, 27):
        solve(complaint, ist(2026, 11, day, 10, 0))
        answer(complaint, False, ist(2026, 11, day, 11, 0))
    complaint = refreshed(complaint)
    assert complaint.reopen_count == 2
    assert all_tasks(complaint, "task_reopen_escalation") == []
    solve(complaint, ist(2026, 11, 30, 10, 0))
    answer(complaint, True, ist(2026, 11, 30, 11, 0))
    assert refreshed(complaint).status == "closed"


def test_reopens_past_the_limit_escalate_without_stopping_the_re_evaluation():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    for round_ in range(1, 5):
        solve(complaint, ist(2026, 11, 26, 9 + round_, 0))
        answer(complaint, False, ist(2026, 11, 26, 9 + round_, 30))
        escalations = all_tasks(complaint, "task_reopen_escalation")
        assert len(escalations) == (1 if round_ == 4 else 0), f"after reopen {round_}"

    assert ready_names(complaint) == ["task_analyse", "task_reopen_escalation"]
    assert refreshed(complaint).reopen_count == 4
    complete(complaint, "task_reopen_escalation", ESCALATION, ist(2026, 11, 26, 14, 0))
    solve(complaint, ist(2026, 11, 26, 15, 0))
    answer(complaint, True, ist(2026, 11, 26, 16, 0))
    assert refreshed(complaint).status == "closed"


def test_a_missed_deadline_after_a_reopen_escalates_once_more_and_no_sooner():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    fire(ist(2026, 11, 26, 10, 1))  # first deadline missed
    solve(complaint, ist(2026, 11, 26, 11, 0))
    complete(complaint, "task_deadline_escalation", ESCALATION, ist(2026, 11, 26, 11, 5))
    answer(complaint, False, ist(2026, 11, 26, 12, 0))

    # The old deadline (already past) must not fire again when the sub-process is re-entered.
    fire(ist(2026, 11, 26, 12, 1))
    assert len(all_tasks(complaint, "task_deadline_escalation")) == 1
    assert refreshed(complaint).solution_due_at == ist(2026, 11, 27, 12, 0)

    fire(ist(2026, 11, 27, 12, 1))
    fire(ist(2026, 11, 27, 13, 0))
    assert len(all_tasks(complaint, "task_deadline_escalation")) == 2


def test_customers_who_prefer_the_phone_are_called_instead_of_mailed():
    complaint = register("telefon", at=RECEIVED, preferred_contact="telefon")
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 14, 0))

    assert ready_names(complaint) == ["task_notify_phone"]
    complete(complaint, "task_notify_phone", {
        "reached": True, "call_at": "2026-11-25T15:00:00+03:00", "call_outcome": "Çözüm anlatıldı."},
        ist(2026, 11, 25, 15, 0))
    assert ready_names(complaint) == ["task_customer_answer"]
    assert outbox_kinds(complaint) == []
    assert refreshed(complaint).decision_notified_at == ist(2026, 11, 25, 15, 0)


def test_a_customer_without_e_mail_gets_no_message_but_the_history_says_why():
    complaint = register("faks", at=RECEIVED, customer_email="", preferred_contact="telefon")
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 11, 0))
    assert outbox_kinds(complaint) == []
    assert "message_skipped" in audit_actions(complaint)
