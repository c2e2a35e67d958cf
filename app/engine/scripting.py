"""The script environment of the diagram: business-calendar functions, the clock, messages.

Analysts write Python in the BPMN (scripts, conditions, timer expressions); what they may call is
defined here. Timer expressions must yield ISO 8601 strings with an offset, so the calendar
functions take and return such strings.
"""

from __future__ import annotations

import ast
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from ..calendar import BusinessCalendar
from . import clock, sandbox, watchdog

_running_context: ContextVar[dict | None] = ContextVar("script_context", default=None)
_effects: ContextVar[list | None] = ContextVar("script_effects", default=None)

# The e-mails a diagram may send; each has its own Turkish and English templates in app/templates/mail/.
MESSAGE_KINDS = ("acknowledgement", "decision", "answer_reminder", "survey", "closed_without_answer", "thanks")
MAX_BUSINESS_DAYS = 1000  # the calendar counts day by day: a bound keeps a hostile count from holding a worker
MAX_BUSINESS_HOURS = MAX_BUSINESS_DAYS * 9  # the same bound, in hours of a nine-hour day


def _as_datetime(value) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


class _Environment(TaskDataEnvironment):
    """Runs diagram code in the sandbox, and remembers which task's data a script is running on (so
    `send_message` can snapshot it)."""

    def __init__(self, functions: dict, limits: sandbox.Limits):
        super().__init__(functions)
        self.limits = limits
        self._namespace = sandbox.restricted_globals(functions)

    def evaluate(self, expression, context, external_context=None):
        code = sandbox.compile_diagram_code(expression.strip(), "eval")
        namespace = dict(self._namespace)
        namespace.update(external_context or {})
        namespace.update(context)
        value = sandbox.run_bounded(code, namespace, self.limits, evaluate=True)
        sandbox.check_data_size(value, "the expression's value")
        sandbox.check_storable(value, "the expression's value")
        return value

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = sandbox.compile_diagram_code(script, "exec")
        token = _running_context.set(context)
        context.update(self._namespace)
        context.update(external_context or {})
        try:
            sandbox.run_bounded(code, context, self.limits, evaluate=False)
        finally:
            _running_context.reset(token)
            self._remove_globals_and_functions_from_context(context, external_context)
            for name in sandbox.GUARD_NAMES:
                context.pop(name, None)
        sandbox.check_data_size(context, "the task data after the script")
        sandbox.check_storable(context, "the task data")
        return True


def build_script_engine(calendar: BusinessCalendar, limits: sandbox.Limits | None = None) -> PythonScriptEngine:
    def add_business_days(start, days) -> str:
        """Deadline after `days` business days of hours from `start` (ISO string in, ISO string out)."""
        if isinstance(days, int | float) and not 0 <= days <= MAX_BUSINESS_DAYS:
            raise ValueError(f"days must be between 0 and {MAX_BUSINESS_DAYS}, not {days!r}")
        return calendar.add_business_days(_as_datetime(start), days).isoformat()

    def add_business_hours(start, hours) -> str:
        """The instant `hours` business hours after `start` (half days, weekends, holidays skipped)."""
        if isinstance(hours, int | float) and not 0 <= hours <= MAX_BUSINESS_HOURS:
            raise ValueError(f"hours must be between 0 and {MAX_BUSINESS_HOURS}, not {hours!r}")
        return calendar.add_business_hours(_as_datetime(start), hours).isoformat()

    def acknowledgement_deadline(received) -> str:
        """End of the business day of receipt (or of the next one, outside business hours)."""
        return calendar.acknowledgement_deadline(_as_datetime(received)).isoformat()

    def now() -> str:
        """The engine clock in business time, as an ISO string."""
        return clock.now().astimezone(calendar.tz).isoformat()

    def send_message(kind: str) -> None:
        """Queue a message to the customer; the app writes it to the outbox with the state change."""
        if kind not in MESSAGE_KINDS:
            raise ValueError(f"unknown message kind {kind!r}; known: {', '.join(MESSAGE_KINDS)}")
        bound = sandbox.current_bound()
        if bound is not None:
            bound.count_message()
        effects = _effects.get()
        if effects is not None:
            effects.append({"kind": kind, "data": dict(_running_context.get() or {})})

    environment = _Environment(
        {
            "add_business_days": sandbox.desk_function(add_business_days),
            "add_business_hours": sandbox.desk_function(add_business_hours),
            "acknowledgement_deadline": sandbox.desk_function(acknowledgement_deadline),
            "now": sandbox.desk_function(now),
            "send_message": sandbox.desk_function(send_message),
        },
        limits or sandbox.Limits(),
    )
    return _DiagramScriptEngine(environment=environment)


@lru_cache(maxsize=4096)
def syntax_error(source: str) -> tuple | None:
    """SyntaxError's arguments for `source`, or None when it parses (cached: the text is the diagram's)."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return exc.args
    return None


class _DiagramScriptEngine(PythonScriptEngine):
    """Tells a sandbox stop which task it happened in (a BaseException passes SpiffWorkflow's wrapping)."""

    def validate(self, expression):
        """SpiffWorkflow's decision tables parse every rule's cells on every evaluation (twice when a cell
        is a comparison such as `> 5`); the texts come from the diagram, so each is parsed once."""
        error = syntax_error(expression)
        if error is not None:
            raise SyntaxError(*error)

    def evaluate(self, task, expression, external_context=None):
        watchdog.begin_run(task.task_spec)
        try:
            return super().evaluate(task, expression, external_context)
        except sandbox.DiagramCodeError as exc:
            exc.task_spec = task.task_spec
            raise
        finally:
            watchdog.end_run()

    def execute(self, task, script, external_context=None):
        watchdog.begin_run(task.task_spec)
        try:
            return super().execute(task, script, external_context)
        except sandbox.DiagramCodeError as exc:
            exc.task_spec = task.task_spec
            raise
        finally:
            watchdog.end_run()


def collect_effects() -> tuple[list, object]:
    """Start collecting `send_message` calls; returns the list and a token for `stop_collecting`."""
    effects: list = []
    return effects, _effects.set(effects)


def stop_collecting(token) -> None:
    _effects.reset(token)
