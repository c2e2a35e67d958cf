"""The quality managers' complaint list: filters, sorting, server-side paging and CSV export.

Everything is read from the complaint columns, the inbox rows and the version number, never from a
workflow, so a page costs one count and one indexed, limited query.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import KINDS, Complaint, HumanTask, ProcessInstance, ProcessVersion, User
from app.services import context
from app.services.text_rules import single_line_problem

STATUSES = ("open", "closed", "cancelled", "suspended")
DEADLINE_FILTERS = ("overdue", "breached")
SORTS = {
    "received": Complaint.received_at, "number": Complaint.registration_number, "priority": Complaint.priority,
    "stage": Complaint.stage, "status": Complaint.status, "due": Complaint.solution_due_at,
    "reopens": Complaint.reopen_count, "closed": Complaint.closed_at,
}
MAX_PAGE_SIZE = 200


@dataclass
class ReviewQuery:
    """Filters as they come from a query string; unknown values are dropped, not trusted."""

    status: str = ""
    stage: int | None = None
    priority: str = ""
    channel: str = ""
    kind: str = ""
    deadline: str = ""
    reopened: bool | None = None
    version: int | None = None
    received_from: date | None = None
    received_to: date | None = None  # inclusive
    representative: str = ""  # username of an assignee on any of the complaint's tasks
    root_cause: str = ""
    q: str = ""
    sort: str = "-received"
    page: int = 1
    page_size: int = 25

    def __post_init__(self):
        self.status = self.status if self.status in STATUSES else ""
        self.kind = self.kind if self.kind in KINDS else ""
        self.deadline = self.deadline if self.deadline in DEADLINE_FILTERS else ""
        self.sort = self.sort if self.sort.lstrip("-") in SORTS else "-received"
        self.q = (self.q or "").strip()[:100]
        if single_line_problem(self.q):  # the text rule of every entry point; a search ignores it
            self.q = ""
        self.page = max(1, self.page)
        self.page_size = min(max(1, self.page_size), MAX_PAGE_SIZE)

    @classmethod
    def from_args(cls, args) -> ReviewQuery:
        """Build from a request's args (a MultiDict or dict); malformed numbers and dates are ignored."""
        def number(key):
            value = (args.get(key) or "").strip()
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None

        def day(key):
            try:
                parsed = date.fromisoformat((args.get(key) or "").strip())
                return parsed if 2000 <= parsed.year <= 2100 else None
            except ValueError:
                return None

        reopened = {"1": True, "0": False}.get(args.get("reopened", ""))
        return cls(status=args.get("status", ""), stage=number("stage"), priority=args.get("priority", ""),
                   channel=args.get("channel", ""), kind=args.get("kind", ""), deadline=args.get("deadline", ""),
                   reopened=reopened,
                   version=number("version"), received_from=day("from"), received_to=day("to"),
                   representative=(args.get("representative") or "").strip(), root_cause=args.get("root_cause", ""),
                   q=args.get("q", ""), sort=args.get("sort", "-received"), page=number("page") or 1,
                   page_size=number("size") or 25)


@dataclass
class ReviewRow:
    complaint: Complaint
    version_number: int | None
    instance_status: str | None
    overdue: bool


@dataclass
class ReviewPage:
    rows: list[ReviewRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=context.runtime().calendar.tz).astimezone(UTC)


def _overdue(now: datetime):
    return sa.exists().where(HumanTask.complaint_id == Complaint.id, HumanTask.state == "ready",
                             HumanTask.due_at < now)


def _statement(query: ReviewQuery, now: datetime):
    overdue = _overdue(now)
    stmt = (sa.select(Complaint, ProcessVersion.number, ProcessInstance.status, overdue.label("overdue"))
            .outerjoin(ProcessInstance, Complaint.instance_id == ProcessInstance.id)
            .outerjoin(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id))
    if query.status == "suspended":
        stmt = stmt.where(ProcessInstance.status == "suspended")
    elif query.status:
        stmt = stmt.where(Complaint.status == query.status)
    if query.stage is not None:
        stmt = stmt.where(Complaint.stage == query.stage)
    for value, column in ((query.priority, Complaint.priority), (query.channel, Complaint.channel),
                          (query.kind, Complaint.kind),
                          (query.root_cause, Complaint.root_cause_category)):
        if value:
            stmt = stmt.where(column == value)
    if query.deadline == "overdue":
        stmt = stmt.where(overdue)
    elif query.deadline == "breached":
        stmt = stmt.where(sa.or_(Complaint.deadline_breached, overdue))
    if query.reopened is not None:
        stmt = stmt.where(Complaint.reopen_count > 0 if query.reopened else Complaint.reopen_count == 0)
    if query.version is not None:
        stmt = stmt.where(ProcessVersion.number == query.version)
    if query.received_from:
        stmt = stmt.where(Complaint.received_at >= _local_midnight(query.received_from))
    if query.received_to:
        stmt = stmt.where(Complaint.received_at < _local_midnight(query.received_to + timedelta(days=1)))
    if query.representative:
        stmt = stmt.where(sa.exists().where(
            HumanTask.complaint_id == Complaint.id, HumanTask.assignee_id == User.id,
            User.username == query.representative))
    if query.q:
        stmt = stmt.where(sa.or_(sa.func.upper(Complaint.registration_number) == query.q.upper(),
                                 sa.func.lower(Complaint.customer_name).like(f"%{query.q.lower()}%")))
    column = SORTS[query.sort.lstrip("-")]
    direction = column.desc() if query.sort.startswith("-") else column.asc()
    return stmt.order_by(direction.nulls_last(), Complaint.id.desc())


