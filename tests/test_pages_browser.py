"""Every staff page, as each role, in Turkish and in English (issue 13): no stored code reaches a
person, and axe-core (run by chromium_page on every load) finds nothing serious or critical."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.services.complaints import customer

from .helpers import ACK, ANALYSIS, ESCALATION, answer, complete, fire, ist, ready, register
from .staff_fixtures import chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_version")]

# Codes as they are stored; none of them may be read on a page.
STORED_CODES = (
    "billing_system", "network_infrastructure", "process_gap", "human_error", "third_party", "technical_support",
    "survey_answered", "task_completed", "message_queued",
    "task_ack_escalation", "task_deadline_escalation", "task_classify", "task_analyse", "task_respond",
    "needs_field_visit", "root_cause_category", "system:outbox", "system:timer", "posta_kargo", "yuz_yuze",
    "admin_reassigned", "first_solution", "current_solution",
)
# English words that are stored codes too: on a Turkish page they can only be a code that leaked.
ENGLISH_CODES = ("completed", "ready", "cancelled", "running", "acknowledgement", "decision", "survey", "high", "low")


def _pattern(codes) -> re.Pattern:
    return re.compile(r"(?<![\w:/.-])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w:/-])")


CODE = {False: _pattern(STORED_CODES + ENGLISH_CODES), True: _pattern(STORED_CODES)}


def _desk():
    """A closed complaint that was reopened (two root causes), one with a raised escalation, one fresh."""
    closed = register("telefon", at=ist(2026, 11, 20, 10, 0))
    complete(closed, "task_classify", {"priority": "high", "category": "billing"}, ist(2026, 11, 20, 10, 30))
    complete(closed, "task_analyse", {**ANALYSIS, "needs_field_visit": False}, ist(2026, 11, 20, 11, 0))
    complete(closed, "task_respond", {"root_cause_category": "billing_system", "root_cause_analysis": "Tarife hatası.",
                                      "solution": "Fatura düzeltildi."}, ist(2026, 11, 20, 12, 0))
    answer(closed, False, ist(2026, 11, 20, 13, 0))
    complete(closed, "task_analyse", ANALYSIS, ist(2026, 11, 23, 10, 0))
    complete(closed, "task_respond", {"root_cause_category": "process_gap", "root_cause_analysis": "Süreç eksik.",
                                      "solution": "İade yapıldı."}, ist(2026, 11, 23, 11, 0))
    answer(closed, True, ist(2026, 11, 23, 12, 0))
    customer.record_survey(closed, 4, True, "Teşekkürler", at=ist(2026, 11, 23, 13, 0))

    late = register("faks", at=ist(2026, 11, 24, 10, 0))
    fire(ist(2026, 11, 24, 18, 1))
    complete(late, "task_acknowledge", ACK, ist(2026, 11, 25, 9, 0))
    complete(late, "task_ack_escalation", ESCALATION, ist(2026, 11, 25, 9, 30))
    complete(late, "task_classify", {"priority": "normal", "category": "connection"}, ist(2026, 11, 25, 10, 0))
    fresh = register("posta_kargo", at=ist(2026, 11, 25, 10, 30))
    overdue = register("anket", at=ist(2026, 11, 23, 10, 0))
    fire(ist(2026, 11, 23, 18, 1))  # an open acknowledgement escalation for the representative
    db.session.commit()
    return closed, late, fresh, overdue


def _english(page):
    page.select_option("#lang", "en")
    page.click("header form.inline button[type=submit] >> nth=0")
    page.wait_for_load_state()


def _walk(page, paths):
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")


def _codes_shown(page, english: bool) -> list[str]:
    page.checked.settle(page)
    return [f"{url}: …{text[max(0, m.start() - 40):m.end() + 20]}…".replace("\n", " ")
            for url, text in page.checked.pages for m in CODE[english].finditer(text)]


@pytest.mark.parametrize("english", [False, True], ids=["tr", "en"])
def test_no_page_shows_a_stored_code(live_server, english):
    closed, late, fresh, overdue = _desk()
    tasks = {t.spec_name: t.id for c in (late, fresh, overdue) for t in ready(c)}
    numbers = [c.registration_number for c in (closed, late, fresh)]
    walks = {
        "kabul": ["/intake", "/inbox", f"/tasks/{tasks['task_acknowledge']}", f"/complaints/{numbers[2]}"],
        "uzman": ["/inbox", "/complaints", f"/complaints?q={numbers[0]}", f"/complaints/{numbers[0]}",
                  f"/tasks/{tasks['task_analyse']}", f"/complaints/{numbers[1]}", "/incidents", "/incidents/new"],
        "kalite": ["/review/", f"/review/complaints/{numbers[0]}", f"/review/complaints/{numbers[1]}",
                   "/review/dashboard?from=2026-11-01&to=2026-12-01", "/review/report?from=2026-11-01&to=2026-12-01"],
        "temsilci": ["/inbox", f"/tasks/{tasks['task_ack_escalation']}"],
        "analist": ["/modeler/versions", "/modeler/"],
        "yonetici": ["/admin/kvkk/", "/account/password"],
    }
    codes, violations, errors = [], [], []
    for username, paths in walks.items():
        with chromium_page(live_server, timeout_ms=30000) as page:
            sign_in(page, username)
            if english:
                _english(page)
            _walk(page, paths)
            if username == "kabul":  # the intake form with every error at once
                page.goto("/intake")
                page.click("form.intake [type=submit]")
                page.wait_for_load_state()
            codes += _codes_shown(page, english)
            violations.append(page.checked.failures())
            errors += page.js_errors
            page.checked.violations.clear()  # reported below, with the other roles' pages
    with chromium_page(live_server, timeout_ms=30000) as page:  # the customer's side
        if english:
            page.goto("/sikayet")
            _english(page)
        _walk(page, ["/sikayet", "/takip", "/kvkk"])
        page.goto("/sikayet")
        page.click("form [type=submit] >> nth=-1")
        page.wait_for_load_state()
        codes += _codes_shown(page, english)
        violations.append(page.checked.failures())
        errors += page.js_errors
        page.checked.violations.clear()
    assert codes == [], "\n".join(codes)
    assert "".join(violations) == "", "\n".join(violations)
    assert errors == []
