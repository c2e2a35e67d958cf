"""The engine clock: SpiffWorkflow asks `datetime.now()` whether a timer is due; we answer.

Timers must be fired "as of" an instant (the sweep, tests with a controlled clock, a replay), so
the timer module's `datetime` is replaced by one whose `now()` reads a context variable. Outside
`frozen(...)` it is the real clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_current: ContextVar[datetime | None] = ContextVar("engine_now", default=None)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        fixed = _current.get()
        if fixed is None:
            return datetime.now(tz)
        return fixed.astimezone(tz) if tz is not None else fixed.astimezone().replace(tzinfo=None)


_timer_module.datetime = _EngineDatetime


def now() -> datetime:
    """The engine's current instant (aware, UTC)."""
    fixed = _current.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def frozen(at: datetime | None) -> Iterator[None]:
    """Run engine steps as if the time were `at` (None: the real clock)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("the engine clock needs an aware datetime")
    token = _current.set(at.astimezone(UTC) if at is not None else None)
    try:
        yield
    finally:
        _current.reset(token)
