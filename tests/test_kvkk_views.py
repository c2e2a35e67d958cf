"""KVKK: every page that shows a customer's personal data leaves a view-log entry (issue 11, section 3)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, PersonalDataView
from app.services.complaints import registration as complaints
from app.services.privacy import kvkk
from app.services.privacy.personal_data_log import views_of

from .helpers import ist, register

pytestmark = pytest.mark.usefixtures("live_version")


def _views() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(v.actor, v.context, v.complaint_id) for v in
            db.session.scalars(sa.select(PersonalDataView).order_by(PersonalDataView.id))]


def test_the_review_complaint_page_logs_the_view(as_user, staff):
    complaint = register("faks")
    response = as_user("quality_manager").get(f"/review/complaints/{complaint.registration_number}",
                                              environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    (view,) = views_of(complaint.id)
    assert (view.user_id, view.context, view.ip) == (staff["quality_manager"].id, "review_complaint", "10.1.2.3")


def test_staff_search_logs_one_entry_per_complaint_shown(as_user):
    shown = [register("faks", customer_name="Ayşe Yılmaz"), register("posta_kargo", customer_name="Ayşe Demir")]
    other = register("faks", customer_name="Mehmet Kaya")
    client = as_user("handler")
    page = client.get("/complaints?q=Ayşe").get_data(as_text=True)
    assert "Ayşe Yılmaz" in page and "Mehmet Kaya" not in page
    assert sorted(_views()) == sorted(("uzman", "complaint_search", c.id) for c in shown)
    assert views_of(other.id) == []
    client.get("/complaints?q=Nobody")
    assert len(_views()) == 2  # a search that shows nobody logs nothing


def test_an_anonymised_complaint_in_search_results_logs_nothing_and_keeps_no_request_hash(as_user):
    complaint = complaints.register_complaint(
        {"channel": "faks", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
         "description": "Bağlantı kopuyor."}, actor="test", at=ist(2022, 1, 10, 10, 0),
        idempotency_key="staff:1:6f1c2a9e-0d3b-4c57-8e21-5a9b7c3d1e40", fingerprint="0" * 64)
    kvkk.anonymise_complaint(complaint, reason="retention", at=ist(2026, 11, 25, 10, 0))
    assert complaint.idempotency_fingerprint is None  # nor a hash of the data it held
    page = as_user("handler").get(f"/complaints?q={complaint.registration_number}").get_data(as_text=True)
    assert complaint.registration_number in page and "Ayşe" not in page
    assert _views() == []


def test_api_search_logs_one_entry_per_complaint_returned(api):
    first, second = register("faks"), register("telefon")
    response = api("handler", name="crm").get("/complaints")
    assert response.status_code == 200 and response.get_json()["total"] == 2
    assert sorted(c for _, _, c in _views()) == sorted([first.id, second.id])
    assert {ctx for _, ctx, _ in _views()} == {"api:search_complaints"}


def test_every_api_look_up_of_a_complaint_logs_the_view_and_an_unknown_number_logs_nothing(api):
    complaint = register("telefon", customer_name="Ayşe Yılmaz")
    crm = api("handler", name="crm")
    for _ in range(2):
        response = crm.get(f"/complaints/{complaint.registration_number}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
        body = response.get_json()
        assert response.status_code == 200 and body["customer"]["name"] == "Ayşe Yılmaz"
        assert [t["spec_name"] for t in body["open_tasks"]] == ["task_classify"]
        assert body["version"] == db.session.get(Complaint, complaint.id).instance.lock_version
        assert body["timeline"] and body["timeline"][0]["action"] == "registered"
    views = views_of(complaint.id)
    assert [(v.actor, v.context, v.ip) for v in views] == [("api.crm", "api:get_complaint", "10.9.8.7")] * 2
    assert crm.get("/complaints/SK-2026-999999").status_code == 404
    assert len(_views()) == 2


def test_an_api_look_up_whose_view_cannot_be_logged_shows_nothing(app, api, monkeypatch):
    from app.api import routes

    complaint = register("telefon", customer_name="Ayşe Yılmaz")

    def broken(*args, **kwargs):
        raise RuntimeError("the view log is not writable")

    monkeypatch.setattr(routes, "record_personal_data_view", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api("handler").get(f"/complaints/{complaint.registration_number}")
    assert response.status_code == 500
    assert "Ayşe" not in response.get_data(as_text=True)


def test_an_anonymised_complaint_over_the_api_shows_no_personal_data_and_its_view_is_logged(api):
    complaint = register("telefon", customer_name="Ayşe Yılmaz", subscription_number="ABONE-42")
    kvkk.anonymise_complaint(complaint, reason="retention", at=ist(2026, 11, 25, 10, 30))
    crm = api("handler", name="crm")
    response = crm.get(f"/complaints/{complaint.registration_number}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ayşe" not in text and "ABONE-42" not in text and "ayse@example" not in text and "555 0101" not in text
    body = response.get_json()
    assert body["anonymised_at"] is not None and body["customer"]["email"] is None
    assert body["version"] == db.session.get(Complaint, complaint.id).instance.lock_version
    assert [(v.actor, v.context) for v in views_of(complaint.id)] == [("api.crm", "api:get_complaint")]
