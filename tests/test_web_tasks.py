"""The task page: schema-driven form, validation messages, completion, and races between two people."""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.inbox.schema_form import build_fields, raw_values, to_data
from app.models import HumanTask
from app.services.workflow import tasks

from .helpers import ready, ready_names, refreshed, register

pytestmark = pytest.mark.usefixtures("live_version")
IST = ZoneInfo("Europe/Istanbul")


def _version(complaint) -> str:
    return str(refreshed(complaint).instance.lock_version)


def test_task_page_shows_summary_history_and_the_form_from_the_schema(as_user):
    complaint = register("faks", subject="Hız düşük")
    task = ready(complaint)[0]
    page = as_user("intake").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert complaint.registration_number in page and "Ayşe Yılmaz" in page and "Faks" in page
    assert "Şikâyet kaydedildi" in page  # history
    assert 'type="radio" name="ack_method"' in page and "<legend>Bildirim yöntemi" in page
    assert '<textarea id="f-ack_note" name="ack_note"' in page
    assert 'name="expected_version"' in page
    assert "(zorunlu)" in page


def test_invalid_form_shows_messages_per_field_and_keeps_what_was_typed(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    response = as_user("handler").post(f"/tasks/{task.id}", data={
        "classification_note": "Müşteri <b>çok</b> kızgın", "expected_version": _version(complaint)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Bu alan zorunludur.") == 2
    assert "Müşteri &lt;b&gt;çok&lt;/b&gt; kızgın</textarea>" in page
    assert ready_names(complaint) == ["task_classify"]


def test_valid_form_advances_the_process_and_returns_to_the_inbox(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    client = as_user("handler")
    response = client.post(f"/tasks/{task.id}", data={
        "priority": "high", "category": "billing", "classification_note": "", "priority_override_reason": "Acil",
        "expected_version": _version(complaint)})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert ready_names(complaint) == ["task_analyse"]
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "görevi tamamlandı" in inbox and "Şikâyeti analiz et ve değerlendir" in inbox
    assert refreshed(complaint).priority == "high"


def test_completing_twice_says_who_completed_it_and_when(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    data = {"priority": "low", "category": "other"}
    assert as_user("handler").post(f"/tasks/{task.id}", data=data).status_code == 302
    again = as_user("handler2").post(f"/tasks/{task.id}", data=data)
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "uzman tarafından" in text and "zaten tamamlandı" in text
    assert as_user("handler2").get(f"/tasks/{task.id}").status_code == 200


def test_two_people_open_the_same_form_and_the_second_sees_who_finished_first(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    first, second = as_user("handler"), as_user("handler2")
    version = _version(complaint)
    assert first.get(f"/tasks/{task.id}").status_code == second.get(f"/tasks/{task.id}").status_code == 200
    ok = first.post(f"/tasks/{task.id}", data={"priority": "high", "category": "billing",
                                               "priority_override_reason": "Acil", "expected_version": version})
    late = second.post(f"/tasks/{task.id}", data={"priority": "low", "category": "other", "expected_version": version})
    assert ok.status_code == 302 and late.status_code == 409
    assert "uzman tarafından" in late.get_data(as_text=True)
    assert refreshed(complaint).priority == "high"


def test_two_people_submit_at_the_same_moment_exactly_one_succeeds(app, as_user):
    complaint = register("telefon")
    task_id = ready(complaint)[0].id
    version = _version(complaint)
    clients = [as_user("handler"), as_user("handler2")]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def submit(i):
        with app.app_context():  # each thread has its own app context and DB session, like two workers
            barrier.wait()
            response = clients[i].post(f"/tasks/{task_id}", data={
                "priority": ["high", "low"][i], "category": "billing", "priority_override_reason": "Acil",
                "expected_version": version})
            results[i] = (response.status_code, response.get_data(as_text=True))
            db.session.remove()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(code for code, _ in results)
    assert codes == [302, 409], results
    loser = next(text for code, text in results if code == 409)
    winner = "uzman2" if results[1][0] == 302 else "uzman"
    assert f"{winner} tarafından" in loser or "yeniden gönderin" in loser
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).state == "completed"
    assert ready_names(complaint) == ["task_analyse"]


def test_stale_form_is_shown_again_with_a_message_and_the_typed_values(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    stale = str(int(_version(complaint)) - 1)
    response = as_user("handler").post(f"/tasks/{task.id}", data={
        "priority": "normal", "category": "outage", "classification_note": "not", "expected_version": stale})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "şikâyet güncellendi" in page
    assert 'value="normal" checked' in page and ">not</textarea>" in page
    assert f'value="{_version(complaint)}"' in page


def test_date_time_fields_are_read_in_istanbul_time_and_checked(as_user):
    complaint = register("telefon")
    for data in ({"priority": "high", "category": "billing", "priority_override_reason": "Acil"},):
        tasks.complete_task(ready(complaint)[0].id, data, actor="t")
    schema = tasks.form_schema(ready(complaint)[0])
    assert schema is not None
    phone_schema = {"type": "object", "properties": {
        "reached": {"type": "boolean", "x-widget": "radio"}, "call_at": {"type": "string", "format": "date-time"},
        "note": {"type": "string", "minLength": 1}, "visit": {"type": "boolean"}},
        "required": ["reached", "call_at"]}
    values = raw_values(phone_schema, {"reached": "false", "call_at": "2026-11-25T10:30", "note": ""})
    data = to_data(phone_schema, values, IST)
    assert data == {"reached": False, "call_at": "2026-11-25T10:30:00+03:00", "visit": False}
    kinds = {f.name: f.kind for f in build_fields(phone_schema)}
    assert kinds == {"reached": "yesno", "call_at": "datetime", "note": "text", "visit": "checkbox"}
    from app.services.workflow.forms import field_errors
    assert "call_at" in field_errors(phone_schema, {"reached": True, "call_at": "dün öğlen"})
