"""The customer's side in headless Chromium: file on the public form, look it up, accept from the mail link."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.complaints import lookup

from .helpers import refreshed
from .mailbox import deliver, text_of, tokens_in
from .portal_helpers import decide, now
from .test_browser import page  # noqa: F401 - the Chromium page fixture over live_server

pytestmark = pytest.mark.browser


def test_customer_files_looks_up_and_accepts_the_solution(page, smtp):  # noqa: F811
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto("/")
    assert page.get_by_role("heading", name="Şikâyet bildirim formu").is_visible()
    page.get_by_label("Konu", exact=True).fill("Akşamları bağlantı kopuyor")
    page.get_by_label("Şikâyetiniz", exact=True).fill("Üç gündür her akşam 20:00 ile 23:00 arasında internet gidiyor.")
    page.get_by_label("Adınız soyadınız").fill("Gülşen Çağlayan")
    page.get_by_label("E-posta adresiniz").fill("gulsen@example.com.tr")
    page.get_by_label("Telefon numaranız").fill("0532 123 45 67")
    page.get_by_label("Abone / hizmet numaranız").fill("ABN-445566")
    page.get_by_role("button", name="Şikâyetimi gönder").click()
    assert page.locator("#consent-error").is_visible()  # no consent yet: the form again, values kept
    assert page.get_by_label("Adınız soyadınız").input_value() == "Gülşen Çağlayan"
    page.locator("details.notice summary").click()
    page.get_by_label("Aydınlatma metnini okudum", exact=False).check()
    page.screenshot(path="/tmp/complaintflow-portal-form.png", full_page=True)
    page.get_by_role("button", name="Şikâyetimi gönder").click()
    number = page.locator("#registration-number").inner_text().strip()
    assert number.startswith("SK-") and page.get_by_text("3 iş günü", exact=False).is_visible()
    page.screenshot(path="/tmp/complaintflow-portal-filed.png", full_page=True)

    page.get_by_role("link", name="Şikâyetimi takip et").first.click()
    page.get_by_label("Kayıt numarası").fill(number.lower())
    page.get_by_label("Kayıtlı e-posta adresiniz veya telefon numaranız").fill("+90 532 123 4567")
    page.screenshot(path="/tmp/complaintflow-portal-lookup-form.png", full_page=True)
    page.get_by_role("button", name="Sorgula").click()
    page.wait_for_url("**/takip/durum")
    assert page.locator("[aria-current=step]").is_visible()

    db.session.rollback()
    complaint = lookup.complaint_by_number(number)
    decide(complaint)
    assert deliver(now()).sent == 2
    decision = [m for m in smtp.messages() if "çözüm önerimiz" in m["Subject"]][0]
    accept, _ = tokens_in(text_of(decision), "yanit")

    page.reload()
    assert "Santral kartı değiştirildi" in page.locator("#solution").inner_text()
    page.screenshot(path="/tmp/complaintflow-portal-lookup.png", full_page=True)

    page.goto(f"/yanit/{accept}")
    assert page.get_by_label("Çözümü kabul ediyorum").is_checked()
    page.get_by_role("button", name="Yanıtımı gönder").click()
    assert "şikâyetiniz kapatıldı" in page.locator("#thanks").inner_text()
    db.session.rollback()
    assert refreshed(complaint).status == "closed"
    page.goto(f"/yanit/{accept}")
    assert page.get_by_role("heading", name="Bu bağlantı kullanıldı").is_visible()
