"""The engine side of the desk clock: SpiffWorkflow asks `datetime.now()` whether a timer is due.

The timer module's `datetime` is replaced by one whose `now()` answers from `app.clock`, so timers
fire "as of" the instant a sweep, a replay or a test gives.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

from .. import clock as _desk_clock
from ..clock import frozen, now, pin, pinned

__all__ = ["frozen", "now", "pin", "pinned"]


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        if not _desk_clock.is_moved():
            return datetime.now(tz)
        fixed = _desk_clock.now()
        return fixed.astimezone(tz) if tz is not None else fixed.astimezone().replace(tzinfo=None)


_timer_module.datetime = _EngineDatetime
