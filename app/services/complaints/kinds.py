"""The kind of a registration (complaint, request, opinion, thanks): read from an e-mail, corrected by staff.

The seed's procedure manages "istek, görüş ve şikâyetler" alike; the diagram branches on the process
variable `kind` (thanks are answered and closed; requests and opinions get their own deadlines). A
wrong kind at intake is corrected here: the complaint row, an audit event with the reason, and the
running workflow (every step still to come reads the corrected value) change in one transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.engine import ProcedureFailure
from app.extensions import db
from app.i18n import gettext
from app.models import KINDS, Complaint
from app.services import audit, context
from app.services.errors import ConcurrentUpdate, NotFound, ValidationFailed
from app.services.text_rules import multi_line_problem, normalise_newlines
from app.services.workflow import runtime

MAX_REASON = 1000
# Subject tags that choose the kind of a new e-mail (case-insensitive, at the start, in brackets):
# "[İstek] Hız paketi", "[Öneri] ...", "[Request] ...". Anything else is a complaint.
SUBJECT_TAGS = {
    "request": ("istek", "talep", "request"),
    "opinion": ("görüş", "öneri", "opinion", "suggestion"),
    "thanks": ("teşekkür", "thanks", "thank you"),
    "complaint": ("şikâyet", "şikayet", "complaint"),
}
_TAG = re.compile(r"^\s*\[([^\]]{1,20})\]")


def _fold(text: str) -> str:
    """Case-fold Turkish and English alike: 'İSTEK' and 'istek', 'ÖNERİ' and 'öneri' compare equal."""
    return text.replace("İ", "i").replace("I", "ı").casefold().replace("ı", "i").strip()


def kind_from_subject(subject: str | None) -> str:
    """The kind a new e-mail asks for by a leading subject tag; 'complaint' without a known tag."""
    match = _TAG.match(subject or "")
    if match:
        tag = _fold(match.group(1))
        for kind, words in SUBJECT_TAGS.items():
            if tag in {_fold(word) for word in words}:
                return kind
    return "complaint"


def correct_kind(complaint_id: int, kind: str, reason: str, *, actor: str, at: datetime | None = None) -> Complaint:
    """Change the kind, with a reason, in one transaction; the running workflow reads the new value.

    A deadline already computed stays as it is (it was promised to the customer); a step not yet
    reached — the kind gateway, the solution deadline — decides by the corrected kind.
    """
    at = context.utc(at)
    errors = {}
    if kind not in KINDS:
        errors["kind"] = gettext("Geçerli bir başvuru türü seçin (şikâyet, istek, görüş/öneri veya teşekkür).")
    reason = normalise_newlines((reason or "").strip()) if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = gettext("Düzeltmenin nedenini yazın.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = gettext("En fazla %(n)d karakter girilebilir.", n=MAX_REASON)
    elif multi_line_problem(reason):
        errors["reason"] = multi_line_problem(reason)
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    if not errors and kind == complaint.kind:
        errors["kind"] = gettext("Başvuru zaten bu türde.")
    if errors:
        raise ValidationFailed(errors)
    previous = complaint.kind
    try:
        complaint.kind, complaint.updated_at = kind, at
        audit.record(complaint.id, "kind_corrected", actor=actor, at=at,
                     data={"from": previous, "to": kind, "reason": reason})
        instance = complaint.instance
        if instance is not None and instance.status == "running":
            run = runtime.load(instance)
            run.set_variable("kind", kind)
            runtime.save_run(complaint, instance, run, at=at, actor=actor)
        db.session.commit()
    except ProcedureFailure as exc:
        db.session.rollback()
        raise runtime.flag_failure(complaint_id, exc, at=at, actor=actor) from exc
    except (StaleDataError, IntegrityError) as exc:
        db.session.rollback()
        raise ConcurrentUpdate("the complaint was changed by another request; try again") from exc
    except Exception:
        db.session.rollback()
        raise
    return complaint
