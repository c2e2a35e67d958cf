"""Every stored code a person may see, in words: Turkish labels, English through the Babel catalog.

Fixed codes (roles, channels, states, audit actions) are listed here; values a form offers (category,
root cause and any option an analyst adds) are titled by the live version's JSON Schemas, so a new
option shows with its own title without a Python change. A code never reaches the page as stored.
"""

from __future__ import annotations

from .i18n import gettext as _
from .i18n import lazy_gettext as _l

ROLE_LABELS = {
    "intake": _l("Şikâyet kabul personeli"),
    "handler": _l("Şikâyet uzmanı"),
    "representative": _l("Yönetim temsilcisi"),
    "analyst": _l("Süreç analisti"),
    "quality_manager": _l("Kalite yöneticisi"),
    "admin": _l("Sistem yöneticisi"),
    "auditor": _l("Denetçi (salt okunur)"),
}
CHANNEL_LABELS = {
    "telefon": _l("Telefon"),
    "faks": _l("Faks"),
    "eposta": _l("E-posta"),
    "posta_kargo": _l("Posta/Kargo"),
    "yuz_yuze": _l("Yüz yüze"),
    "anket": _l("Anket"),
    "web": _l("Web"),
}
# What the customer brought (Complaint.kind; the seed's "istek, görüş ve şikâyetler").
KIND_LABELS = {
    "complaint": _l("Şikâyet"),
    "request": _l("İstek"),
    "opinion": _l("Görüş/öneri"),
    "thanks": _l("Teşekkür"),
}
STAFF_CHANNELS = ("telefon", "faks", "eposta", "posta_kargo", "yuz_yuze", "anket")
CONTACT_LABELS = {"eposta": _l("E-posta"), "telefon": _l("Telefon")}
PRIORITY_LABELS = {"high": _l("Yüksek"), "normal": _l("Normal"), "low": _l("Düşük")}
STATUS_LABELS = {"open": _l("Açık"), "closed": _l("Kapandı")}
# Inputs of the priority decision table (services.complaints.SERVICE_IMPACTS, CUSTOMER_SEGMENTS).
SERVICE_IMPACT_LABELS = {"no_service": _l("Hizmet yok"), "degraded": _l("Hizmet aksıyor"),
                         "billing": _l("Fatura / ödeme"), "other": _l("Diğer")}
SEGMENT_LABELS = {"individual": _l("Bireysel"), "corporate": _l("Kurumsal")}
# How a closed complaint ended (the diagram's closure_outcome).
OUTCOME_LABELS = {"accepted": _l("Çözüm kabul edildi"), "no_answer": _l("Yanıt alınmadan kapatıldı"),
                  "thanked": _l("Teşekkür yanıtlandı")}
TASK_STATE_LABELS = {"ready": _l("bekliyor"), "completed": _l("tamamlandı"), "cancelled": _l("iptal edildi"),
                     "closed": _l("kapandı")}
ESCALATION_LABELS = {"acknowledgement": _l("Alındı bildirimi süresi aşıldı"),
                     "solution_deadline": _l("Çözüm süresi aşıldı"),
                     "reopen_limit": _l("Yeniden açılma sınırı aşıldı")}
