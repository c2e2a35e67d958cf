"""The review page's audit trail in words, grouped by day: each event as a sentence with its details,
its sequence number and the start of its hash (the chain an auditor checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import get_locale

from ..inbox.case_text import Line, actor_name, event_text
from ..services.complaints import case_record


@dataclass
class AuditLine:
    seq: int
    at: datetime
    who: str
    sentence: str
    lines: list[Line]
    hash: str


@dataclass
class AuditDay:
    day: date
    events: list[AuditLine] = field(default_factory=list)


def audit_days(complaint, events: list[dict]) -> list[AuditDay]:
    """The audit events of one complaint (as instance_view gives them), one group per local day."""
    forms = case_record.forms_of(complaint, get_locale())
    names = case_record.display_names([e["actor"] for e in events] + [e["data"].get("to") for e in events])
    tz = current_app.extensions["complaintflow"].calendar.tz
    days: list[AuditDay] = []
    for e in events:
        sentence, lines = event_text(e["action"], e["data"], forms, names)
        day = e["at"].astimezone(tz).date()
        if not days or days[-1].day != day:
            days.append(AuditDay(day))
        days[-1].events.append(AuditLine(e["seq"], e["at"], actor_name(e["actor"], names), sentence, lines, e["hash"]))
    return days
