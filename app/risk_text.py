"""The at-risk estimate in one line, Turkish by default, English through the Babel catalog.

"Kalan adımlar geçmişte ortanca 2,5 iş günü sürdü; kalan süre 1 iş günü" — amounts under one business
day are given in business hours. The numbers come from the stored estimate (services.insight.risk).
"""

from __future__ import annotations

import json

from flask import current_app

from .i18n import format_decimal, ngettext
from .i18n import gettext as _
from .labels import task_name


def amount(hours: float) -> str:
    """Business hours as "2,5 iş günü" or "4 iş saati" (one decimal, the locale's separator)."""
    day = current_app.extensions["complaintflow"].calendar.day_length.total_seconds() / 3600
    value = round(hours / day, 1) if abs(hours) >= day else round(hours, 1)
    text = format_decimal(value, "#,##0.#")
    if abs(hours) >= day:
        return ngettext("%(n)s iş günü", "%(n)s iş günü", 1 if value == 1 else 2, n=text)
    return ngettext("%(n)s iş saati", "%(n)s iş saati", 1 if value == 1 else 2, n=text)


def risk_text(complaint) -> str:
    status = complaint.risk_status
    if status in ("at_risk", "on_track"):
        if complaint.risk_needed_hours is None or complaint.risk_left_hours is None:
            return ""  # a flag without its figures (written by hand or by an older estimate): no made-up numbers
        return _("Kalan adımlar geçmişte ortanca %(needed)s sürdü; kalan süre %(left)s",
                 needed=amount(complaint.risk_needed_hours), left=amount(max(0.0, complaint.risk_left_hours)))
    if status == "unknown":
        detail = json.loads(complaint.risk_detail_json or "{}")
        return _("Tahmin için geçmiş yetersiz (%(steps)s: %(min)d tamamlanmış örnek gerekir)",
                 steps=", ".join(task_name(step) for step in detail.get("short", [])), min=detail.get("min_samples", 0))
    if status == "overdue":
        return _("Süre aşıldı")
    return ""
