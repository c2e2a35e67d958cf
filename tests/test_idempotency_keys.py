"""Hostile idempotency keys: each caller has its own key space and format, a key is bound to its body,
the public form is rate-limited, and sixteen racing retries store one complaint (issue 11, section 3)."""

from __future__ import annotations

import re
import threading
from uuid import uuid4

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint
from app.services.accounts import api_tokens

from .portal_helpers import NUMBER, form_data

pytestmark = pytest.mark.usefixtures("live_version")

NEW = {"channel": "telefon", "customer_name": "Entegrasyon Müşterisi", "customer_phone": "+90 312 555 0199",
       "customer_email": "gizli@example.com.tr", "description": "Çağrı merkezinden gelen şikâyet."}


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def _token_id(name: str) -> int:
    return next(t.id for t in api_tokens.list_tokens() if t.name == name)


def test_the_public_form_cannot_read_an_integrations_complaint_through_its_key(api, client):
    integration = api("intake", name="callcentre")
    created = integration.post("/complaints", json=NEW, headers={"Idempotency-Key": "order-1"})
    assert created.status_code == 201
    number = created.get_json()["registration_number"]

    hijack = client.post("/sikayet", data=form_data(idempotency_key=f"api:{_token_id('callcentre')}:order-1"))
    page = hijack.get_data(as_text=True)
    assert hijack.status_code == 422
    assert number not in page and "gizli@example.com.tr" not in page
    assert "Form geçersiz veya eskimiş" in page
    assert count() == 1
    # The page carries a fresh key the form issued: sending it again files the visitor's own complaint.
    assert f"api:{_token_id('callcentre')}:order-1" not in page


def test_a_squatted_key_does_not_stop_the_integrations_complaint(api, client):
    integration = api("intake", name="callcentre")
    token_id = _token_id("callcentre")
    assert client.post("/sikayet", data=form_data(idempotency_key=f"api:{token_id}:order-2")).status_code == 422
    uuid_key = str(uuid4())
    squat = client.post("/sikayet", data=form_data(idempotency_key=uuid_key))
    assert squat.status_code == 302  # a form key of its own: the visitor's complaint, in the portal's space

    for key in ("order-2", uuid_key, f"portal:{uuid_key}"):
        response = integration.post("/complaints", json=NEW, headers={"Idempotency-Key": key})
        assert response.status_code == 201, (key, response.get_json())
        assert response.get_json()["customer_name"] == NEW["customer_name"]
    assert count() == 4


@pytest.mark.parametrize("key", ["not-a-uuid", "portal:" + "1" * 36, "x" * 400, str(uuid4()) + "\n"])
def test_the_form_accepts_only_the_uuid_it_issued(client, key):
    response = client.post("/sikayet", data=form_data(idempotency_key=key))
    assert response.status_code == 422 and "Form geçersiz veya eskimiş" in response.get_data(as_text=True)
    assert count() == 0


def test_intake_keys_are_kept_per_staff_member(as_user):
    key = str(uuid4())
    data = {"channel": "telefon", "customer_name": "Ayşe Yılmaz", "customer_phone": "+90 312 555 0101",
            "description": "Bağlantı kopuyor.", "idempotency_key": key}
    first = as_user("intake").post("/intake", data=data)
    second = as_user("representative").post("/intake", data=data)
    again = as_user("intake").post("/intake", data=data)
    assert first.status_code == second.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"] != second.headers["Location"]
    assert count() == 2
    assert as_user("intake").post("/intake", data={**data, "idempotency_key": "api:1:x"}).status_code == 422


def test_the_same_api_key_with_another_body_is_422(api):
    integration = api("intake")
    first = integration.post("/complaints", json=NEW, headers={"Idempotency-Key": "order-3"})
    retry = integration.post("/complaints", json={**NEW, "customer_name": "  Entegrasyon Müşterisi "},
                             headers={"Idempotency-Key": "order-3"})
    other = integration.post("/complaints", json={**NEW, "description": "Başka bir şikâyet."},
                             headers={"Idempotency-Key": "order-3"})
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 422)
    assert retry.get_json()["registration_number"] == first.get_json()["registration_number"]
    problem = other.get_json()
    assert other.mimetype == "application/problem+json" and "Idempotency-Key" in problem["errors"]
    assert count() == 1


