"""The complaints of a period as an IEEE 1849 (XES) event log, streamed, and the variants the desk shows.

One trace per complaint (anonymised ones included: nothing personal is written), an event per step's
start and completion (`lifecycle:transition` start / complete, ate_abort for a step cancelled), an
event when a boundary timer raised an escalation (named after the timer) or when another escalation
was raised. Resources appear only as their role (`org:role`, from LANE_ROLES) and lane (`org:group`);
a person's name, the customer's data and free text are never written. Priority, channel, root cause
and the diagram version are trace attributes.

The log is built in batches of EVENT_LOG_BATCH complaints (keyset by id), so a year of complaints
never sits in memory. The desk's variants are computed from the same events: the sequence of
`complete` events of each trace, which is what a process-mining tool discovers from the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import quoteattr

import sqlalchemy as sa
from flask import current_app

from app.engine.paths import timer_names
from app.extensions import db
from app.models import Complaint, HumanTask, ProcessInstance, ProcessVersion
from app.services.procedure import versions

TICK = timedelta(milliseconds=1)
_ORDER = {"complete": 0, "ate_abort": 0, "event": 1, "start": 2}


@dataclass(frozen=True)
class Event:
    name: str
    lifecycle: str
    at: datetime
    role: str
    group: str
    attributes: tuple = ()


@dataclass
class Trace:
    complaint: sa.Row  # the complaint's columns that may be exported (never personal data)
    version: int | None
    events: list[Event] = field(default_factory=list)

    @property
    def variant(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.events if e.lifecycle == "complete")


def _role(lane: str | None) -> str:
    return ",".join(current_app.config["LANE_ROLES"].get(lane or "", ())) or "unknown"


class _Timers:
    """Boundary-timer names per version (from the diagram), loaded once per export."""

    def __init__(self):
        self._by_version: dict[int, dict[str, str]] = {}

    def __call__(self, version_id: int) -> dict[str, str]:
        if version_id not in self._by_version:
            self._by_version[version_id] = timer_names(versions.bundle_for(db.session.get(ProcessVersion, version_id)))
        return self._by_version[version_id]


def _task_events(task, timers: dict[str, str]) -> list[tuple[int, Event]]:
    role, group = _role(task.lane), task.lane or ""
    attrs = (("complaintflow:step", task.spec_name),
             *((("complaintflow:stage", task.iso_stage),) if task.iso_stage else ()))
    events = []
    if task.escalation:
        name = timers.get(task.spec_name) or f"Eskalasyon ({task.escalation})"
        kind = "timer" if task.spec_name in timers else "escalation"
        events.append((task.id, Event(name, "event", task.created_at, "system", "",
                                      (("complaintflow:kind", kind), ("complaintflow:escalation", task.escalation)))))
    events.append((task.id, Event(task.name, "start", task.created_at, role, group, attrs)))
    if task.state == "completed" and task.completed_at:
        events.append((task.id, Event(task.name, "complete", task.completed_at, role, group, attrs)))
    elif task.state == "cancelled" and task.completed_at:
        events.append((task.id, Event(task.name, "ate_abort", task.completed_at, role, group, attrs)))
    return events


def _ordered(events: list[tuple[int, Event]]) -> list[Event]:
    """Time order; at one instant a completion before the timer before the next start. Events of one
    instant are written a millisecond apart, so any tool that sorts by time keeps this order."""
    events.sort(key=lambda pair: (pair[1].at, _ORDER[pair[1].lifecycle], pair[0]))
    result, last = [], None
    for _, event in events:
        at = event.at if last is None or event.at > last else last + TICK
        last = at
        result.append(Event(event.name, "complete" if event.lifecycle == "event" else event.lifecycle,
                            at, event.role, event.group, event.attributes))
    return result


_TRACE_COLUMNS = (Complaint.id, Complaint.registration_number, Complaint.priority, Complaint.channel,
                  Complaint.root_cause_category, Complaint.status, Complaint.received_at, Complaint.anonymised_at)
_TASK_COLUMNS = (HumanTask.id, HumanTask.complaint_id, HumanTask.spec_name, HumanTask.name, HumanTask.lane,
                 HumanTask.iso_stage, HumanTask.escalation, HumanTask.state, HumanTask.created_at,
                 HumanTask.completed_at)


def traces(start: datetime, end: datetime) -> Iterator[Trace]:
    """Every complaint received in [start, end) as a trace, in registration order, batch by batch."""
    batch = current_app.config["EVENT_LOG_BATCH"]
    timers = _Timers()
    after = 0
    while True:
        rows = db.session.execute(
            sa.select(*_TRACE_COLUMNS, ProcessInstance.version_id, ProcessVersion.number)
            .outerjoin(ProcessInstance, ProcessInstance.id == Complaint.instance_id)
            .outerjoin(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(Complaint.received_at >= start, Complaint.received_at < end, Complaint.id > after)
            .order_by(Complaint.id).limit(batch)).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        by_complaint: dict[int, list] = {}
        # Plain rows, not ORM objects: nothing of the period accumulates in the session.
        for task in db.session.execute(sa.select(*_TASK_COLUMNS).where(HumanTask.complaint_id.in_(ids))
                                       .order_by(HumanTask.id)):
            by_complaint.setdefault(task.complaint_id, []).append(task)
        for row in rows:
            names = timers(row.version_id) if row.version_id else {}
            events = [pair for task in by_complaint.get(row.id, []) for pair in _task_events(task, names)]
            yield Trace(row, row.number, _ordered(events))
        after = ids[-1]


def _attr(kind: str, key: str, value) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _date(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def _trace_xml(trace: Trace) -> str:
    c = trace.complaint
    parts = ["<trace>", _attr("string", "concept:name", c.registration_number),
             _attr("string", "priority", c.priority or ""), _attr("string", "channel", c.channel),
             _attr("string", "root_cause", c.root_cause_category or ""),
             _attr("string", "status", c.status), _attr("date", "received", _date(c.received_at)),
             _attr("boolean", "anonymised", "true" if c.anonymised_at else "false")]
    if trace.version is not None:
        parts.append(_attr("int", "process_version", trace.version))
    for event in trace.events:
        parts.append("<event>")
        parts += [_attr("string", "concept:name", event.name),
                  _attr("string", "lifecycle:transition", event.lifecycle),
                  _attr("date", "time:timestamp", _date(event.at)),
                  _attr("string", "org:role", event.role)]
        if event.group:
            parts.append(_attr("string", "org:group", event.group))
        for key, value in event.attributes:
            parts.append(_attr("int" if isinstance(value, int) else "string", key, value))
        parts.append("</event>")
    parts.append("</trace>\n")
    return "".join(parts)


HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
<global scope="event"><string key="concept:name" value="__INVALID__"/>\
<string key="lifecycle:transition" value="complete"/>\
<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>
<classifier name="Activity" keys="concept:name"/>
<classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>
"""


def export_xes(start: datetime, end: datetime) -> Iterator[str]:
    """The XES document in pieces (a header, one string per trace, the footer)."""
    yield HEADER
    yield _attr("string", "concept:name", f"complaints {_date(start)} .. {_date(end)}") + "\n"
    for trace in traces(start, end):
        yield _trace_xml(trace)
    yield "</log>\n"


@dataclass
class Variant:
    steps: tuple[str, ...]
    count: int
    versions: dict[int, int]


def variants(start: datetime, end: datetime) -> list[Variant]:
    """Distinct paths (completed steps and escalations, in order) with their counts and diagram versions."""
    counts: Counter = Counter()
    by_version: dict[tuple, Counter] = {}
    for trace in traces(start, end):
        counts[trace.variant] += 1
        by_version.setdefault(trace.variant, Counter())[trace.version or 0] += 1
    return [Variant(steps, n, dict(sorted(by_version[steps].items())))
            for steps, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
