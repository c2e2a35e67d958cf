"""The admin's extra days off; deadlines armed after a change use the new calendar."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import DayOff
from app.services import context


def list_days_off() -> list[DayOff]:
    return list(db.session.scalars(sa.select(DayOff).order_by(DayOff.day)))


def add_day_off(day: date, reason: str, *, actor: str) -> DayOff:
    row = db.session.scalar(sa.select(DayOff).where(DayOff.day == day))
    if row is None:
        row = DayOff(day=day, reason=reason, created_by=actor)
        db.session.add(row)
    else:
        row.reason = reason
    db.session.commit()
    context.runtime().refresh_days_off(force=True)
    return row


def remove_day_off(day: date) -> None:
    db.session.execute(sa.delete(DayOff).where(DayOff.day == day))
    db.session.commit()
    context.runtime().refresh_days_off(force=True)
