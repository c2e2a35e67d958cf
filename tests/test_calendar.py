"""Tests for app.calendar; every expected value below was worked out by hand from the rules."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calendar import BusinessCalendar, parse_time

IST = ZoneInfo("Europe/Istanbul")
BERLIN = ZoneInfo("Europe/Berlin")


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # the specification table
        (ist(2026, 11, 25, 10), 3, ist(2026, 11, 30, 10)),
        (ist(2026, 11, 27, 17, 30), 1, ist(2026, 11, 30, 17, 30)),
        (ist(2026, 11, 28, 11), 1, ist(2026, 11, 30, 18)),  # Saturday
        (ist(2026, 3, 18, 15), 1, ist(2026, 3, 23, 11)),  # 3h + half day 4h + Bayram + 2h
        (ist(2026, 12, 31, 16), 3, ist(2027, 1, 6, 16)),  # 2h, 1 Jan off, weekend, 9h, 9h, 7h
        (ist(2026, 11, 25, 7, 15), 1, ist(2026, 11, 25, 18)),
        # own cases
        (ist(2026, 11, 25, 9), 1, ist(2026, 11, 25, 18)),  # ends exactly at close: same day 18:00
        (ist(2026, 11, 25, 18), 1, ist(2026, 11, 26, 18)),  # exactly at close counts as after hours
        (ist(2026, 10, 27, 17), 1, ist(2026, 10, 30, 13)),  # 1h Tue, 28 Oct 4h, 29 Oct off, 4h Fri
        (ist(2026, 5, 22, 12), 3, ist(2026, 6, 1, 17)),  # 6h, 9h, arife 4h, Kurban 27-30 May, 8h
        (ist(2026, 11, 25, 10), 0.5, ist(2026, 11, 25, 14, 30)),  # 0.5 day = 4.5 h
        (ist(2026, 11, 25, 9), 1.5, ist(2026, 11, 26, 13, 30)),  # 9h + 4.5h
        (ist(2026, 11, 25, 10), 0, ist(2026, 11, 25, 10)),
    ],
)
def test_add_business_days(cal: BusinessCalendar, start: datetime, days: float, expected: datetime) -> None:
    result = cal.add_business_days(start, days)
    assert result == expected
    assert result.tzinfo == IST
    assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # the specification table
        (ist(2026, 11, 25, 19), ist(2026, 11, 26, 18)),
        (ist(2026, 3, 18, 19), ist(2026, 3, 19, 13)),  # next day is the arife half day
        (ist(2026, 11, 27, 18, 30), ist(2026, 11, 30, 18)),  # Friday evening
        # own cases
        (ist(2026, 11, 25, 7), ist(2026, 11, 25, 18)),  # before opening: same day
        (ist(2026, 11, 25, 18), ist(2026, 11, 26, 18)),  # exactly at close: next day
        (ist(2026, 3, 19, 12, 59), ist(2026, 3, 19, 13)),
        (ist(2026, 3, 19, 13), ist(2026, 3, 23, 18)),  # after half day: Bayram 20-22 March
        (ist(2026, 10, 28, 14), ist(2026, 10, 30, 18)),  # 29 Oct Cumhuriyet Bayramı is off
    ],
)
def test_acknowledgement_deadline(cal: BusinessCalendar, received: datetime, expected: datetime) -> None:
    result = cal.acknowledgement_deadline(received)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()


def test_utc_input_is_the_same_instant(cal: BusinessCalendar) -> None:
    # 07:00 UTC is 10:00 in Istanbul (+03:00 all year).
    result = cal.add_business_days(datetime(2026, 11, 25, 7, tzinfo=UTC), 3)
    assert result == datetime(2026, 11, 30, 7, tzinfo=UTC)
    assert result.tzinfo == IST
    assert (result.hour, result.minute) == (10, 0)
    ack = cal.acknowledgement_deadline(datetime(2026, 11, 25, 16, tzinfo=UTC))  # 19:00 local
    assert ack == ist(2026, 11, 26, 18)


def test_zero_days_returns_start_in_calendar_tz(cal: BusinessCalendar) -> None:
    saturday_utc = datetime(2026, 11, 28, 8, tzinfo=UTC)
    result = cal.add_business_days(saturday_utc, 0)
    assert result == saturday_utc
    assert result.tzinfo == IST
    assert result.hour == 11


def test_extra_day_off_pushes_deadlines() -> None:
    cal = BusinessCalendar(extra_days_off=[date(2026, 11, 26)])
    assert cal.acknowledgement_deadline(ist(2026, 11, 25, 19)) == ist(2026, 11, 27, 18)
    # Wed 8h, Thu off, Fri 9h, Mon 9h, Tue 1h = 27h
    assert cal.add_business_days(ist(2026, 11, 25, 10), 3) == ist(2026, 12, 1, 10)
    assert cal.working_hours(date(2026, 11, 26)) is None

    cal.set_extra_days_off([])
    assert cal.acknowledgement_deadline(ist(2026, 11, 25, 19)) == ist(2026, 11, 26, 18)
    cal.extra_days_off = [datetime(2026, 11, 26, 0, 0)]  # a datetime counts as its date
    assert cal.extra_days_off == frozenset({date(2026, 11, 26)})
    assert not cal.is_business_time(ist(2026, 11, 26, 12))
    # Deadlines walked before the change (kept per day for speed) follow it too.
    assert cal.acknowledgement_deadline(ist(2026, 11, 25, 19)) == ist(2026, 11, 27, 18)
    assert cal.business_hours_between(ist(2026, 11, 25, 9), ist(2026, 11, 27, 18)) == 18


def test_working_hours(cal: BusinessCalendar) -> None:
    assert cal.working_hours(date(2026, 11, 25)) == (ist(2026, 11, 25, 9), ist(2026, 11, 25, 18))
    assert cal.working_hours(date(2026, 10, 28)) == (ist(2026, 10, 28, 9), ist(2026, 10, 28, 13))
    assert cal.working_hours(date(2026, 3, 19)) == (ist(2026, 3, 19, 9), ist(2026, 3, 19, 13))
    assert cal.working_hours(date(2026, 10, 29)) is None  # Cumhuriyet Bayramı
    assert cal.working_hours(date(2026, 3, 20)) is None  # Ramazan Bayramı
    assert cal.working_hours(date(2026, 11, 28)) is None  # Saturday
    assert cal.working_hours(date(2027, 5, 15)) is None  # arife falls on a Saturday: still off
    with pytest.raises(TypeError):
        cal.working_hours(ist(2026, 11, 25, 10))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (ist(2026, 11, 25, 9), True),
        (ist(2026, 11, 25, 17, 59), True),
        (ist(2026, 11, 25, 18), False),
        (ist(2026, 11, 25, 8, 59), False),
        (ist(2026, 10, 28, 12, 59), True),
        (ist(2026, 10, 28, 13), False),
        (ist(2026, 10, 29, 10), False),
        (ist(2026, 11, 28, 10), False),
        (datetime(2026, 11, 25, 6, tzinfo=UTC), True),  # 09:00 local
    ],
)
def test_is_business_time(cal: BusinessCalendar, at: datetime, expected: bool) -> None:
    assert cal.is_business_time(at) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (ist(2026, 11, 27, 17), ist(2026, 11, 30, 10), 2.0),  # Fri 1h + weekend + Mon 1h
        (ist(2026, 3, 18, 15), ist(2026, 3, 23, 11), 9.0),  # 3h + half day 4h + Bayram + 2h
        (ist(2026, 10, 27, 9), ist(2026, 10, 30, 18), 22.0),  # 9h + 4h + 29 Oct off + 9h
        (ist(2026, 11, 25, 10), ist(2026, 11, 25, 10, 30), 0.5),
        (ist(2026, 11, 28, 10), ist(2026, 11, 29, 20), 0.0),  # weekend only
        (ist(2026, 11, 25, 19), ist(2026, 11, 26, 8), 0.0),  # overnight
        (ist(2026, 11, 30, 10), ist(2026, 11, 27, 17), -2.0),  # reversed
    ],
)
def test_business_hours_between(cal: BusinessCalendar, a: datetime, b: datetime, expected: float) -> None:
    assert cal.business_hours_between(a, b) == pytest.approx(expected)


def test_custom_hours_and_time_zone() -> None:
    cal = BusinessCalendar(tz="Europe/Berlin", day_start=time(8, 30), day_end=time(17, 30))
    start = datetime(2026, 11, 25, 16, 30, tzinfo=BERLIN)
    # one day = 9h: Wed 16:30-17:30 1h, Thu 8h -> 16:30
    assert cal.add_business_days(start, 1) == datetime(2026, 11, 26, 16, 30, tzinfo=BERLIN)
    assert cal.add_business_days(start, 1).tzinfo == BERLIN
    # 0.5 day = 4.5h from opening
    assert cal.add_business_days(datetime(2026, 11, 25, 8, 30, tzinfo=BERLIN), 0.5) == datetime(
        2026, 11, 25, 13, tzinfo=BERLIN
    )
    # 20:00 in Istanbul is 18:00 in Berlin: after Berlin hours, so next day's end
    ack = cal.acknowledgement_deadline(ist(2026, 11, 25, 20))
    assert ack == datetime(2026, 11, 26, 17, 30, tzinfo=BERLIN)
    # half day keeps the default 13:00 end
    assert cal.working_hours(date(2026, 10, 28)) == (
        datetime(2026, 10, 28, 8, 30, tzinfo=BERLIN),
        datetime(2026, 10, 28, 13, tzinfo=BERLIN),
    )


def test_dst_change_in_other_time_zone() -> None:
    # Berlin moves to +02:00 on Sunday 2026-03-29; Fri 17:00 + 1 day = Fri 1h + Mon 8h.
    cal = BusinessCalendar(tz="Europe/Berlin")
    result = cal.add_business_days(datetime(2026, 3, 27, 17, tzinfo=BERLIN), 1)
    assert result == datetime(2026, 3, 30, 17, tzinfo=BERLIN)
    assert result.utcoffset().total_seconds() == 2 * 3600
    assert cal.business_hours_between(
        datetime(2026, 3, 27, 9, tzinfo=BERLIN), datetime(2026, 3, 30, 18, tzinfo=BERLIN)
    ) == pytest.approx(18.0)


def test_string_times_are_parsed() -> None:
    cal = BusinessCalendar(day_start="08:30", day_end="17:30", half_day_end="12:30")
    assert cal.working_hours(date(2026, 10, 28)) == (ist(2026, 10, 28, 8, 30), ist(2026, 10, 28, 12, 30))


def test_naive_datetime_raises(cal: BusinessCalendar) -> None:
    naive = datetime(2026, 11, 25, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_business_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.acknowledgement_deadline(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.business_hours_between(naive, ist(2026, 11, 26, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_business_time(naive)


@pytest.mark.parametrize("days", [-1, -0.5, float("nan"), float("inf")])
def test_bad_day_counts_raise(cal: BusinessCalendar, days: float) -> None:
    with pytest.raises(ValueError):
        cal.add_business_days(ist(2026, 11, 25, 10), days)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tz": "Mars/Olympus_Mons"},
        {"day_start": time(18), "day_end": time(9)},
        {"half_day_end": time(19)},
        {"half_day_end": time(8)},
    ],
)
def test_bad_configuration_raises(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(**kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9)), ("8:30", time(8, 30)), (" 17:45 ", time(17, 45)), ("00:00", time(0))],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["9", "25:00", "09:60", "09:00:00", "nine", "", None, 900])
def test_parse_time_rejects_bad_input(text: object) -> None:
    with pytest.raises(ValueError, match="HH:MM|hour must be"):
        parse_time(text)


def test_walk_is_bounded(cal: BusinessCalendar) -> None:
    # 3000 business days need about 12 calendar years, more than the 3660-day scan limit.
    with pytest.raises(ValueError, match="3660 days"):
        cal.add_business_days(ist(2026, 11, 25, 10), 3000)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (ist(2026, 11, 25, 11), 2, ist(2026, 11, 25, 13)),  # an ordinary Wednesday
        (ist(2026, 11, 25, 17, 30), 2, ist(2026, 11, 26, 10, 30)),  # 0.5 h today, 1.5 h tomorrow morning
        (ist(2026, 11, 25, 7), 2, ist(2026, 11, 25, 11)),  # before opening counts from 09:00
        (ist(2026, 11, 25, 16), 2, ist(2026, 11, 25, 18)),  # running out at close is close
        (ist(2026, 11, 27, 17), 2, ist(2026, 11, 30, 10)),  # Friday 1 h, the weekend none, Monday 1 h
        (ist(2026, 11, 28, 12), 2, ist(2026, 11, 30, 11)),  # asked on a Saturday
        (ist(2026, 10, 28, 12), 2, ist(2026, 10, 30, 10)),  # 28 Oct ends at 13:00, 29 Oct off
        (ist(2026, 3, 19, 11), 3, ist(2026, 3, 23, 10)),  # arife until 13:00, Ramazan Bayramı, weekend
        (ist(2026, 5, 26, 10), 5, ist(2026, 6, 1, 11)),  # arife 3 h, Kurban Bayramı 27-30 May, Sunday
        (ist(2026, 11, 25, 10), 1.5, ist(2026, 11, 25, 11, 30)),
        (ist(2026, 11, 25, 10), 9, ist(2026, 11, 26, 10)),  # nine hours are one business day
        (ist(2026, 11, 25, 10), 0, ist(2026, 11, 25, 10)),
    ],
)
def test_add_business_hours(cal: BusinessCalendar, start: datetime, hours: float, expected: datetime) -> None:
    result = cal.add_business_hours(start, hours)
    assert result == expected
    assert result.tzinfo == IST


def test_add_business_hours_agrees_with_business_hours_between(cal: BusinessCalendar) -> None:
    start = ist(2026, 3, 18, 15)
    assert cal.business_hours_between(start, cal.add_business_hours(start, 11)) == 11


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf"), True, "2", 10**9])
def test_add_business_hours_refuses_what_is_not_a_count(cal: BusinessCalendar, hours) -> None:
    with pytest.raises(ValueError):
        cal.add_business_hours(ist(2026, 11, 25, 10), hours)


def _walked_hours(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Business hours from a to b by walking every local day between them (the definition)."""
    if b < a:
        return -_walked_hours(cal, b, a)
    total, day = timedelta(), a.astimezone(cal.tz).date()
    while day <= b.astimezone(cal.tz).date():
        hours = cal.working_hours(day)
        if hours is not None:
            total += max(timedelta(), min(hours[1], b) - max(hours[0], a))
        day += timedelta(days=1)
    return total / timedelta(hours=1)


