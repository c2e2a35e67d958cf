"""Business-time arithmetic for the complaint desk.

Deadlines are counted in business hours: weekdays 09:00-18:00 in Europe/Istanbul,
minus Turkish public holidays and caller-supplied extra days off. Half days (arife
days, 28 October) are working days that end early. The ``holidays`` package's own
working-day helpers treat half days as whole days off, so hours are counted here.
"""

import math
import os
import re
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = ["BusinessCalendar", "parse_time"]

_MAX_DAYS_SCANNED = 3660  # ten years; guards every day-by-day walk against runaway input
_DAY = timedelta(days=1)
# One lock for every calendar's table of business time per day. Reset in a forked child: a process forked
# while another thread held it (the incident job forks from the scheduler) would inherit it held, for ever.
_PREFIX_LOCK = threading.Lock()


def _new_prefix_lock() -> None:
    global _PREFIX_LOCK
    _PREFIX_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_prefix_lock)
_TIME_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")


def parse_time(value: str) -> time:
    """Parse an ``HH:MM`` config value, failing loudly so a typo cannot shift deadlines."""
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"invalid time {value!r}: expected HH:MM, e.g. '09:00'")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time {value!r}: hour must be 0-23 and minute 0-59")
    return time(hour, minute)


@lru_cache(maxsize=64)
def _turkish_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and half days of one year, cached because construction is slow."""
    public = holidays.Turkey(years=year, categories=("public",))
    half = holidays.Turkey(years=year, categories=("half_day",))
    return frozenset(public), frozenset(half)


def half_days_of(year: int) -> frozenset[date]:
    """The half working days (bayram eves, 28 October) of one year."""
    return _turkish_days(year)[1]


def _require_aware(value: datetime, name: str) -> datetime:
    """Naive datetimes are ambiguous about which instant they mean, so reject them."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


class _Prefix:
    """Business time before each day of a contiguous run of days, grown at either end on demand."""

    def __init__(self) -> None:
        self.table: dict[date, timedelta] = {}
        self.first: date | None = None
        self.last: date | None = None

    def restart(self, day: date) -> None:
        self.table = {day: timedelta()}
        self.first = self.last = day


