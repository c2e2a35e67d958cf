"""The review list (filters, sorting, paging, CSV) and the audited admin actions, through the services."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services.errors import ComplaintNotActive, TaskAlreadyCompleted, ValidationFailed
from app.services.review import listing as review
from app.services.review.listing import ReviewQuery
from app.services.workflow import admin_actions, inbox, tasks
from app.services.workflow.inbox import NotAllowed

from .helpers import (
    ACK,
    answer,
    audit_actions,
    classify,
    complete,
    fire,
    ist,
    ready_names,
    refreshed,
    register,
    solve,
    task_named,
)

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)  # a Wednesday


def _last_event(complaint) -> AuditEvent:
    db.session.expire_all()
    return db.session.scalar(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id)
                             .order_by(AuditEvent.seq.desc()).limit(1))


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_admin_action_needs_a_reason(staff, reason):
    complaint = register("faks", at=RECEIVED)
    task = task_named(complaint, "task_acknowledge")
    qm = staff["quality_manager"]
    before = audit_actions(complaint)
    for act in (lambda: admin_actions.suspend(complaint, user=qm, reason=reason),
                lambda: admin_actions.cancel(complaint, user=qm, reason=reason),
                lambda: admin_actions.reassign_task(task.id, "kabul", user=qm, reason=reason)):
        with pytest.raises(ValidationFailed) as exc:
            act()
        assert "reason" in exc.value.errors
    assert audit_actions(complaint) == before
    assert refreshed(complaint).instance.status == "running"


@pytest.mark.parametrize("role", ["intake", "handler", "representative", "analyst"])
def test_only_quality_managers_and_admins_act(staff, role):
    complaint = register("faks", at=RECEIVED)
    with pytest.raises(NotAllowed):
        admin_actions.suspend(complaint, user=staff[role], reason="deneme")
    assert refreshed(complaint).instance.status == "running"


def test_suspension_stops_the_timer_sweep_and_resuming_restarts_it(staff):
    complaint = register("faks", at=RECEIVED)
    due = refreshed(complaint).instance.next_timer_at
    admin_actions.suspend(complaint, user=staff["admin"], reason="Müşteri yurt dışında", at=ist(2026, 11, 25, 12, 0))
    assert _last_event(complaint).action == "admin_suspended"
    assert json.loads(_last_event(complaint).data_json) == {"reason": "Müşteri yurt dışında"}

    assert fire(ist(2026, 11, 26, 9, 0)) == 0
    assert ready_names(complaint) == ["task_acknowledge"]
    with pytest.raises(ComplaintNotActive, match="suspended"):
        tasks.complete_task(task_named(complaint, "task_acknowledge").id, ACK, actor="zeynep",
                            at=ist(2026, 11, 26, 9, 5))
    assert ready_names(complaint) == ["task_acknowledge"]
    with pytest.raises(admin_actions.InvalidState):
        admin_actions.suspend(complaint, user=staff["admin"], reason="ikinci kez")

    admin_actions.resume(complaint, user=staff["quality_manager"], reason="Müşteriye ulaşıldı",
                         at=ist(2026, 11, 26, 9, 30))
    complaint = refreshed(complaint)
    assert complaint.instance.status == "running"
    assert complaint.instance.next_timer_at == due
    assert audit_actions(complaint)[-1] == "admin_resumed"
    assert fire(ist(2026, 11, 26, 9, 31)) == 1
    assert ready_names(complaint) == ["task_ack_escalation", "task_acknowledge"]
    assert refreshed(complaint).deadline_breached


def test_cancel_closes_the_instance_its_tasks_and_its_timers(staff):
    complaint = register("faks", at=RECEIVED)
    task = task_named(complaint, "task_acknowledge")
    admin_actions.cancel(complaint, user=staff["quality_manager"], reason="Mükerrer kayıt",
                         at=ist(2026, 11, 25, 11, 0))
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.instance.status) == ("cancelled", "cancelled")
    assert ready_names(complaint) == []
    event = _last_event(complaint)
    assert (event.action, event.actor) == ("admin_cancelled", "kalite")
    assert json.loads(event.data_json)["cancelled_tasks"] == [task.name]
    with pytest.raises(TaskAlreadyCompleted):
        tasks.complete_task(task.id, ACK, actor="test", at=ist(2026, 11, 25, 12, 0))
    assert fire(ist(2026, 11, 27, 9, 0)) == 0
    with pytest.raises(admin_actions.InvalidState):
        admin_actions.resume(complaint, user=staff["quality_manager"], reason="geri al")


def test_reassign_gives_a_task_to_a_colleague_of_its_lane(staff):
    complaint = register("telefon", at=RECEIVED)
    task = task_named(complaint, "task_classify")
    inbox.claim(task.id, staff["handler"], at=ist(2026, 11, 25, 10, 5))
    with pytest.raises(ValidationFailed):
        admin_actions.reassign_task(task.id, "kabul", user=staff["quality_manager"], reason="yük dengesi")

    admin_actions.reassign_task(task.id, "uzman2", user=staff["quality_manager"], reason="Hande izinde",
                                at=ist(2026, 11, 25, 10, 10))
    task = task_named(complaint, "task_classify")
    assert task.assignee.username == "uzman2"
    event = _last_event(complaint)
    assert event.action == "admin_reassigned"
    assert json.loads(event.data_json) == {"task": task.name, "spec": "task_classify", "from": "uzman",
                                           "to": "uzman2", "reason": "Hande izinde"}


def _list_numbers(now=None, **filters) -> list[str]:
    page = review.review_page(ReviewQuery(**filters), now=now or ist(2026, 11, 30, 12, 0))
    return [row.complaint.registration_number for row in page.rows]


def test_review_list_filters_sorts_and_pages(staff):
    closed = register("telefon", at=ist(2026, 11, 23, 10, 0))        # 000001: high, reopened, closed
    classify(closed, "high", ist(2026, 11, 23, 11, 0))
    solve(closed, ist(2026, 11, 23, 12, 0))
    answer(closed, False, ist(2026, 11, 23, 13, 0))
    solve(closed, ist(2026, 11, 23, 14, 0))
    answer(closed, True, ist(2026, 11, 23, 15, 0))
    late = register("faks", at=ist(2026, 11, 24, 10, 0))             # 000002: ack missed (sweep)
    fire(ist(2026, 11, 24, 18, 1))
    overdue = register("eposta", at=ist(2026, 11, 25, 10, 0))        # 000003: normal, overdue now
    classify(overdue, "normal", ist(2026, 11, 25, 11, 0))
    task = task_named(overdue, "task_analyse")
    inbox.claim(task.id, staff["handler"], at=ist(2026, 11, 25, 11, 5))
    suspended = register("web", at=ist(2026, 11, 27, 10, 0))         # 000004
    admin_actions.suspend(suspended, user=staff["admin"], reason="bekleme", at=ist(2026, 11, 27, 11, 0))

    n1, n2, n3, n4 = (c.registration_number for c in (closed, late, overdue, suspended))
    assert _list_numbers() == [n4, n3, n2, n1]
    assert _list_numbers(sort="received") == [n1, n2, n3, n4]
    assert _list_numbers(status="closed") == [n1]
    assert _list_numbers(status="suspended") == [n4]
    assert _list_numbers(status="bogus") == [n4, n3, n2, n1]
    assert _list_numbers(priority="high") == [n1]
    assert _list_numbers(channel="faks") == [n2]
    assert _list_numbers(stage=5) == [n3]
    # Ready tasks past their due now (the web complaint is acknowledged at once; classification has no due).
    assert _list_numbers(deadline="overdue") == [n3, n2]
    assert _list_numbers(deadline="overdue", now=ist(2026, 11, 25, 12, 0)) == [n2]
    assert _list_numbers(deadline="breached", now=ist(2026, 11, 25, 12, 0)) == [n2]
    assert _list_numbers(reopened=True) == [n1]
    assert _list_numbers(reopened=False) == [n4, n3, n2]
    assert _list_numbers(version=1) == [n4, n3, n2, n1] and _list_numbers(version=2) == []
    assert _list_numbers(received_from=ist(2026, 11, 24, 0, 0).date(),
                         received_to=ist(2026, 11, 25, 0, 0).date()) == [n3, n2]
    assert _list_numbers(representative="uzman") == [n3]
    assert _list_numbers(root_cause="network_infrastructure") == [n1]
    assert _list_numbers(q=n2.lower()) == [n2]

    page = review.review_page(ReviewQuery(sort="number", page=2, page_size=3), now=ist(2026, 11, 30, 12, 0))
    assert (page.total, page.pages, page.page) == (4, 2, 2)
    assert [r.complaint.registration_number for r in page.rows] == [n4]
    assert page.rows[0].instance_status == "suspended" and page.rows[0].version_number == 1


def test_query_from_request_args_ignores_garbage():
    query = ReviewQuery.from_args({"stage": "x", "from": "2026-13-01", "to": "2026-11-30", "reopened": "1",
                                   "sort": "drop table", "page": "-3", "size": "100000", "deadline": "breached"})
    assert query.stage is None and query.received_from is None
    assert query.received_to.isoformat() == "2026-11-30"
    assert query.reopened is True and query.deadline == "breached"
    assert (query.sort, query.page, query.page_size) == ("-received", 1, review.MAX_PAGE_SIZE)


def test_csv_export_has_a_bom_turkish_headers_and_every_filtered_row():
    first = register("telefon", at=ist(2026, 11, 25, 10, 0))
    classify(first, "high", ist(2026, 11, 25, 11, 0))
    register("faks", at=ist(2026, 11, 25, 12, 0))

    body = b"".join(review.export_csv(ReviewQuery(page_size=1), now=ist(2026, 11, 25, 13, 0)))
    assert body.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8):].decode("utf-8")), delimiter=";"))
    assert rows[0][:4] == ["Kayıt No", "Alınma", "Kanal (kod)", "Kanal"]
    assert len(rows) == 3  # paging does not apply to the export
    by_number = {row[0]: row for row in rows[1:]}
    # Without a labeller (the web layer gives one) the label columns repeat the code.
    assert by_number[first.registration_number][1:6] == ["25.11.2026 10:00", "telefon", "telefon", "high", "high"]
    assert "Ayşe" not in body.decode("utf-8")  # no personal data in the export

    only_faks = b"".join(review.export_csv(ReviewQuery(channel="faks"), now=ist(2026, 11, 25, 13, 0)))
    assert only_faks.decode("utf-8-sig").count("\r\n") == 2


def test_first_proposal_facts_survive_a_reopen_and_a_late_round_marks_the_breach():
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 14, 0))
    answer(complaint, False, ist(2026, 11, 26, 15, 0))
    complaint = refreshed(complaint)
    assert complaint.solution_due_at == ist(2026, 11, 27, 15, 0)
    assert complaint.first_solution_due_at == ist(2026, 11, 26, 10, 0)
    assert not complaint.deadline_breached

    solve(complaint, ist(2026, 11, 30, 10, 0))  # the second round's deadline was 27 Nov 15:00
    complaint = refreshed(complaint)
    assert complaint.decision_notified_at == ist(2026, 11, 30, 10, 0)
    assert complaint.first_decision_notified_at == ist(2026, 11, 25, 14, 0)
    assert complaint.deadline_breached


def test_cancelling_withdraws_mail_not_yet_sent(staff):
    from app.models import OutboxMessage

    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 11, 0))
    admin_actions.cancel(complaint, user=staff["quality_manager"], reason="Mükerrer kayıt",
                         at=ist(2026, 11, 25, 11, 30))
    statuses = db.session.scalars(sa.select(OutboxMessage.status)
                                  .where(OutboxMessage.complaint_id == complaint.id)).all()
    assert statuses == ["cancelled"]
    assert json.loads(_last_event(complaint).data_json)["withdrawn_messages"] == 1
