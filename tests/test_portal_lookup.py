"""Status lookup (/takip): the right pair shows the stages, a wrong pair looks like an unknown number, rate limits."""

from __future__ import annotations

import re

import pytest

from app.services.complaints import case_status

from .helpers import ACK, classify, complete, ist, refreshed, register, solve
from .portal_helpers import file_over_http, to_decision

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)


def lookup(client, number, contact, ip="192.0.2.10"):
    return client.post("/takip", data={"number": number, "contact": contact}, environ_base={"REMOTE_ADDR": ip})


def scrub(page: str, *echoed: str) -> str:
    for value in echoed:
        page = page.replace(value, "ECHO")
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


@pytest.mark.parametrize("contact", ["AYSE@example.com.tr", " ayse@example.com.tr ", "+90 312 555 01 01",
                                     "0312 555 0101", "(312) 5550101", "903125550101"])
def test_the_right_pair_opens_the_status_page(client, contact):
    complaint = register("faks", at=RECEIVED)
    response = lookup(client, complaint.registration_number.lower(), contact)
    assert response.status_code == 302 and response.headers["Location"] == "/takip/durum"
    page = client.get("/takip/durum").get_data(as_text=True)
    assert complaint.registration_number in page and "25.11.2026 10:00" in page
    assert 'aria-current="step"' in page


def test_a_wrong_pair_and_an_unknown_number_are_indistinguishable(client):
    register("faks", at=RECEIVED)  # the page's placeholder is SK-2026-000001: echo a different one
    complaint = register("faks", at=RECEIVED)
    known = lookup(client, complaint.registration_number, "someone@example.com")
    unknown = lookup(client, "SK-2026-999999", "someone@example.com")
    wrong_phone = lookup(client, complaint.registration_number, "0555 000 00 00")
    unknown_phone = lookup(client, "SK-2026-999999", "0555 000 00 00")
    assert known.status_code == unknown.status_code == wrong_phone.status_code == unknown_phone.status_code == 404
    assert scrub(known.get_data(as_text=True), complaint.registration_number) == \
        scrub(unknown.get_data(as_text=True), "SK-2026-999999")
    assert scrub(wrong_phone.get_data(as_text=True), complaint.registration_number) == \
        scrub(unknown_phone.get_data(as_text=True), "SK-2026-999999")
    assert "eşleşen bir şikâyet bulunamadı" in known.get_data(as_text=True)
    assert client.get("/takip/durum").status_code == 302  # nothing to see without a match
    assert lookup(client, "", "").status_code == 422


def test_failed_attempts_are_limited_per_client_address(app, client):
    complaint = register("faks", at=RECEIVED)
    for i in range(10):
        assert lookup(client, f"SK-2026-{900000 + i}", "x@example.com", ip="198.51.100.7").status_code == 404
    blocked = lookup(client, complaint.registration_number, "ayse@example.com.tr", ip="198.51.100.7")
    assert blocked.status_code == 429
    assert "Çok fazla deneme" in blocked.get_data(as_text=True) and "15 dakika" in blocked.get_data(as_text=True)
    assert lookup(client, complaint.registration_number, "ayse@example.com.tr", ip="198.51.100.8").status_code == 302


def test_failed_attempts_are_limited_per_registration_number(client):
    complaint, other = register("faks", at=RECEIVED), register("faks", at=RECEIVED)
    for i in range(10):
        assert lookup(client, complaint.registration_number, f"{i}@example.com", ip=f"203.0.113.{i}").status_code == 404
    assert lookup(client, complaint.registration_number, "ayse@example.com.tr", ip="203.0.113.99").status_code == 429
    assert lookup(client, other.registration_number, "ayse@example.com.tr", ip="203.0.113.99").status_code == 302


def test_the_window_passes(app):
    complaint = register("faks", at=RECEIVED)
    t0 = ist(2026, 11, 25, 12, 0)
    for _ in range(10):
        assert case_status.find_complaint(complaint.registration_number, "no@example.com", ip="1.2.3.4", at=t0) is None
    with pytest.raises(case_status.TooManyAttempts):
        case_status.find_complaint(complaint.registration_number, "ayse@example.com.tr", ip="1.2.3.5", at=t0)
    later = ist(2026, 11, 25, 12, 16)
    assert case_status.find_complaint(complaint.registration_number, "ayse@example.com.tr", ip="1.2.3.5",
                                      at=later).id == complaint.id


def test_stages_show_dates_and_nothing_internal(client):
    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30), actor="kabul")
    classify(complaint, "normal", ist(2026, 11, 25, 11, 0))
    lookup(client, complaint.registration_number, "ayse@example.com.tr")
    page = client.get("/takip/durum").get_data(as_text=True)
    assert "25.11.2026 10:30" in page and "25.11.2026 11:00" in page
    assert "Çözüm önerisi için hedef" in page and "Çözüm önerimiz" not in page
    solve(complaint, ist(2026, 11, 26, 10, 0))
    page = client.get("/takip/durum").get_data(as_text=True)
    assert "Santral kartı değiştirildi, hattınız yeniden yapılandırıldı." in page
    assert "26.11.2026 10:00" in page and "Çözümü kabul ediyorum" in page
    for internal in ("Santral kartı arızalı", "Hatta gürültü", "kabul", "task_", "network_infrastructure",
                     "Alındı bilgisini müşteriye bildir", "Müşteriyi ara"):
        assert internal not in page.replace("Çözümü kabul ediyorum", ""), internal


def test_the_customer_answers_on_the_status_page(client):
    complaint = register("faks", at=RECEIVED)
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 14, 0))
    lookup(client, complaint.registration_number, "ayse@example.com.tr")
    missing = client.post("/takip/yanit", data={"decision": "reject", "reason": " "})
    assert missing.status_code == 422 and 'id="reason-error"' in missing.get_data(as_text=True)
    assert client.post("/takip/yanit", data={"decision": "reject", "reason": "Hâlâ kopuyor."}).status_code == 302
    assert refreshed(complaint).reopen_count == 1
    page = client.get("/takip/durum").get_data(as_text=True)
    assert "yeniden değerlendirmeye alındı" in page and "Çözümü kabul ediyorum" not in page
    assert client.post("/takip/yanit", data={"decision": "accept"}).status_code == 302
    assert "zaten alınmış" in client.get("/takip/durum").get_data(as_text=True)


def test_an_answer_needs_a_looked_up_complaint(client):
    assert client.post("/takip/yanit", data={"decision": "accept"}).status_code == 302


def test_a_web_complaint_filed_on_the_form_can_be_followed_and_accepted(client):
    complaint, _ = file_over_http(client)
    lookup(client, complaint.registration_number, "0532 123 45 67")
    assert "Şikâyetiniz sınıflandırılıyor ve önceliklendiriliyor." in client.get("/takip/durum").get_data(as_text=True)
    to_decision(complaint)
    client.post("/takip/yanit", data={"decision": "accept"})
    assert refreshed(complaint).status == "closed"
    page = client.get("/takip/durum").get_data(as_text=True)
    assert "Kapatıldı" in page and page.count("stage-done") == 8
