"""Sessions end for real: a session cookie copied before sign-out, a password or role change or a
deactivation opens nothing afterwards; a user who loses a role loses the tasks assigned under it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, HumanTask

from .helpers import ready, register
from .staff_fixtures import PASSWORD

pytestmark = pytest.mark.usefixtures("live_version")


def signed_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.status_code
    assert client.get("/inbox").status_code == 200
    return client


def copied_cookie(client) -> str:
    """The session cookie as an attacker would copy it from the browser."""
    return client.get_cookie("session").value


def replay(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/inbox")


def refused(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, staff):
    client = signed_in(app, "uzman")
    cookie = copied_cookie(client)
    assert replay(app, cookie).status_code == 200
    client.post("/logout")
    assert refused(replay(app, cookie))


def test_sign_out_ends_the_sessions_on_other_devices_too(app, staff):
    laptop, phone = signed_in(app, "uzman"), signed_in(app, "uzman")
    laptop.post("/logout")
    assert refused(phone.get("/inbox"))
    assert signed_in(app, "uzman").get("/inbox").status_code == 200  # signing in again works


def test_changing_ones_own_password_ends_the_other_sessions_and_keeps_this_one(app, staff):
    laptop, phone = signed_in(app, "uzman"), signed_in(app, "uzman")
    cookie = copied_cookie(laptop)
    assert laptop.get("/account/password").status_code == 200
    response = laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "yeni-parola-2026", "new_password_again": "yeni-parola-2026"})
    assert response.status_code == 302
    assert laptop.get("/inbox").status_code == 200
    assert refused(phone.get("/inbox"))
    assert refused(replay(app, cookie))
    assert app.test_client().post("/login", data={"username": "uzman", "password": PASSWORD}).status_code == 401
    signed_in(app, "uzman", "yeni-parola-2026")


@pytest.mark.parametrize("fields, field_error", [
    ({"current_password": "yanlis-parola"}, "Mevcut parola hatalı."),
    ({"new_password": "kisa", "new_password_again": "kisa"}, "en az 10 karakter"),
    ({"new_password_again": "baska-parola-99"}, "Parolalar aynı değil."),
    ({"new_password": "x" * 10_000, "new_password_again": "x" * 10_000}, "200"),
    ({"current_password": ""}, "Bu alan zorunludur."),
])
def test_a_refused_password_change_changes_nothing(app, staff, fields, field_error):
    client = signed_in(app, "uzman")
    cookie = copied_cookie(client)
    data = {"current_password": PASSWORD, "new_password": "yeni-parola-2026", "new_password_again": "yeni-parola-2026"}
    response = client.post("/account/password", data={**data, **fields})
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    assert replay(app, cookie).status_code == 200
    signed_in(app, "uzman")


def test_guessing_the_current_password_on_the_change_form_counts_as_sign_in_failures(app, staff):
    client = signed_in(app, "uzman")
    data = {"current_password": "yanlis-parola", "new_password": "yeni-parola-2026",
            "new_password_again": "yeni-parola-2026"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/account/password", data=data).status_code == 422
    assert client.post("/account/password", data={**data, "current_password": PASSWORD}).status_code == 429
    assert app.test_client().post("/login", data={"username": "uzman", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("command", [
    ["users", "set-password", "uzman", "--password", "yonetici-koydu-1"],
    ["users", "set-roles", "uzman", "handler", "intake"],
    ["users", "deactivate", "uzman"],
])
def test_an_administrators_change_ends_the_users_sessions(app, staff, runner, command):
    cookie = copied_cookie(signed_in(app, "uzman"))
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert "signed out everywhere" in result.output
    assert refused(replay(app, cookie))


def test_a_deactivated_user_cannot_sign_in_again_until_activated(app, staff, runner):
    runner.invoke(args=["users", "deactivate", "uzman"])
    assert app.test_client().post("/login", data={"username": "uzman", "password": PASSWORD}).status_code == 401
    runner.invoke(args=["users", "activate", "uzman"])
    signed_in(app, "uzman")


def test_the_users_cli_help_names_every_role_and_command(runner):
    from app.services.accounts.users import ROLES

    text = runner.invoke(args=["users", "--help"]).output
    assert all(role in text for role in ROLES)
    for command in ("create", "list", "set-roles", "set-password", "deactivate", "activate", "seed-demo"):
        assert command in text
    assert "ends every session" in text


def _claimed_handler_task(as_user, staff) -> HumanTask:
    complaint = register("telefon")
    task = ready(complaint)[0]
    assert as_user("handler").post(f"/tasks/{task.id}/claim").status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler"].id
    return task


def _events(task: HumanTask, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.complaint_id == task.complaint_id, AuditEvent.action == action)))


def test_losing_a_role_returns_the_tasks_assigned_under_it_to_their_lane(as_user, staff, runner):
    task = _claimed_handler_task(as_user, staff)
    assert runner.invoke(args=["users", "set-roles", "uzman", "intake"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None
    (event,) = _events(task, "task_released")
    assert event.actor == "cli" and '"from": "uzman"' in event.data_json and "roles_changed" in event.data_json
    assert task.id in [row.id for row in ready(task.complaint)]
    # A colleague in the lane can take it now.
    assert as_user("handler2").post(f"/tasks/{task.id}/claim").status_code == 302


def test_keeping_the_role_keeps_the_task(as_user, staff, runner):
    task = _claimed_handler_task(as_user, staff)
    assert runner.invoke(args=["users", "set-roles", "uzman", "handler", "intake"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler"].id
    assert _events(task, "task_released") == []


def test_deactivation_returns_every_open_task_to_its_lane(as_user, staff, runner):
    task = _claimed_handler_task(as_user, staff)
    assert runner.invoke(args=["users", "deactivate", "uzman"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None
    (event,) = _events(task, "task_released")
    assert "deactivated" in event.data_json


def test_an_assignee_whose_roles_no_longer_cover_the_lane_cannot_complete_the_task(app, as_user, staff):
    """Checked at completion too: here the lane map changes under an assigned task (no release ran)."""
    task = _claimed_handler_task(as_user, staff)
    handler = as_user("handler")
    app.config["LANE_ROLES"] = {**app.config["LANE_ROLES"], task.lane: ["representative"]}
    assert handler.get(f"/tasks/{task.id}").status_code == 403
    response = handler.post(f"/tasks/{task.id}", data={"priority": "high", "category": "billing"})
    assert response.status_code == 403
    assert ready(task.complaint)[0].id == task.id
