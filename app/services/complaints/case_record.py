"""The case file: what each step of the procedure produced, in stage order, labelled by the forms.

Everything is read from the audit trail (hash-chained, so it is the record) and labelled with the
JSON Schema of the step's form: a field an analyst adds to a form shows with its title and option
titles without a Python change. Labels stay in the forms' language; the web layer translates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from app.bilingual import localize_schema, node_text
from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask, OutboxMessage, ProcessVersion, SurveyResponse, User
from app.services.procedure import versions

# Where messages to the customer belong in the procedure.
MESSAGE_STAGES = {"acknowledgement": 2, "decision": 7, "answer_reminder": 8, "survey": 8, "closed_without_answer": 8,
                  "thanks": 8}
# A later step starts from what an earlier one wrote: field of the step's form ← field of earlier data.
PREFILL_FROM = {"solution": "proposed_solution"}


@dataclass
class Answer:
    """One labelled value of a step's outcome."""

    name: str
    title: str
    value: object
    kind: str  # text, long, choice, bool, datetime, number
    choice: str | None = None


@dataclass
class Outcome:
    kind: str  # registered, task, message, survey, closed, reopened
    stage: int | None
    round: int
    at: datetime
    actor: str
    title: str = ""
    form: str | None = None
    answers: list[Answer] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


@dataclass
class CustomerMail:
    at: datetime
    sender: str
    subject: str
    text: str
    verified: bool


@dataclass
class CaseFile:
    outcomes: list[Outcome] = field(default_factory=list)
    customer_mails: list[CustomerMail] = field(default_factory=list)
    rounds: int = 0

    def last_value(self, name: str, *, round: int | None = None, before_round: int | None = None):
        """The latest value a step wrote into `name` (optionally within one round or before one)."""
        for outcome in reversed(self.outcomes):
            if round is not None and outcome.round != round:
                continue
            if before_round is not None and outcome.round >= before_round:
                continue
            for answer in outcome.answers:
                if answer.name == name and answer.value not in (None, ""):
                    return answer.value
        return None


def _kind(prop: dict) -> str:
    if prop.get("type") == "boolean":
        return "bool"
    if "oneOf" in prop or "enum" in prop:
        return "choice"
    if prop.get("format") == "date-time":
        return "datetime"
    if prop.get("type") in ("integer", "number"):
        return "number"
    return "long" if prop.get("x-widget") == "textarea" else "text"


def _choice_title(prop: dict, value) -> str | None:
    for option in prop.get("oneOf", ()):
        if option.get("const") == value:
            return str(option.get("title", value))
    return None


def labelled(schema: dict | None, data: dict) -> list[Answer]:
    """The values of `data` in the form's field order, each with its title and option title."""
    props = (schema or {}).get("properties", {})
    answers = [Answer(name, str(prop.get("title") or name), data[name], _kind(prop), _choice_title(prop, data[name]))
               for name, prop in props.items() if name in data]
    answers += [Answer(name, name, value, "bool" if isinstance(value, bool) else "text")
                for name, value in data.items() if name not in props]
    return answers


def choice_titles(name: str, locale=None) -> dict[str, str]:
    """Option titles of the field `name` in every form of the live version, in `locale` where the
    option has it (`x-i18n`), else in the forms' language.

    Values no longer offered by the live version keep the title an older version gave them.
    """
    titles: dict[str, str] = {}
    rows = sa.select(ProcessVersion).options(load_only(
        ProcessVersion.number, ProcessVersion.is_live, ProcessVersion.content_hash, ProcessVersion.forms_json))
    for version in db.session.scalars(rows.order_by(ProcessVersion.is_live, ProcessVersion.number)):
        for schema in versions.forms_for(version).values():
            for option in ((schema.get("properties") or {}).get(name) or {}).get("oneOf", ()):
                if "const" in option and option.get("title"):
                    titles[str(option["const"])] = node_text(option, "title", locale)
    return titles


def forms_of(complaint: Complaint, locale=None) -> dict[str, dict]:
    """The forms of the complaint's version, their texts in `locale` where they have it (Turkish by default)."""
    instance = complaint.instance
    forms = versions.forms_for(instance.version) if instance is not None and instance.version is not None else {}
    return {name: localize_schema(schema, locale) for name, schema in forms.items()} if locale else forms


