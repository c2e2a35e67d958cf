"""One complaint from registration to "closed without an answer", as the handler sees it (issue 12).

Headless Chromium over a live server, the desk clock pinned and moved step by step, mail through a
real aiosmtpd inbox: an unreached phone call and its retry after the set business hours, the decision by
e-mail after the last failed attempt, the customer's rejection by the mail's link, the reopen, a second
decision, then a silent customer reminded and closed by the timer. At each stage the case file
(`/complaints/<number>`) shows the labelled outcomes in stage order, sentences in the history and no
stored code.
"""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.services.complaints import lookup

from .helpers import fire, ist, refreshed
from .mailbox import deliver, html_of, text_of, tokens_in
from .staff_fixtures import PASSWORD, chromium_page
from .test_pages_browser import ENGLISH_CODES, STORED_CODES

pytestmark = pytest.mark.browser

# Codes of stages 7 and 8 as they are stored; a Turkish page may show none of them.
WALK_CODES = ("answer_reminder", "closed_without_answer", "no_answer", "accepted", "rejected", "connection",
              "task_notify_phone", "task_customer_answer", "message_sent", "closed", "reopened", "call_outcome",
              "reached", "eposta", "None", "True", "False")
CODE = re.compile(r"(?<![\w:/.@-])(" + "|".join(re.escape(c) for c in STORED_CODES + ENGLISH_CODES + WALK_CODES)
                  + r")(?![\w:/@-])")
FIRST_SOLUTION = "Modeminiz uzaktan yeniden yapılandırıldı."
SECOND_SOLUTION = "Hattınız yeni bir porta taşındı ve hız testi yapıldı."
REASON = "Akşamları bağlantı yine kopuyor."
CALL = "Müşteriyi ara, kararı bildir"


@pytest.fixture
def page(live_server):
    with chromium_page(live_server) as page:
        yield page
        assert page.js_errors == [], page.js_errors


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Kullanıcı adı").fill(username)
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Giriş yap").click()
    page.wait_for_load_state()


def open_task(page, name: str) -> None:
    page.goto("/inbox")
    page.get_by_role("link", name=name).click()


def submit(page) -> None:
    page.get_by_role("button", name="Görevi tamamla").click()
    page.wait_for_url("**/inbox")


def call(page, desk_clock, at, *, reached: bool, outcome: str) -> None:
    desk_clock.pin(at)
    open_task(page, CALL)
    page.get_by_role("radio", name="Evet" if reached else "Hayır").check()
    page.get_by_label("Arama zamanı").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Görüşme sonucu").fill(outcome)
    submit(page)


class CaseFile:
    """The complaint page as read at one stage."""

    def __init__(self, page, number: str):
        page.goto(f"/complaints/{number}")
        self.record = page.locator("section.record")
        self.text = self.record.inner_text()
        self.history = page.locator("ol.timeline").inner_text()
        # Outcomes and round headings in page order: each round's stages must rise.
        marks = self.record.locator("article.outcome[data-stage], h3.round").evaluate_all(
            "els => els.map(e => e.tagName === 'H3' ? 'round' : e.dataset.stage)")
        self.rounds: list[list[int]] = [[]]
        for mark in marks:
            if mark == "round":
                self.rounds.append([])
            elif mark:
                self.rounds[-1].append(int(mark))
        self.codes = [m.group(0) for m in CODE.finditer(page.locator("main").inner_text())]

    def article(self, heading: str):
        return self.record.locator("article.outcome", has=self.record.page.locator("h4", has_text=heading))

    def check(self) -> CaseFile:
        assert self.codes == [], self.codes
        for stages in self.rounds:
            assert stages == sorted(stages), self.rounds
        return self


