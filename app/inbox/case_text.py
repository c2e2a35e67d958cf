"""The case file and the history in words: labelled values and one sentence per event.

Labels come from the forms (titles and option titles, translated through the Babel catalog when it
knows them), so a field an analyst adds shows with its own title. Raw keys and actor codes never
reach the page: "Saha ziyareti gerekiyor mu? Hayır", "E-posta gönderimi (sistem)".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import labels
from ..services.complaints import case_record, lookup
from ..services.complaints.case_record import Answer, Outcome, labelled
from ..web import format_instant

SYSTEM_ACTORS = {
    "system:outbox": _l("E-posta gönderimi (sistem)"),
    "system:timer": _l("Süre takibi (sistem)"),
    "system:mail": _l("Gelen e-posta (sistem)"),
    "system:kvkk": _l("KVKK saklama süresi (sistem)"),
    "customer": _l("Müşteri"),
    "portal": _l("Müşteri (web formu)"),
}
MESSAGE_NAMES = {
    "acknowledgement": _l("alındı bildirimi"),
    "decision": _l("karar bildirimi"),
    "survey": _l("memnuniyet anketi"),
    "answer_reminder": _l("yanıt hatırlatması"),
    "closed_without_answer": _l("yanıtsız kapanış bildirimi"),
    "thanks": _l("teşekkür yanıtı"),
}
MESSAGE_STATES = {
    "pending": _l("gönderilmeyi bekliyor"), "sending": _l("gönderiliyor"), "sent": _l("gönderildi"),
    "failed": _l("gönderilemedi"), "skipped": _l("gönderilemedi: e-posta adresi yok"),
}


def schema_text(text: str | None) -> str:
    """A title from a form, in the reader's language when the catalog has it."""
    return _(text) if text else ""


def value_text(answer: Answer) -> str:
    value = answer.value
    if answer.kind == "bool" or isinstance(value, bool):
        return _("Evet") if value else _("Hayır")
    if answer.choice is not None:
        return schema_text(answer.choice)
    if answer.kind == "datetime" and isinstance(value, str):
        try:
            return format_instant(datetime.fromisoformat(value))
        except ValueError:
            return value
    return "" if value is None else str(value)


@dataclass
class Line:
    """One labelled value; `long` values are shown as a block of text."""

    label: str
    text: str
    long: bool = False

    @property
    def sentence(self) -> str:
        """"Bulgular: …", or "Saha ziyareti gerekiyor mu? Hayır" when the label is a question."""
        return f"{self.label} {self.text}" if self.label.endswith("?") else f"{self.label}: {self.text}"


def answer_lines(answers: list[Answer]) -> list[Line]:
    return [Line(schema_text(a.title), value_text(a), a.kind == "long") for a in answers]


def actor_name(actor: str, names: dict[str, str]) -> str:
    if actor in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[actor])
    if actor.startswith("system:"):
        return _("Sistem")
    return names.get(actor, actor)


def message_name(kind: str | None) -> str:
    return str(MESSAGE_NAMES.get(kind or "", _("müşteri mesajı")))


@dataclass
class HistoryLine:
    at: datetime
    who: str
    kind: str
    sentence: str
    lines: list[Line] = field(default_factory=list)
    body: str = ""


