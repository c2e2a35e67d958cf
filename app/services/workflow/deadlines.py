"""How far a deadline is, in business time (what the 1/3/5-day rule counts) and in calendar time.

Business time alone misleads on a Sunday evening ("9 hours left" for Monday 18:00 is a whole working
day), calendar time alone hides weekends and holidays: staff see both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.services import context


@dataclass(frozen=True)
class DeadlineStatus:
    due: datetime
    overdue: bool
    business_minutes: int  # absolute: left, or past the deadline when overdue
    calendar_minutes: int
    day_minutes: int  # one business day (the nominal day length add_business_days counts in)

    @property
    def business_parts(self) -> tuple[int, int, int]:
        """(business days, hours, minutes)."""
        days, rest = divmod(self.business_minutes, self.day_minutes)
        return days, rest // 60, rest % 60

    @property
    def calendar_parts(self) -> tuple[int, int, int]:
        """(days, hours, minutes)."""
        days, rest = divmod(self.calendar_minutes, 24 * 60)
        return days, rest // 60, rest % 60


def deadline_status(due: datetime | None, now: datetime | None = None) -> DeadlineStatus | None:
    if due is None:
        return None
    now = context.utc(now)
    calendar = context.runtime().calendar
    business = calendar.business_hours_between(now, due)
    return DeadlineStatus(
        due=due, overdue=due < now, business_minutes=round(abs(business) * 60),
        calendar_minutes=round(abs(due - now) / timedelta(minutes=1)),
        day_minutes=max(1, round(calendar.day_length / timedelta(minutes=1))))
