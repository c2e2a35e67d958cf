"""Read-only queries behind the REST API: offset pagination over complaints, tasks and versions.

The staff pages page by number; integrations page by offset, so these mirror `lookup` and `inbox`
with limit/offset instead of a page number.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, HumanTask, ProcessVersion, User
from app.services.complaints import lookup
from app.services.workflow.inbox import lanes_for

STATUSES = lookup.COMPLAINT_STATUSES


@dataclass
class Slice:
    items: list
    total: int
    limit: int
    offset: int


def _page(stmt, order, limit: int, offset: int) -> Slice:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.scalars(stmt.order_by(*order).limit(limit).offset(offset)).all()
    return Slice(list(items), total, limit, offset)


def search_complaints(q: str, status: str, *, limit: int, offset: int, kind: str = "") -> Slice:
    """By registration number, customer name, e-mail, subscription number or phone digits; newest first."""
    stmt = lookup.matching_complaints(q, status, kind or "")
    return _page(stmt, (Complaint.received_at.desc(), Complaint.id.desc()), limit, offset)


def tasks_for(user: User, *, limit: int, offset: int) -> Slice:
    """Ready tasks in the lanes the user's roles cover, or assigned to the user; earliest due first."""
    lanes = lanes_for(user)
    in_lanes = HumanTask.lane.in_(lanes) if lanes else sa.false()
    stmt = sa.select(HumanTask).where(HumanTask.state == "ready",
                                      sa.or_(in_lanes, HumanTask.assignee_id == user.id))
    order = (sa.case((HumanTask.due_at.is_(None), 1), else_=0), HumanTask.due_at, HumanTask.id)
    return _page(stmt, order, limit, offset)


def process_versions() -> list[ProcessVersion]:
    return list(db.session.scalars(sa.select(ProcessVersion).order_by(ProcessVersion.number)))