YES_NO = {True: _l("Evet"), False: _l("Hayır")}
ACTION_LABELS = {
    "registered": _l("Şikâyet kaydedildi"),
    "kind_corrected": _l("Başvuru türü düzeltildi"),
    "task_completed": _l("Görev tamamlandı"),
    "task_claimed": _l("Görev üstlenildi"),
    "task_unclaimed": _l("Görev bırakıldı"),
    "task_assigned": _l("Görev atandı"),
    "escalation_raised": _l("Süre aşımı: temsilciye bildirildi"),
    "reopened": _l("Şikâyet yeniden açıldı"),
    "priority_overridden": _l("Önerilen öncelik değiştirildi"),
    "closed": _l("Şikâyet kapatıldı"),
    "message_queued": _l("Müşteriye mesaj kuyruğa alındı"),
    "message_skipped": _l("Müşteriye mesaj gönderilemedi (e-posta yok)"),
    "attachment_added": _l("Ek eklendi"),
    "consent_given": _l("KVKK aydınlatma metni onaylandı (web formu)"),
    "incident_linked": _l("Arıza kaydına bağlandı"),
    "incident_resolution_applied": _l("Arıza kararı uygulandı"),
    "note": _l("İç not"),
    "acknowledgement": _l("Alındı bildirimi"),
    "decision": _l("Karar bildirimi"),
    "survey": _l("Memnuniyet anketi"),
    "answer_reminder": _l("Yanıt hatırlatması"),
    "closed_without_answer": _l("Yanıtsız kapanış bildirimi"),
    "thanks": _l("Teşekkür yanıtı"),
}
STAGE_LABELS = {
    1: _l("Şikâyetin alınması"),
    2: _l("Alındı bildirimi"),
    3: _l("Sınıflandırma"),
    4: _l("Takip"),
    5: _l("Analiz ve değerlendirme"),
    6: _l("Cevap ve kök neden analizi"),
    7: _l("Karar bildirimi"),
    8: _l("Kapanış"),
}


def role_text(user) -> str:
    """The user's roles in words, or "" when the name already says them ("Yönetim Temsilcisi")."""
    names = [str(ROLE_LABELS.get(role, role)) for role in user.roles.split()]
    if all(name.casefold() == user.full_name.casefold() for name in names):
        return ""
    return ", ".join(names)


def code_label(kind: str, code) -> str:
    """A stored value by its kind (kind, channel, priority, category, root_cause, status, yes_no), in words."""
    if kind == "yes_no":
        return str(YES_NO[bool(code)])
    if kind in ("category", "root_cause"):
        return choice_label("category" if kind == "category" else "root_cause_category", code)
    from .review.labels import STATUS_LABELS as REVIEW_STATUS

    table = {"kind": KIND_LABELS, "channel": CHANNEL_LABELS, "priority": PRIORITY_LABELS, "status": REVIEW_STATUS}[kind]
    return label(table, code)


def label(table: dict, code: str | None) -> str:
    """The label of `code` in one of the tables above; "–" for nothing, the code itself only when unknown."""
    if code is None or code == "":
        return "–"
    return str(table.get(code, code))


def choice_label(field: str, value: str | None) -> str:
    """The title of a form option ("billing_system" -> "Faturalama sistemi"), from the live forms."""
    if value is None or value == "":
        return "–"
    from flask import g
    from flask_babel import get_locale

    from .services.complaints.case_record import choice_titles

    locale = get_locale()
    cache = g.setdefault("choice_titles", {})
    if (field, str(locale)) not in cache:
        cache[(field, str(locale))] = choice_titles(field, locale)
    title = cache[(field, str(locale))].get(value)
    return _(title) if title else str(value)


def task_name(name: str | None, element_id: str | None = None) -> str:
    """A step's or event's name in the reader's language: the diagram's `name_en` for English readers
    (by element id, else by the Turkish name the record kept), the Turkish name where none exists."""
    from flask import g, has_request_context
    from flask_babel import get_locale

    if not name or not has_request_context():
        return name or ""
    locale = get_locale()
    from .bilingual import is_english

    if not is_english(locale):
        return name
    if "name_book" not in g:
        from .services.names import name_book

        g.name_book = name_book()
    return g.name_book.name(name, element_id, locale)


def step_name(task) -> str:
    """`task_name` of an inbox row (anything with `name` and `spec_name`)."""
    return task_name(getattr(task, "name", None), getattr(task, "spec_name", None))


def form_text(node: dict | None, key: str = "title") -> str:
    """A form's title or description (or a field's, or an option's) in the reader's language: its
    `x-i18n` English for English readers, then the catalog, then the Turkish text."""
    from flask import has_request_context
    from flask_babel import get_locale

    from .bilingual import english_text, is_english, node_text

    if not isinstance(node, dict):
        return ""
    if not has_request_context():
        return node_text(node, key, None)
    locale = get_locale()
    text = node_text(node, key, locale)
    if is_english(locale) and text and not english_text(node, key):
        return _(text)
    return text
