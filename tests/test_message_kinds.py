"""Each message the diagram sends is a kind of its own, with its own Turkish and English text and HTML.

The answer reminder and the notice of closing without an answer used to be variants of the decision
and survey mails picked by a `mail_variant` process variable; now `send_message('answer_reminder')`
and `send_message('closed_without_answer')` name them, and the gate refuses a kind the desk cannot send.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.services.mail import compose as mail_compose
from app.services.procedure import validation

from . import procedure_edits as edits
from .helpers import ACK, classify, complete, fire, ist, outbox_kinds, register, solve
from .mailbox import deliver, html_of, text_of, tokens_in

pytestmark = pytest.mark.usefixtures("live_version")

# (language, subject, phrases of the text and the HTML)
REMINDER = {
    "tr": ("Hatırlatma: çözüm önerimize yanıtınızı bekliyoruz",
           ["henüz yanıt vermediniz", "09.12.2026 tarihine kadar yanıt alamazsak", "Çözümü kabul ediyorum"]),
    "en": ("Reminder: we are waiting for your answer to our proposed solution",
           ["You have not yet answered", "If we do not hear from you by 09.12.2026", "I accept the solution"]),
}
CLOSED = {
    "tr": ("Şikâyetiniz yanıt alınmadan kapatıldı",
           ["yanıt alınmadan kapatıldı", "+90 312 266 3070", "Bağlantı bir kez kullanılabilir"]),
    "en": ("Your complaint was closed without an answer",
           ["closed without an answer", "+90 312 266 3070", "The link works once"]),
}


def _silent_customer(language: str):
    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    complaint.language = language
    db.session.commit()
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 15, 0))
    return complaint


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_reminder_and_the_closing_notice_each_have_their_own_text(smtp, language):
    complaint = _silent_customer(language)
    number = complaint.registration_number
    fire(ist(2026, 12, 2, 15, 1))  # five business days after the decision
    deliver(ist(2026, 12, 2, 15, 2))  # while the answer is still awaited, so the links are in it
    fire(ist(2026, 12, 9, 15, 1))  # ten: closed without an answer
    assert outbox_kinds(complaint) == ["acknowledgement", "decision", "answer_reminder", "closed_without_answer"]
    deliver(ist(2026, 12, 9, 15, 2))
    _ack, decision, reminder, closed = smtp.messages()

    for mail, (subject, phrases) in ((reminder, REMINDER[language]), (closed, CLOSED[language])):
        assert mail["Subject"] == f"[{number}] {subject}"
        assert mail["Content-Language"] == language
        text, html = text_of(mail), html_of(mail)
        for phrase in phrases:
            assert phrase in text and phrase in html, (subject, phrase)
        assert "mail_variant" not in text + html
    assert tokens_in(text_of(reminder), "yanit") and tokens_in(text_of(reminder), "yanit")[0] in html_of(reminder)
    assert tokens_in(text_of(closed), "anket") and not tokens_in(text_of(closed), "yanit")
    # The decision itself says nothing of a reminder or a closing date.
    assert REMINDER[language][0] not in decision["Subject"]
    assert "09.12.2026" not in text_of(decision)


def test_the_gate_refuses_a_message_kind_the_desk_cannot_send(app):
    bpmn, forms = edits.shipped()
    bpmn = edits.replace_once(bpmn, "send_message('answer_reminder')", "send_message('reminder')")
    _bundle, problems = validation.run_gate(bpmn, forms)
    (refusal,) = [p for p in problems if "send_message" in p["message"]]
    assert refusal["element"] == "send_answer_reminder"
    assert "'reminder'" in refusal["message"] and "answer_reminder" in refusal["message"]


def test_the_gate_passes_the_shipped_diagram_with_the_new_kinds(app):
    bpmn, forms = edits.shipped()
    assert "mail_variant" not in bpmn
    assert validation.run_gate(bpmn, forms)[1] == []


def test_every_kind_a_diagram_may_send_has_text_and_html_in_both_languages():
    mail = Path(__file__).resolve().parents[1] / "app" / "templates" / "mail"
    missing = [f"{kind}.{language}.{ext}" for kind in mail_compose.KINDS for language in mail_compose.LANGUAGES
               for ext in ("txt", "html") if not (mail / f"{kind}.{language}.{ext}").is_file()]
    assert missing == []
    assert {"answer_reminder", "closed_without_answer"} <= set(mail_compose.KINDS)
