"""What the customer answers: the decision (stage 8) and the satisfaction survey (ISO 10004).

Both accept a signed link token (the portal pages and mail links) or a complaint (staff on the
phone, the e-mail channel). The answer goes through `tasks.complete_task` like any staff task, so
the workflow, inbox, audit and outbox change in the same one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import gettext
from app.models import Complaint, HumanTask, SurveyResponse
from app.services import audit, context
from app.services.complaints import links
from app.services.errors import TaskAlreadyCompleted, ValidationFailed
from app.services.text_rules import multi_line_problem, normalise_newlines
from app.services.workflow import tasks

CUSTOMER_ACTOR = "customer"
MAX_TEXT = 5000


def _answer_task(token_or_complaint: str | Complaint, at: datetime) -> tuple[Complaint, HumanTask, str | None]:
    if isinstance(token_or_complaint, str):
        claim = links.verify_token(token_or_complaint, links.ANSWER, at=at)
        return claim.complaint, claim.task, claim.action
    task = links.ready_answer_task(token_or_complaint)
    if task is None:
        raise links.InvalidLink("used", "the complaint is not waiting for the customer's answer")
    return token_or_complaint, task, None


def record_customer_answer(token_or_complaint: str | Complaint, accepted: bool | None = None,
                           reason: str | None = None, at: datetime | None = None, *,
                           actor: str = CUSTOMER_ACTOR) -> Complaint:
    """Accept (→ closed, survey queued) or reject with a reason (→ re-evaluation, reopen count +1).

    `accepted=None` takes the action carried by the link. Raises links.InvalidLink or ValidationFailed.
    """
    at = context.utc(at)
    complaint, task, action = _answer_task(token_or_complaint, at)
    if accepted is None:
        if action is None:
            raise ValueError("say whether the customer accepted")
        accepted = action == "accept"
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise ValidationFailed({"rejection_reason": gettext("Lütfen çözümü neden yeterli bulmadığınızı yazın.")})
    if len(reason) > MAX_TEXT:
        raise ValidationFailed({"rejection_reason": gettext("En fazla %(n)d karakter girilebilir.", n=MAX_TEXT)})
    data = {"answer": "accepted"} if accepted else {"answer": "rejected", "rejection_reason": reason}
    try:
        tasks.complete_task(task.id, data, actor=actor, at=at)
    except TaskAlreadyCompleted as exc:  # answered a moment ago, by the other link or by phone
        raise links.InvalidLink("used") from exc
    return complaint


def record_survey(token_or_complaint: str | Complaint, score: int, solved: bool, comment: str | None = None,
                  at: datetime | None = None) -> SurveyResponse:
    """Store the one survey answer of a complaint; a second one raises InvalidLink('used')."""
    at = context.utc(at)
    if isinstance(token_or_complaint, str):
        complaint = links.verify_token(token_or_complaint, links.SURVEY, at=at).complaint
    else:
        complaint = token_or_complaint
    errors = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = gettext("Lütfen 1 ile 5 arasında bir puan seçin.")
    if not isinstance(solved, bool):
        errors["solved"] = gettext("Lütfen sorununuzun çözülüp çözülmediğini belirtin.")
    comment = normalise_newlines((comment or "").strip()) or None
    if comment and len(comment) > MAX_TEXT:
        errors["comment"] = gettext("En fazla %(n)d karakter girilebilir.", n=MAX_TEXT)
    elif comment and multi_line_problem(comment):
        errors["comment"] = multi_line_problem(comment)
    if errors:
        raise ValidationFailed(errors)
    response = SurveyResponse(complaint_id=complaint.id, score=score, solved=solved, comment=comment,
                              answered_at=at)
    try:
        db.session.add(response)
        db.session.flush()
        audit.record(complaint.id, "survey_answered", actor=CUSTOMER_ACTOR, at=at,
                     data={"score": score, "solved": solved})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise links.InvalidLink("used", "the survey was already answered") from exc
    except Exception:
        db.session.rollback()
        raise
    return response
