"""The services' refusals in the reader's language: English for an English reader, Turkish otherwise.

The services (app/services) build each message with `app.i18n.gettext` when they raise it, so a page
shows it as it is. Outside a request (the CLI, the scheduler, mail ingest) they speak the desk's
default language, Turkish; mail ingest keeps Turkish in the audit trail whatever the caller's locale.
"""

from __future__ import annotations

import io
import json
import threading
from contextlib import contextmanager
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask import session
from flask_babel import force_locale
from flask_babel import refresh as babel_refresh

from app.extensions import db
from app.models import AuditEvent, Complaint
from app.services import text_rules
from app.services.complaints import idempotency
from app.services.complaints import registration as complaints
from app.services.errors import ValidationFailed
from app.services.mail import ingest as mail_ingest
from app.services.workflow import forms as task_forms

from .helpers import ready, refreshed, register
from .portal_helpers import form_data
from .staff_fixtures import PASSWORD

pytestmark = pytest.mark.usefixtures("live_version")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00"


def english(client, next_url: str = "/") -> None:
    client.post("/language", data={"lang": "en", "next": next_url})


@contextmanager
def reading(app, lang: str | None):
    """A request of a reader who chose `lang` (None: no choice, the default language)."""
    with app.test_request_context("/"):
        if lang:
            session["lang"] = lang
        babel_refresh()  # a locale looked up earlier in this app context is not the reader's
        yield


def _intake(client, **fields):
    data = {"channel": "telefon", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
            "customer_email": "", "preferred_contact": "", "subscription_number": "", "subject": "",
            "description": "Bağlantı kopuyor.", "idempotency_key": ""}
    data.update(fields)
    return client.post("/intake", data=data, content_type="multipart/form-data")


def _intake_refusal(client):
    """No customer name, and e-mail chosen for contact without an address (the service's own rule)."""
    return _intake(client, customer_name="", preferred_contact="eposta")


