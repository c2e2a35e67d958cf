"""The priority the decision table suggests, and the handler's override of it (with a reason).

The business rule task `priority_suggestion` writes `suggested_priority` before classification; the
app mirrors it into the complaint. A handler who picks another priority must say why: the reason goes
to the audit trail and the complaint is counted among the overrides in the figures.
"""

from __future__ import annotations

from app.i18n import gettext
from app.models import Complaint
from app.services.errors import ValidationFailed

REASON_FIELD = "priority_override_reason"
MAX_REASON = 2000


def override(complaint: Complaint, data: dict) -> dict | None:
    """The audit data of an override in this form submission, or None when there is none.

    Raises ValidationFailed when the chosen priority differs from the suggestion without a reason."""
    suggested, chosen = complaint.suggested_priority, data.get("priority")
    if not suggested or chosen is None or chosen == suggested:
        data.pop(REASON_FIELD, None)
        return None
    reason = data.get(REASON_FIELD)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed({REASON_FIELD: gettext(
            "Önerilen öncelikten farklı bir öncelik seçtiniz; gerekçesini yazın.")})
    return {"suggested": suggested, "chosen": chosen, "reason": reason[:MAX_REASON]}


def form_defaults(schema: dict | None, complaint: Complaint) -> dict[str, str]:
    """A form that asks for the priority starts at the suggestion (and the category given at intake)."""
    props = (schema or {}).get("properties", {})
    values = {}
    if "priority" in props and complaint.suggested_priority and complaint.priority is None:
        values["priority"] = complaint.suggested_priority
    if "category" in props and complaint.category:
        values["category"] = complaint.category
    return values
