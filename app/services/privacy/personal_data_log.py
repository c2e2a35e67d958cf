"""KVKK access log: every staff (or integration) view of a complaint's personal data, and its CSV export.

Writing the row is part of showing the page: if it cannot be written the view fails rather than
showing personal data unlogged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, PersonalDataView, User
from app.services import context as clock

CSV_HEADER = ("at", "actor", "user_id", "registration_number", "context", "ip")
_INSERT_VIEW = sa.insert(PersonalDataView.__table__)  # a Core insert built once: every case page pays it


def record_personal_data_view(user: User | None, complaint: Complaint | int, context: str, *, ip: str | None = None,
                              actor: str | None = None, at: datetime | None = None) -> None:
    """Log that `user` saw `complaint`'s (or complaint id's) personal data on `context` (a page) from `ip`.

    One INSERT and the commit, without the ORM's unit of work: every case page and API look-up pays it."""
    complaint_id = complaint if isinstance(complaint, int) else complaint.id
    db.session.execute(_INSERT_VIEW, {
        "complaint_id": complaint_id, "user_id": user.id if user is not None else None,
        "actor": (actor or (user.username if user is not None else "?"))[:100], "context": context[:100],
        "ip": (ip or "")[:45] or None, "at": clock.utc(at)})
    db.session.commit()


def record_search_views(user: User | None, complaints: Iterable[Complaint], context: str, *,
                        ip: str | None = None, actor: str | None = None,
                        at: datetime | None = None) -> list[PersonalDataView]:
    """Log that `user` saw the personal data of every complaint on one page of search results.

    One entry per complaint shown, not one per search: a KVKK auditor (and a data subject's access
    request) asks "who saw this person's data, when, and where", and that question is answered
    per complaint — by `views_of` and by the CSV export, whose rows name one registration number
    each. A single search entry listing numbers would be missed by both. The search words are not
    kept: they are often a name or a phone number, personal data the log has no need for. A search
    that shows nothing logs nothing, nor does an anonymised complaint (it holds no personal data).
    All entries commit together, before the page is shown.
    """
    at = clock.utc(at)
    actor = (actor or (user.username if user is not None else "?"))[:100]
    rows = [PersonalDataView(complaint_id=c.id, user_id=user.id if user is not None else None, actor=actor,
                             context=context[:100], ip=(ip or "")[:45] or None, at=at)
            for c in complaints if c.anonymised_at is None]
    if rows:
        db.session.add_all(rows)
        db.session.commit()
    return rows


def views_of(complaint_id: int) -> list[PersonalDataView]:
    return list(db.session.scalars(sa.select(PersonalDataView).where(PersonalDataView.complaint_id == complaint_id)
                                   .order_by(PersonalDataView.at, PersonalDataView.id)))


def export_csv(date_from: datetime | None = None, date_to: datetime | None = None,
               batch: int = 1000) -> Iterator[str]:
    """The log as CSV lines (streamed in batches), oldest first."""
    stmt = (sa.select(PersonalDataView.at, PersonalDataView.actor, PersonalDataView.user_id,
                      Complaint.registration_number, PersonalDataView.context, PersonalDataView.ip)
            .join(Complaint, Complaint.id == PersonalDataView.complaint_id)
            .order_by(PersonalDataView.at, PersonalDataView.id))
    if date_from:
        stmt = stmt.where(PersonalDataView.at >= date_from)
    if date_to:
        stmt = stmt.where(PersonalDataView.at < date_to)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    for row in db.session.execute(stmt.execution_options(yield_per=batch)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([row.at.isoformat(), _cell(row.actor), row.user_id or "", row.registration_number,
                         _cell(row.context), row.ip or ""])
        yield buffer.getvalue()


def _cell(value: str) -> str:
    """No spreadsheet formulas from a CSV cell."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def purge_before(cutoff: datetime) -> int:
    """Retention of the log itself (it is personal data of staff, too)."""
    count = db.session.execute(sa.delete(PersonalDataView).where(PersonalDataView.at < cutoff)).rowcount
    db.session.commit()
    return count or 0
