"""Durable state: process versions, instances, the inbox projection, complaints, audit and outbox.

Workflow state lives in `process_instance.state_json` (without the spec, which is stored once per
version); everything the inbox, lists and figures read is projected into plain indexed columns so
that no list ever deserializes a workflow.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import clock
from .extensions import db

# What a customer brings (the seed: "istek, görüş ve şikâyetler", and thanks); the diagram's `kind`.
KINDS = ("complaint", "request", "opinion", "thanks")


def utcnow() -> datetime:
    return clock.now()


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no offset, so store naive UTC there)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ProcessVersion(db.Model):
    """One deployable version of the procedure: BPMN, its forms and the parsed spec, stored once."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    process_id: Mapped[str] = mapped_column(sa.String(100))
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Large texts are loaded only when needed: run-time code reads the parsed spec from the cache.
    bpmn_xml: Mapped[str] = mapped_column(sa.Text, deferred=True)
    forms_json: Mapped[str] = mapped_column(sa.Text, deferred=True)
    spec_json: Mapped[str] = mapped_column(sa.Text, deferred=True)
    # DMN files (name → XML) deployed with the diagram; the parsed spec already holds their tables.
    decisions_json: Mapped[str] = mapped_column(sa.Text, deferred=True, default="{}", server_default="{}")
    is_live: Mapped[bool] = mapped_column(default=False, index=True)
    author: Mapped[str] = mapped_column(sa.String(100))
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessInstance(db.Model):
    """A running (or finished) complaint procedure; `lock_version` guards against lost updates."""

    __tablename__ = "process_instance"
    # The sweep asks "running and due before now, earliest first": one index answers it without a sort.
    __table_args__ = (sa.Index("ix_process_instance_due", "status", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="running", index=True)
    state_json: Mapped[str] = mapped_column(sa.Text)
    lock_version: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class User(UserMixin, db.Model):
    """A staff member; roles are a space-separated list of role codes."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    roles: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised on sign-out, password, role change and deactivation: every session issued before is void.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def role_set(self) -> set[str]:
        return set(self.roles.split())

    def get_id(self) -> str:
        """Flask-Login's alternative id: the session names the epoch it was issued in, not just the user."""
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot sign in
        return self.active


class Complaint(db.Model):
    """The complaint as staff, customers and figures see it; kept in step with its workflow."""

    __tablename__ = "complaint"
    # The complaints by risk: the inbox reads the at-risk ones' ids (a few percent of the open ones), and
    # checks its complaint filters, from this index without touching the rows.
    # The partial index is PostgreSQL's "is this complaint at risk" when it walks open tasks in due order
    # (tiny, answered without the row); the query spells its condition as the literal 'at_risk'.
    __table_args__ = (sa.Index("ix_complaint_risk", "risk_status", "id", "channel", "priority", "kind"),
                      sa.Index("ix_complaint_at_risk", "id", sqlite_where=sa.text("risk_status = 'at_risk'"),
                               postgresql_where=sa.text("risk_status = 'at_risk'")))

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    # Scoped to its caller ("portal:", "staff:<id>:", "api:<token id>:", "mail:"); see services.idempotency.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    # SHA-256 of the request that used the key: the same key with another body is refused.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    instance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_instance.id"), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(20), index=True)
    # What the customer brought (the seed's "istek, görüş ve şikâyetler"): 'complaint', 'request',
    # 'opinion' or 'thanks'. The diagram reads it as `kind`; the ISO 10002 figures count complaints only.
    kind: Mapped[str] = mapped_column(sa.String(20), default="complaint", server_default="complaint",
                                      index=True)
    customer_name: Mapped[str] = mapped_column(sa.String(200))
    customer_phone: Mapped[str | None] = mapped_column(sa.String(40))
    customer_email: Mapped[str | None] = mapped_column(sa.String(254))
    preferred_contact: Mapped[str] = mapped_column(sa.String(20))
    subscription_number: Mapped[str | None] = mapped_column(sa.String(50))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    priority: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    # Inputs of the priority decision table, given at intake (defaults: 'other', 'individual').
    service_impact: Mapped[str] = mapped_column(sa.String(20), default="other", server_default="other")
    customer_segment: Mapped[str] = mapped_column(sa.String(20), default="individual", server_default="individual")
    # The earlier complaint of the same customer and category this one repeats (found at registration).
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint.id"))
    # The priority the decision table suggested; `priority` is the handler's choice.
    suggested_priority: Mapped[str | None] = mapped_column(sa.String(10))
    # The handler chose another priority than the suggestion (the reason is in the audit trail).
    priority_overridden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    root_cause_category: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    solution: Mapped[str | None] = mapped_column(sa.Text)
    stage: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledgement_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decision_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How a closed complaint ended: 'accepted' (the customer accepted the solution) or 'no_answer' (closed
    # by the diagram's timer after the customer never answered); the figures count them apart.
    closure_outcome: Mapped[str | None] = mapped_column(sa.String(20))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Language of the customer's mail and pages ('tr' or 'en').
    language: Mapped[str] = mapped_column(sa.String(5), default="tr", server_default="tr")
    # Message-ID of the customer's e-mail that opened the complaint: our mails thread under it.
    source_message_id: Mapped[str | None] = mapped_column(sa.String(255))
    # First-proposal facts for the ISO 10002 figures: a reopen overwrites solution_due_at and
    # decision_notified_at, so the first round is kept here (set once by services.runtime).
    first_solution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_decision_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Any acknowledgement or solution deadline missed, ever (the review list's "ever breached").
    deadline_breached: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    # Set when diagram code failed or was stopped on this complaint (the step was not saved): the
    # representative sees it until a later step succeeds.
    attention_reason: Mapped[str | None] = mapped_column(sa.String(500))
    attention_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # KVKK: when the personal data and free text were removed (retention or a data-subject request).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # At risk of missing the current deadline, estimated by the scheduler (services.insight.risk), never
    # per page view: 'at_risk', 'on_track', 'overdue', 'unknown' (too little history) or None (no
    # deadline running). Hours are business hours; `risk_detail_json` holds the steps behind the estimate.
    risk_status: Mapped[str | None] = mapped_column(sa.String(20))
    risk_needed_hours: Mapped[float | None] = mapped_column(sa.Float)
    risk_left_hours: Mapped[float | None] = mapped_column(sa.Float)
    risk_detail_json: Mapped[str | None] = mapped_column(sa.Text)
    risk_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[ProcessInstance | None] = relationship()
    repeat_of: Mapped[Complaint | None] = relationship(remote_side=[id], foreign_keys=[repeat_of_id])


class HumanTask(db.Model):
    """The inbox projection: one row per user task, written on every save of its instance."""

    __tablename__ = "human_task"
    # One index per way the inbox reads a page (services.inbox): by lane, by assignee, or every open
    # task, each in due or age order with the id as tie-break, so a page is a range read, never a sort.
    __table_args__ = (sa.Index("ix_human_task_lane_due", "state", "lane", "due_at", "id"),
                      sa.Index("ix_human_task_lane_age", "state", "lane", "created_at", "id"),
                      sa.Index("ix_human_task_assignee_due", "assignee_id", "state", "due_at", "id"),
                      sa.Index("ix_human_task_assignee_age", "assignee_id", "state", "created_at", "id"),
                      # complaint_id last: the representative's walk in due order checks each row's complaint
                      # (at risk or not) from the index alone.
                      sa.Index("ix_human_task_open_due", "state", "due_at", "id", "complaint_id"),
                      sa.Index("ix_human_task_open_age", "state", "created_at", "id"),
                      # A complaint's open tasks in due order, read without the rows (the at-risk complaints' tasks).
                      sa.Index("ix_human_task_complaint_open", "complaint_id", "state", "due_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"), index=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"))
    task_guid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    spec_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(255))
    form: Mapped[str | None] = mapped_column(sa.String(100))
    lane: Mapped[str | None] = mapped_column(sa.String(200))
    iso_stage: Mapped[int | None]
    escalation: Mapped[str | None] = mapped_column(sa.String(50))
    # The diagram's instructionsForEndUser, filled in with the task's data when it became ready
    # (e.g. the decision text the phone step reads out). Plain text; escaped on output.
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(20), default="ready")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(sa.String(100))

    complaint: Mapped[Complaint] = relationship()
    assignee: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """Append-only history of a complaint; each event carries the hash of the one before it."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.UniqueConstraint("complaint_id", "seq", name="uq_audit_event_complaint_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(50))
    data_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class OutboxMessage(db.Model):
    """A message to a customer, written with the state change and delivered after commit."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    payload_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DayOff(db.Model):
    """An extra day off the public-holiday list does not know (administrative leave, bridge day)."""

    __tablename__ = "day_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistrationCounter(db.Model):
    """Last registration number handed out per year (SK-2026-000001, ...)."""

    __tablename__ = "registration_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class ComplaintNote(db.Model):
    """An internal note on a complaint, visible to staff only."""

    __tablename__ = "complaint_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    author: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(db.Model):
    """A file kept with a complaint, stored outside the web root under ATTACHMENT_DIR."""

    __tablename__ = "attachment"
    __table_args__ = (sa.UniqueConstraint("complaint_id", "sha256", name="uq_attachment_complaint_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_path: Mapped[str] = mapped_column(sa.String(500))
    uploaded_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(db.Model):
    """Password guesses per account name (known or not), whatever the client address.

    `failures` counts guesses since the last wait; reaching the limit makes the account wait until
    `blocked_until`, each wait twice the one before (`strikes`), up to a cap.
    """

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    strikes: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SurveyResponse(db.Model):
    """The customer's satisfaction survey answer (ISO 10004): one per complaint."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_survey_response_score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), unique=True)
    score: Mapped[int]
    solved: Mapped[bool]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessDraft(db.Model):
    """An analyst's unfinished change of the procedure: diagram + forms, with the gate's last verdict.

    Drafts are kept apart from `process_version` so that a version is always a deployable, parsed
    procedure; deploying a draft that passes the gate creates (or reuses) a version.
    """

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_version.id"))
    bpmn_xml: Mapped[str] = mapped_column(sa.Text)
    forms_json: Mapped[str] = mapped_column(sa.Text)
    decisions_json: Mapped[str] = mapped_column(sa.Text, default="{}", server_default="{}")
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    problems_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    author: Mapped[str] = mapped_column(sa.String(100))
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_version.id"))

    base_version: Mapped[ProcessVersion | None] = relationship(foreign_keys=[base_version_id])
    deployed_version: Mapped[ProcessVersion | None] = relationship(foreign_keys=[deployed_version_id])


class ApiToken(db.Model):
    """A bearer token of one integration (call centre, billing); only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    roles: Mapped[str] = mapped_column(sa.String(200), default="")
    # The integration acts through an inactive service account (it can claim tasks, never sign in).
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def role_set(self) -> set[str]:
        return set(self.roles.split())


class PersonalDataView(db.Model):
    """KVKK access log: who saw which complaint's personal data, when, on which page, from where."""

    __tablename__ = "personal_data_view"
    __table_args__ = (sa.Index("ix_personal_data_view_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(sa.String(100))
    context: Mapped[str] = mapped_column(sa.String(100))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRecord(db.Model):
    """KVKK: the customer's explicit consent given on the public form — which notice text, when, in which language."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), unique=True)
    notice_version: Mapped[str] = mapped_column(sa.String(40))
    notice_sha256: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(5))
    source: Mapped[str] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupAttempt(db.Model):
    """A counted portal attempt: a failed status lookup (scopes "ip" and "number") or a complaint form
    post (scope "form_ip"), each limited within its own window."""

    __tablename__ = "lookup_attempt"
    __table_args__ = (sa.Index("ix_lookup_attempt_key", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(10))
    key: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MailMessage(db.Model):
    """An e-mail from outside, filed on a complaint as staff read it (sender, date, subject, text).

    `dedupe_key` (Message-ID + sender + content hash) recognises the MTA delivering the same message
    twice; a reused Message-ID from someone else, or with other words, is a new message.
    `sender_check` says whether the sender may speak for the complaint: `verified` (the address on
    record, authenticated by our MTA when that check is on), `address_differs` or `not_authenticated`.
    Attachments of an unverified reply are not filed: the whole message is kept in the mail
    quarantine (`held_as`) and the names are listed here.
    """

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    sender: Mapped[str] = mapped_column(sa.String(254))
    sender_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender_check: Mapped[str] = mapped_column(sa.String(20))
    authentication: Mapped[str] = mapped_column(sa.String(200), default="")
    outcome: Mapped[str] = mapped_column(sa.String(20))
    held_attachments_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    held_as: Mapped[str | None] = mapped_column(sa.String(255))

    @property
    def verified(self) -> bool:
        return self.sender_check == "verified"

    @property
    def held_attachments(self) -> list[str]:
        return json.loads(self.held_attachments_json or "[]")


class JobRun(db.Model):
    """The last run of each scheduler job (timer sweep, outbox, retention, audit check): the scheduler's
    heartbeat for readiness probes and metrics. One row per job, overwritten on each run."""

    __tablename__ = "job_run"

    job: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str] = mapped_column(sa.String(500), default="")


class DeadlineForecast(db.Model):
    """One deadline of one complaint as the at-risk estimate saw it, kept to measure the estimate.

    Written by the recompute job: `flagged_at` is the first time it was flagged at risk before it fell
    due; `outcome` ('met', 'missed' or 'void' for a cancelled complaint) is set once the deadline's
    steps are done or it has passed. Precision and recall of the flags are counted over these rows.
    """

    __tablename__ = "deadline_forecast"
    __table_args__ = (sa.UniqueConstraint("complaint_id", "due_at", name="uq_deadline_forecast_due"),
                      sa.Index("ix_deadline_forecast_outcome", "outcome", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    deadline: Mapped[str] = mapped_column(sa.String(50))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    priority: Mapped[str | None] = mapped_column(sa.String(10))
    first_estimated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Incident(db.Model):
    """An outage (arıza kaydı): many complaints, one cause; its resolution is decided once for all of them.

    The region is a list of districts / neighbourhoods and / or of service (subscription) numbers, one
    per line; `service` is the complaint category the outage concerns (empty: any).
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    service: Mapped[str | None] = mapped_column(sa.String(40))
    districts: Mapped[str] = mapped_column(sa.Text, default="")
    service_numbers: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    root_cause_category: Mapped[str | None] = mapped_column(sa.String(40))
    root_cause: Mapped[str | None] = mapped_column(sa.Text)
    solution: Mapped[str | None] = mapped_column(sa.Text)
    opened_by: Mapped[str] = mapped_column(sa.String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Applying the decision runs in the background (the scheduler's incident job): a request waits here
    # until a run has taken it, and the last run leaves its report (how many applied, waiting, failed).
    application_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_requested_by: Mapped[str | None] = mapped_column(sa.String(100))
    # Set by the scheduler that took the request (a lease: another one leaves it alone until it is old).
    application_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_applied: Mapped[int] = mapped_column(default=0, server_default="0")
    application_waiting: Mapped[int] = mapped_column(default=0, server_default="0")
    application_failed: Mapped[int] = mapped_column(default=0, server_default="0")


class IncidentLink(db.Model):
    """A complaint linked to an incident (at most one); `resolution_applied_at` marks the complaint the
    incident's decision has reached, so running the resolution again skips it."""

    __tablename__ = "incident_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id"), index=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), unique=True)
    how: Mapped[str] = mapped_column(sa.String(20))
    linked_by: Mapped[str] = mapped_column(sa.String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship()
