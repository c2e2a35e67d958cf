"""Incidents (arıza kayıtları): one outage, many complaints; linked one by one, in bulk or by suggestion,
and resolved once — the decision reaches each linked complaint through the diagram's message event.

Each complaint keeps its own procedure (number, deadline, contact, closure on its own answer). Bulk
work runs complaint by complaint, each in its own transaction with its own audit event, so an
interruption leaves every complaint done or untouched and running it again finishes the rest once.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.engine import ProcedureFailure
from app.engine.conformance import INCIDENT_RESOLVED_MESSAGE as RESOLVED_MESSAGE
from app.extensions import db
from app.models import Complaint, HumanTask, Incident, IncidentLink, ProcessInstance
from app.services import audit, context, parallel, text_rules
from app.services.errors import ConcurrentUpdate, NotFound, ServiceError, ValidationFailed
from app.services.workflow import runtime

log = logging.getLogger(__name__)

# The user task a resolution may end (the complaint is "waiting in analysis").
ANALYSIS_TASK = "task_analyse"
LINK_WAYS = ("case_file", "bulk", "suggestion")
MAX_BULK = 5000
_WORD = re.compile(r"\w+", re.UNICODE)
# Words too common in complaints to say two texts are about the same outage.
_STOPWORDS = {"internet", "bağlantı", "hizmet", "şikayet", "şikâyet", "sorun", "problem", "var", "yok", "bir",
              "için", "ama", "daha", "çok", "gibi", "kadar", "olarak", "olan", "bu", "şu", "ve", "ile", "de",
              "da", "mi", "ne", "hiç", "beri", "hala", "hâlâ", "artık", "the", "and", "not", "since", "with"}


def _fold(text: str) -> str:
    """Lower-case the Turkish way and drop accents, so 'KADIKÖY' and 'kadıköy' meet."""
    text = (text or "").replace("I", "ı").replace("İ", "i").lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> set[str]:
    return {w for w in (_fold(m) for m in _WORD.findall(text or "")) if len(w) >= 4 and w not in _STOPWORDS}


def _lines(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]", text or "") if part.strip()]


@dataclass
class IncidentForm:
    title: str
    service: str | None
    districts: str
    service_numbers: str
    started_at: datetime
    description: str


def open_incident(form: IncidentForm, *, actor: str, at: datetime | None = None) -> Incident:
    at = context.utc(at)
    errors = {}
    if not form.title.strip():
        errors["title"] = "required"
    if not form.description.strip():
        errors["description"] = "required"
    if not _lines(form.districts) and not _lines(form.service_numbers):
        errors["districts"] = "a region (districts / neighbourhoods) or service numbers are required"
    errors.update(text_rules.text_errors(vars(form), single=("title",),
                                         multi=("description", "districts", "service_numbers")))
    if form.started_at > at:
        errors["started_at"] = "the start lies in the future"
    if errors:
        raise ValidationFailed(errors)
    incident = Incident(title=form.title.strip(), service=form.service or None,
                        districts="\n".join(_lines(form.districts)),
                        service_numbers="\n".join(_lines(form.service_numbers)),
                        started_at=context.utc(form.started_at), description=form.description.strip(),
                        status="open", opened_by=actor, opened_at=at)
    db.session.add(incident)
    db.session.commit()
    return incident


def get_incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


@dataclass
class IncidentRow:
    incident: Incident
    linked: int
    open_linked: int


def list_incidents() -> list[IncidentRow]:
    counts = dict(db.session.execute(sa.select(IncidentLink.incident_id, sa.func.count())
                                     .group_by(IncidentLink.incident_id)).all())
    open_counts = dict(db.session.execute(
        sa.select(IncidentLink.incident_id, sa.func.count()).join(Complaint, Complaint.id == IncidentLink.complaint_id)
        .where(Complaint.status == "open").group_by(IncidentLink.incident_id)).all())
    incidents = db.session.scalars(sa.select(Incident).order_by(Incident.status.desc(), Incident.started_at.desc()))
    return [IncidentRow(i, counts.get(i.id, 0), open_counts.get(i.id, 0)) for i in incidents]


def open_incidents() -> list[Incident]:
    return list(db.session.scalars(sa.select(Incident).where(Incident.status == "open")
                                   .order_by(Incident.started_at.desc())))


def linked_complaints(incident_id: int) -> list[tuple[Complaint, IncidentLink]]:
    return [(c, link) for c, link in db.session.execute(
        sa.select(Complaint, IncidentLink).join(IncidentLink, IncidentLink.complaint_id == Complaint.id)
        .where(IncidentLink.incident_id == incident_id).order_by(Complaint.received_at, Complaint.id))]


def link_of(complaint_id: int) -> tuple[IncidentLink, Incident] | None:
    row = db.session.execute(sa.select(IncidentLink, Incident).join(Incident, Incident.id == IncidentLink.incident_id)
                             .where(IncidentLink.complaint_id == complaint_id)).first()
    return (row[0], row[1]) if row else None


@dataclass
class Suggestion:
    complaint: Complaint
    matched_words: list[str]
    by_service_number: bool


def suggestions(incident: Incident, limit: int = 1000) -> list[Suggestion]:
    """Open, unlinked complaints received since the incident started, of its service (or not yet classified),
    in its region (a district / neighbourhood named in the text, or a listed service number), sharing words
    with its description. Only offered: nothing is linked here."""
    linked = sa.select(IncidentLink.complaint_id)
    stmt = (sa.select(Complaint).where(Complaint.status == "open", Complaint.received_at >= incident.started_at,
                                       Complaint.id.not_in(linked))
            .order_by(Complaint.received_at, Complaint.id))
    if incident.service:
        stmt = stmt.where(sa.or_(Complaint.category.is_(None), Complaint.category == incident.service))
    numbers = {n.replace(" ", "") for n in _lines(incident.service_numbers)}
    places = [_fold(p) for p in _lines(incident.districts)]
    # The place names already decided the region: the words must say the same thing happened.
    topic = (words(incident.description) | words(incident.title)) - words(incident.districts)
    found = []
    for complaint in db.session.scalars(stmt):
        text = f"{complaint.subject or ''} {complaint.description or ''}"
        folded = _fold(text)
        by_number = (complaint.subscription_number or "").replace(" ", "") in numbers
        in_region = by_number or any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", folded) for p in places)
        if not in_region:
            continue
        shared = sorted(topic & words(text))
        if not shared:
            continue
        found.append(Suggestion(complaint, shared, by_number))
        if len(found) >= limit:
            break
    return found


@dataclass
class LinkOutcome:
    linked: list[str]
    skipped: dict[str, str]  # registration number → why


def link(incident_id: int, numbers: list[str], *, how: str, actor: str, at: datetime | None = None) -> LinkOutcome:
    """Link complaints by registration number, each in its own transaction with its own audit event."""
    at = context.utc(at)
    incident = get_incident(incident_id)
    if incident.status != "open":
        raise ValidationFailed({"incident": "the incident is resolved; open a new one"})
    if how not in LINK_WAYS:
        raise ValidationFailed({"how": "unknown way of linking"})
    outcome = LinkOutcome([], {})
    for number in dict.fromkeys(n.strip().upper() for n in numbers[:MAX_BULK] if n and n.strip()):
        complaint = db.session.scalar(sa.select(Complaint).where(Complaint.registration_number == number))
        if complaint is None:
            outcome.skipped[number] = "not_found"
            continue
        if complaint.status != "open":
            outcome.skipped[number] = "not_open"
            continue
        try:
            db.session.add(IncidentLink(incident_id=incident.id, complaint_id=complaint.id, how=how, linked_by=actor,
                                        linked_at=at))
            audit.record(complaint.id, "incident_linked", actor=actor, at=at,
                         data={"incident": incident.id, "title": incident.title, "how": how})
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            outcome.skipped[number] = "already_linked"
            continue
        outcome.linked.append(number)
    return outcome


def matching_numbers(stmt: sa.Select) -> list[str]:
    """The registration numbers of every complaint a search matches ("select all matching")."""
    return list(db.session.scalars(stmt.with_only_columns(Complaint.registration_number).limit(MAX_BULK)))


@dataclass
class Resolution:
    root_cause_category: str
    root_cause: str
    solution: str


@dataclass
class ResolveOutcome:
    applied: list[str]
    waiting: list[str]  # linked and open but not in analysis (yet, or any more): the decision is on record
    failed: dict[str, str]
    processes: int = 1  # how many processes shared the work


def resolve(incident_id: int, decision: Resolution | None, *, actor: str, at: datetime | None = None,
            stop_after: int | None = None, workers: int | None = None) -> ResolveOutcome:
    """Record the decision once (the first time) and apply it to every linked complaint waiting in analysis.

    Running it again (after an interruption, or once more complaints reached analysis) applies the same
    recorded decision to the complaints it has not reached; `stop_after` simulates an interruption.
    A large outage is shared among `workers` processes (default: the INCIDENT_WORKERS setting): the
    engine's work is CPU-bound, and each complaint is still its own transaction.
    """
    at = context.utc(at)
    incident = get_incident(incident_id)
    if incident.status == "open":
        _resolve_once(incident, decision, actor=actor, at=at)
        db.session.commit()
    step = _Step(incident.id, incident.title, incident.solution, actor, at,
                 {"incident_id": incident.id, "root_cause_category": incident.root_cause_category,
                  "root_cause": incident.root_cause, "solution": incident.solution})
    pending = [tuple(row) for row in db.session.execute(
        sa.select(IncidentLink.id, Complaint.id, Complaint.registration_number)
        .join(Complaint, Complaint.id == IncidentLink.complaint_id)
        .where(IncidentLink.incident_id == incident.id, IncidentLink.resolution_applied_at.is_(None),
               Complaint.status == "open").order_by(Complaint.id))]
    processes = 1 if stop_after is not None else _processes_for(len(pending), workers)
    if processes > 1:
        outcome = parallel.run_shares(_apply_share, [pending[i::processes] for i in range(processes)], step,
                                      merge=_merge, lost=functools.partial(_lost_share, step))
        outcome.processes = processes
        return outcome
    return _apply_each(pending, step, stop_after)


def _decision_values(decision: Resolution | None) -> dict[str, str]:
    """The decision as the incident stores it, or ValidationFailed."""
    if decision is None:
        raise ValidationFailed({"solution": "the decision is required"})
    errors = {k: "required" for k in ("root_cause_category", "root_cause", "solution")
              if not str(getattr(decision, k) or "").strip()}
    errors.update(text_rules.text_errors(vars(decision), single=("root_cause_category",),
                                         multi=("root_cause", "solution")))
    if errors:
        raise ValidationFailed(errors)
    return {"root_cause_category": decision.root_cause_category, "root_cause": decision.root_cause.strip(),
            "solution": decision.solution.strip()}


class ResolvedMeanwhile(ServiceError):
    """Someone else resolved the incident first, with another decision: theirs stands, this one is not kept."""

    def __init__(self, by: str | None, at: datetime | None):
        self.by, self.at = by, at
        super().__init__(f"the incident was resolved by {by} with another decision")


def request_application(incident_id: int, decision: Resolution | None, *, actor: str,
                        at: datetime | None = None) -> Incident:
    """Record the decision (on an open incident) and ask for it to be applied in the background.

    A decision posted to an incident already resolved is refused when it differs (`ResolvedMeanwhile`)
    and asks nothing more when it is the same (a double click).

    An outage of a thousand complaints takes longer than a web request should wait, so the page asks
    and the scheduler's incident job applies (`apply_requested`); asking again on a resolved incident
    reaches the linked complaints that came to analysis since.
    """
    at = context.utc(at)
    incident = get_incident(incident_id)
    recording = decision is not None or incident.status == "open"
    if recording and not _resolve_once(incident, decision, actor=actor, at=at):
        return incident  # the same decision again (a double click): the first request stands
    incident.application_requested_at, incident.application_requested_by = at, actor
    db.session.commit()
    return incident


def _resolve_once(incident: Incident, decision: Resolution | None, *, actor: str, at: datetime) -> bool:
    """Record the decision unless the incident is resolved already; False when it was, with this same decision.

    One conditional UPDATE, so of two people who press the button on the same open incident (or one who
    presses it twice) exactly one resolves it; a different decision arriving second is refused, not dropped.
    """
    values = _decision_values(decision)
    claimed = db.session.execute(
        sa.update(Incident).where(Incident.id == incident.id, Incident.status == "open")
        .values(status="resolved", resolved_by=actor, resolved_at=at, **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(incident)
    if claimed:
        return True
    db.session.rollback()
    if any(getattr(incident, name) != value for name, value in values.items()):
        raise ResolvedMeanwhile(incident.resolved_by, incident.resolved_at)
    return False


@dataclass(frozen=True)
class Progress:
    """How far the decision has got: complaints linked, reached, and not in analysis (no run reaches
    those until they come to it)."""

    linked: int
    applied: int
    outside_analysis: int


def application_progress(incident_id: int) -> Progress:
    in_analysis = sa.exists().where(HumanTask.complaint_id == IncidentLink.complaint_id, HumanTask.state == "ready",
                                    HumanTask.spec_name == ANALYSIS_TASK)
    not_applied = IncidentLink.resolution_applied_at.is_(None)
    linked, applied, outside = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(IncidentLink.resolution_applied_at),
                  sa.func.sum(sa.case((sa.and_(not_applied, ~in_analysis), 1), else_=0)))
        .where(IncidentLink.incident_id == incident_id)).one()
    return Progress(linked, applied, int(outside or 0))


# A scheduler that took a request and died leaves it taken this long; another one takes it after that.
APPLICATION_LEASE = timedelta(minutes=15)


def apply_requested(at: datetime | None = None) -> list[tuple[int, ResolveOutcome]]:
    """The scheduler's incident job: apply each requested decision and file the run's report.

    Each request is taken first (a lease on the incident, committed), so a second scheduler — a
    failover one, or `complaintflow` run by hand — leaves it alone instead of doing the same outage
    again and overwriting the report. A request made again while its run was going on stays, so the
    next run takes it; so does one whose run failed as a whole (logged), without holding up the other
    incidents' requests.
    """
    requests = db.session.execute(
        sa.select(Incident.id, Incident.application_requested_at, Incident.application_requested_by)
        .where(Incident.application_requested_at.is_not(None), Incident.status == "resolved")
        .order_by(Incident.application_requested_at, Incident.id)).all()
    db.session.rollback()
    reports = []
    for incident_id, requested_at, requested_by in requests:
        if not _take(incident_id, requested_at, context.utc(at)):
            continue
        mine = Incident.id == incident_id
        try:
            outcome = resolve(incident_id, None, actor=requested_by or "scheduler", at=at)
        except Exception:  # noqa: BLE001 - each complaint is its own transaction: what got done stays done
            db.session.rollback()
            log.exception("applying the decision of incident %s failed; the next run tries again", incident_id)
            db.session.execute(sa.update(Incident).where(mine).values(application_started_at=None))
            db.session.commit()
            continue
        db.session.execute(sa.update(Incident).where(mine).values(
            application_finished_at=context.utc(at), application_applied=len(outcome.applied),
            application_waiting=len(outcome.waiting), application_failed=len(outcome.failed),
            application_started_at=None))
        db.session.execute(sa.update(Incident).where(mine, Incident.application_requested_at == requested_at)
                           .values(application_requested_at=None))
        db.session.commit()
        reports.append((incident_id, outcome))
    return reports


def _take(incident_id: int, requested_at: datetime, now: datetime) -> bool:
    """Take the request for this run unless another scheduler holds it (its lease not yet run out)."""
    taken = db.session.execute(
        sa.update(Incident).where(
            Incident.id == incident_id, Incident.application_requested_at == requested_at,
            sa.or_(Incident.application_started_at.is_(None),
                   Incident.application_started_at < now - APPLICATION_LEASE))
        .values(application_started_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(taken)


@dataclass(frozen=True)
class _Step:
    """What applying the decision to one complaint needs (plain values: it crosses to worker processes)."""

    incident_id: int
    title: str
    solution: str
    actor: str
    at: datetime
    payload: dict


# Below this many complaints per process, starting a process costs more than it saves.
MIN_SHARE = 25


def _processes_for(count: int, workers: int | None) -> int:
    if workers is None:
        workers = int(current_app.config["INCIDENT_WORKERS"])
    if workers <= 0:
        workers = parallel.cores()
    if not parallel.can_fork(db.engine):
        return 1
    return max(1, min(workers, count // MIN_SHARE))


def _apply_each(pending: list[tuple[int, int, str]], step: _Step, stop_after: int | None,
                tick: Callable[[], None] | None = None) -> ResolveOutcome:
    outcome = ResolveOutcome([], [], {})
    for link_id, complaint_id, number in pending:
        if stop_after is not None and len(outcome.applied) >= stop_after:
            break
        if tick is not None:
            tick()  # a worker process says it is alive, one complaint at a time
        try:
            done = _apply(link_id, complaint_id, step)
        except (ProcedureFailure, StaleDataError, IntegrityError, OperationalError, ConcurrentUpdate) as exc:
            db.session.rollback()
            if isinstance(exc, ProcedureFailure):
                runtime.flag_failure(complaint_id, exc, at=step.at, actor=step.actor)
            outcome.failed[number] = str(exc)[:200]
            continue
        except Exception as exc:  # noqa: BLE001 - one complaint's bug must not stop the outage's other complaints
            # (the background job would fail on this complaint at every run, its request kept for ever and the
            # complaints after it never reached); it is reported failed and logged with its traceback.
            db.session.rollback()
            log.exception("applying incident %s's decision to %s failed", step.incident_id, number)
            outcome.failed[number] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        (outcome.applied if done else outcome.waiting).append(number)
    return outcome


def _apply_share(share: list[tuple[int, int, str]], step: _Step, tick: Callable[[], None]) -> ResolveOutcome:
    """In a worker process: one share of the outage, complaint by complaint."""
    return _apply_each(share, step, None, tick)


def _merge(outcomes: list[ResolveOutcome]) -> ResolveOutcome:
    merged = ResolveOutcome([], [], {})
    for outcome in outcomes:
        merged.applied.extend(outcome.applied)
        merged.waiting.extend(outcome.waiting)
        merged.failed.update(outcome.failed)
    return merged


def _lost_share(step: _Step, share: list[tuple[int, int, str]], reason: str) -> ResolveOutcome:
    """A worker process died mid-share: what it committed is done; the rest is untouched, for a run again."""
    ids = [link_id for link_id, _, _ in share]
    applied = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists, whatever the outage's size
        applied.update(db.session.scalars(sa.select(IncidentLink.id).where(
            IncidentLink.id.in_(ids[start:start + 1000]), IncidentLink.resolution_applied_at.is_not(None))))
    outcome = ResolveOutcome([], [], {})
    for link_id, _, number in share:
        if link_id in applied:
            outcome.applied.append(number)
        else:
            outcome.failed[number] = reason
    return outcome


def _apply(link_id: int, complaint_id: int, step: _Step) -> bool:
    """One complaint, one transaction: deliver the message if its analysis waits for it."""
    complaint = db.session.scalar(
        sa.select(Complaint).join(HumanTask, HumanTask.complaint_id == Complaint.id)
        .options(joinedload(Complaint.instance, innerjoin=True).joinedload(ProcessInstance.version, innerjoin=True))
        .where(Complaint.id == complaint_id, HumanTask.state == "ready", HumanTask.spec_name == ANALYSIS_TASK))
    if complaint is None or complaint.instance.status != "running":
        return False
    instance = complaint.instance
    run = runtime.load(instance)
    if not run.deliver_message(RESOLVED_MESSAGE, step.payload, at=step.at):
        return False
    # The step's first audit event, written in the same set-based insert as the events the run adds.
    applied = ("incident_resolution_applied",
               {"incident": step.incident_id, "title": step.title, "solution": step.solution})
    with parallel.write_turn():
        runtime.save_run(complaint, instance, run, at=step.at, actor=step.actor, opening=applied)
        db.session.execute(sa.update(IncidentLink).where(IncidentLink.id == link_id)
                           .values(resolution_applied_at=step.at))
        db.session.commit()
    return True


@dataclass
class IncidentFigure:
    incident: Incident
    complaints: int
    on_time: int
    decided: int


def per_incident(start: datetime | None = None, end: datetime | None = None) -> list[IncidentFigure]:
    """Complaints per incident (received in the period), with how many got their first decision on time."""
    notified, due = Complaint.first_decision_notified_at, Complaint.first_solution_due_at
    stmt = (sa.select(Incident, sa.func.count(Complaint.id),
                      sa.func.sum(sa.case((sa.and_(notified.is_not(None), notified <= due), 1), else_=0)),
                      sa.func.sum(sa.case((notified.is_not(None), 1), else_=0)))
            .join(IncidentLink, IncidentLink.incident_id == Incident.id)
            .join(Complaint, Complaint.id == IncidentLink.complaint_id)
            .group_by(Incident.id).order_by(sa.func.count(Complaint.id).desc(), Incident.id))
    if start is not None:
        stmt = stmt.where(Complaint.received_at >= start)
    if end is not None:
        stmt = stmt.where(Complaint.received_at < end)
    return [IncidentFigure(i, n, int(on or 0), int(dec or 0)) for i, n, on, dec in db.session.execute(stmt)]
