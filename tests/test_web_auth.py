"""Sign-in: one message for any failure, lock-out after repeated failures, safe redirects, cookies, CLI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import LoginThrottle, User

from .staff_fixtures import PASSWORD

GENERIC = "Kullanıcı adı veya parola hatalı."


def login(client, username, password, next_url=""):
    return client.post("/login", data={"username": username, "password": password, "next": next_url})


def test_wrong_user_and_wrong_password_get_the_same_message(client, staff):
    unknown = login(client, "kimse", PASSWORD)
    wrong = login(client, "uzman", "yanlis-parola")
    assert unknown.status_code == wrong.status_code == 401
    assert GENERIC in unknown.get_data(as_text=True)
    assert GENERIC in wrong.get_data(as_text=True)
    strip = lambda r: re.sub(r'name="csrf_token"[^>]*', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(unknown).replace("kimse", "X") == strip(wrong).replace("uzman", "X")


def test_sign_in_goes_to_the_inbox_and_sign_out_ends_the_session(client, staff):
    response = login(client, "uzman", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/inbox").status_code == 302


def test_next_is_followed_only_for_local_paths(client, staff):
    assert login(client, "uzman", PASSWORD, "/complaints?q=x").headers["Location"] == "/complaints?q=x"
    client.post("/logout")
    assert login(client, "uzman", PASSWORD, "https://evil.example/").headers["Location"] == "/inbox"
    client.post("/logout")
    assert login(client, "uzman", PASSWORD, "//evil.example/x").headers["Location"] == "/inbox"


def test_lock_out_after_repeated_failures_even_with_the_right_password(app, client, staff):
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        assert login(client, "uzman", "yanlis-parola").status_code == 401
    locked = login(client, "uzman", PASSWORD)
    assert locked.status_code == 429
    assert "dakika sonra tekrar deneyin" in locked.get_data(as_text=True)
    # Another account from the same address is not locked.
    assert login(client, "kabul", PASSWORD).status_code == 302


def test_failures_expire_and_success_clears_them(app, client, staff, desk_clock):
    app.config["LOGIN_MAX_FAILURES"] = 3
    login(client, "uzman", "yanlis-parola")
    login(client, "uzman", "yanlis-parola")
    assert login(client, "uzman", PASSWORD).status_code == 302
    assert db.session.query(LoginThrottle).count() == 0
    client.post("/logout")
    login(client, "uzman", "yanlis-parola")
    login(client, "uzman", "yanlis-parola")
    desk_clock.pin(desk_clock.now() + timedelta(minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + 1))
    login(client, "uzman", "yanlis-parola")  # the two before are forgotten: one failure, no wait
    assert login(client, "uzman", PASSWORD).status_code == 302


def test_inactive_account_cannot_sign_in(client, staff):
    staff["handler"].active = False
    db.session.commit()
    assert login(client, "uzman", PASSWORD).status_code == 401


def test_session_cookie_flags(app, client, staff):
    response = login(client, "uzman", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    other = app.test_client()
    assert "Secure" in login(other, "kabul", PASSWORD).headers["Set-Cookie"]


def test_passwords_are_hashed(staff):
    user = db.session.get(User, staff["handler"].id)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_post_without_csrf_token_is_refused_when_csrf_is_on(app, as_user, live_version):
    app.config["WTF_CSRF_ENABLED"] = True
    client = as_user("handler")
    assert client.post("/tasks/1/claim").status_code == 400
    assert client.post("/logout").status_code == 400
    page = client.get("/inbox").get_data(as_text=True)
    assert 'name="csrf_token"' in page


@pytest.mark.parametrize("args", [["users", "list"]])
def test_cli_users(runner, args):
    result = runner.invoke(args=["users", "create", "ayse", "--name", "Ayşe Kaya", "--roles", "handler,intake",
                                 "--password", "gizli-parola"])
    assert result.exit_code == 0, result.output
    assert "intake handler" in runner.invoke(args=args).output
    assert runner.invoke(args=["users", "set-roles", "ayse", "representative"]).exit_code == 0
    assert "representative" in runner.invoke(args=args).output
    assert runner.invoke(args=["users", "set-roles", "ayse", "pilot"]).exit_code == 1
    assert runner.invoke(args=["users", "set-password", "ayse", "--password", "kisa"]).exit_code == 1
    assert runner.invoke(args=["users", "set-password", "ayse", "--password", "yeni-parola-1"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "ayse"]).exit_code == 0
    assert "(inactive)" in runner.invoke(args=args).output
    assert runner.invoke(args=["users", "activate", "ayse"]).exit_code == 0
    assert "(inactive)" not in runner.invoke(args=args).output
    assert runner.invoke(args=["users", "deactivate", "kimse"]).exit_code == 1


def test_seed_demo_creates_one_account_per_role_once(runner, client):
    first = runner.invoke(args=["users", "seed-demo"])
    assert first.exit_code == 0
    for role in ("intake", "handler", "representative", "analyst", "quality_manager", "admin"):
        assert role in first.output
    assert db.session.query(User).count() == 6
    password = re.search(r"kabul\s+(\S+)", first.output).group(1)
    second = runner.invoke(args=["users", "seed-demo"])
    assert "already there (passwords not shown)" in second.output and db.session.query(User).count() == 6
    assert password not in second.output  # a re-run (every `make run`) shows no password it did not just set
    assert login(client, "kabul", password).status_code == 302
