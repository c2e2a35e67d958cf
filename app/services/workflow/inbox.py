"""The staff inbox: queries over the `human_task` projection (never a workflow), claim, unclaim, assign.

Who may work a task: a user whose roles include one mapped to the task's lane (`LANE_ROLES` in the
config). Being its assignee is not enough: a user who loses the role loses the task too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Complaint, HumanTask, User
from app.services import audit, context
from app.services.errors import NotFound, ServiceError, TaskAlreadyCompleted, TaskClaimedByOther, ValidationFailed
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

    def __post_init__(self):
        self.scope = self.scope if self.scope in SCOPES else "visible"
        self.due = self.due if self.due in DUE_FILTERS else ""
        self.sort = self.sort if self.sort in SORTS else "due"
        self.q = (self.q or "").strip()[:100]
        self.page = max(1, self.page)


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


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(context.runtime().calendar.tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _filtered(user: User, query: InboxQuery, now: datetime):
    lanes = lanes_for(user)
    mine = HumanTask.assignee_id == user.id
    in_lanes = HumanTask.lane.in_(lanes) if lanes else sa.false()
    stmt = sa.select(HumanTask, Complaint).join(Complaint, HumanTask.complaint_id == Complaint.id).where(
        HumanTask.state == "ready")
    if query.scope == "all" and can_see_all(user):
        pass
    elif query.scope == "mine":
        stmt = stmt.where(mine)
    elif query.scope == "unassigned":
        stmt = stmt.where(in_lanes, HumanTask.assignee_id.is_(None))
    elif query.scope == "roles":
        stmt = stmt.where(in_lanes)
    else:
        stmt = stmt.where(sa.or_(mine, in_lanes))
    if query.due == "overdue":
        stmt = stmt.where(HumanTask.due_at < now)
    elif query.due == "today":
        start, end = _day_bounds(now)
        stmt = stmt.where(HumanTask.due_at >= start, HumanTask.due_at < end)
    elif query.due == "at_risk":
        # Driven from the complaint's indexed risk_status (few rows), not from every open task.
        at_risk = sa.select(Complaint.id).where(Complaint.risk_status == "at_risk")
        stmt = stmt.where(HumanTask.complaint_id.in_(at_risk))
    if query.priority:
        stmt = stmt.where(Complaint.priority == query.priority)
    if query.channel:
        stmt = stmt.where(Complaint.channel == query.channel)
    if query.kind:
        stmt = stmt.where(Complaint.kind == query.kind)
    if query.q:
        pattern = f"%{query.q.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(Complaint.registration_number) == query.q.lower(),
                                 sa.func.lower(Complaint.customer_name).like(pattern)))
    return stmt


def inbox_page(user: User, query: InboxQuery, *, now: datetime | None = None,
               page_size: int | None = None) -> InboxPage:
    """One page of the tasks this user may see, with business hours left per row."""
    now = context.utc(now)
    size = page_size or current_app.config["INBOX_PAGE_SIZE"]
    stmt = _filtered(user, query, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if query.sort == "age":
        order = (HumanTask.created_at, HumanTask.id)
    else:
        order = (sa.case((HumanTask.due_at.is_(None), 1), else_=0), HumanTask.due_at, HumanTask.id)
        if can_see_all(user):
            # The representative sees first what will breach if nobody steps in (services.insight.risk).
            order = (sa.case((Complaint.risk_status == "at_risk", 0), else_=1), *order)
    pages = max(1, -(-total // size))
    page = min(query.page, pages)
    result = db.session.execute(stmt.order_by(*order).limit(size).offset((page - 1) * size)).all()
    rows = []
    for task, complaint in result:
        deadline = deadline_status(task.due_at, now)
        hours = None if deadline is None else deadline.business_minutes / 60 * (-1 if deadline.overdue else 1)
        rows.append(InboxRow(task, complaint, hours, deadline is not None and deadline.overdue, deadline))
    return InboxPage(rows=rows, total=total, page=page, pages=pages)


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
    db.session.commit()
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
    db.session.commit()
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
        raise ValidationFailed({"assignee": "Bu görevi yapabilecek bir çalışma arkadaşı seçin."})
    _set_assignee(task, assignee, expect_free=False, at=at)
    audit.record(task.complaint_id, "task_assigned", actor=by.username, at=at,
                 data={"task": task.name, "to": assignee.username})
    db.session.commit()
    return task


def needing_attention(limit: int = 20) -> list[Complaint]:
    """Complaints whose procedure stopped on a diagram failure, newest first (the representative's list)."""
    return list(db.session.scalars(
        sa.select(Complaint).where(Complaint.attention_at.is_not(None))
        .order_by(Complaint.attention_at.desc()).limit(limit)))