def _sentence(action: str, data: dict, names: dict[str, str]) -> str:  # noqa: C901 - one branch per event
    task = labels.task_name(data.get("task") or "", data.get("spec"))
    message = message_name(data.get("kind"))
    if action == "registered":
        channel = labels.CHANNEL_LABELS.get(data.get("channel"), data.get("channel") or "–")
        if data.get("kind") and data["kind"] != "complaint":
            return _("Başvuru kaydedildi (tür: %(kind)s, kanal: %(channel)s).",
                     kind=labels.label(labels.KIND_LABELS, data["kind"]), channel=channel)
        return _("Şikâyet kaydedildi (kanal: %(channel)s).", channel=channel)
    if action == "kind_corrected":
        return _("Başvuru türü “%(old)s” iken “%(new)s” olarak düzeltildi.",
                 old=labels.label(labels.KIND_LABELS, data.get("from")),
                 new=labels.label(labels.KIND_LABELS, data.get("to")))
    if action == "task_completed":
        return _("“%(task)s” adımı tamamlandı.", task=task)
    if action == "task_claimed":
        return _("“%(task)s” görevi üstlenildi.", task=task)
    if action == "task_unclaimed":
        return _("“%(task)s” görevi bırakıldı.", task=task)
    if action in ("task_assigned", "admin_reassigned"):
        return _("“%(task)s” görevi %(to)s adlı kişiye atandı.", task=task,
                 to=names.get(data.get("to") or "", data.get("to") or "–"))
    if action == "escalation_raised":
        return _("Süre aşımı yönetim temsilcisine bildirildi: “%(task)s”.", task=task)
    if action == "reopened":
        return _("Müşteri çözümü kabul etmedi; şikâyet yeniden değerlendirmeye alındı (%(n)d. kez).",
                 n=data.get("reopen_count") or 1)
    if action == "closed" and data.get("outcome") == "no_answer":
        return _("Müşteriden süresi içinde yanıt alınamadı; şikâyet yanıt alınmadan kapatıldı.")
    if action == "closed" and data.get("outcome") == "accepted":
        return _("Müşteri çözümü kabul etti; şikâyet kapatıldı.")
    if action == "closed":
        return _("Şikâyet kapatıldı.")
    if action == "message_queued":
        return _("Müşteriye %(message)s e-postası hazırlandı.", message=message)
    if action == "message_sent":
        return _("Müşteriye %(message)s e-postası gönderildi.", message=message)
    if action == "message_failed":
        return _("Müşteriye %(message)s e-postası gönderilemedi.", message=message)
    if action == "message_skipped":
        return _("Müşteriye %(message)s e-postası gönderilemedi: e-posta adresi yok.", message=message)
    if action == "message_requeued":
        return _("%(message)s e-postası yeniden gönderime alındı.", message=message)
    if action == "customer_message":
        return _("Müşteriden e-posta geldi.")
    if action == "survey_answered":
        return _("Müşteri memnuniyet anketini yanıtladı.")
    if action == "attachment_added":
        return _("Ek eklendi: %(name)s.", name=data.get("filename") or "–")
    if action == "attachment_rejected":
        return _("E-postadaki bir ek kabul edilmedi: %(name)s.", name=data.get("filename") or "–")
    if action == "consent_given":
        return _("Müşteri KVKK aydınlatma metnini onayladı (web formu).")
    if action == "admin_suspended":
        return _("Şikâyet askıya alındı.")
    if action == "admin_resumed":
        return _("Şikâyet yeniden başlatıldı.")
    if action == "admin_cancelled":
        return _("Şikâyet iptal edildi.")
    if action == "migrated":
        return _("Şikâyet sürecin yeni sürümüne taşındı.")
    if action == "anonymised":
        return _("Kişisel veriler anonimleştirildi (KVKK).")
    if action == "procedure_failed":
        return _("Süreç “%(element)s” adımında durdu; adım kaydedilmedi.", element=data.get("element") or "–")
    if action == "incident_linked":
        return _("Şikâyet “%(title)s” arıza kaydına bağlandı; kendi süreci sürüyor.", title=data.get("title") or "–")
    if action == "incident_resolution_applied":
        return _("“%(title)s” arızasının kararı bu şikâyetin analiz sonucu olarak uygulandı.",
                 title=data.get("title") or "–")
    if action == "task_released":
        return _("“%(task)s” görevi %(to)s adlı kişiden alınıp ekibine geri verildi.", task=task,
                 to=names.get(data.get("from") or "", data.get("from") or "–"))
    return str(labels.ACTION_LABELS.get(action, _("Kayıt güncellendi."))).rstrip(".") + "."


def _details(action: str, data: dict, forms: dict) -> list[Line]:
    if action == "task_completed":
        return answer_lines(labelled(forms.get(data.get("form")), data.get("data") or {}))
    if action == "customer_message":
        verified = _("Evet") if data.get("sender_authenticated") else _("Hayır")
        return [Line(_("Gönderen"), data.get("from") or "–"), Line(_("Konu"), data.get("subject") or "–"),
                Line(_("Gönderen doğrulandı mı?"), verified), Line(_("Metin"), data.get("text") or "", True)]
    if action == "survey_answered":
        return [Line(_("Puan"), f"{data.get('score')}/5"),
                Line(_("Sorun çözüldü mü?"), _("Evet") if data.get("solved") else _("Hayır"))]
    if action in ("admin_suspended", "admin_resumed", "admin_cancelled", "admin_reassigned",
                  "kind_corrected") and data.get("reason"):
        return [Line(_("Gerekçe"), data["reason"], True)]
    if action == "procedure_failed" and data.get("detail"):
        return [Line(_("Hata"), data["detail"])]
    if action == "message_failed" and data.get("error"):
        return [Line(_("Hata"), data["error"])]
    if action == "migrated" and data.get("to_version"):
        return [Line(_("Sürüm"), f"{data.get('from_version', '?')} → {data['to_version']}")]
    return []


