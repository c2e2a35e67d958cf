"""KVKK access log: every staff (or integration) view of a complaint's personal data, and its CSV export.

Writing the row is part of showing the page: if it cannot be written the view fails rather than
showing personal data unlogged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import Complaint, PersonalDataView, User
from . import context as clock

CSV_HEADER = ("at", "actor", "user_id", "registration_number", "context", "ip")


def record_personal_data_view(user: User | None, complaint: Complaint | int, context: str, *, ip: str | None = None,
                              actor: str | None = None, at: datetime | None = None) -> PersonalDataView:
    """Log that `user` saw `complaint`'s (or complaint id's) personal data on `context` (a page) from `ip`."""
    complaint_id = complaint if isinstance(complaint, int) else complaint.id
    row = PersonalDataView(complaint_id=complaint_id, user_id=user.id if user is not None else None,
                           actor=(actor or (user.username if user is not None else "?"))[:100],
                           context=context[:100], ip=(ip or "")[:45] or None, at=clock.utc(at))
    db.session.add(row)
    db.session.commit()
    return row


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
