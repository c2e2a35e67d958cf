"""The representative's at-risk views of the inbox: order, filters and keyset pages over a mixed desk, and
(on SQLite, whose plans do not depend on table statistics) that they are read from the at-risk indexes."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Complaint, HumanTask
from app.services.workflow import inbox, inbox_sql

from .helpers import ist, register

pytestmark = pytest.mark.usefixtures("live_version")


@pytest.fixture(params=["driven", "walked"])
def walk_mode(request, monkeypatch):
    """With few complaints at risk their tasks are read and sorted; with many, the due index is walked."""
    if request.param == "walked":
        monkeypatch.setattr(inbox_sql, "DRIVE_MAX", 1)
    return request.param


@pytest.fixture
def desk(app, walk_mode):
    """Fax complaints (intake's acknowledgement) and phone complaints (handler's classification) received
    over three weeks, so some are overdue at the pinned clock; every third one at risk, and one at-risk and
    one other task without a deadline."""
    made = []
    for i in range(12):
        channel = "faks" if i % 2 == 0 else "telefon"
        made.append(register(channel, at=ist(2026, 11, 4 + i + (i // 5) * 2, 9 + i % 5, 4 * i),
                             customer_name=f"Müşteri {i:02d}"))
    at_risk = [c.id for c in made[::3]]
    db.session.execute(sa.update(Complaint).where(Complaint.id.in_(at_risk))
                       .values(risk_status="at_risk", risk_needed_hours=12.0, risk_left_hours=4.0))
    db.session.execute(sa.update(Complaint).where(Complaint.id == made[1].id).values(risk_status="on_track"))
    undated = [made[3].id, made[4].id]  # one at risk, one not
    db.session.execute(sa.update(HumanTask).where(HumanTask.complaint_id.in_(undated)).values(due_at=None))
    db.session.commit()
    return made


def _expected(only=lambda task, complaint: True) -> list[int]:
    """Every open task in the representative's order: at risk first, then by deadline (none last), then id."""
    rows = db.session.execute(sa.select(HumanTask, Complaint).join(Complaint, HumanTask.complaint_id == Complaint.id)
                              .where(HumanTask.state == "ready")).all()
    rows = [(t, c) for t, c in rows if only(t, c)]
    rows.sort(key=lambda tc: (tc[1].risk_status != "at_risk", tc[0].due_at is None, tc[0].due_at or 0, tc[0].id))
    return [t.id for t, _c in rows]


def _walk(user, **filters) -> tuple[list[list[int]], list[inbox.InboxPage]]:
    """Every page of a view, following the keyset cursor as the "Sonraki" link does."""
    pages, shown, after = [], [], ""
    while True:
        page = inbox.inbox_page(user, inbox.InboxQuery(scope="all", after=after, **filters), page_size=3)
        pages.append(page)
        shown.append([row.task.id for row in page.rows])
        after = page.next_after
        if not after:
            return shown, pages
        assert len(shown) < 20


def test_at_risk_first_then_by_due_across_lanes_and_keyset_pages(desk, staff):
    expected = _expected()
    lanes = {t.lane for t in db.session.scalars(sa.select(HumanTask).where(HumanTask.state == "ready"))}
    assert len(lanes) >= 2 and len(expected) >= 12
    shown, pages = _walk(staff["representative"])
    assert [i for page in shown for i in page] == expected
    assert pages[0].total == len(expected) and not pages[0].capped
    at_risk = {t.id for t in db.session.scalars(sa.select(HumanTask).join(Complaint).where(
        HumanTask.state == "ready", Complaint.risk_status == "at_risk"))}
    # The page boundary falls inside the at-risk rows: the next page goes on with the rest of them.
    assert set(shown[0]) < at_risk and set(shown[1]) & at_risk
    # "Previous" (offset paging from the start) shows the same rows as the cursor did.
    second = inbox.inbox_page(staff["representative"], inbox.InboxQuery(scope="all", page=2), page_size=3)
    assert [row.task.id for row in second.rows] == shown[1]


def test_at_risk_filter_lists_only_at_risk_tasks_in_due_order(desk, staff):
    expected = _expected(lambda t, c: c.risk_status == "at_risk")
    shown, pages = _walk(staff["representative"], due="at_risk")
    assert [i for page in shown for i in page] == expected and len(expected) >= 4
    assert pages[0].total == len(expected)
    # The undated at-risk task comes after the dated ones.
    assert db.session.get(HumanTask, expected[-1]).due_at is None


def test_overdue_fax_filter_keeps_at_risk_first(desk, staff):
    now = clock.now()
    expected = _expected(lambda t, c: c.channel == "faks" and t.due_at is not None and t.due_at < now)
    shown, pages = _walk(staff["representative"], due="overdue", channel="faks")
    assert [i for page in shown for i in page] == expected and len(expected) >= 3
    assert pages[0].total == len(expected)
    risky = {t.id for t, c in db.session.execute(sa.select(HumanTask, Complaint).join(Complaint))
             if c.risk_status == "at_risk"}
    assert expected[0] in risky and expected[-1] not in risky


