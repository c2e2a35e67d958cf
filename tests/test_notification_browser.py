"""Issue 12 in headless Chromium: an unreached phone call, a retry, and a silent customer closed by the timer."""

from __future__ import annotations

import pytest

from app.extensions import db

from .helpers import ANALYSIS, RESPONSE, classify, complete, fire, ist, refreshed, register
from .staff_fixtures import PASSWORD, chromium_page

pytestmark = pytest.mark.browser


@pytest.fixture
def page(live_server):
    with chromium_page(live_server) as page:
        yield page
        assert page.js_errors == [], page.js_errors


def sign_in(page, username):
    page.goto("/login")
    page.get_by_label("Kullanıcı adı").fill(username)
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Giriş yap").click()
    page.wait_for_load_state()


def call(page, *, reached: bool, at: str, outcome: str) -> None:
    page.goto("/inbox")
    page.get_by_role("link", name="Müşteriyi ara, kararı bildir").click()
    assert RESPONSE["solution"] in page.locator("#task-instructions").inner_text()
    page.get_by_role("radio", name="Evet" if reached else "Hayır").check()
    page.get_by_label("Arama zamanı").fill(at)
    page.get_by_label("Görüşme sonucu").fill(outcome)
    page.get_by_role("button", name="Görevi tamamla").click()
    page.wait_for_url("**/inbox")


def test_unreached_call_then_retry_then_a_silent_customer_closed_by_the_timer(page, desk_clock):
    complaint = register("telefon", at=ist(2026, 11, 25, 9, 0), preferred_contact="telefon")
    classify(complaint, "normal", ist(2026, 11, 25, 9, 30))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 10, 30))

    sign_in(page, "uzman")
    call(page, reached=False, at="2026-11-25T11:00", outcome="Cevap yok.")
    assert page.get_by_role("link", name="Müşteriyi ara, kararı bildir").count() == 0
    assert refreshed(complaint).decision_notified_at is None  # not reached is not notified

    fire(ist(2026, 11, 25, 13, 1))  # two business hours later the call is due again
    desk_clock.pin(ist(2026, 11, 25, 13, 5))
    page.goto("/inbox")
    page.get_by_role("link", name="Müşteriyi ara, kararı bildir").click()
    assert "deneme 2 / 3" in page.locator("#task-instructions").inner_text()
    call(page, reached=True, at="2026-11-25T13:05", outcome="Karar okundu.")
    assert refreshed(complaint).decision_notified_at == ist(2026, 11, 25, 13, 5)

    fire(ist(2026, 12, 2, 13, 10))  # five business days without an answer: a reminder
    fire(ist(2026, 12, 9, 13, 10))  # ten: closed without an answer
    desk_clock.pin(ist(2026, 12, 9, 14, 0))
    db.session.rollback()
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome) == ("closed", "no_answer")

    page.get_by_role("button", name="Çıkış").click()
    sign_in(page, "kalite")
    page.goto(f"/review/complaints/{complaint.registration_number}")
    assert page.locator("#closure-outcome").inner_text() == "Yanıt alınmadan kapatıldı"
    page.wait_for_selector("[data-element-id='end_closed_unanswered']")  # bpmn-js drew the new diagram
    page.screenshot(path="/tmp/complaintflow-review-unanswered.png", full_page=True)
    page.goto("/review/dashboard?from=2026-11-01&to=2026-12-31")
    assert page.locator("#closed-without-answer").inner_text() == "1"
    assert page.locator("#closed-accepted").inner_text() == "0"
