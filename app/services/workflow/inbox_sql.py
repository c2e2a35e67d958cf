"""How the inbox's SQL keeps to its indexes on SQLite and PostgreSQL: the at-risk complaints read first, and
statements whose plans do not change when PostgreSQL prepares them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import FunctionElement

from app.extensions import db
from app.models import Complaint, HumanTask

# Spelled as a literal, not a bound parameter: a prepared statement's generic plan on PostgreSQL then still
# knows that it picks a few percent of the complaints.
_AT_RISK = sa.literal_column("'at_risk'")


def at_risk_complaints(on_complaint: list):
    """The at-risk complaints that pass the complaint filters: a few percent of the open ones, read (filters
    included) from ix_complaint_risk without their rows."""
    return sa.select(Complaint.id).where(Complaint.risk_status == _AT_RISK, *on_complaint)


# Up to this many at-risk complaints the inbox reads their tasks and sorts them; past it the at-risk rows are
# common enough that walking the due index to the page's first rows reads less.
DRIVE_MAX = 1000


def many_at_risk() -> bool:
    """More than DRIVE_MAX complaints at risk (read from ix_complaint_risk, at most DRIVE_MAX + 1 entries)."""
    first = at_risk_complaints([]).limit(literal_limit(DRIVE_MAX + 1)).subquery()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0) > DRIVE_MAX


def at_risk_tasks(on_complaint: list, *, drive: bool):
    """Tasks of those complaints. On PostgreSQL `drive` reads the at-risk ids first and then each one's open
    tasks from ix_human_task_complaint_open whatever the planner estimates (`= ANY(ARRAY(...))` can only be
    an index condition); without it the planner chooses between that and walking the due index. SQLite is
    driven by `from_complaints`."""
    at_risk = at_risk_complaints(on_complaint)
    if drive and db.engine.dialect.name == "postgresql":
        return HumanTask.complaint_id == sa.any_(sa.func.array(at_risk.scalar_subquery(),
                                                               type_=sa.ARRAY(sa.Integer)))
    return HumanTask.complaint_id.in_(at_risk)


class _Unindexed(FunctionElement):
    """A column no index can serve on SQLite (unary +). Elsewhere the column itself."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_Unindexed)
def _unindexed_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


_DRIVERS = {HumanTask.__table__.c.complaint_id, Complaint.__table__.c.id, Complaint.__table__.c.risk_status}


def from_complaints(clauses: list) -> list:
    """SQLite has no statistics: asked for the at-risk tasks in due order it walks every open task in due
    order (or every undated one, or every fax complaint) looking for them. With every other column out of an
    index's reach, it reads the at-risk complaints' ids and then each one's tasks, and sorts those few."""
    if db.engine.dialect.name != "sqlite":
        return clauses

    def swap(element):
        if isinstance(element, sa.Column) and element.table in (HumanTask.__table__, Complaint.__table__) \
                and element not in _DRIVERS:
            return _Unindexed(element)
        return None

    return [visitors.replacement_traverse(clause, {}, swap) for clause in clauses]


def literal_limit(n: int):
    """A literal LIMIT: a prepared statement's generic plan on PostgreSQL guesses an unknown LIMIT at a tenth
    of the table and then prefers a sequential scan."""
    return sa.literal_column(str(int(n)))
