"""The desk's one clock: every use case, model default and timer asks it what time it is.

Two ways to move it, both for replays and tests, never for production:
- `frozen(at)` — for one block of code in this thread/context (a timer sweep "as of" an instant);
- `pin(at)` — for the whole process, every thread included (a test that drives the web app, whose
  requests run in the test client or a server thread, pins the clock once instead of racing the wall).
Outside both it is the real clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_current: ContextVar[datetime | None] = ContextVar("desk_now", default=None)
_pinned: datetime | None = None


def _aware_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the desk clock needs an aware datetime")
    return at.astimezone(UTC)


def now() -> datetime:
    """The current instant (aware, UTC)."""
    fixed = _current.get()
    if fixed is not None:
        return fixed
    if _pinned is not None:
        return _pinned
    return datetime.now(UTC)


def is_moved() -> bool:
    """True while the clock is frozen or pinned (the engine then answers timers from it)."""
    return _current.get() is not None or _pinned is not None


@contextmanager
def frozen(at: datetime | None) -> Iterator[None]:
    """Run a block as if the time were `at` (None: whatever the clock says outside)."""
    token = _current.set(_aware_utc(at) if at is not None else None)
    try:
        yield
    finally:
        _current.reset(token)


def pin(at: datetime | None) -> None:
    """Pin the clock of the whole process to `at` (None: back to the real clock)."""
    global _pinned
    _pinned = _aware_utc(at) if at is not None else None


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    previous = _pinned
    pin(at)
    try:
        yield
    finally:
        pin(previous)