def test_business_hours_between_agrees_with_walking_the_days_in_any_order_and_after_days_off_change() -> None:
    """The calendar keeps the business time before each day instead of walking the days on every call;
    instants are taken on the hour, at the edges of the day and anywhere, across holidays and half days,
    asked in any order (so its table grows at both ends), and again after the extra days off change."""
    import random

    rng = random.Random(10002)
    cal = BusinessCalendar()
    edges = [time(0), time(8, 59), time(9), time(12, 59, 59), time(13), time(17, 59), time(18), time(23, 59)]

    def instant() -> datetime:
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(4 * 365))
        at = rng.choice(edges) if rng.random() < 0.5 else time(rng.randrange(24), rng.randrange(60), rng.randrange(60))
        return datetime.combine(day, at, tzinfo=rng.choice([IST, UTC, BERLIN]))

    pairs = [(instant(), instant()) for _ in range(400)]
    for a, b in pairs:
        assert cal.business_hours_between(a, b) == pytest.approx(_walked_hours(cal, a, b), abs=1e-9), (a, b)

    a, b = ist(2026, 11, 23, 10), ist(2026, 11, 27, 10)
    assert cal.business_hours_between(a, b) == 36
    cal.set_extra_days_off([date(2026, 11, 25)])  # a bridge day decided later
    assert cal.business_hours_between(a, b) == 27
    for a, b in pairs[:100]:
        assert cal.business_hours_between(a, b) == pytest.approx(_walked_hours(cal, a, b), abs=1e-9), (a, b)


def test_business_hours_between_instants_ten_years_apart_is_refused() -> None:
    cal = BusinessCalendar()
    with pytest.raises(ValueError, match="3660 days"):
        cal.business_hours_between(ist(2020, 1, 1, 10), ist(2031, 1, 1, 10))
    with pytest.raises(ValueError, match="3660 days"):
        cal.business_hours_between(ist(2031, 1, 1, 10), ist(2020, 1, 1, 10))


def test_a_date_at_the_end_of_the_calendar_does_not_break_later_questions() -> None:
    """A stored instant near year 1 or 9999 (a placeholder deadline) once stayed in the calendar's table
    and made every later question overflow; each question stands on its own."""
    cal = BusinessCalendar()
    assert cal.business_hours_between(datetime(1, 1, 5, 9, tzinfo=UTC), datetime(1, 1, 9, 9, tzinfo=UTC)) >= 0
    assert cal.business_hours_between(ist(2026, 11, 23, 10), ist(2026, 11, 27, 10)) == 36
    assert cal.business_hours_between(ist(9999, 12, 20, 10), ist(9999, 12, 24, 10)) >= 0
    assert cal.business_hours_between(ist(2026, 11, 23, 10), ist(2026, 11, 27, 10)) == 36