def test_the_at_risk_count_stops_at_the_cap(desk, staff, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    page = inbox.inbox_page(staff["representative"], inbox.InboxQuery(scope="all", due="at_risk"), page_size=3)
    assert (page.total, page.capped, len(page.rows)) == (2, True, 3)


def test_a_handler_sees_only_the_at_risk_tasks_of_the_lanes(desk, staff):
    handler_lanes = inbox.lanes_for(staff["handler"])
    expected = _expected(lambda t, c: c.risk_status == "at_risk" and t.lane in handler_lanes)
    page = inbox.inbox_page(staff["handler"], inbox.InboxQuery(due="at_risk"), page_size=25)
    assert len(expected) >= 2 and [row.task.id for row in page.rows] == expected
    # The intake clerk's at-risk view holds nothing of the handler's lane.
    intake = inbox.inbox_page(staff["intake"], inbox.InboxQuery(due="at_risk"), page_size=25)
    assert not {row.task.id for row in intake.rows} & set(expected)


def _plans(statements: list[tuple[str, object]]) -> list[str]:
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        return [" | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
                for sql, params in statements]


@pytest.mark.parametrize("filters", [{}, {"due": "at_risk"}, {"due": "overdue", "channel": "faks"}],
                         ids=["at-risk-first", "at-risk-filter", "overdue-fax"])
def test_the_representatives_views_are_read_from_indexes(desk, staff, filters, walk_mode):
    """No statement of these views scans every open task: the at-risk rows are read from the at-risk
    complaints' index and their tasks' index, the others along a due-ordered index."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plans depend on its statistics of a tiny test table")
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        inbox.inbox_page(staff["representative"], inbox.InboxQuery(scope="all", **filters), page_size=3)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    plans = _plans(seen)
    assert plans and not [p for p in plans if "SCAN human_task" in p or "SCAN complaint" in p], plans
    if walk_mode == "walked" and not filters.get("channel"):
        assert [p for p in plans if "ix_human_task_open_due" in p and "ix_complaint_risk" in p], plans
        return
    at_risk = [p for (sql, _), p in zip(seen, plans, strict=True)
               if "'at_risk'" in sql and " IN " in sql and "NOT IN" not in sql]
    assert at_risk and all("ix_human_task_complaint_open (complaint_id=?" in p for p in at_risk), at_risk
    # The at-risk ids come from an at-risk index, never from every fax complaint or every open task in order.
    assert all(re.search(r"SEARCH complaint USING COVERING INDEX ix_complaint_risk \(risk_status=\?\)", p)
               for p in at_risk), at_risk
    assert not [p for p in at_risk if "ix_human_task_open" in p or "ix_complaint_channel" in p], at_risk


def test_a_view_over_several_lanes_reads_each_segment_in_one_statement_from_the_lanes_indexes(desk, staff):
    """A clerk with intake's and the handler's roles sees own tasks and three lanes: each segment of the
    order is one statement (the branches are subqueries put together by UNION ALL), each branch still
    read along its own index in due order, and the merged pages keep the order across lanes."""
    from app.services.accounts import users

    both = users.create_user("iki.rol", "İki Rol", "iki-rol-parola-2026", ["intake", "handler"])
    db.session.commit()
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        shown, after = [], ""
        while True:
            page = inbox.inbox_page(both, inbox.InboxQuery(after=after), page_size=3)
            shown += [row.task.id for row in page.rows]
            after = page.next_after
            if not after:
                break
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    lanes = inbox.lanes_for(both)
    assert len(lanes) == 3
    expected = [t.id for t in db.session.scalars(sa.select(HumanTask).where(
        HumanTask.state == "ready", HumanTask.lane.in_(lanes)))]
    expected.sort(key=lambda task_id: (db.session.get(HumanTask, task_id).due_at is None,
                                       db.session.get(HumanTask, task_id).due_at or 0, task_id))
    assert shown == expected and len(shown) > 3
    keys = [(sql, params) for sql, params in seen if "UNION ALL" in sql]
    assert keys and all(sql.count("SELECT human_task.id") == 4 for sql, _ in keys)  # own tasks and 3 lanes
    if db.engine.dialect.name == "sqlite":
        plans = _plans(keys)
        assert not [p for p in plans if "SCAN human_task" in p or "TEMP B-TREE" in p], plans
        assert all("ix_human_task_lane_due" in p and "ix_human_task_assignee_due" in p for p in plans), plans


def test_a_clerk_whose_roles_reach_no_lane_sees_an_empty_inbox(app, staff):
    """With a lane configuration that leaves out the intake lane, an intake clerk has no branch to read: every
    scope answers an empty page (not an error), on the inbox page too."""
    from .staff_fixtures import login_as

    app.config["LANE_ROLES"] = {lane: roles for lane, roles in app.config["LANE_ROLES"].items() if roles != ["intake"]}
    register("faks")
    for scope in ("roles", "unassigned", "visible", "mine"):
        page = inbox.inbox_page(staff["intake"], inbox.InboxQuery(scope=scope))
        assert (page.rows, page.total) == ([], 0), scope
    client = app.test_client()
    login_as(client, staff["intake"])
    assert client.get("/inbox?scope=roles").status_code == 200