def event_text(action: str, data: dict, forms: dict, names: dict[str, str]) -> tuple[str, list[Line]]:
    """One audit event as a sentence and its labelled details (the review page's audit trail)."""
    return _sentence(action, data, names), _details(action, data, forms)


def history(entries, forms: dict, names: dict[str, str]) -> list[HistoryLine]:
    """The timeline as sentences; messages to the customer are told by their own events."""
    lines = []
    for e in entries:
        who = actor_name(e.actor, names)
        if e.kind == "note":
            lines.append(HistoryLine(e.at, who, "note", _("İç not ekledi."), body=e.data.get("body", "")))
        elif e.kind == "event":
            lines.append(HistoryLine(e.at, who, "event", _sentence(e.action, e.data, names),
                                     _details(e.action, e.data, forms)))
    return lines


NEEDS_LABELS = {
    "rejection_reason": _l("Müşterinin çözümü kabul etmeme gerekçesi"),
    "previous_solution": _l("Müşteriye bildirilen önceki çözüm"),
    "decision": _l("Müşteriye bildirilecek karar"),
}


@dataclass
class RecordEntry:
    """One stage outcome as the case file shows it."""

    kind: str
    stage: int | None
    round: int
    at: datetime
    who: str
    heading: str
    lines: list[Line] = field(default_factory=list)


def _entry(outcome: Outcome, names: dict[str, str]) -> RecordEntry:
    entry = RecordEntry(outcome.kind, outcome.stage, outcome.round, outcome.at, actor_name(outcome.actor, names),
                        labels.task_name(outcome.title))
    facts = outcome.facts
    if outcome.kind == "registered":
        entry.heading = _("Şikâyet alındı")
        entry.lines = [Line(_("Kanal"), str(labels.CHANNEL_LABELS.get(facts.get("channel"), facts.get("channel"))))]
    elif outcome.kind == "task":
        entry.lines = answer_lines(outcome.answers)
    elif outcome.kind == "message":
        entry.heading = _("Müşteriye %(message)s e-postası", message=message_name(facts.get("message")))
        status = str(MESSAGE_STATES.get(facts.get("status"), facts.get("status") or "–"))
        if facts.get("sent_at"):
            status = f"{status} ({format_instant(facts['sent_at'])})"
        entry.lines = [Line(_("Alıcı"), facts.get("recipient") or "–"), Line(_("Durum"), status)]
    elif outcome.kind == "survey":
        entry.heading = _("Memnuniyet anketi")
        entry.lines = [Line(_("Puan"), f"{facts.get('score')}/5"),
                       Line(_("Sorun çözüldü mü?"), _("Evet") if facts.get("solved") else _("Hayır"))]
        if facts.get("comment"):
            entry.lines.append(Line(_("Yorum"), facts["comment"], True))
    elif outcome.kind == "closed":
        entry.heading = _("Şikâyet kapatıldı")
        if facts.get("outcome") in labels.OUTCOME_LABELS:
            entry.lines = [Line(_("Sonuç"), str(labels.OUTCOME_LABELS[facts["outcome"]]))]
    return entry


def case_context(complaint) -> dict:
    """The case file, the customer's e-mails and the history of one complaint, ready for a template."""
    locale = get_locale()
    case = case_record.case_file(complaint, locale)
    entries = lookup.timeline(complaint.id)
    actors = [e.actor for e in entries] + [e.data.get("to") for e in entries if e.kind == "event"]
    names = case_record.display_names(actors)
    forms = case_record.forms_of(complaint, locale)
    return {"case": case, "record": [_entry(o, names) for o in case.outcomes],
            "history": history(entries, forms, names)}


def step_context(task, case) -> dict:
    """What the task page shows above the form, and the form's starting values."""
    needs = [Line(str(NEEDS_LABELS[key]), value, True)
             for key, value in case_record.step_needs(task, case).items()]
    return {"needs": needs}
