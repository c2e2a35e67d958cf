"""Staff intake on every channel, escaping of what customers write, and complaint look-up."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.models import Attachment, Complaint

from .helpers import ready_names, register

pytestmark = pytest.mark.usefixtures("live_version")
TRICKY = "<script>alert(1)</script> ğüşıöçİ ĞÜŞIÖÇ \"tırnak\" & 'kesme'"


def _intake(client, **fields):
    data = {"channel": "telefon", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
            "customer_email": "", "preferred_contact": "", "subscription_number": "", "subject": "",
            "description": "Bağlantı kopuyor.", "idempotency_key": fields.pop("key", "")}
    data.update(fields)
    return client.post("/intake", data=data, content_type="multipart/form-data")


def test_intake_form_has_a_label_for_every_input(as_user):
    page = as_user("intake").get("/intake").get_data(as_text=True)
    import re
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    inputs = [i for i in ids if i != "submit"]
    unlabelled = [i for i in inputs if f'for="{i}"' not in page]
    assert inputs and unlabelled == []
    assert "Yüz yüze" in page and "Posta/Kargo" in page and "E-posta" in page


def test_phone_complaint_shows_the_number_to_read_out(as_user):
    client = as_user("intake")
    response = _intake(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    complaint = db.session.query(Complaint).one()
    assert 'class="regno"' in page and complaint.registration_number in page
    assert "Kayıt numarasını müşteriye okuyun" in page
    assert ready_names(complaint) == ["task_classify"]


def test_fax_complaint_starts_the_same_day_acknowledgement(as_user):
    client = as_user("representative")
    response = _intake(client, channel="faks", customer_email="ayse@example.com.tr")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    complaint = db.session.query(Complaint).one()
    assert "alındı bildirimi görevi oluşturuldu" in page
    assert ready_names(complaint) == ["task_acknowledge"]
    assert 'class="regno"' not in page


def test_description_with_markup_and_turkish_letters_is_stored_exactly_and_shown_escaped(as_user):
    client = as_user("intake")
    _intake(client, description=TRICKY, customer_name="İğneci Şükrü <b>")
    complaint = db.session.query(Complaint).one()
    assert complaint.description == TRICKY and complaint.customer_name == "İğneci Şükrü <b>"
    page = client.get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ğüşıöçİ ĞÜŞIÖÇ &#34;tırnak&#34; &amp; &#39;kesme&#39;" in page
    assert "İğneci Şükrü &lt;b&gt;" in page


def test_invalid_intake_shows_messages_and_keeps_the_input(as_user):
    response = _intake(as_user("intake"), customer_phone="", customer_email="", description="Fatura yanlış")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "E-posta adresi veya telefon numarasından en az biri gereklidir." in page
    assert "Fatura yanlış</textarea>" in page
    assert db.session.query(Complaint).count() == 0


def test_the_same_form_sent_twice_registers_once(as_user):
    client = as_user("intake")
    first = _intake(client, key="8d5b6f2e-1111-4c3a-9f00-000000000001")
    second = _intake(client, key="8d5b6f2e-1111-4c3a-9f00-000000000001")
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Complaint).count() == 1


def test_intake_with_a_scanned_letter(as_user):
    client = as_user("intake")
    scan = (io.BytesIO(b"%PDF-1.4\n% mektup\n"), "mektup.pdf")
    _intake(client, channel="posta_kargo", attachments=scan)
    (row,) = db.session.query(Attachment).all()
    assert row.content_type == "application/pdf" and row.original_filename == "mektup.pdf"
    bad = (io.BytesIO(b"MZ\x90\x00\x03"), "mektup.pdf")
    response = _intake(client, channel="posta_kargo", attachments=bad, customer_name="Başka")
    assert response.status_code == 422 and "bu dosya türü kabul edilmiyor" in response.get_data(as_text=True)
    assert db.session.query(Complaint).count() == 1


def test_complaint_search_by_number_name_phone_email_status_and_date(as_user):
    from .helpers import ist
    a = register("telefon", at=ist(2026, 5, 4, 10, 0), customer_name="Zeynep Arslan",
                 customer_phone="0532 111 22 33", customer_email="zeynep@example.com")
    b = register("faks", at=ist(2026, 6, 8, 10, 0), customer_name="Mehmet Öz", customer_phone="0212 999 88 77",
                 customer_email="mehmet@example.com")
    client = as_user("handler")

    def found(query):
        page = client.get(f"/complaints?{query}").get_data(as_text=True)
        return {c.registration_number for c in (a, b) if c.registration_number in page}

    assert found(f"q={a.registration_number}") == {a.registration_number}
    assert found("q=zeynep") == {a.registration_number}
    assert found("q=05321112233") == {a.registration_number}
    assert found("q=mehmet@example") == {b.registration_number}
    assert found("status=open") == {a.registration_number, b.registration_number}
    assert found("status=closed") == set()
    assert found("date_from=2026-06-01&date_to=2026-06-30") == {b.registration_number}
    page = client.get(f"/complaints/{b.registration_number}").get_data(as_text=True)
    assert "Mehmet Öz" in page and "Alındı bilgisini müşteriye bildir" in page
    assert client.get("/complaints/SK-1999-000009").status_code == 404


def test_a_file_that_cannot_be_written_registers_nothing(as_user, app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["ATTACHMENT_DIR"] = str(blocker / "attachments")  # cannot be created: writes fail
    client = as_user("intake")
    response = _intake(client, channel="posta_kargo", attachments=(io.BytesIO(b"%PDF-1.4\n% mektup\n"), "m.pdf"))
    assert response.status_code == 422
    assert "dosya kaydedilemedi" in response.get_data(as_text=True)
    assert db.session.query(Complaint).count() == 0
