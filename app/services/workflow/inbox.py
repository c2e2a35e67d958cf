"""The staff inbox: queries over the `human_task` projection (never a workflow), claim, unclaim, assign.

Who may work a task: a user whose roles include one mapped to the task's lane (`LANE_ROLES` in the
config). Being its assignee is not enough: a user who loses the role loses the task too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import load_only

from app.extensions import db
from app.i18n import gettext
from app.models import Complaint, HumanTask, User
from app.services import audit, context
from app.services.errors import (
    ConcurrentUpdate,
    NotFound,
    ServiceError,
    TaskAlreadyCompleted,
    TaskClaimedByOther,
    ValidationFailed,
)
from app.services.workflow import inbox_sql as sql
from app.services.workflow.deadlines import DeadlineStatus, deadline_status

SCOPES = ("visible", "mine", "unassigned", "roles", "all")
DUE_FILTERS = ("overdue", "today", "at_risk")
SORTS = ("due", "age")


class NotAllowed(ServiceError):
    """The user's roles do not cover this task or action."""


def lanes_for(user: User) -> set[str]:
    roles = user.role_set
    return {lane for lane, lane_roles in current_app.config["LANE_ROLES"].items() if roles & set(lane_roles)}


def roles_for_lane(lane: str | None) -> set[str]:
    return set(current_app.config["LANE_ROLES"].get(lane or "", ()))


def can_work(user: User, task: HumanTask) -> bool:
    """Checked on the task page and again when the task is completed."""
    return task.lane in lanes_for(user)


