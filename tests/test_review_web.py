"""The review pages through the client: who may read, who may act, and what the pages show."""

from __future__ import annotations

import codecs

import pytest

from app.services.workflow import admin_actions

from .helpers import answer, audit_actions, classify, ist, ready, refreshed, register, solve

pytestmark = pytest.mark.usefixtures("live_version")
READERS = ("quality_manager", "admin", "auditor")
OTHERS = ("intake", "handler", "representative", "analyst")


def _reopened_complaint():
    complaint = register("telefon", at=ist(2026, 11, 23, 10, 0))
    classify(complaint, "high", ist(2026, 11, 23, 11, 0))
    solve(complaint, ist(2026, 11, 23, 12, 0))
    answer(complaint, False, ist(2026, 11, 23, 13, 0))
    solve(complaint, ist(2026, 11, 23, 14, 0))
    return complaint


def _pages(number: str) -> list[str]:
    return ["/review/", "/review/?status=open&sort=number&deadline=breached", "/review/export.csv",
            f"/review/complaints/{number}", "/review/versions/1/diagram.bpmn",
            "/review/dashboard?from=2026-11-01&to=2026-12-01", "/review/report?from=2026-11-01&to=2026-12-01"]


@pytest.mark.parametrize("role", READERS)
def test_quality_managers_admins_and_auditors_read_every_review_page(as_user, role):
    number = _reopened_complaint().registration_number
    client = as_user(role)
    for url in _pages(number):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", OTHERS)
def test_other_staff_cannot_read_the_review_pages(as_user, role):
    number = _reopened_complaint().registration_number
    client = as_user(role)
    for url in _pages(number):
        assert client.get(url).status_code == 403, url


def _post_all(client, complaint, reason="Gerekçe"):
    number = complaint.registration_number
    task_id = ready(complaint)[0].id
    return [client.post(f"/review/complaints/{number}/{action}", data={"reason": reason})
            for action in ("suspend", "resume", "cancel")] + [
        client.post(f"/review/complaints/{number}/tasks/{task_id}/reassign",
                    data={f"t{task_id}-reason": reason, f"t{task_id}-assignee": "uzman2"})]


@pytest.mark.parametrize("role", ["auditor", *OTHERS])
def test_only_quality_managers_and_admins_act_the_auditor_changes_nothing(as_user, role):
    complaint = _reopened_complaint()
    before = audit_actions(complaint)
    responses = _post_all(as_user(role), complaint)
    assert [r.status_code for r in responses] == [403] * 4
    assert audit_actions(complaint) == before
    assert refreshed(complaint).instance.status == "running"


@pytest.mark.parametrize("role", ["quality_manager", "admin"])
def test_quality_manager_and_admin_act_with_a_reason(as_user, role):
    complaint = _reopened_complaint()
    client = as_user(role)
    number = complaint.registration_number

    response = client.post(f"/review/complaints/{number}/suspend", data={"reason": "  "}, follow_redirects=True)
    assert "Gerekçe zorunludur" in response.get_data(as_text=True)
    assert refreshed(complaint).instance.status == "running"

    response = client.post(f"/review/complaints/{number}/suspend", data={"reason": "Müşteri izinde"})
    assert response.status_code == 302
    assert refreshed(complaint).instance.status == "suspended"
    client.post(f"/review/complaints/{number}/resume", data={"reason": "Döndü"})
    client.post(f"/review/complaints/{number}/cancel", data={"reason": "Mükerrer"})
    complaint = refreshed(complaint)
    assert complaint.status == "cancelled"
    assert audit_actions(complaint)[-3:] == ["admin_suspended", "admin_resumed", "admin_cancelled"]
    page = client.get(f"/review/complaints/{number}").get_data(as_text=True)
    assert "Mükerrer" in page


def test_admin_forms_carry_csrf_and_posts_without_it_are_refused(app, as_user):
    complaint = _reopened_complaint()
    client = as_user("quality_manager")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/review/complaints/{complaint.registration_number}").get_data(as_text=True)
        assert 'name="csrf_token"' in page
        response = client.post(f"/review/complaints/{complaint.registration_number}/suspend",
                               data={"reason": "x"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refreshed(complaint).instance.status == "running"


def test_auditor_sees_the_page_without_action_forms(as_user):
    complaint = _reopened_complaint()
    page = as_user("auditor").get(f"/review/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Salt okunur" in page
    assert "/suspend" not in page and "/reassign" not in page
    qm_page = as_user("quality_manager").get(f"/review/complaints/{complaint.registration_number}")
    assert "/suspend" in qm_page.get_data(as_text=True)


def test_complaint_page_shows_the_trail_deadlines_messages_and_answers(as_user):
    complaint = _reopened_complaint()
    page = as_user("quality_manager").get(f"/review/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Sorun devam ediyor." in page                     # the customer's rejection reason
    assert "Kök neden: Ağ altyapısı" in page                 # data entered at the response step, in words
    assert "network_infrastructure" not in page.replace('"network_infrastructure"', "")  # no code as text
    assert 'class="audit-trail"' in page and "<summary>" in page  # the trail is grouped and collapsed
    assert 'id="diagram-data"' in page and '"task_analyse": 2' in page
    assert "İlk çözüm önerisi" in page and "zamanında" in page
    assert "decision" in page or "Karar bildirimi" in page


def test_csv_download_keeps_the_filters(as_user):
    _reopened_complaint()
    register("faks", at=ist(2026, 11, 24, 10, 0))
    response = as_user("auditor").get("/review/export.csv?channel=faks")
    assert response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    assert response.data.decode("utf-8-sig").count("\r\n") == 2


def test_report_speaks_english_when_asked(as_user, staff):
    complaint = _reopened_complaint()
    admin_actions.suspend(complaint, user=staff["admin"], reason="x")
    client = as_user("quality_manager")
    tr = client.get("/review/report?from=2026-11-01&to=2026-12-01").get_data(as_text=True)
    en = client.get("/review/report?from=2026-11-01&to=2026-12-01&lang=en").get_data(as_text=True)
    assert "Yönetimin gözden geçirmesi raporu" in tr
    assert "management review report" in en.lower()
    assert "Göstergeler" not in en


def test_diagram_endpoint_serves_the_versions_bpmn(as_user):
    response = as_user("auditor").get("/review/versions/1/diagram.bpmn")
    assert response.mimetype == "application/xml"
    assert b"task_analyse" in response.data
    assert as_user("auditor").get("/review/versions/9/diagram.bpmn").status_code == 404


def test_csv_download_streams_outside_the_test_apps_context(as_user):
    """As under gunicorn: the request runs in a thread with no app context pushed around it."""
    import threading

    register("faks", at=ist(2026, 11, 24, 10, 0))
    client = as_user("quality_manager")
    result = {}

    def download():
        try:
            response = client.get("/review/export.csv")
            result["body"] = response.get_data()
        except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
            result["error"] = exc

    thread = threading.Thread(target=download)
    thread.start()
    thread.join(timeout=60)
    assert "error" not in result, result.get("error")
    assert result["body"].decode("utf-8-sig").count("\r\n") == 2
