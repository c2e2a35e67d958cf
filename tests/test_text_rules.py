"""Hostile text at every entry point: CR/LF and control characters in one-line fields, NUL anywhere.

One rule (app/services/text_rules.py) and one behaviour on SQLite and PostgreSQL: a message on the
field, nothing stored, never a 400 or a 500 (issue 11, section 3).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import session
from flask_babel import refresh as babel_refresh

from app.extensions import db
from app.models import AuditEvent, Complaint, ComplaintNote, HumanTask, SurveyResponse
from app.services import text_rules
from app.services.complaints import idempotency, links
from app.services.complaints import registration as complaints
from app.services.errors import ValidationFailed

from .helpers import ACK, audit_actions, ready, refreshed, register
from .portal_helpers import answer_token, form_data, now, to_decision

pytestmark = pytest.mark.usefixtures("live_version")

SINGLE = text_rules.SINGLE_LINE_MESSAGE
MULTI = text_rules.MULTI_LINE_MESSAGE
HEADER_INJECTION = "Ayşe Yılmaz\r\nBcc: herkes@example.com"
SINGLE_LINE_BAD = [HEADER_INJECTION, "Ayşe\nYılmaz", "Ayşe\rYılmaz", "Ayşe\x00", "Ayşe\x1b[31m", "Ayşe\u2028Y",
                   "Ayşe\x85Y", "Ayşe\tYılmaz"]
MULTI_LINE_BAD = ["Bağlantı\x00kopuyor", "Renkli \x1b[31m metin", "Zil \x07", "Sayfa\x0csonu"]


def count(model=Complaint) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_services_raise_the_messages_in_the_reader_language(app):
    with app.test_request_context():
        assert [text_rules.single_line_problem("a\n"), text_rules.multi_line_problem("a\x00")] == [SINGLE, MULTI]
        session["lang"] = "en"
        babel_refresh()  # the language chosen after the first message: look it up again
        english = text_rules.single_line_problem("a\n")
        assert english == "Line breaks and control characters are not allowed in this field."
        with pytest.raises(ValidationFailed) as refused:
            idempotency.portal_key("not-a-uuid")
    assert refused.value.errors["idempotency_key"] != idempotency.FORM_KEY_MESSAGE
    assert refused.value.errors["idempotency_key"].startswith("The form is invalid or out of date.")


@pytest.mark.parametrize("value", SINGLE_LINE_BAD)
@pytest.mark.parametrize("field", ["customer_name", "subject", "subscription_number", "customer_email"])
def test_the_shared_intake_rule_refuses_control_characters_in_single_line_fields(field, value):
    if field == "customer_email":
        value = value.replace("Ayşe", "ayse@example.com")
    fields = {"channel": "faks", "customer_name": "Ayşe", "customer_email": "ayse@example.com",
              "description": "Bağlantı kopuyor.", field: value}
    with pytest.raises(ValidationFailed) as refused:
        complaints.validate_intake(fields)
    assert refused.value.errors[field] == SINGLE


@pytest.mark.parametrize("value", MULTI_LINE_BAD)
def test_multi_line_text_keeps_line_breaks_and_tabs_but_refuses_other_control_characters(value):
    base = {"channel": "faks", "customer_name": "Ayşe", "customer_email": "ayse@example.com"}
    kept = complaints.validate_intake({**base, "description": "Satır 1\r\nSatır 2\r\tsekme\n"})
    assert kept["description"] == "Satır 1\nSatır 2\n\tsekme"
    with pytest.raises(ValidationFailed) as refused:
        complaints.validate_intake({**base, "description": value})
    assert refused.value.errors == {"description": MULTI}


@pytest.mark.parametrize("field, value", [("customer_name", HEADER_INJECTION), ("subject", "Konu\nBcc: x@y.z"),
                                          ("subscription_number", "ABN\r\n1"), ("customer_email", "a@b.co\x01"),
                                          ("customer_name", "Ayşe\x00"), ("description", "Metin\x00")])
def test_the_public_form_refuses_them_on_the_field(client, field, value):
    response = client.post("/sikayet", data=form_data(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (MULTI if field == "description" else SINGLE) in page
    assert f'id="{field}-error"' in page
    assert count() == 0


def test_the_public_form_keeps_line_breaks_in_the_description(client):
    response = client.post("/sikayet", data=form_data(description="Birinci satır\r\n\tİkinci satır"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Complaint.description)) == "Birinci satır\n\tİkinci satır"


def test_english_visitors_read_the_message_in_english(client):
    client.post("/language", data={"lang": "en", "next": "/sikayet"})
    page = client.post("/sikayet", data=form_data(customer_name=HEADER_INJECTION)).get_data(as_text=True)
    assert "Line breaks and control characters are not allowed in this field." in page


@pytest.mark.parametrize("field, value", [("customer_name", HEADER_INJECTION), ("subject", "Konu\r\nX: y"),
                                          ("customer_name", "Ayşe\x00"), ("description", "Metin\x00")])
def test_staff_intake_refuses_them_on_the_field(as_user, field, value):
    data = {"channel": "telefon", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
            "description": "Bağlantı kopuyor.", field: value}
    response = as_user("intake").post("/intake", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (MULTI if field == "description" else SINGLE) in page and f'id="{field}-error"' in page
    assert count() == 0


@pytest.mark.parametrize("field, value", [("customer_name", HEADER_INJECTION), ("subject", "Konu\nX"),
                                          ("subscription_number", "\x1b"), ("customer_name", "Ayşe\x00"),
                                          ("description", "Metin\x00"), ("description", "Zil\x07")])
def test_the_api_refuses_them_with_a_problem_naming_the_field(api, field, value):
    body = {"channel": "telefon", "customer_name": "Ayşe", "customer_phone": "+90 312 555 0101",
            "description": "Bağlantı kopuyor.", field: value}
    response = api("intake").post("/complaints", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert count() == 0


def test_a_task_form_with_nul_is_a_field_message_and_the_task_stays_ready(as_user):
    complaint = register("faks")
    task = ready(complaint)[0]
    version = str(refreshed(complaint).instance.lock_version)
    client = as_user("intake")
    response = client.post(f"/tasks/{task.id}", data={"ack_method": "eposta", "ack_note": "Görüşüldü\x00",
                                                       "expected_version": version})
    assert response.status_code == 422 and MULTI in response.get_data(as_text=True)
    assert [t.id for t in ready(complaint)] == [task.id]
    done = client.post(f"/tasks/{task.id}", data={"ack_method": "eposta", "ack_note": "Ayşe Hanım\r\naradı",
                                                   "expected_version": version})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state == "completed"
    completed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id,
                                                               AuditEvent.action == "task_completed")).one()
    assert json.loads(completed.data_json)["data"]["ack_note"] == "Ayşe Hanım\naradı"


def test_a_task_completed_over_the_api_with_a_control_character_is_422(api):
    complaint = register("faks")
    task = ready(complaint)[0]
    response = api("intake").post(f"/tasks/{task.id}/complete", json={"data": {**ACK, "ack_note": "Not\x1b"}})
    assert response.status_code == 422 and "ack_note" in response.get_json()["errors"]
    assert [t.id for t in ready(complaint)] == [task.id]


def test_notes_with_nul_or_control_characters_are_refused_with_a_message(as_user, api):
    complaint = register("telefon")
    number = complaint.registration_number
    page = as_user("handler").post(f"/complaints/{number}/notes", data={"body": "İç not\x00"},
                                   follow_redirects=True).get_data(as_text=True)
    assert MULTI in page
    response = api("handler").post(f"/complaints/{number}/notes", json={"body": "İç not\x07"})
    assert response.status_code == 422 and "body" in response.get_json()["errors"]
    assert count(ComplaintNote) == 0
    assert api("handler").post(f"/complaints/{number}/notes", json={"body": "Satır\r\nsatır"}).status_code == 201
    assert db.session.scalar(sa.select(ComplaintNote.body)) == "Satır\nsatır"


def test_the_customers_answer_and_survey_refuse_nul_with_a_message(client):
    complaint = to_decision(register("web"))
    token = answer_token(complaint, "reject")
    response = client.post(f"/yanit/{token}", data={"decision": "reject", "reason": "Olmadı\x00"})
    assert response.status_code == 422 and MULTI in response.get_data(as_text=True)
    assert "customer_answered" not in audit_actions(complaint) and refreshed(complaint).reopen_count == 0

    survey = links.make_token(links.SURVEY, refreshed(complaint), at=now())
    response = client.post(f"/anket/{survey}", data={"score": "4", "solved": "yes", "comment": "Teşekkürler\x00"})
    assert response.status_code == 422 and MULTI in response.get_data(as_text=True)
    assert count(SurveyResponse) == 0


def test_a_reviewers_reason_with_nul_is_refused_with_a_message(as_user):
    complaint = register("faks")
    response = as_user("quality_manager").post(f"/review/complaints/{complaint.registration_number}/suspend",
                                               data={"reason": "Gerekçe\x00"}, follow_redirects=True)
    assert MULTI in response.get_data(as_text=True)
    assert refreshed(complaint).instance.status == "running"


@pytest.mark.parametrize("role, path", [("handler", "/complaints?q=Ay%00se"), ("handler", "/inbox?q=a%0D%0Ab"),
                                        ("quality_manager", "/review/?q=%00")])
def test_a_search_for_control_characters_is_not_a_400(as_user, role, path):
    register("faks")
    response = as_user(role).get(path)
    assert response.status_code == 200
    if path.startswith("/complaints"):
        assert SINGLE in response.get_data(as_text=True)
