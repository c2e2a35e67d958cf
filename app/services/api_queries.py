"""Read-only queries behind the REST API: offset pagination over complaints, tasks and versions.

The staff pages page by number; integrations page by offset, so these mirror `lookup` and `inbox`
with limit/offset instead of a page number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Complaint, HumanTask, ProcessVersion, User
from .inbox import lanes_for

STATUSES = ("open", "closed", "cancelled")


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


def search_complaints(q: str, status: str, *, limit: int, offset: int) -> Slice:
    """By registration number, customer name, e-mail, subscription number or phone digits; newest first."""
    stmt = sa.select(Complaint)
    q = (q or "").strip()[:100]
    if q:
        pattern = f"%{q.lower()}%"
        conditions = [sa.func.lower(Complaint.registration_number).like(pattern),
                      sa.func.lower(Complaint.customer_name).like(pattern),
                      sa.func.lower(Complaint.customer_email).like(pattern),
                      sa.func.lower(Complaint.subscription_number).like(pattern)]
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 4:
            phone = Complaint.customer_phone
            for ch in " ()-+":
                phone = sa.func.replace(phone, ch, "")
            conditions.append(phone.like(f"%{digits[-10:]}%"))
        stmt = stmt.where(sa.or_(*conditions))
    if status in STATUSES:
        stmt = stmt.where(Complaint.status == status)
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


def by_idempotency_key(key: str) -> Complaint | None:
    return db.session.scalar(sa.select(Complaint).where(Complaint.idempotency_key == key))
