"""Deadlines in words: the due instant, and what is left (or overdue) in business and calendar time.

Turkish by default, English through the Babel catalog; counts use ngettext so English says
"1 business day" and "2 business days". At most two units are shown and a zero unit is left out
("9 business hours", not "9 h 0 min").
"""

from __future__ import annotations

from datetime import datetime

from .i18n import format_datetime, ngettext
from .i18n import gettext as _
from .services.workflow.deadlines import DeadlineStatus, deadline_status


def _business_units(days: int, hours: int, minutes: int) -> list[str]:
    return [ngettext("%(num)d iş günü", "%(num)d iş günü", days) if days else "",
            ngettext("%(num)d iş saati", "%(num)d iş saati", hours) if hours else "",
            ngettext("%(num)d dakika", "%(num)d dakika", minutes) if minutes else ""]


def _calendar_units(days: int, hours: int, minutes: int) -> list[str]:
    return [ngettext("%(num)d gün", "%(num)d gün", days) if days else "",
            ngettext("%(num)d saat", "%(num)d saat", hours) if hours else "",
            ngettext("%(num)d dakika", "%(num)d dakika", minutes) if minutes else ""]


def _two_largest(units: list[str]) -> str:
    """The largest non-zero unit and the one right after it ("2 days 3 hours", never "2 days 5 minutes")."""
    for i, unit in enumerate(units):
        if unit:
            return " ".join(u for u in units[i:i + 2] if u)
    return ""


def business_text(status: DeadlineStatus) -> str:
    return _two_largest(_business_units(*status.business_parts))


def calendar_text(status: DeadlineStatus) -> str:
    return _two_largest(_calendar_units(*status.calendar_parts)) or _("1 dakikadan az")


def due_text(due: datetime | None) -> str:
    """The due instant with its weekday, in the business time zone: "Pzt 30.11.2026 18:00"."""
    return "–" if due is None else format_datetime(due, "EEE dd.MM.yyyy HH:mm")


def left_text(status: DeadlineStatus | datetime | None) -> str:
    """"1 iş günü kaldı (takvimde 20 saat 44 dakika)" / "Süre aşıldı: 3 iş saati geçti (takvimde 2 gün 1 saat)".

    Takes a computed status or a due instant (measured from the desk clock's now).
    """
    if isinstance(status, datetime):
        status = deadline_status(status)
    if status is None:
        return "–"
    business, calendar = business_text(status), calendar_text(status)
    if status.overdue:
        if not business:
            return _("Süre aşıldı: mesai dışında, takvimde %(calendar)s önce", calendar=calendar)
        return _("Süre aşıldı: %(business)s geçti (takvimde %(calendar)s)", business=business, calendar=calendar)
    if not business:
        return _("İş süresi kalmadı (takvimde %(calendar)s kaldı)", calendar=calendar)
    return _("%(business)s kaldı (takvimde %(calendar)s)", business=business, calendar=calendar)
