"""Turn an outbox row into an RFC 5322 message, rendered at delivery time from templates.

Templates live in app/templates/mail/<kind>.<language>.txt and .html; the text template sets
`subject`. Rendering late means a corrected template or address reaches mail still waiting, and the
signed links carry the sending instant (their expiry counts from when the customer got them).
"""

from __future__ import annotations

import json
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from flask import current_app

from app.engine.scripting import MESSAGE_KINDS
from app.extensions import db
from app.models import Complaint, OutboxMessage
from app.services import context
from app.services.complaints import links

LANGUAGES = ("tr", "en")
# Every message kind a diagram may send has templates here, in each language, as text and HTML.
KINDS = MESSAGE_KINDS
# Kinds carrying the accept/reject links, and kinds carrying the survey link.
ANSWER_KINDS = ("decision", "answer_reminder")
SURVEY_KINDS = ("survey", "closed_without_answer")
TARGET_DAYS = {"high": 1, "normal": 3, "low": 5}


def sender_address() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1]


def _domain() -> str:
    address = sender_address()
    return address.rpartition("@")[2] or "complaintflow.invalid"


def message_id_for(message: OutboxMessage, complaint: Complaint) -> str:
    """Stable per outbox row; carries the registration number so replies can be matched by it."""
    if message.message_id:
        return message.message_id
    return f"<{complaint.registration_number}.{message.kind}.{message.id}@{_domain()}>"


def thread_root(complaint: Complaint) -> str | None:
    """The complaint's first message: the customer's own e-mail, else our first mail to them."""
    if complaint.source_message_id:
        return complaint.source_message_id
    first = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id).order_by(OutboxMessage.id).limit(1)
    )
    return message_id_for(first, complaint) if first is not None else None


def _links(message: OutboxMessage, complaint: Complaint, at: datetime) -> dict:
    base = current_app.config["PUBLIC_BASE_URL"]
    found = {"tracking_url": f"{base}/takip"}
    if message.kind in ANSWER_KINDS:
        task = links.ready_answer_task(complaint)
        if task is not None:
            for action in links.ANSWER_ACTIONS:
                found[f"{action}_url"] = links.make_url(links.ANSWER, complaint, action=action, task=task, at=at)
    elif message.kind in SURVEY_KINDS:
        found["survey_url"] = links.make_url(links.SURVEY, complaint, at=at)
    return found


def _close_date(value, tz) -> str:
    """The answer deadline as the customer reads it (dd.mm.yyyy in business time), or ''."""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return instant.astimezone(tz).strftime("%d.%m.%Y") if instant.tzinfo else ""


def render(message: OutboxMessage, complaint: Complaint, at: datetime) -> tuple[str, str, str]:
    """(subject, text, html) in the complaint's language."""
    language = complaint.language if complaint.language in LANGUAGES else "tr"
    payload = json.loads(message.payload_json or "{}")
    tz = context.runtime().calendar.tz
    ctx = {
        "complaint": complaint,
        "number": complaint.registration_number,
        "customer_name": complaint.customer_name,
        "payload": payload,
        "solution": payload.get("solution") or complaint.solution or "",
        "target_days": TARGET_DAYS,
        "received_at": complaint.received_at.astimezone(tz),
        "sent_at": at.astimezone(tz),
        "link_days": current_app.config["LINK_MAX_AGE_DAYS"],
        "close_date": _close_date(payload.get("answer_close_due"), tz) if payload.get("answer_close_due") else "",
        **_links(message, complaint, at),
    }
    env = current_app.jinja_env
    text_module = env.get_template(f"mail/{message.kind}.{language}.txt").make_module(ctx)
    subject = str(getattr(text_module, "subject", message.kind)).strip()
    html = env.get_template(f"mail/{message.kind}.{language}.html").render(subject=subject, **ctx)
    return subject, str(text_module).strip() + "\n", html


def compose(message: OutboxMessage, complaint: Complaint, at: datetime) -> EmailMessage:
    """The complete message: multipart/alternative text + HTML, UTF-8, threaded headers."""
    subject, text, html = render(message, complaint, at)
    config = current_app.config
    mail = EmailMessage()
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = Address(display_name=complaint.customer_name or "", addr_spec=message.recipient)
    mail["Subject"] = f"[{complaint.registration_number}] {subject}"
    mail["Date"] = format_datetime(at.astimezone(context.runtime().calendar.tz))
    mail["Message-ID"] = message_id_for(message, complaint)
    mail["Reply-To"] = config["MAIL_REPLY_TO"] or config["MAIL_FROM"]
    root = thread_root(complaint)
    if root and root != mail["Message-ID"]:
        mail["In-Reply-To"] = root
        mail["References"] = root
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text, charset="utf-8", cte="quoted-printable")
    mail.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    mail["Content-Language"] = complaint.language or "tr"  # after set_content, which clears Content-*
    return mail
