"""The REST API through the test client: create, read, search, tasks, notes, versions, errors."""

from __future__ import annotations

import pytest

from app.models import PersonalDataView

from .helpers import ACK, ist, refreshed, register, task_named

pytestmark = pytest.mark.usefixtures("live_version")
NEW = {"channel": "faks", "customer_name": "Ayşe Yılmaz", "customer_email": "ayse@example.com.tr",
       "description": "Bağlantı kopuyor."}


def test_create_complaint_returns_its_number_and_location(api):
    client = api("intake")
    r = client.post("/complaints", json=NEW)
    assert r.status_code == 201, r.json
    assert r.json["registration_number"].startswith("SK-")
    assert r.json["stage"] == 2
    assert r.headers["Location"] == f"/api/v1/complaints/{r.json['registration_number']}"


def test_idempotency_key_returns_the_same_complaint_on_retry(api):
    client = api("intake")
    first = client.post("/complaints", json=NEW, headers={"Idempotency-Key": "call-42"})
    again = client.post("/complaints", json=NEW, headers={"Idempotency-Key": "call-42"})
    other = client.post("/complaints", json=NEW, headers={"Idempotency-Key": "call-43"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json["registration_number"] == again.json["registration_number"]
    assert other.json["registration_number"] != first.json["registration_number"]


def test_idempotency_keys_of_two_integrations_do_not_collide(api):
    a, b = api("intake", name="callcentre"), api("intake", name="billing")
    one = a.post("/complaints", json=NEW, headers={"Idempotency-Key": "k1"})
    two = b.post("/complaints", json=NEW, headers={"Idempotency-Key": "k1"})
    assert one.json["registration_number"] != two.json["registration_number"]


@pytest.mark.parametrize("body, field", [
    ({**NEW, "channel": "pigeon"}, "channel"),
    ({**NEW, "customer_name": 42}, "customer_name"),
    ({**NEW, "surprise": "x"}, "surprise"),
    ({k: v for k, v in NEW.items() if k != "description"}, "description"),
    ({**NEW, "customer_email": None, "customer_phone": None}, "customer_email"),
    ({**NEW, "description": "a\x00b"}, "description"),
])
def test_bad_fields_are_422_problems_with_field_errors(api, body, field):
    r = api("intake").post("/complaints", json=body)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert field in r.json["errors"]
    assert r.json["status"] == 422 and r.json["title"]


@pytest.mark.parametrize("data, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b"[" * 100000, "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b"channel=faks", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies_are_4xx(api, data, content_type, status):
    r = api("intake").post("/complaints", data=data, headers={"Content-Type": content_type})
    assert r.status_code == status
    assert r.mimetype == "application/problem+json"


def test_get_complaint_shows_status_tasks_timeline_and_logs_the_view(api, app):
    complaint = register("faks")
    r = api("handler", name="crm").get(f"/complaints/{complaint.registration_number}")
    assert r.status_code == 200
    body = r.json
    assert body["status"] == "open" and body["stage"] == 2
    assert body["customer"]["email"] == "ayse@example.com.tr"
    assert [t["spec_name"] for t in body["open_tasks"]] == ["task_acknowledge"]
    assert body["timeline"][0]["action"] == "registered"
    view = app.extensions["sqlalchemy"].session.query(PersonalDataView).one()
    assert (view.actor, view.context) == ("api.crm", "api:get_complaint")


def test_the_timeline_reads_events_messages_and_notes_in_order_with_the_version(api, smtp):
    """Events, messages and notes come from one statement: at one instant, events in chain order, then
    messages, then notes; a sent message's time is an instant like the others; the version is the
    workflow's lock version, read with the complaint."""
    from .mailbox import deliver

    complaint = register("eposta", at=ist(2026, 11, 25, 11, 0))  # the pinned desk clock's instant
    client = api("handler", name="crm")
    assert client.post(f"/complaints/{complaint.registration_number}/notes", json={"body": "Arandı."}).status_code \
        == 201
    before = client.get(f"/complaints/{complaint.registration_number}").json
    assert [(e["kind"], e["action"]) for e in before["timeline"]] == [
        ("event", "registered"), ("event", "message_queued"), ("message", "acknowledgement"), ("note", "note")]
    assert before["timeline"][2]["data"]["sent_at"] is None and before["timeline"][3]["data"] == {"body": "Arandı."}
    assert before["timeline"][0]["at"] == "2026-11-25T08:00:00+00:00" and before["version"] == 1
    deliver(ist(2026, 11, 25, 11, 5))
    message = client.get(f"/complaints/{complaint.registration_number}").json["timeline"][2]
    assert (message["data"]["status"], message["data"]["sent_at"]) == ("sent", "2026-11-25T08:05:00+00:00")


def test_unknown_complaint_and_unknown_route_are_problem_404s(api):
    client = api("handler")
    for r in (client.get("/complaints/SK-1999-000001"), client.get("/nothing-here"),
              client.post("/tasks/99999999999999999999/claim")):
        assert r.status_code == 404
        assert r.mimetype == "application/problem+json"
    r = client.client.delete("/api/v1/complaints", headers=client._headers(None))
    assert r.status_code == 405 and r.mimetype == "application/problem+json"


def test_search_pages_with_a_maximum_limit(api, app):
    for i in range(5):
        register("faks", at=ist(2026, 11, 25, 10, i), customer_name=f"Müşteri {i}")
    client = api("handler")
    r = client.get("/complaints", query_string={"q": "müşteri", "limit": 2, "offset": 2})
    assert r.status_code == 200
    assert (r.json["total"], len(r.json["items"]), r.json["offset"]) == (5, 2, 2)
    assert client.get("/complaints", query_string={"limit": app.config["API_MAX_LIMIT"] + 1}).status_code == 422
    assert client.get("/complaints", query_string={"offset": "-1"}).status_code == 422
    assert client.get("/complaints", query_string={"status": "weird"}).status_code == 422
    assert client.get("/complaints", query_string={"status": "closed"}).json["total"] == 0


def test_my_tasks_follow_the_lane_roles(api):
    register("faks")
    intake, handler = api("intake"), api("handler")
    assert [t["spec_name"] for t in intake.get("/tasks").json["items"]] == ["task_acknowledge"]
    assert handler.get("/tasks").json["items"] == []


def test_claim_and_complete_a_task(api):
    complaint = register("faks")
    task = task_named(complaint, "task_acknowledge")
    client = api("intake", name="callcentre")
    claimed = client.post(f"/tasks/{task.id}/claim")
    assert claimed.status_code == 200 and claimed.json["assignee"] == "api.callcentre"
    done = client.post(f"/tasks/{task.id}/complete", json={"data": ACK})
    assert done.status_code == 200 and done.json["state"] == "completed"
    again = client.post(f"/tasks/{task.id}/complete", json={"data": ACK})
    assert again.status_code == 409
    assert again.json["by"] == "api.callcentre" and again.json["at"]
    assert refreshed(complaint).acknowledged_at is not None


def test_completion_is_validated_by_the_form_schema(api):
    complaint = register("faks")
    task = task_named(complaint, "task_acknowledge")
    r = api("intake").post(f"/tasks/{task.id}/complete", json={"data": {"ack_method": "güvercin"}})
    assert r.status_code == 422 and "ack_method" in r.json["errors"]
    r = api("intake").post(f"/tasks/{task.id}/complete", json={"data": "x"})
    assert r.status_code == 422 and "data" in r.json["errors"]


def test_stale_version_is_409(api):
    complaint = register("faks")
    task = task_named(complaint, "task_acknowledge")
    r = api("intake").post(f"/tasks/{task.id}/complete", json={"data": ACK, "expected_version": 999})
    assert r.status_code == 409 and r.json["current_version"] != 999
    # The version the case shows is the one a completion must send.
    shown = api("intake").get(f"/complaints/{complaint.registration_number}").json["version"]
    assert shown == r.json["current_version"]
    r = api("intake").post(f"/tasks/{task.id}/complete", json={"data": ACK, "expected_version": shown})
    assert r.status_code == 200
    assert api("intake").get(f"/complaints/{complaint.registration_number}").json["version"] == shown + 1


def test_a_task_outside_the_tokens_lanes_is_403(api):
    complaint = register("faks")
    task = task_named(complaint, "task_acknowledge")
    handler = api("handler")
    assert handler.post(f"/tasks/{task.id}/claim").status_code == 403
    assert handler.post(f"/tasks/{task.id}/complete", json={"data": ACK}).status_code == 403


def test_notes_and_process_versions(api):
    complaint = register("faks")
    r = api("handler", name="crm").post(f"/complaints/{complaint.registration_number}/notes",
                                        json={"body": "Müşteri aradı."})
    assert r.status_code == 201 and r.json["author"] == "api.crm"
    assert api("handler").post(f"/complaints/{complaint.registration_number}/notes",
                               json={"body": "  "}).status_code == 422
    versions = api("analyst").get("/process-versions")
    assert versions.status_code == 200 and versions.json["items"][0]["is_live"] is True
