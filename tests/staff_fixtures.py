"""Fixtures for the staff web app: one account per role, signed-in clients, a live server for browsers."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from app.services.accounts import users

PASSWORD = "parola-1234"
ACCOUNTS = {
    "intake": ("kabul", "Kabul Personeli", ["intake"]),
    "handler": ("uzman", "Hande Uzman", ["handler"]),
    "handler2": ("uzman2", "Hakan İkinci", ["handler"]),
    "representative": ("temsilci", "Reşat Temsilci", ["representative"]),
    "analyst": ("analist", "Ali Analist", ["analyst"]),
    "quality_manager": ("kalite", "Kâmil Kalite", ["quality_manager"]),
    "admin": ("yonetici", "Yeliz Yönetici", ["admin"]),
    "auditor": ("denetci", "Deniz Denetçi", ["auditor"]),
}


@pytest.fixture
def staff(app, tmp_path, monkeypatch):
    """Users keyed by role (plus a second handler); attachments go to a temporary directory.

    Passwords are hashed with a cheap PBKDF2 setting here only, to keep the suite fast.
    """
    cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(users, "generate_password_hash", cheap)
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    accounts = {key: users.create_user(name, full, PASSWORD, roles) for key, (name, full, roles) in ACCOUNTS.items()}
    for role in users.ROLES:  # roles added later get an account too
        accounts.setdefault(role, users.create_user(f"u_{role}", role, PASSWORD, [role]))
    return accounts


def login_as(client, user) -> None:
    """Sign a test client in without the password check (fast); the real form is tested in test_web_auth."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def as_user(app, staff):
    """as_user("handler") -> a test client signed in as that account."""

    def make(key: str):
        client = app.test_client()
        login_as(client, staff[key])
        return client

    return make


def browser_available() -> tuple[bool, str]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False, "the playwright package is not installed"
    if not os.path.exists("/usr/bin/chromium") and not shutil.which("chromium"):
        return False, "Debian Chromium (/usr/bin/chromium) is not installed"
    return True, ""


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_IMPACTS = ("serious", "critical")
# After each page load: axe-core over the document and a check that no id is used twice, then the
# result and the visible text to the test.
AXE_RUNNER = """
window.addEventListener("load", function () {
  if (window.top !== window || !window.axe) return;
  window.axe.run(document, {resultTypes: ["violations"]}).then(function (result) {
    var found = result.violations.filter(function (v) { return IMPACTS.indexOf(v.impact) >= 0; }).map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); })};
    });
    // An id used twice breaks labels and aria references (axe-core reports it only as minor).
    var seen = {}, twice = [];
    Array.prototype.forEach.call(document.querySelectorAll("[id]"), function (el) {
      if (seen[el.id] && twice.indexOf(el.id) < 0) { twice.push(el.id); }
      seen[el.id] = true;
    });
    if (twice.length) {
      found.push({id: "duplicate-id", impact: "serious", help: "ids must be unique", nodes: twice.slice(0, 5)});
    }
    window.cfAxeReport(location.pathname + location.search, found, document.body ? document.body.innerText : "");
  });
});
""".replace("IMPACTS", json.dumps(AXE_IMPACTS))


class PageCheck:
    """What the accessibility check saw: every loaded page, its text and its serious/critical violations."""

    def __init__(self):
        self.loads = 0
        self.pages: list[tuple[str, str]] = []
        self.violations: list[tuple[str, dict]] = []

    def report(self, source, url: str, violations: list, text: str) -> None:
        self.pages.append((url, text))
        self.violations.extend((url, v) for v in violations)

    def settle(self, page, timeout: float = 10.0) -> None:
        """Wait until the check has reported on every page that finished loading."""
        deadline = time.monotonic() + timeout
        while len(self.pages) < self.loads and time.monotonic() < deadline:
            page.wait_for_timeout(50)

    def failures(self) -> str:
        return "\n".join(f"{url}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}" for url, v in self.violations)


@contextmanager
def chromium_page(base_url: str, *, width: int = 1360, height: int = 900, timeout_ms: int = 15000,
                  accessibility: bool = True):
    """A page in headless Debian Chromium; `page.js_errors` collects uncaught script errors.

    Every page it loads is checked with axe-core (from node_modules); a test that ends normally fails
    when any page had a serious or critical violation. `page.checked` holds the pages and their text.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
        context.set_default_timeout(timeout_ms)
        check = PageCheck()
        if accessibility:
            if not AXE_SCRIPT.exists():
                pytest.fail(f"axe-core is missing ({AXE_SCRIPT}): run `make install` (npm ci installs it)")
            context.expose_binding("cfAxeReport", check.report)
            context.add_init_script(script=AXE_SCRIPT.read_text(encoding="utf-8"))
            context.add_init_script(script=AXE_RUNNER)
        page = context.new_page()
        page.js_errors = []
        page.checked = check
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        if accessibility:
            page.on("load", lambda _page: setattr(check, "loads", check.loads + 1))
        try:
            yield page
            if accessibility:
                check.settle(page)
                assert not check.violations, "axe-core found serious/critical problems:\n" + check.failures()
        finally:
            context.close()
            browser.close()


def sign_in(page, username: str) -> None:
    """Sign in through the real form in a browser page (the password of every test account)."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_load_state()


def switch_language(page, lang: str) -> None:
    """Choose the UI language with the header's switch."""
    page.select_option("#lang", lang)
    page.click("header form.inline button[type=submit] >> nth=0")
    page.wait_for_load_state()


@pytest.fixture
def live_server(app, staff, live_version):
    """The app over the test database on 127.0.0.1:<free port>, with CSRF on as in production."""
    ok, reason = browser_available()
    if not ok:
        if os.environ.get("COMPLAINTFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (required: COMPLAINTFLOW_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
