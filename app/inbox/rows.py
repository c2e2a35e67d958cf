"""The inbox's rows as the page shows them, worked out once in Python.

A page of 25 rows asked the template for about 100 links, 50 CSRF tokens, 150 translations and as many
permission checks, each through Flask's request proxies; that was most of the page's time. Here each
link is built from one pattern per page, the user's lanes are read once, and the template only prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import url_for

from .. import labels
from ..durations import due_text, left_text
from ..risk_text import risk_text
from ..services.workflow import inbox

_ID = 2**31 - 1  # the largest id a URL takes: it appears nowhere else in a path
_NUMBER = "__number__"


@dataclass(frozen=True, slots=True)
class RowView:
    task_id: int
    lane: str | None
    number: str
    complaint_url: str
    task_url: str
    step: str
    escalation: bool
    at_risk: bool
    risk: str | None  # the at-risk reason, when the complaint is at risk and the task is no escalation
    customer: str
    kind: str
    priority: str | None
    priority_label: str
    channel: str
    due_iso: str | None
    due: str
    left: str
    overdue: bool
    assignee: str | None
    action: str | None  # "unclaim" (mine), "claim" (free and in my lanes) or None
    action_url: str | None
    assign_url: str


class _Links:
    """url_for once per endpoint; each row's link is the pattern with its id or number put in."""

    def __init__(self):
        self.complaint = url_for("inbox.complaint", number=_NUMBER)
        self.task = url_for("inbox.task", task_id=_ID)
        self.claim = url_for("inbox.claim", task_id=_ID)
        self.unclaim = url_for("inbox.unclaim", task_id=_ID)
        self.assign = url_for("inbox.assign", task_id=_ID)

    @staticmethod
    def with_id(pattern: str, task_id: int) -> str:
        return pattern.replace(str(_ID), str(task_id))


def row_views(user, rows) -> list[RowView]:
    links, lanes = _Links(), inbox.lanes_for(user)
    views = []
    for row in rows:
        task, complaint = row.task, row.complaint
        if task.assignee_id == user.id:
            action, action_url = "unclaim", links.with_id(links.unclaim, task.id)
        elif not task.assignee_id and task.lane in lanes:
            action, action_url = "claim", links.with_id(links.claim, task.id)
        else:
            action, action_url = None, None
        at_risk = complaint.risk_status == "at_risk"
        views.append(RowView(
            task_id=task.id, lane=task.lane, number=complaint.registration_number,
            complaint_url=links.complaint.replace(_NUMBER, quote(complaint.registration_number, safe="")),
            task_url=links.with_id(links.task, task.id), step=labels.step_name(task),
            escalation=bool(task.escalation), at_risk=at_risk,
            risk=risk_text(complaint) if at_risk and not task.escalation else None,
            customer=complaint.customer_name, kind=str(labels.KIND_LABELS.get(complaint.kind, complaint.kind)),
            priority=complaint.priority,
            priority_label=str(labels.PRIORITY_LABELS.get(complaint.priority, complaint.priority or "")),
            channel=str(labels.CHANNEL_LABELS.get(complaint.channel, complaint.channel)),
            due_iso=task.due_at.isoformat() if task.due_at else None,
            due=due_text(task.due_at) if task.due_at else "", left=left_text(row.deadline) if task.due_at else "",
            overdue=row.overdue, assignee=task.assignee.full_name if task.assignee else None,
            action=action, action_url=action_url, assign_url=links.with_id(links.assign, task.id)))
    return views
