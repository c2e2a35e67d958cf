"""Issue 12, item 3: web and e-mail complaints are acknowledged without a clerk; a letter or fax counts
from when it was received, not from when it was keyed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Complaint
from app.services.errors import ValidationFailed

from .helpers import all_tasks, audit_actions, ist, outbox_kinds, ready_names, refreshed, register
from .mailbox import deliver

pytestmark = pytest.mark.usefixtures("live_version")
KEYED = ist(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.mark.parametrize("channel", ["web", "eposta"])
def test_web_and_e_mail_complaints_get_the_acknowledgement_mail_at_registration(channel):
    complaint = register(channel, at=KEYED)
    assert outbox_kinds(complaint) == ["acknowledgement"]
    assert complaint.acknowledged_at == KEYED and complaint.stage == 3
    assert ready_names(complaint) == ["task_classify"] and all_tasks(complaint, "task_acknowledge") == []
    assert "message_queued" in audit_actions(complaint)


def test_the_automatic_acknowledgement_is_in_the_customers_language(smtp):
    complaint = register("eposta", at=KEYED)
    complaint.language = "en"
    db.session.commit()
    deliver(KEYED + timedelta(minutes=1))
    (mail,) = smtp.messages()
    assert mail["Content-Language"] == "en" and complaint.registration_number in mail["Subject"]
    assert "Şikâyetiniz" not in mail["Subject"]


def test_a_web_complaint_without_an_address_is_acknowledged_on_screen_only():
    complaint = register("web", at=KEYED, customer_email="", preferred_contact="telefon")
    assert outbox_kinds(complaint) == [] and "message_skipped" in audit_actions(complaint)
    assert ready_names(complaint) == ["task_classify"]


def test_a_fax_received_yesterday_counts_its_deadlines_from_receipt():
    complaint = register("faks", at=KEYED, received_at=ist(2026, 11, 24, 16, 0))
    complaint = refreshed(complaint)
    assert complaint.received_at == ist(2026, 11, 24, 16, 0) and complaint.created_at == KEYED
    assert complaint.acknowledgement_due_at == ist(2026, 11, 24, 18, 0)
    # The same-day acknowledgement was due yesterday: the representative is told at once.
    assert ready_names(complaint) == ["task_ack_escalation", "task_acknowledge"]
    assert complaint.registration_number == "SK-2026-000001"


@pytest.mark.parametrize(("channel", "received", "message"), [
    ("faks", ist(2026, 11, 25, 10, 5), "gelecekte"),
    ("posta_kargo", ist(2026, 10, 1, 10, 0), "günden eski"),
    ("telefon", ist(2026, 11, 24, 16, 0), "yalnızca faks ve posta"),
    ("faks", "2026-11-24T16:00", "Geçerli bir tarih"),
])
def test_an_impossible_receipt_time_is_refused(channel, received, message):
    with pytest.raises(ValidationFailed) as refused:
        register(channel, at=KEYED, received_at=received)
    assert message in refused.value.errors["received_at"]
    assert db.session.query(Complaint).count() == 0


def _intake(client, **fields):
    data = {"channel": "faks", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
            "customer_email": "ayse@example.com.tr", "preferred_contact": "", "subscription_number": "",
            "subject": "", "description": "Faksla gelen şikâyet.", "idempotency_key": ""}
    data.update(fields)
    return client.post("/intake", data=data, content_type="multipart/form-data")


def test_intake_staff_enter_when_the_fax_arrived(as_user):
    client = as_user("intake")
    assert 'id="received_at"' in client.get("/intake").get_data(as_text=True)
    response = _intake(client, received_at="2026-11-25T09:15")
    assert response.status_code == 302
    complaint = db.session.query(Complaint).one()
    assert complaint.received_at == ist(2026, 11, 25, 9, 15)


def test_intake_refuses_a_receipt_time_in_the_future(as_user):
    response = _intake(as_user("intake"), received_at="2026-11-26T09:15")
    assert response.status_code == 422
    assert "Alınma zamanı gelecekte olamaz." in response.get_data(as_text=True)
    assert db.session.query(Complaint).count() == 0


def test_an_e_mail_complaint_keyed_by_intake_says_the_acknowledgement_went_out(as_user):
    client = as_user("intake")
    response = _intake(client, channel="eposta")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Alındı bildirimi e-postası müşteriye otomatik gönderiliyor." in page


def test_classification_shows_no_deadline_that_nothing_enforces():
    complaint = register("telefon", at=KEYED)
    (task,) = all_tasks(complaint, "task_classify")
    assert task.due_at is None
    assert refreshed(complaint).instance.next_timer_at is None