def release_tasks_outside_lanes(user: User, *, actor: str, at: datetime, reason: str) -> list[HumanTask]:
    """Unassign the user's open tasks in lanes their roles (or a deactivation) no longer cover.

    Inside the caller's transaction; one audit event per task released.
    """
    lanes = lanes_for(user) if user.active else set()
    mine = db.session.scalars(sa.select(HumanTask).where(HumanTask.assignee_id == user.id,
                                                         HumanTask.state == "ready")).all()
    released = []
    for task in (t for t in mine if t.lane not in lanes):
        moved = db.session.execute(
            sa.update(HumanTask)
            .where(HumanTask.id == task.id, HumanTask.state == "ready", HumanTask.assignee_id == user.id)
            .values(assignee_id=None, claimed_at=None)
            .execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            db.session.expire(task, ["assignee_id", "claimed_at", "assignee"])
            audit.record(task.complaint_id, "task_released", actor=actor, at=at,
                         data={"task": task.name, "from": user.username, "reason": reason})
            released.append(task)
    return released


def can_see_all(user: User) -> bool:
    """The management representative tracks every complaint (ISO 10002 stage 4)."""
    return "representative" in user.role_set


def can_open(user: User, task: HumanTask) -> bool:
    """Open the task page: whoever can work it, and the representative for every task (to follow and assign)."""
    return can_work(user, task) or can_see_all(user)


@dataclass
class InboxQuery:
    scope: str = "visible"
    due: str = ""
    priority: str = ""
    channel: str = ""
    kind: str = ""
    q: str = ""
    sort: str = "due"
    page: int = 1
    after: str = ""

    def __post_init__(self):
        self.scope = self.scope if self.scope in SCOPES else "visible"
        self.due = self.due if self.due in DUE_FILTERS else ""
        self.sort = self.sort if self.sort in SORTS else "due"
        self.q = (self.q or "").strip()[:100]
        self.page = max(1, min(self.page or 1, MAX_OFFSET_PAGE))
        self.after = (self.after or "")[:80]


@dataclass
class InboxRow:
    task: HumanTask
    complaint: Complaint
    hours_left: float | None
    overdue: bool
    deadline: DeadlineStatus | None = None


@dataclass
class InboxPage:
    rows: list[InboxRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    # The count stops at COUNT_CAP: past it the page says "1.000+" and the number of pages is unknown.
    capped: bool = False
    next_after: str = ""


# Counting every open task of a large desk costs as much as listing them all; a person needs to know
# "more than a thousand", not the exact figure.
COUNT_CAP = 1000
# Offset paging (a "previous" link, or ?page=N typed by hand) walks N pages of the index; past this the
# keyset links are the way on.
MAX_OFFSET_PAGE = 200


@dataclass(frozen=True)
class _Key:
    """Where a row sits in the order: (segment, sort instant, id); the keyset cursor is the last row's key."""

    segment: int
    at: datetime | None
    id: int

    def sort_tuple(self):
        return (self.segment, self.at is None, self.at or datetime.min.replace(tzinfo=UTC), self.id)

    def encode(self) -> str:
        at = "n" if self.at is None else str(int(self.at.timestamp() * 1_000_000))
        return f"{self.segment}-{at}-{self.id}"

    @classmethod
    def decode(cls, text: str) -> _Key | None:
        try:
            segment, at, task_id = text.split("-")
            instant = None if at == "n" else datetime.fromtimestamp(int(at) / 1_000_000, UTC)
            return cls(int(segment), instant, int(task_id))
        except (ValueError, OverflowError, OSError):
            return None


# Segments of the order. The representative's due-sorted views put the at-risk complaints first; then
# the tasks with a deadline, earliest first; then those without one. Each segment is read in the order
# of an index (no CASE in the ORDER BY), so the database can stop after the page's rows.
AT_RISK, AT_RISK_UNDATED, DATED, UNDATED = 0, 1, 2, 3


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(context.runtime().calendar.tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _branches(user: User, query: InboxQuery) -> list:
    """The scope as a list of conditions each served by one index range (lane or assignee, then the sort
    column); the page merges their first rows. One OR over them would make the database sort every match."""
    lanes = sorted(lanes_for(user))
    mine = HumanTask.assignee_id == user.id
    if query.scope == "all" and can_see_all(user):
        return [sa.true()]
    if query.scope == "mine":
        return [mine]
    if query.scope == "unassigned":
        return [sa.and_(HumanTask.lane == lane, HumanTask.assignee_id.is_(None)) for lane in lanes]
    if query.scope == "roles":
        return [HumanTask.lane == lane for lane in lanes]
    return [mine, *(HumanTask.lane == lane for lane in lanes)]


def _filters(query: InboxQuery, now: datetime) -> tuple[list, list]:
    """Conditions every branch shares: on the task, and on its complaint (those need the complaint joined,
    or go inside the at-risk subquery)."""
    where = [HumanTask.state == "ready"]
    if query.due == "overdue":
        where.append(HumanTask.due_at < now)
    elif query.due == "today":
        start, end = _day_bounds(now)
        where += [HumanTask.due_at >= start, HumanTask.due_at < end]
    on_complaint = []
    if query.priority:
        on_complaint.append(Complaint.priority == query.priority)
    if query.channel:
        on_complaint.append(Complaint.channel == query.channel)
    if query.kind:
        on_complaint.append(Complaint.kind == query.kind)
    if query.q:
        pattern = f"%{query.q.lower()}%"
        on_complaint.append(sa.or_(sa.func.lower(Complaint.registration_number) == query.q.lower(),
                                   sa.func.lower(Complaint.customer_name).like(pattern)))
    return where, on_complaint


def _segments(user: User, query: InboxQuery) -> list[int]:
    if query.sort == "age":
        return [DATED]
    if can_see_all(user):
        return [AT_RISK, AT_RISK_UNDATED] if query.due == "at_risk" else [AT_RISK, AT_RISK_UNDATED, DATED, UNDATED]
    return [DATED, UNDATED]


def _segment_statement(segment: int, query: InboxQuery, rep_order: bool, branch, where: list, on_complaint: list,
                       after: _Key | None, need: int, walk_at_risk: bool) -> sa.Select:
    """The first `need` (id, sort instant) of one branch in one segment after the cursor, read in index
    order; rows of at-risk complaints only are read from those complaints (few) instead."""
    column = HumanTask.created_at if query.sort == "age" else HumanTask.due_at
    conditions = [*where, branch]
    joined = False
    at_risk_only = segment in (AT_RISK, AT_RISK_UNDATED) or query.due == "at_risk"
    # At-risk rows start from the at-risk complaints and their tasks, sorted. When many complaints are at
    # risk and no complaint filter thins them out, dated rows are found sooner by walking the due-ordered
    # index and checking each row's complaint (on PostgreSQL the planner then chooses).
    drive = not (walk_at_risk and segment in (AT_RISK, DATED) and not on_complaint)
    if at_risk_only:
        conditions.append(sql.at_risk_tasks(on_complaint, drive=drive))
    else:
        joined = bool(on_complaint)
        conditions += on_complaint
        if rep_order:
            conditions.append(HumanTask.complaint_id.not_in(sql.at_risk_complaints([])))
    cursor = after if after is not None and after.segment == segment else None
    if segment in (AT_RISK_UNDATED, UNDATED):
        conditions.append(column.is_(None))
        order = [HumanTask.id]
        if cursor is not None:
            conditions.append(HumanTask.id > cursor.id)
    else:
        if query.sort != "age":
            conditions.append(column.is_not(None))
        order = [column, HumanTask.id]
        if cursor is not None and cursor.at is not None:
            conditions.append(sa.or_(column > cursor.at, sa.and_(column == cursor.at, HumanTask.id > cursor.id)))
    if at_risk_only and drive:
        conditions, order = sql.from_complaints(conditions), sql.from_complaints(order)
    stmt = sa.select(HumanTask.id, column).where(*conditions)
    if joined:
        stmt = stmt.join(Complaint, HumanTask.complaint_id == Complaint.id)
    return stmt.order_by(*order).limit(sql.literal_limit(need))


def _segment_rows(segment: int, statements: list[sa.Select]) -> list[_Key]:
    """The keys the branches' statements find, read in one round trip: each branch stays a subquery with
    its own order and limit (its own index range), put together by UNION ALL."""
    if not statements:  # roles that reach no lane
        return []
    statement = statements[0] if len(statements) == 1 else \
        sa.union_all(*(sa.select(*branch.subquery().c) for branch in statements))
    return [_Key(segment, at, task_id) for task_id, at in db.session.execute(statement)]


def _page_keys(user: User, query: InboxQuery, now: datetime, after: _Key | None, need: int) -> list[_Key]:
    where, on_complaint = _filters(query, now)
    branches = _branches(user, query)
    rep_order = query.sort == "due" and can_see_all(user)
    walk_at_risk = (rep_order or query.due == "at_risk") and not on_complaint and sql.many_at_risk()
    keys: dict[int, _Key] = {}
    for segment in _segments(user, query):
        if after is not None and segment < after.segment:
            continue
        found: dict[int, _Key] = {}
        statements = [_segment_statement(segment, query, rep_order, branch, where, on_complaint, after,
                                         need - len(keys), walk_at_risk) for branch in branches]
        for key in _segment_rows(segment, statements):
            found.setdefault(key.id, key)
        keys.update((k.id, k) for k in sorted(found.values(), key=_Key.sort_tuple)[:need - len(keys)])
        if len(keys) >= need:
            break
    return sorted(keys.values(), key=_Key.sort_tuple)


def _capped_count(user: User, query: InboxQuery, now: datetime) -> int:
    """Distinct matches, stopping at COUNT_CAP + 1. Without a complaint filter each branch reads at most that
    many index entries (an OR of the branches makes SQLite scan the table); with one, a single OR query lets
    the database start from the complaint's index once instead of once per branch. The at-risk filter starts
    from the at-risk complaints and reads their open tasks until the cap."""
    where, on_complaint = _filters(query, now)
    at_risk = query.due == "at_risk"
    branches = _branches(user, query)
    if (on_complaint or at_risk) and branches:
        branches = [sa.or_(*branches)]
    parts = []
    for branch in branches:
        conditions = [*where, branch]
        if at_risk:
            conditions = sql.from_complaints([*conditions, sql.at_risk_tasks(on_complaint, drive=True)])
        stmt = sa.select(HumanTask.id).where(*conditions)
        if on_complaint and not at_risk:
            stmt = stmt.join(Complaint, HumanTask.complaint_id == Complaint.id).where(*on_complaint)
        limited = stmt.limit(sql.literal_limit(COUNT_CAP + 1)).subquery()
        parts.append(sa.select(limited.c.id))
    if not parts:
        return 0
    matches = (sa.union(*parts) if len(parts) > 1 else parts[0]).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(matches)) or 0


# A page's tasks with the complaint columns a row shows (not the description or the contact details).
_PAGE_ROWS = (sa.select(HumanTask, Complaint).join(Complaint, HumanTask.complaint_id == Complaint.id)
              .where(HumanTask.id.in_(sa.bindparam("ids", expanding=True)))
              .options(load_only(Complaint.registration_number, Complaint.customer_name, Complaint.kind,
                                 Complaint.priority, Complaint.channel, Complaint.risk_status,
                                 Complaint.risk_needed_hours, Complaint.risk_left_hours, Complaint.risk_detail_json)))


def inbox_page(user: User, query: InboxQuery, *, now: datetime | None = None,
               page_size: int | None = None) -> InboxPage:
    """One page of the tasks this user may see, with business hours left per row.

    Keyset paging (`query.after`, the last row's key) reads each branch's index from the cursor on, so a
    page costs the same at the first and the thousandth page and never touches every open task; a task
    completed between two pages moves none of the others. `query.page` without a cursor walks pages from
    the start (the "previous" link).
    """
    now = context.utc(now)
    size = page_size or current_app.config["INBOX_PAGE_SIZE"]
    total = _capped_count(user, query, now)
    capped = total > COUNT_CAP
    pages = max(1, -(-min(total, COUNT_CAP) // size))
    after = _Key.decode(query.after) if query.after else None
    if after is not None:
        page = query.page
        keys = _page_keys(user, query, now, after, size + 1)
    else:
        page = query.page if capped else min(query.page, pages)
        keys = _page_keys(user, query, now, None, page * size + 1)[(page - 1) * size:]
    more, keys = len(keys) > size, keys[:size]
    loaded = {task.id: (task, complaint) for task, complaint in db.session.execute(
        _PAGE_ROWS, {"ids": [k.id for k in keys]})}
    rows = []
    for key in keys:
        if key.id not in loaded:
            continue
        task, complaint = loaded[key.id]
        deadline = deadline_status(task.due_at, now)
        hours = None if deadline is None else deadline.business_minutes / 60 * (-1 if deadline.overdue else 1)
        rows.append(InboxRow(task, complaint, hours, deadline is not None and deadline.overdue, deadline))
    return InboxPage(rows=rows, total=min(total, COUNT_CAP), page=page, pages=max(pages, page),
                     capped=capped, next_after=keys[-1].encode() if more and keys else "")


def _task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _refuse_if_closed(task: HumanTask) -> None:
    if task.state != "ready":
        raise TaskAlreadyCompleted(task.completed_by, task.completed_at, task.state)


def _set_assignee(task: HumanTask, assignee: User | None, *, expect_free: bool, at: datetime) -> None:
    """Compare-and-set on the row, so two people claiming at once cannot both win."""
    stmt = sa.update(HumanTask).where(HumanTask.id == task.id, HumanTask.state == "ready")
    if expect_free:
        stmt = stmt.where(HumanTask.assignee_id.is_(None))
    values = {"assignee_id": assignee.id if assignee else None, "claimed_at": at if assignee else None}
    if db.session.execute(stmt.values(**values)).rowcount != 1:
        db.session.rollback()
        task = db.session.get(HumanTask, task.id, populate_existing=True)
        _refuse_if_closed(task)
        raise TaskClaimedByOther(task.assignee.full_name if task.assignee else "?", task.claimed_at)


def _commit_assignment() -> None:
    """Commit a claim, release or assignment. A completion (or another assignment) of the same complaint
    that committed first took the audit chain's next number (or, on SQLite, the write lock): nothing of
    this one was written, and trying again is safe."""
    try:
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        if isinstance(exc, OperationalError) and "locked" not in str(exc.orig).lower():
            raise
        raise ConcurrentUpdate("the complaint was changed by another request; try again") from exc


def claim(task_id: int, user: User, *, at: datetime | None = None) -> HumanTask:
    at = context.utc(at)
    task = _task(task_id)
    _refuse_if_closed(task)
    if task.assignee_id == user.id:
        return task
    if task.lane not in lanes_for(user):
        raise NotAllowed("this task's lane is not one of your roles")
    if task.assignee_id is not None:
        raise TaskClaimedByOther(task.assignee.full_name, task.claimed_at)
    _set_assignee(task, user, expect_free=True, at=at)
    audit.record(task.complaint_id, "task_claimed", actor=user.username, at=at, data={"task": task.name})
    _commit_assignment()
    return task


def unclaim(task_id: int, user: User, *, at: datetime | None = None) -> HumanTask:
    at = context.utc(at)
    task = _task(task_id)
    _refuse_if_closed(task)
    if task.assignee_id is None:
        return task
    if task.assignee_id != user.id and not can_see_all(user):
        raise NotAllowed("only the assignee or a representative can release a task")
    previous = task.assignee.username
    _set_assignee(task, None, expect_free=False, at=at)
    audit.record(task.complaint_id, "task_unclaimed", actor=user.username, at=at,
                 data={"task": task.name, "from": previous})
    _commit_assignment()
    return task


def assign(task_id: int, assignee_username: str, by: User, *, at: datetime | None = None) -> HumanTask:
    """A representative hands a task to a colleague whose roles cover its lane."""
    at = context.utc(at)
    if not can_see_all(by):
        raise NotAllowed("only a representative can assign tasks")
    task = _task(task_id)
    _refuse_if_closed(task)
    assignee = db.session.scalar(sa.select(User).where(User.username == (assignee_username or "").strip()))
    if assignee is None or not assignee.active or not (assignee.role_set & roles_for_lane(task.lane)):
        raise ValidationFailed({"assignee": gettext("Bu görevi yapabilecek bir çalışma arkadaşı seçin.")})
    _set_assignee(task, assignee, expect_free=False, at=at)
    audit.record(task.complaint_id, "task_assigned", actor=by.username, at=at,
                 data={"task": task.name, "to": assignee.username})
    _commit_assignment()
    return task


def needing_attention(limit: int = 20) -> list[Complaint]:
    """Complaints whose procedure stopped on a diagram failure, newest first (the representative's list)."""
    return list(db.session.scalars(
        sa.select(Complaint).where(Complaint.attention_at.is_not(None))
        .options(load_only(Complaint.registration_number, Complaint.attention_at, Complaint.attention_reason))
        .order_by(Complaint.attention_at.desc()).limit(limit)))