class BusinessCalendar:
    """Working days and hours; all arithmetic is done in UTC so DST gaps cannot skew it."""

    def __init__(
        self,
        tz: str = "Europe/Istanbul",
        day_start: time | str = time(9),
        day_end: time | str = time(18),
        half_day_end: time | str = time(13),
        extra_days_off: Iterable[date] = (),
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        self.day_start, self.day_end, self.half_day_end = (
            parse_time(t) if isinstance(t, str) else t for t in (day_start, day_end, half_day_end)
        )
        if not self.day_start < self.day_end:
            raise ValueError(f"day_start {self.day_start} must be before day_end {self.day_end}")
        if not self.day_start < self.half_day_end <= self.day_end:
            raise ValueError(
                f"half_day_end {self.half_day_end} must be after day_start and not after day_end"
            )
        # One "business day" for add_business_days is the nominal length of a full day.
        anchor = date(2000, 1, 1)
        self.day_length = datetime.combine(anchor, self.day_end) - datetime.combine(anchor, self.day_start)
        self.extra_days_off = extra_days_off

    @property
    def extra_days_off(self) -> frozenset[date]:
        """Administrative leave / bridge days kept by the app outside this module."""
        return self._extra_days_off

    @extra_days_off.setter
    def extra_days_off(self, dates: Iterable[date]) -> None:
        # datetime is a date subclass but never equals a date, so normalise it away.
        self._extra_days_off = frozenset(d.date() if isinstance(d, datetime) else d for d in dates)
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}
        self._before = _Prefix()

    def set_extra_days_off(self, dates: Iterable[date]) -> None:
        """Replace the extra days off (e.g. after the DB table changed)."""
        self.extra_days_off = dates

    def working_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Aware start and end of business on ``day``, or None when it is a day off."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"day must be a date, got {type(day).__name__}")
        if day.weekday() >= 5 or day in self._extra_days_off:
            return None
        public, half = _turkish_days(day.year)
        if day in public:
            return None
        end = self.half_day_end if day in half else self.day_end
        return (
            datetime.combine(day, self.day_start, tzinfo=self.tz),
            datetime.combine(day, end, tzinfo=self.tz),
        )

    def _days_from(self, instant_utc: datetime) -> Iterable[tuple[datetime, datetime]]:
        """Working-hour windows in UTC from the local day of ``instant_utc`` on, bounded."""
        day = instant_utc.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS_SCANNED):
            window = self._utc_window(day)
            if window is not None:
                yield window
            day += timedelta(days=1)
        raise ValueError(f"no result within {_MAX_DAYS_SCANNED} days; check the calendar inputs")

    def _utc_window(self, day: date) -> tuple[datetime, datetime] | None:
        """`working_hours` in UTC, kept per day until the days off change: every deadline shown on
        an inbox page walks the same few weeks of days."""
        windows = self._windows  # taken first: a change of days off meanwhile replaces it, never fills it stale
        try:
            return windows[day]
        except KeyError:
            pass
        hours = self.working_hours(day)
        window = None if hours is None else (hours[0].astimezone(UTC), hours[1].astimezone(UTC))
        if len(windows) >= _MAX_DAYS_SCANNED:
            windows.clear()
        windows[day] = window
        return window

    def add_business_days(self, start: datetime, days: float) -> datetime:
        """Instant when ``days`` full business days' worth of business hours have elapsed."""
        if isinstance(days, bool) or not isinstance(days, int | float) or not math.isfinite(days):
            raise ValueError(f"days must be a finite number, got {days!r}")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        return self._add_business_time(_require_aware(start, "start"), self.day_length * days)

    def _add_business_time(self, cursor: datetime, remaining: timedelta) -> datetime:
        """Walk the working-hour windows from ``cursor`` (UTC) until ``remaining`` is used up."""
        if not remaining:
            return cursor.astimezone(self.tz)
        for open_, close in self._days_from(cursor):
            begin = max(open_, cursor)
            if begin >= close:
                continue
            if remaining <= close - begin:
                # Running out exactly at close returns close, not the next morning.
                return (begin + remaining).astimezone(self.tz)
            remaining -= close - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """Instant when ``hours`` business hours have elapsed: a half day gives only its morning,
        weekends and holidays give none (a retry "in two hours" at 17:30 falls the next morning)."""
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours):
            raise ValueError(f"hours must be a finite number, got {hours!r}")
        if hours < 0:
            raise ValueError(f"hours must not be negative, got {hours}")
        if hours > _MAX_DAYS_SCANNED * 24:
            raise ValueError(f"no result within {_MAX_DAYS_SCANNED} days; check the calendar inputs")
        return self._add_business_time(_require_aware(start, "start"), timedelta(hours=hours))

    def acknowledgement_deadline(self, received: datetime) -> datetime:
        """End of the business day of receipt, or of the next working day if received after it."""
        instant = _require_aware(received, "received")
        for _, close in self._days_from(instant):
            if instant < close:
                return close.astimezone(self.tz)
        raise AssertionError("unreachable")  # pragma: no cover

    def business_hours_between(self, a: datetime, b: datetime) -> float:
        """Business hours from ``a`` to ``b``; negative when ``b`` is before ``a``.

        The business time before each day (from a day this calendar first counted from) is kept, so this
        is two look-ups, not a walk over the days between: an inbox page, the dashboard and the risk
        estimate ask it for every row, many of them weeks apart."""
        start, end = _require_aware(a, "a"), _require_aware(b, "b")
        if end < start:
            return -self.business_hours_between(b, a)
        first, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        if (last - first).days >= _MAX_DAYS_SCANNED:
            raise ValueError(f"no result within {_MAX_DAYS_SCANNED} days; check the calendar inputs")
        total = self._business_days_between(first, last) + self._business_within(last, end) \
            - self._business_within(first, start)
        return total / timedelta(hours=1)

    def _business_within(self, day: date, instant: datetime) -> timedelta:
        """Business time on ``day`` before ``instant`` (UTC, on that local day)."""
        window = self._utc_window(day)
        if window is None or instant <= window[0]:
            return timedelta()
        return min(instant, window[1]) - window[0]

    def _business_days_between(self, first: date, last: date) -> timedelta:
        """Business time from the start of ``first`` to the start of ``last`` (``first`` <= ``last``, fewer
        than _MAX_DAYS_SCANNED days apart), from the table of business time before each day."""
        prefix = self._before  # taken first, like the windows: new days off replace it, never fill it stale
        with _PREFIX_LOCK:  # both ends from one table: another thread may restart it between two look-ups
            # Distances in days, never dates: a date near date.min or date.max must not overflow.
            if prefix.first is None or (prefix.first - last).days > _MAX_DAYS_SCANNED \
                    or (first - prefix.last).days > _MAX_DAYS_SCANNED \
                    or (prefix.last - prefix.first).days > 3 * _MAX_DAYS_SCANNED:
                prefix.restart(first)  # far from the counted days (or too many kept): count from here
            while last > prefix.last:
                prefix.table[prefix.last + _DAY] = prefix.table[prefix.last] + self._length(prefix.last)
                prefix.last += _DAY
            while first < prefix.first:
                prefix.first -= _DAY
                prefix.table[prefix.first] = prefix.table[prefix.first + _DAY] - self._length(prefix.first)
            return prefix.table[last] - prefix.table[first]

    def _length(self, day: date) -> timedelta:
        window = self._utc_window(day)
        return timedelta() if window is None else window[1] - window[0]

    def is_business_time(self, at: datetime) -> bool:
        """True while the desk is open: within a working day's hours, end exclusive."""
        instant = _require_aware(at, "at")
        hours = self.working_hours(instant.astimezone(self.tz).date())
        return hours is not None and hours[0] <= instant < hours[1]