def test_the_staff_intake_form_refuses_in_english_for_an_english_reader(as_user):
    client = as_user("intake")
    english(client, "/intake")
    response = _intake_refusal(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in page
    assert "An e-mail address is required for contact by e-mail." in page
    assert "E-posta ile iletişim" not in page and "zorunludur" not in page
    assert db.session.query(Complaint).count() == 0


def test_the_staff_intake_form_still_refuses_in_turkish_for_a_turkish_reader(as_user):
    response = _intake_refusal(as_user("intake"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bu alan zorunludur." in page and "E-posta ile iletişim için e-posta adresi gereklidir." in page


def test_the_intake_rules_speak_the_request_language(app):
    fields = {"channel": "faks", "customer_name": " ", "customer_email": "ayse@example.com",
              "description": "Bağlantı kopuyor.", "subject": "x" * 201}
    with reading(app, "en"), pytest.raises(ValidationFailed) as refused:
        complaints.validate_intake(fields)
    assert refused.value.errors == {"customer_name": "The customer's name is required.",
                                    "subject": "At most 200 characters can be entered."}
    with reading(app, None), pytest.raises(ValidationFailed) as refused:
        complaints.validate_intake(fields)
    assert refused.value.errors == {"customer_name": "Müşteri adı zorunludur.",
                                    "subject": "En fazla 200 karakter girilebilir."}


def test_a_wrong_current_password_is_refused_in_the_reader_language(app, staff):
    data = {"current_password": "yanlis-parola", "new_password": "yeni-parola-2026",
            "new_password_again": "yeni-parola-2026"}
    client = app.test_client()
    assert client.post("/login", data={"username": "uzman", "password": PASSWORD}).status_code == 302
    english(client, "/account/password")
    page = client.post("/account/password", data=data).get_data(as_text=True)
    assert "The current password is wrong." in page and "Mevcut parola hatalı." not in page
    short = client.post("/account/password", data={**data, "current_password": PASSWORD,
                                                    "new_password": "kisa-1", "new_password_again": "kisa-1"})
    assert "The password must be at least 10 characters long." in short.get_data(as_text=True)
    client.post("/language", data={"lang": "tr", "next": "/account/password"})
    page = client.post("/account/password", data=data).get_data(as_text=True)
    assert "Mevcut parola hatalı." in page


def test_a_task_form_missing_a_required_field_is_refused_in_the_reader_language(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    client = as_user("handler")
    english(client, f"/tasks/{task.id}")
    version = str(refreshed(complaint).instance.lock_version)
    response = client.post(f"/tasks/{task.id}", data={"classification_note": "Not", "expected_version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("This field is required.") == 2 and "Bu alan zorunludur." not in page
    too_long = client.post(f"/tasks/{task.id}", data={
        "priority": "high", "category": "billing", "priority_override_reason": "x" * 2001,
        "expected_version": version}).get_data(as_text=True)
    assert "Reason for changing the priority: At most 2000 characters can be entered." in too_long
    client.post("/language", data={"lang": "tr", "next": f"/tasks/{task.id}"})
    page = client.post(f"/tasks/{task.id}", data={"expected_version": version}).get_data(as_text=True)
    assert page.count("Bu alan zorunludur.") == 2


def test_the_task_form_rules_take_the_field_title_in_the_reader_language(app):
    schema = {"type": "object", "properties": {
        "answer": {"type": "string", "title": "Yanıt", "x-i18n": {"en": {"title": "Answer"}},
                   "enum": ["accepted", "rejected"]}}}
    with reading(app, "en"):
        assert task_forms.field_errors(schema, {"answer": "maybe"}) == {"answer": "Answer: Choose a valid option."}
    with reading(app, None):
        assert task_forms.field_errors(schema, {"answer": "maybe"}) == {"answer": "Yanıt: Geçerli bir seçenek seçin."}


def test_the_customer_form_refuses_a_file_in_the_reader_language(app, client, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "att")
    english(client, "/sikayet")
    response = client.post("/sikayet", data=form_data(attachments=[(io.BytesIO(EXE), "fatura.pdf")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "fatura.pdf: this file type is not accepted (PDF, PNG, JPEG, TIFF, GIF or plain text)." in page
    assert "kabul edilmiyor" not in page
    empty = client.post("/sikayet", data=form_data(attachments=[(io.BytesIO(b""), "bos.pdf")]))
    assert "bos.pdf: the file is empty." in empty.get_data(as_text=True)
    client.post("/language", data={"lang": "tr", "next": "/sikayet"})
    page = client.post("/sikayet", data=form_data(attachments=[(io.BytesIO(EXE), "fatura.pdf")])).get_data(
        as_text=True)
    assert "fatura.pdf: bu dosya türü kabul edilmiyor (PDF, PNG, JPEG, TIFF, GIF veya düz metin)." in page
    assert db.session.query(Complaint).count() == 0


def test_a_customer_whose_form_key_is_not_one_we_issued_is_told_in_their_language(client):
    english(client, "/sikayet")
    page = client.post("/sikayet", data=form_data(idempotency_key="not-a-uuid")).get_data(as_text=True)
    assert "The form is invalid or out of date." in page and "Form geçersiz" not in page


def test_the_text_rule_and_the_form_key_message_speak_the_request_language(app):
    with reading(app, "en"):
        assert text_rules.single_line_problem("a\nb") == \
            "Line breaks and control characters are not allowed in this field."
        assert text_rules.multi_line_problem("a\x00") == \
            "This field contains a control character that cannot be used (e.g. NUL)."
        with pytest.raises(ValidationFailed) as refused:
            idempotency.portal_key("not-a-uuid")
        assert refused.value.errors["idempotency_key"].startswith("The form is invalid or out of date.")
    # Outside any request (a script, a worker): the Turkish text.
    assert text_rules.single_line_problem("a\nb") == text_rules.SINGLE_LINE_MESSAGE
    assert text_rules.SINGLE_LINE_MESSAGE == "Bu alanda satır sonu veya kontrol karakteri kullanılamaz."


def test_the_cli_still_speaks_turkish(runner):
    result = runner.invoke(args=["users", "create", "ayse", "--name", "Ayşe Kaya", "--roles", "handler",
                                 "--password", "kisa"])
    assert result.exit_code == 1
    assert "- password: Parola en az 10 karakter olmalıdır." in result.output
    result = runner.invoke(args=["complaints", "register", "--channel", "faks", "--name", "Ayşe",
                                 "--description", "Bağlantı kopuyor."])
    assert result.exit_code == 1
    assert "E-posta adresi veya telefon numarasından en az biri gereklidir." in result.output


def _mail_with(filename: str, content: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ayşe Yılmaz <ayse@example.com.tr>"
    mail["To"] = "sikayet@example.com.tr"
    mail["Subject"] = "Fatura itirazı"
    mail["Message-ID"] = "<fatura-1@example.com.tr>"
    mail["Date"] = "Wed, 25 Nov 2026 09:00:00 +0300"
    mail.set_content("Faturam yanlış geldi, ekte.")
    mail.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    return mail.as_bytes()


@pytest.mark.usefixtures("mail_dirs")
def test_mail_ingest_records_a_refused_attachment_in_turkish_whoever_runs_it(app):
    with reading(app, "en"), force_locale("en"):
        result = mail_ingest.ingest_safely(_mail_with("fatura.pdf", EXE), source="test")
    assert result.outcome == "created", result
    complaint = db.session.scalar(sa.select(Complaint))
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id,
                                                              AuditEvent.action == "attachment_rejected"))
    assert json.loads(event.data_json)["reason"] == \
        "fatura.pdf: bu dosya türü kabul edilmiyor (PDF, PNG, JPEG, TIFF, GIF veya düz metin)."


def test_a_service_message_outside_any_app_is_the_turkish_text():
    """No app, no request (a new thread starts with no Flask context): gettext gives the msgid back."""
    found = []
    worker = threading.Thread(target=lambda: found.append(text_rules.multi_line_problem("a\x00")))
    worker.start()
    worker.join()
    assert found == ["Bu alanda kullanılamayan bir kontrol karakteri var (ör. NUL)."]
