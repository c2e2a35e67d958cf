"""Move running complaints to a newer version of the procedure, one transaction per complaint.

A dry run says, per running complaint, whether it can move (nothing it has reached was changed or
removed) and why not; migrating re-checks, rewrites the instance's version and state, refreshes the
inbox rows and records an audit event. The optimistic lock on the instance refuses a lost update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.engine import migrate, migration_blockers
from app.extensions import db
from app.models import Complaint, HumanTask, ProcessInstance
from app.services import audit, context
from app.services.procedure import versions
from app.services.workflow import runtime


@dataclass
class MigrationCheck:
    complaint_id: int
    registration_number: str
    instance_id: int
    from_version: int
    can_move: bool
    reasons: list[str] = field(default_factory=list)
    moved: bool = False


def _running(target_id: int, from_number: int | None):
    query = (sa.select(Complaint, ProcessInstance)
             .join(ProcessInstance, Complaint.instance_id == ProcessInstance.id)
             .where(ProcessInstance.status == "running", ProcessInstance.version_id != target_id)
             .order_by(Complaint.id))
    if from_number is not None:
        query = query.where(ProcessInstance.version_id == versions.get_version(from_number).id)
    return db.session.execute(query).all()


def _history(complaint: Complaint) -> set[str]:
    """User tasks the complaint has completed: the state keeps no finished history, the inbox does."""
    return set(db.session.scalars(sa.select(HumanTask.spec_name).where(
        HumanTask.complaint_id == complaint.id, HumanTask.state == "completed")))


def _check(complaint: Complaint, instance: ProcessInstance, target) -> MigrationCheck:
    reasons = migration_blockers(runtime.load(instance), versions.bundle_for(target), _history(complaint))
    return MigrationCheck(complaint.id, complaint.registration_number, instance.id, instance.version.number,
                          not reasons, reasons)


def dry_run(to_number: int, from_number: int | None = None) -> list[MigrationCheck]:
    """Which running complaints (on other versions, or on `from_number`) can move to `to_number`."""
    target = versions.get_version(to_number)
    return [_check(complaint, instance, target) for complaint, instance in _running(target.id, from_number)]


def migrate_complaints(to_number: int, *, actor: str, from_number: int | None = None,
                       only: set[str] | None = None, at: datetime | None = None) -> list[MigrationCheck]:
    """Move every movable running complaint (or those in `only`, by registration number)."""
    at = context.utc(at)
    target = versions.get_version(to_number)
    results = []
    for complaint_id, instance_id in [(c.id, i.id) for c, i in _running(target.id, from_number)
                                      if only is None or c.registration_number in only]:
        results.append(_migrate_one(complaint_id, instance_id, target, actor=actor, at=at))
    return results


def _migrate_one(complaint_id: int, instance_id: int, target, *, actor: str, at: datetime) -> MigrationCheck:
    try:
        instance = db.session.get(ProcessInstance, instance_id, populate_existing=True)
        complaint = db.session.get(Complaint, complaint_id)
        check = _check(complaint, instance, target)
        if not check.can_move:
            db.session.rollback()
            return check
        old_number = instance.version.number
        run = migrate(runtime.load(instance), versions.bundle_for(target))
        run.set_variable("kind", complaint.kind)  # instances started before kinds existed lack it
        run.fire_due_timers(at=at)
        instance.version = target
        audit.record(complaint.id, "migrated", actor=actor, at=at,
                     data={"from_version": old_number, "to_version": target.number})
        runtime.save_run(complaint, instance, run, at=at, actor=actor)
        db.session.commit()
        check.moved = True
        return check
    except StaleDataError:
        db.session.rollback()
        complaint = db.session.get(Complaint, complaint_id)
        return MigrationCheck(complaint_id, complaint.registration_number, instance_id, 0, False,
                              ["the complaint was changed at the same moment; try again"])
    except Exception:
        db.session.rollback()
        raise