def review_page(query: ReviewQuery, *, now: datetime | None = None) -> ReviewPage:
    """One page of the filtered list and the total behind it."""
    now = context.utc(now)
    stmt = _statement(query, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // query.page_size))
    page = min(query.page, pages)
    result = db.session.execute(stmt.limit(query.page_size).offset((page - 1) * query.page_size)).all()
    return ReviewPage(rows=[ReviewRow(*row) for row in result], total=total, page=page, pages=pages)


# Coded values come twice: the code (for machines and pivot tables) and its label in the reader's language.
CSV_HEADERS = ("Kayıt No", "Alınma", "Kanal (kod)", "Kanal", "Öncelik (kod)", "Öncelik", "Kategori (kod)",
               "Kategori", "Kök neden (kod)", "Kök neden", "Aşama", "Durum (kod)", "Durum", "Süreç sürümü",
               "Alındı bildirimi son", "Alındı bildirildi", "Çözüm son (ilk)", "Karar bildirildi (ilk)", "Kapanış",
               "Yeniden açılma", "Süre aşıldı mı", "Şu an gecikmede", "Tür (kod)", "Tür")
# What a code is: the web layer labels each kind (kind, channel, priority, category, root_cause, status, yes_no).
Labeller = Callable[[str, object], str]


def _code_only(kind: str, code) -> str:
    if kind == "yes_no":
        return "Evet" if code else "Hayır"
    return "" if code is None else str(code)


def _csv_row(row: ReviewRow, tz, label: Labeller) -> list[str]:
    c = row.complaint

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%d.%m.%Y %H:%M") if value else ""

    def coded(kind: str, code: str | None) -> list[str]:
        return [code or "", label(kind, code) if code else ""]

    status = "suspended" if row.instance_status == "suspended" else c.status
    return [c.registration_number, when(c.received_at), *coded("channel", c.channel),
            *coded("priority", c.priority), *coded("category", c.category),
            *coded("root_cause", c.root_cause_category), str(c.stage), *coded("status", status),
            str(row.version_number or ""), when(c.acknowledgement_due_at), when(c.acknowledged_at),
            when(c.first_solution_due_at), when(c.first_decision_notified_at), when(c.closed_at),
            str(c.reopen_count), label("yes_no", c.deadline_breached), label("yes_no", row.overdue),
            *coded("kind", c.kind)]


def export_csv(query: ReviewQuery, *, now: datetime | None = None, batch: int = 500,
               headers: Sequence[str] = CSV_HEADERS, label: Labeller = _code_only) -> Iterator[bytes]:
    """The whole filtered list (no paging) as UTF-8 CSV with a BOM and ';' (Excel in Turkish).

    Customer names and contact details are left out: the export is for analysis, not for contact.
    `headers` and `label` come from the web layer, in the reader's language.
    """
    now = context.utc(now)
    tz = context.runtime().calendar.tz
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    stmt = _statement(query, now).execution_options(yield_per=batch)
    for row in db.session.execute(stmt):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_csv_row(ReviewRow(*row), tz, label))
        db.session.expunge(row[0])  # keep the identity map small on long exports
        yield buffer.getvalue().encode("utf-8")


def filter_choices() -> dict[str, list]:
    """Values the list's selects offer: process versions and the root causes in use."""
    return {
        "versions": list(db.session.scalars(sa.select(ProcessVersion.number).order_by(ProcessVersion.number))),
        "root_causes": list(db.session.scalars(
            sa.select(Complaint.root_cause_category).where(Complaint.root_cause_category.is_not(None))
            .distinct().order_by(Complaint.root_cause_category))),
    }
