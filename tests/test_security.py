"""Hardening: security headers on every page for every role, HSTS, the production secret key,
the password policy, and a stored-XSS probe in every free-text field on every page that shows it."""

from __future__ import annotations

import io
import re

import pytest

from app import create_app
from app.config import TestConfig
from app.services.accounts import users
from app.services.complaints import casefile
from app.services.errors import ValidationFailed

from .helpers import ANALYSIS, complete, ist, register, task_named
from .staff_fixtures import ACCOUNTS

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PROBE = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
ROLES = [None, *ACCOUNTS]
# A <script> that runs inline: neither loaded from a file nor a JSON data block.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\s(?:src=|type=\"application/json\"))[^>]*>")


@pytest.fixture
def desk(app, staff, live_version, tmp_path):
    """A complaint carrying the probe in every free-text field, one open task and one attachment."""
    c = register("faks", at=ist(2026, 11, 25, 10, 0), customer_name="Ayşe " + PROBE, subject="Konu " + PROBE,
                 description="Açıklama " + PROBE, subscription_number="A1" + PROBE[:40])
    casefile.add_note(c.id, "Not " + PROBE, actor="uzman")
    (attachment,) = casefile.store_attachments(c.id, [casefile.check_upload(PROBE[:60] + ".txt",
                                                                           io.BytesIO(b"merhaba"))], actor="uzman")
    complete(c, "task_acknowledge", {"ack_method": "eposta"}, ist(2026, 11, 25, 11, 0))
    complete(c, "task_classify", {"priority": "high", "category": "connection"}, ist(2026, 11, 25, 11, 0))
    complete(c, "task_analyse", {**ANALYSIS, "analysis_findings": "Bulgu " + PROBE}, ist(2026, 11, 25, 12, 0))
    task = task_named(c, "task_respond")
    return {"number": c.registration_number, "task_id": task.id, "attachment_id": attachment.id,
            "filename": "style.css", "name": "x.js"}


def _get_urls(app, desk) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {}
        for arg in rule.arguments:
            values[arg] = desk.get(arg, 1)
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), path)
        urls.append(path)
    urls += [f"/complaints?q={desk['number']}", "/complaints?q=Ay%C5%9Fe", "/inbox?scope=all"]
    return sorted(urls)


def _client(app, as_user, role):
    return app.test_client() if role is None else as_user(role)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_get_page_carries_the_security_headers(app, as_user, desk, role):
    client = _client(app, as_user, role)
    for url in _get_urls(app, desk):
        r = client.get(url)
        assert r.status_code < 500 or url == "/readyz", url  # 503: "not ready" is an answer (no scheduler here)
        policy = r.headers.get("Content-Security-Policy", "")
        if url.startswith("/modeler/"):
            # The diagram editor (bpmn-js) needs inline styles; scripts and framing stay locked down.
            assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, url
        else:
            assert policy == CSP, url
        assert r.headers.get("X-Frame-Options") == "DENY", url
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
        assert r.headers.get("Referrer-Policy") == "same-origin", url
        assert "Strict-Transport-Security" not in r.headers, url
        if r.mimetype == "text/html":
            assert not INLINE_SCRIPT.search(r.get_data(as_text=True)), f"inline script: {url}"
        r.close()  # a streamed export ends its request context here, not when it is garbage-collected


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_the_xss_probe_is_never_rendered_unescaped(app, as_user, desk, role):
    client = _client(app, as_user, role)
    seen_escaped = 0
    for url in _get_urls(app, desk):
        r = client.get(url)
        if r.mimetype in ("text/html", "text/plain"):  # not the favicon's bytes
            body = r.get_data(as_text=True)
            assert "<script>alert(1)" not in body, url
            assert "<img src=x onerror" not in body, url
            seen_escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        r.close()
    if role in ("handler", "representative", "intake"):
        assert seen_escaped >= 2, "the probe should be visible (escaped) on the complaint and task pages"


def test_hsts_over_https_or_when_forced(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    app.config["FORCE_HSTS"] = True
    assert "Strict-Transport-Security" in client.get("/login").headers


def test_production_refuses_to_start_without_a_secret_key():
    class Production(TestConfig):
        TESTING = False
        SECRET_KEY = None
        ENV = "production"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)

    class Development(Production):
        ENV = "development"

    assert create_app(Development).config["SECRET_KEY"]


@pytest.mark.parametrize("password, message", [
    ("kisa-1", "en az"), ("1234567890123", "rakam"), ("ayse.yilmaz", "kullanıcı adı")])
def test_password_policy(app, password, message):
    with pytest.raises(ValidationFailed) as refused:
        users.create_user("ayse.yilmaz", "Ayşe", password, ["handler"])
    assert message in refused.value.errors["password"]
    assert users.create_user("ayse.yilmaz", "Ayşe", "uzun-parola-2026", ["handler"]).username == "ayse.yilmaz"
    with pytest.raises(ValidationFailed):
        users.set_password("ayse.yilmaz", "AYSE.YILMAZ")