def test_a_complaint_walked_through_every_stage_as_the_handler_sees_it(page, desk_clock, smtp):
    # Registration: the intake clerk takes a phone complaint from a customer who wants to be called.
    desk_clock.pin(ist(2026, 11, 25, 9, 0))
    sign_in(page, "kabul")
    page.goto("/intake")
    page.get_by_label("Başvuru kanalı").select_option("telefon")
    page.get_by_label("Şikâyet açıklaması").fill("Akşamları internet bağlantım kopuyor.")
    page.get_by_label("Müşteri adı soyadı").fill("Gülşen Çağlayan")
    page.get_by_label("Telefon", exact=True).fill("0532 123 45 67")
    page.get_by_label("E-posta", exact=True).fill("gulsen@example.com.tr")
    page.get_by_label("Tercih edilen iletişim kanalı").select_option("telefon")
    page.get_by_role("button", name="Şikâyeti kaydet").click()
    number = page.locator("#registration-number").first.inner_text().strip()
    page.get_by_role("button", name="Çıkış").click()

    sign_in(page, "uzman")
    case = CaseFile(page, number).check()
    assert "Kanal" in case.text and "Telefon" in case.article("Şikâyet alındı").inner_text()
    assert "Şikâyet kaydedildi (kanal: Telefon)." in case.history

    # Classification.
    desk_clock.pin(ist(2026, 11, 25, 9, 30))
    open_task(page, "Şikâyeti sınıflandır ve önceliklendir")
    page.get_by_role("radio", name="Normal").check()
    page.get_by_label("Kategori").select_option("connection")
    page.get_by_label("Öncelik değişikliğinin gerekçesi").fill("Müşteri işini evden yürütüyor.")
    submit(page)
    case = CaseFile(page, number).check()
    classified = case.article("Şikâyeti sınıflandır").inner_text()
    assert "Normal" in classified and "Bağlantı ve hız" in classified
    assert "“Şikâyeti sınıflandır ve önceliklendir” adımı tamamlandı." in case.history

    # Analysis, then the response, which starts from the proposed solution.
    desk_clock.pin(ist(2026, 11, 25, 10, 0))
    open_task(page, "Şikâyeti analiz et ve değerlendir")
    page.get_by_label("Bulgular").fill("Modem akşam saatlerinde yeniden başlıyor.")
    page.get_by_label("Önerilen çözüm").fill(FIRST_SOLUTION)
    submit(page)
    desk_clock.pin(ist(2026, 11, 25, 10, 30))
    open_task(page, "Cevapla: kök neden analizi ve çözüm")
    assert page.get_by_label("Müşteriye iletilecek çözüm / karar").input_value() == FIRST_SOLUTION
    page.get_by_role("combobox", name=re.compile("^Kök neden")).select_option("equipment")
    page.get_by_role("textbox", name=re.compile("^Kök neden analizi")).fill("Modem yazılımı eski.")
    submit(page)
    case = CaseFile(page, number).check()
    assert case.rounds == [[1, 3, 5, 6]]
    assert "Müşteri cihazı / modem" in case.article("Cevapla").inner_text()
    assert "Bulgular: Modem akşam saatlerinde yeniden başlıyor." in case.history

    # The first call does not reach the customer: recorded, not notified, and retried two business hours later.
    open_task(page, CALL)
    assert FIRST_SOLUTION in page.locator("#task-instructions").inner_text()
    call(page, desk_clock, ist(2026, 11, 25, 11, 0), reached=False, outcome="Telefon açılmadı.")
    assert page.get_by_role("link", name=CALL).count() == 0
    db.session.rollback()
    complaint = lookup.complaint_by_number(number)
    assert complaint.decision_notified_at is None
    case = CaseFile(page, number).check()
    (attempt,) = case.article(CALL).all()
    assert "Müşteriye ulaşıldı mı?" in attempt.inner_text() and "Telefon açılmadı." in attempt.inner_text()
    assert "Müşteriye ulaşıldı mı? Hayır" in case.history
    assert fire(ist(2026, 11, 25, 12, 59)) == 0
    fire(ist(2026, 11, 25, 13, 1))
    page.goto("/inbox")
    page.get_by_role("link", name=CALL).click()
    assert "deneme 2 / 3" in page.locator("#task-instructions").inner_text()

    # Two more unreached calls use up the attempts: the decision goes by e-mail.
    call(page, desk_clock, ist(2026, 11, 25, 13, 5), reached=False, outcome="Meşgul.")
    fire(ist(2026, 11, 25, 15, 6))
    call(page, desk_clock, ist(2026, 11, 25, 15, 10), reached=False, outcome="Kapsama dışı.")
    deliver(ist(2026, 11, 25, 15, 11))
    (decision,) = [m for m in smtp.messages() if "çözüm önerimiz" in m["Subject"]]
    assert decision["To"].addresses[0].addr_spec == "gulsen@example.com.tr"
    assert FIRST_SOLUTION in text_of(decision) and FIRST_SOLUTION in html_of(decision)
    _accept, reject = tokens_in(text_of(decision), "yanit")
    db.session.rollback()
    assert refreshed(complaint).decision_notified_at == ist(2026, 11, 25, 15, 10)
    desk_clock.pin(ist(2026, 11, 25, 15, 15))
    case = CaseFile(page, number).check()
    assert len(case.article(CALL).all()) == 3
    sent = case.article("Müşteriye karar bildirimi e-postası").inner_text()
    assert "gulsen@example.com.tr" in sent and "gönderildi" in sent
    assert "Müşteriye karar bildirimi e-postası gönderildi." in case.history

    # The customer rejects the solution from the mail's link.
    desk_clock.pin(ist(2026, 11, 26, 10, 0))
    page.goto(f"/yanit/{reject}")
    page.get_by_label("Çözümü yeterli bulmuyorum").check()
    page.get_by_label("Neden yeterli bulmuyorsunuz?").fill(REASON)
    page.get_by_role("button", name="Yanıtımı gönder").click()
    page.wait_for_load_state()

    # The reopen: the re-evaluation shows the customer's reason and the previous solution.
    case = CaseFile(page, number).check()
    assert "1. yeniden değerlendirme" in case.text and REASON in case.text
    assert "Müşteri çözümü kabul etmedi; şikâyet yeniden değerlendirmeye alındı (1. kez)." in case.history
    desk_clock.pin(ist(2026, 11, 26, 11, 0))
    open_task(page, "Şikâyeti analiz et ve değerlendir")
    needs = page.locator("section.needs").inner_text()
    assert REASON in needs and FIRST_SOLUTION in needs
    page.get_by_label("Bulgular").fill("Port akşamları dolu.")
    page.get_by_label("Önerilen çözüm").fill(SECOND_SOLUTION)
    submit(page)
    desk_clock.pin(ist(2026, 11, 26, 11, 30))
    open_task(page, "Cevapla: kök neden analizi ve çözüm")
    page.get_by_role("combobox", name=re.compile("^Kök neden")).select_option("network_infrastructure")
    page.get_by_role("textbox", name=re.compile("^Kök neden analizi")).fill("Port kapasitesi yetersiz.")
    submit(page)

    # The second decision reaches the customer on the first call.
    open_task(page, CALL)
    assert "deneme 1 / 3" in page.locator("#task-instructions").inner_text()
    assert SECOND_SOLUTION in page.locator("#task-instructions").inner_text()
    call(page, desk_clock, ist(2026, 11, 26, 12, 0), reached=True, outcome="Karar okundu.")
    db.session.rollback()
    assert refreshed(complaint).decision_notified_at == ist(2026, 11, 26, 12, 0)
    case = CaseFile(page, number).check()
    assert len(case.rounds) == 2 and case.rounds[1][:3] == [5, 6, 7]
    assert "Müşteriye ulaşıldı mı? Evet" in case.history

    # A silent customer: reminded after five business days, closed without an answer after ten.
    assert fire(ist(2026, 12, 3, 11, 59)) == 0
    fire(ist(2026, 12, 3, 12, 1))
    deliver(ist(2026, 12, 3, 12, 2))
    reminder = smtp.messages()[-1]
    assert reminder["Subject"] == f"[{number}] Hatırlatma: çözüm önerimize yanıtınızı bekliyoruz"
    assert SECOND_SOLUTION in text_of(reminder) and "10.12.2026 tarihine kadar" in text_of(reminder)
    assert tokens_in(text_of(reminder), "yanit")
    desk_clock.pin(ist(2026, 12, 3, 12, 5))
    case = CaseFile(page, number).check()
    reminded = case.article("Müşteriye yanıt hatırlatması e-postası")
    assert reminded.get_attribute("data-stage") == "8" and "gönderildi" in reminded.inner_text()
    assert "Müşteriye yanıt hatırlatması e-postası gönderildi." in case.history
    assert "Yanıt alınmadan kapatıldı" not in case.text

    fire(ist(2026, 12, 10, 12, 1))
    deliver(ist(2026, 12, 10, 12, 2))
    notice = smtp.messages()[-1]
    assert notice["Subject"] == f"[{number}] Şikâyetiniz yanıt alınmadan kapatıldı"
    assert tokens_in(text_of(notice), "anket") and not tokens_in(text_of(notice), "yanit")
    db.session.rollback()
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome) == ("closed", "no_answer")
    desk_clock.pin(ist(2026, 12, 10, 12, 5))
    case = CaseFile(page, number).check()
    closed = case.article("Şikâyet kapatıldı").inner_text()
    assert "Sonuç" in closed and "Yanıt alınmadan kapatıldı" in closed
    assert case.rounds[1][-1] == 8 and case.rounds[1].count(8) >= 3  # reminder, closure, its notice
    assert "Müşteriden süresi içinde yanıt alınamadı; şikâyet yanıt alınmadan kapatıldı." in case.history
    assert "Müşteriye yanıtsız kapanış bildirimi e-postası gönderildi." in case.history
    assert page.get_by_role("link", name=CALL).count() == 0
