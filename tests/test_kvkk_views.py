"""KVKK: every page that shows a customer's personal data leaves a view-log entry (issue 11, section 3)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import PersonalDataView
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
