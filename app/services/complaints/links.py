"""Signed links in customer mail: answer a decision, fill in the survey.

A token is signed with SECRET_KEY and a salt per purpose, so an answer token cannot pass as a survey
token. It carries the complaint and what makes it single-use: the customer-answer task's guid (the
link is spent once that task is no longer ready) or, for the survey, the complaint's one answer.
The time inside the token is the use case's instant, so tests and replays control expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.extensions import db
from app.models import Complaint, HumanTask, SurveyResponse
from app.services import context
from app.services.errors import ServiceError

ANSWER, SURVEY = "answer", "survey"
ANSWER_ACTIONS = ("accept", "reject")
ANSWER_TASK = "task_customer_answer"
_PATHS = {ANSWER: "yanit", SURVEY: "anket"}


class InvalidLink(ServiceError):
    """A link that cannot be used; `kind` is 'expired', 'tampered' or 'used' (for the page to explain)."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        super().__init__(f"link {kind}" + (f": {detail}" if detail else ""))


@dataclass(frozen=True)
class LinkClaim:
    complaint: Complaint
    purpose: str
    action: str | None
    task: HumanTask | None
    issued_at: datetime


class _InstantSigner(TimestampSigner):
    """A TimestampSigner whose clock is the caller's instant instead of time.time()."""

    def __init__(self, *args, instant: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._instant = instant

    def get_timestamp(self) -> int:
        return int(self._instant.timestamp()) if self._instant else super().get_timestamp()


def _serializer(purpose: str, at: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"complaintflow.link.{purpose}",
                                  signer=_InstantSigner, signer_kwargs={"instant": at})


def max_age() -> timedelta:
    return timedelta(days=current_app.config["LINK_MAX_AGE_DAYS"])


def ready_answer_task(complaint: Complaint) -> HumanTask | None:
    return db.session.scalar(
        sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.spec_name == ANSWER_TASK,
                                   HumanTask.state == "ready").order_by(HumanTask.id.desc()).limit(1)
    )


def make_token(purpose: str, complaint: Complaint, *, action: str | None = None, task: HumanTask | None = None,
               at: datetime | None = None) -> str:
    if purpose == ANSWER and (action not in ANSWER_ACTIONS or task is None):
        raise ValueError("an answer link needs an action (accept/reject) and the customer-answer task")
    payload = {"c": complaint.id, "p": purpose}
    if action:
        payload["a"] = action
    if task is not None:
        payload["t"] = task.task_guid
    return _serializer(purpose, context.utc(at)).dumps(payload)


def make_url(purpose: str, complaint: Complaint, **kwargs) -> str:
    token = make_token(purpose, complaint, **kwargs)
    return f"{current_app.config['PUBLIC_BASE_URL']}/{_PATHS[purpose]}/{token}"


def verify_token(token: str, purpose: str, *, at: datetime | None = None) -> LinkClaim:
    """The claim behind a token, or InvalidLink('tampered' | 'expired' | 'used')."""
    at = context.utc(at)
    try:
        payload, issued = _serializer(purpose, at).loads(token, max_age=int(max_age().total_seconds()),
                                                         return_timestamp=True)
    except SignatureExpired as exc:
        raise InvalidLink("expired") from exc
    except BadData as exc:
        raise InvalidLink("tampered") from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise InvalidLink("tampered", "wrong purpose")
    complaint = db.session.get(Complaint, payload.get("c"))
    if complaint is None:
        raise InvalidLink("tampered", "unknown complaint")
    task = None
    if purpose == ANSWER:
        task = db.session.scalar(sa.select(HumanTask).where(HumanTask.task_guid == payload.get("t")))
        if task is None or task.complaint_id != complaint.id:
            raise InvalidLink("tampered", "unknown task")
        if task.state != "ready":
            raise InvalidLink("used")
    elif db.session.scalar(sa.select(SurveyResponse.id).where(SurveyResponse.complaint_id == complaint.id)):
        raise InvalidLink("used")
    return LinkClaim(complaint=complaint, purpose=purpose, action=payload.get("a"), task=task, issued_at=issued)
