"""The case file in headless Chromium: a handler re-evaluates a rejected complaint from what the
earlier steps produced (issue 12, item 4)."""

from __future__ import annotations

import pytest

from app.extensions import db

from .helpers import ACK, ANALYSIS, RESPONSE, complete, ist, register, task_named
from .staff_fixtures import PASSWORD, chromium_page

pytestmark = pytest.mark.browser


def test_handler_reads_the_case_file_and_reevaluates_from_it(live_server):
    complaint = register("faks", at=ist(2026, 11, 25, 9, 30))
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 9, 40))
    complete(complaint, "task_classify", {"priority": "high", "category": "outage"}, ist(2026, 11, 25, 9, 50))
    complete(complaint, "task_analyse", {**ANALYSIS, "needs_field_visit": True}, ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 10, 30))
    complete(complaint, "task_customer_answer", {"answer": "rejected", "rejection_reason": "Akşamları yine kopuyor."},
             ist(2026, 11, 25, 10, 50), actor="customer")
    number = complaint.registration_number

    with chromium_page(live_server) as page:
        page.goto("/login")
        page.get_by_label("Kullanıcı adı").fill("uzman")
        page.get_by_label("Parola").fill(PASSWORD)
        page.get_by_role("button", name="Giriş yap").click()
        page.wait_for_url("**/inbox")

        page.get_by_role("link", name=number).click()
        record = page.locator("section.record")
        stages = record.locator("article.outcome").evaluate_all("els => els.map(e => e.dataset.stage)")
        numbered = [int(s) for s in stages if s]
        assert numbered == sorted(numbered) and 3 in numbered and 8 in numbered
        classification = record.locator("article", has_text="Şikâyeti sınıflandır")
        assert "Kesinti / arıza" in classification.inner_text() and "Yüksek" in classification.inner_text()
        assert "Saha ziyareti gerekiyor mu? Evet" in page.locator("ol.timeline").inner_text()
        assert "1. yeniden değerlendirme" in record.inner_text()

        page.get_by_role("link", name="Şikâyeti analiz et ve değerlendir").first.click()
        needs = page.locator("section.needs")
        assert "Akşamları yine kopuyor." in needs.inner_text() and RESPONSE["solution"] in needs.inner_text()
        page.get_by_label("Bulgular").fill("Akşam saatlerinde port doluluğu.")
        page.get_by_label("Önerilen çözüm").fill("Port değişimi ve hız testi.")
        page.get_by_role("button", name="Görevi tamamla").click()
        page.wait_for_url("**/inbox")

        db.session.rollback()
        respond = task_named(complaint, "task_respond")
        page.goto(f"/tasks/{respond.id}")
        assert page.get_by_label("Müşteriye iletilecek çözüm / karar").input_value() == "Port değişimi ve hız testi."
        assert page.js_errors == []