def test_the_same_form_key_with_other_data_is_refused_with_a_message_and_a_new_key(client):
    data = form_data()
    first = client.post("/sikayet", data=data)
    repeat = client.post("/sikayet", data=data, follow_redirects=True)
    assert first.status_code == 302 and repeat.status_code == 200
    number = NUMBER.search(repeat.get_data(as_text=True)).group(0)

    changed = client.post("/sikayet", data={**data, "description": "Aslında fatura sorunum var."})
    page = changed.get_data(as_text=True)
    assert changed.status_code == 422 and "farklı bilgilerle gönderildi" in page
    assert number not in page and f'value="{data["idempotency_key"]}"' not in page
    assert count() == 1
    new_key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    resent = client.post("/sikayet", data={**data, "description": "Aslında fatura sorunum var.",
                                           "idempotency_key": new_key})
    assert resent.status_code == 302 and count() == 2


def test_the_public_form_is_rate_limited_per_client_address(app, client):
    app.config["PORTAL_FORM_MAX_POSTS"] = 3
    for _ in range(3):
        assert client.post("/sikayet", data=form_data(customer_name="")).status_code == 422
    refused = client.post("/sikayet", data=form_data())
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "çok sayıda şikâyet formu gönderildi" in page
    assert refused.headers["Retry-After"] == str(app.config["PORTAL_FORM_WINDOW_MINUTES"] * 60)
    assert count() == 0
    # A client that keeps posting stays refused (its posts are counted only up to one past the limit).
    assert {client.post("/sikayet", data=form_data()).status_code for _ in range(6)} == {429}
    client.post("/language", data={"lang": "en", "next": "/sikayet"})
    assert "Too many complaint forms" in client.post("/sikayet", data=form_data()).get_data(as_text=True)
    other = app.test_client().post("/sikayet", data=form_data(), environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 302 and count() == 1
    assert client.get("/sikayet").status_code == 200  # reading the form is never limited


def _race(count_: int, call) -> list:
    barrier = threading.Barrier(count_)
    outcomes: list = [None] * count_

    def worker(index):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_sixteen_concurrent_api_requests_with_one_key_store_one_complaint(app, api):
    integration = api("intake")
    db.session.remove()

    def post():
        response = app.test_client().post("/api/v1/complaints", json=NEW, headers={
            "Authorization": f"Bearer {integration.secret}", "Idempotency-Key": "order-race"})
        return response.status_code, response.get_json()["registration_number"]

    outcomes = _race(16, post)
    assert sorted(o[0] for o in outcomes) == [200] * 15 + [201], outcomes
    assert len({o[1] for o in outcomes}) == 1
    assert count() == 1


def test_sixteen_concurrent_form_posts_with_one_key_store_one_complaint(app):
    data = form_data()
    db.session.remove()

    def post():
        return app.test_client().post("/sikayet", data=dict(data)).status_code

    outcomes = _race(16, post)
    assert outcomes == [302] * 16, outcomes
    assert count() == 1


def test_a_burst_of_form_posts_from_one_address_lets_only_the_limit_through(app):
    """Each post is counted and committed before it is checked (on a side connection that does not wait for
    the disk): however many arrive at once, no more than the limit are filed. (A post that counts while
    others of the burst are already recorded may be refused although fewer were filed: under load every
    post of the burst can be.)"""
    app.config["PORTAL_FORM_MAX_POSTS"] = 3
    db.session.remove()

    def post():
        return app.test_client().post("/sikayet", data=form_data(idempotency_key=str(uuid4()))).status_code

    outcomes = _race(8, post)
    assert set(outcomes) <= {302, 429} and outcomes.count(302) <= 3, outcomes
    assert count() == outcomes.count(302)
