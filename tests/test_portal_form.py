"""The public complaint form (/, /sikayet) and the KVKK notice: validation, idempotency, attachments, consent."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Complaint, ConsentRecord
from app.services.complaints import portal

from .helpers import audit_actions, outbox_kinds, ready_names, refreshed, register
from .portal_helpers import file_over_http, form_data

pytestmark = pytest.mark.usefixtures("live_version")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_form_is_public_in_turkish_with_english_on_request(client):
    for path in ("/", "/sikayet"):
        page = client.get(path).get_data(as_text=True)
        assert 'lang="tr"' in page and "Şikâyet bildirim formu" in page
        assert 'name="idempotency_key"' in page and "<script" not in page
        assert 'for="customer_name"' in page and "<legend>" in page
    client.post("/language", data={"lang": "en", "next": "/sikayet"})
    page = client.get("/sikayet").get_data(as_text=True)
    assert 'lang="en"' in page and "Complaint form" in page and "Privacy Notice" in page


def test_a_valid_complaint_shows_its_number_and_what_happens_next(client):
    complaint, page = file_over_http(client)
    assert complaint.registration_number in page and 'id="registration-number"' in page
    assert "1 iş günü" in page and "3 iş günü" in page and "5 iş günü" in page
    assert "/takip" in page and "ayse@example.com.tr" in page
    assert (complaint.channel, complaint.created_by, complaint.subject) == ("web", "portal", "Bağlantı kopuyor")
    assert complaint.customer_phone == "+90 (532) 123 45 67" and complaint.subscription_number == "ABN-778899"
    # Stage 2 for a web complaint: the acknowledgement e-mail is queued at registration, no staff task.
    assert ready_names(complaint) == ["task_classify"] and outbox_kinds(complaint) == ["acknowledgement"]
    assert complaint.acknowledged_at == complaint.received_at
    assert "consent_given" in audit_actions(complaint)
    # The number is not in the URL: the page reads it from the session.
    assert client.get("/sikayet/alindi").status_code == 200
    assert client.application.test_client().get("/sikayet/alindi").status_code == 302


def test_consent_is_required_and_recorded_with_the_notice_version(client):
    response = client.post("/sikayet", data=form_data(consent=None))
    assert response.status_code == 422
    assert "onayınız gereklidir" in response.get_data(as_text=True)
    assert count(Complaint) == 0

    client.post("/language", data={"lang": "en", "next": "/sikayet"})
    complaint, _ = file_over_http(client)
    record = db.session.scalar(sa.select(ConsentRecord).where(ConsentRecord.complaint_id == complaint.id))
    assert (record.notice_version, record.language, record.source) == (portal.NOTICE_VERSION, "en", "portal")
    assert record.notice_sha256 == portal.notice_sha256("en") != portal.notice_sha256("tr")
    assert record.consented_at == complaint.received_at
    assert complaint.language == "en"  # its mail goes out in English


@pytest.mark.parametrize("overrides, field, message", [
    ({"customer_name": ""}, "customer_name", "Bu alan zorunludur."),
    ({"description": "  "}, "description", "Bu alan zorunludur."),
    ({"customer_email": "ayse@", "customer_phone": ""}, "customer_email", "Geçerli bir e-posta adresi girin."),
    ({"customer_email": "", "customer_phone": ""}, "customer_email", "en az birini yazın"),
    ({"customer_email": "", "preferred_contact": "eposta"}, "customer_email", "e-posta adresinizi yazın"),
    ({"customer_phone": "", "preferred_contact": "telefon"}, "customer_phone", "telefon numaranızı yazın"),
    ({"customer_phone": "abc"}, "customer_phone", "Geçerli bir telefon numarası girin."),
    ({"subject": "x" * 201}, "subject", "200"),
])
def test_invalid_input_shows_messages_linked_to_fields_and_keeps_what_was_typed(client, overrides, field, message):
    data = form_data(description="Modem <b>ışığı</b> yanıp sönüyor", **{k: v for k, v in overrides.items()
                                                                         if k != "description"})
    data.update({k: v for k, v in overrides.items() if k == "description"})
    response = client.post("/sikayet", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    # The error first, then the field's hint: both are read with the field.
    assert f'aria-describedby="{field}-error' in page and f'id="{field}-error"' in page
    if "description" not in overrides:
        assert "Modem &lt;b&gt;ışığı&lt;/b&gt; yanıp sönüyor" in page
    assert f'value="{data["idempotency_key"]}"' in page
    assert count(Complaint) == 0


def test_a_double_submit_with_the_same_key_creates_one_complaint(client):
    data = form_data()
    first = client.post("/sikayet", data=data)
    second = client.post("/sikayet", data=data)
    assert first.status_code == second.status_code == 302
    assert count(Complaint) == 1
    (complaint,) = db.session.scalars(sa.select(Complaint)).all()
    assert outbox_kinds(complaint).count("acknowledgement") <= 1
    assert audit_actions(complaint).count("registered") == 1
    assert audit_actions(complaint).count("consent_given") == 1
    assert count(ConsentRecord) == 1


def test_attachments_are_kept_and_wrong_types_or_sizes_refused(app, client, tmp_path):
    app.config.update(ATTACHMENT_DIR=str(tmp_path / "att"), MAX_ATTACHMENT_BYTES=2048)
    pdf = b"%PDF-1.4\n" + b"0" * 100
    data = form_data()
    data["attachments"] = [(io.BytesIO(pdf), "fatura.pdf"), (io.BytesIO("çağrı notu\nğüşıöç".encode()), "not.txt")]
    complaint, _ = file_over_http(client, **{k: v for k, v in data.items()})
    rows = db.session.scalars(sa.select(Attachment).where(Attachment.complaint_id == complaint.id)).all()
    assert sorted((r.original_filename, r.content_type, r.uploaded_by) for r in rows) == [
        ("fatura.pdf", "application/pdf", "portal"), ("not.txt", "text/plain", "portal")]

    exe = form_data(attachments=[(io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04"), "fatura.pdf")])
    response = client.post("/sikayet", data=exe)
    assert response.status_code == 422 and "bu dosya türü kabul edilmiyor" in response.get_data(as_text=True)
    big = form_data(attachments=[(io.BytesIO(b"%PDF-" + b"0" * 4096), "buyuk.pdf")])
    response = client.post("/sikayet", data=big)
    assert response.status_code == 422 and 'id="attachments-error"' in response.get_data(as_text=True)
    many = form_data(attachments=[(io.BytesIO(pdf), f"{i}.pdf") for i in range(6)])
    assert client.post("/sikayet", data=many).status_code == 422
    assert count(Complaint) == 1


def test_the_kvkk_notice_page_in_both_languages(client):
    page = client.get("/kvkk").get_data(as_text=True)
    assert "Aydınlatma Metni" in page and "6698" in page and portal.NOTICE_VERSION in page
    client.post("/language", data={"lang": "en", "next": "/kvkk"})
    page = client.get("/kvkk").get_data(as_text=True)
    assert "Privacy Notice" in page and "Article 11" in page


def test_csrf_is_required_when_enabled(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/sikayet", data=form_data())
    assert response.status_code == 400
    assert count(Complaint) == 0


def test_a_file_that_cannot_be_written_files_no_complaint(app, client, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["ATTACHMENT_DIR"] = str(blocker / "attachments")
    data = form_data(attachments=[(io.BytesIO(b"%PDF-1.4\n% fatura\n"), "fatura.pdf")])
    response = client.post("/sikayet", data=data)
    assert response.status_code == 422
    assert "dosya kaydedilemedi" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0


def test_a_web_request_reads_the_desk_clock_not_the_wall(client, desk_clock):
    """Registration through the web takes its instant (and so its number's year) from the one clock."""
    from .helpers import ist

    desk_clock.pin(ist(2031, 3, 4, 10, 0))
    complaint, _ = file_over_http(client)
    assert complaint.registration_number.startswith("SK-2031-")
    assert complaint.received_at == ist(2031, 3, 4, 10, 0)


def test_the_customer_says_what_the_problem_does_and_who_they_are_in_their_own_words(client):
    page = client.get("/sikayet").get_data(as_text=True)
    for text in ("Sorun hizmetinizi nasıl etkiliyor?", "Hizmet tamamen kesildi", "Hizmet yavaş veya kesintili",
                 "Fatura ile ilgili", "Müşteri türünüz", "Bireysel", "Kurumsal"):
        assert text in page
    # The defaults are shown as chosen.
    assert re.findall(r'<input checked id="[^"]+" name="(service_impact|customer_segment)" type="radio" value="(\w+)"',
                      page) == [("service_impact", "other"), ("customer_segment", "individual")]
    client.post("/language", data={"lang": "en", "next": "/sikayet"})
    page = client.get("/sikayet").get_data(as_text=True)
    assert "My service is down completely" in page and "Corporate" in page and "Hizmet tamamen" not in page


def test_no_service_for_a_corporate_customer_reaches_the_decision_table_as_from_the_staff_form(client):
    # processes/priority_suggestion.dmn, rule_priority_1: no_service + corporate → high, whatever the rest.
    complaint, _ = file_over_http(client, service_impact="no_service", customer_segment="corporate")
    assert (complaint.service_impact, complaint.customer_segment) == ("no_service", "corporate")
    assert complaint.suggested_priority == "high"
    staff = register("telefon", service_impact="no_service", customer_segment="corporate")
    assert refreshed(staff).suggested_priority == complaint.suggested_priority

    # Left as they are (or not sent, by an older page): other + individual, the table's "anything else" → low.
    plain, _ = file_over_http(client, service_impact="", customer_segment="")
    older, _ = file_over_http(client, service_impact=None, customer_segment=None)
    for default in (plain, older):
        assert (default.service_impact, default.customer_segment, default.suggested_priority) == \
            ("other", "individual", "low")


@pytest.mark.parametrize("field, value", [
    ("service_impact", "<script>alert(1)</script>"),
    ("service_impact", "no_service<script>"),
    ("service_impact", "no_service "),
    ("service_impact", "No_Service"),
    ("customer_segment", "corporate'--"),
    ("customer_segment", "vip"),
])
def test_a_value_not_on_the_list_gets_the_form_back_with_a_message_and_registers_nothing(client, field, value):
    response = client.post("/sikayet", data=form_data(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">Listedeki seçeneklerden birini seçin.' in page
    assert "<script>alert" not in page and "no_service<script>" not in page
    assert count(Complaint) == 0