def case_file(complaint: Complaint, locale=None) -> CaseFile:
    """Every stage's outcome, in stage order within each round of evaluation (a reopen starts a round)."""
    forms = forms_of(complaint, locale)
    stage_of = dict(db.session.execute(sa.select(HumanTask.spec_name, HumanTask.iso_stage)
                                       .where(HumanTask.complaint_id == complaint.id)).all())
    messages = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)
                                       .order_by(OutboxMessage.created_at, OutboxMessage.id)))
    survey = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.complaint_id == complaint.id))
    case = CaseFile()
    for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id)
                                    .order_by(AuditEvent.seq)):
        data = json.loads(event.data_json or "{}")
        outcome = _outcome(event, data, case.rounds, forms, stage_of, messages, survey)
        if event.action == "reopened":
            case.rounds += 1
            outcome = Outcome("reopened", None, case.rounds, event.at, event.actor)
        elif event.action == "customer_message":
            case.customer_mails.append(CustomerMail(event.at, data.get("from", ""), data.get("subject", ""),
                                                    data.get("text", ""), bool(data.get("sender_authenticated"))))
        if outcome is not None:
            case.outcomes.append(outcome)
    case.outcomes.sort(key=_stage_order)
    return case


def _stage_order(outcome: Outcome):
    """Rounds in turn; a round opens with its reopen, then stages 1-8; what has no stage goes last."""
    if outcome.kind == "reopened":
        return outcome.round, 0, outcome.at
    return outcome.round, outcome.stage if outcome.stage is not None else 9, outcome.at


def _outcome(event: AuditEvent, data: dict, round: int, forms: dict, stage_of: dict, messages: list,
             survey: SurveyResponse | None) -> Outcome | None:
    base = {"round": round, "at": event.at, "actor": event.actor}
    if event.action == "registered":
        return Outcome("registered", 1, facts={"channel": data.get("channel")}, **base)
    if event.action == "task_completed":
        form = data.get("form")
        return Outcome("task", stage_of.get(data.get("spec")), title=data.get("task", ""), form=form,
                       answers=labelled(forms.get(form), data.get("data") or {}), **base)
    if event.action in ("message_queued", "message_skipped"):
        kind = data.get("kind", "")
        message = next((m for m in messages if m.kind == kind), None)
        if message is not None:
            messages.remove(message)
        facts = {"message": kind, "recipient": message.recipient if message else None,
                 "status": "skipped" if event.action == "message_skipped" else (message.status if message else None),
                 "sent_at": message.sent_at if message else None}
        return Outcome("message", MESSAGE_STAGES.get(kind), facts=facts, **base)
    if event.action == "survey_answered":
        return Outcome("survey", 8, facts={"score": data.get("score"), "solved": data.get("solved"),
                                           "comment": survey.comment if survey else None}, **base)
    if event.action == "closed":
        return Outcome("closed", 8, facts={"outcome": data.get("outcome")}, **base)
    return None


def step_needs(task: HumanTask, case: CaseFile) -> dict:
    """What a step needs from earlier ones: the re-evaluation the customer's reason and the previous
    solution, the response the proposed solution, the notification and the answer the decision."""
    complaint = task.complaint
    needs: dict = {}
    stage = task.iso_stage
    if stage == 5 and case.rounds:
        needs["rejection_reason"] = case.last_value("rejection_reason", before_round=case.rounds)
        needs["previous_solution"] = case.last_value("solution", before_round=case.rounds) or complaint.solution
    if stage is not None and stage >= 7 and complaint.solution:
        needs["decision"] = complaint.solution
    return {k: v for k, v in needs.items() if v}


def prefill(schema: dict | None, case: CaseFile) -> dict[str, str]:
    """Starting values for a step's form from what this round already wrote (e.g. the proposed solution)."""
    props = (schema or {}).get("properties", {})
    values = {}
    for name, source in PREFILL_FROM.items():
        if name in props:
            value = case.last_value(source, round=case.rounds)
            if value:
                values[name] = str(value)
    return values


def display_names(usernames) -> dict[str, str]:
    """Staff full names for the usernames recorded as actors."""
    names = [u for u in set(usernames) if u and ":" not in u]
    if not names:
        return {}
    return dict(db.session.execute(sa.select(User.username, User.full_name).where(User.username.in_(names))).all())
