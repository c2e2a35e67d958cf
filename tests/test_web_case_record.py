"""The case file as staff see it: every stage's outcome labelled and in stage order, history as sentences,
and each task page showing what its step needs (issue 12, item 4)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.services.procedure import versions

from .helpers import ACK, ANALYSIS, RESPONSE, complete, ist, refreshed, register, task_named

pytestmark = pytest.mark.usefixtures("live_version")
CLASSIFY = {"priority": "normal", "category": "connection"}


def _text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    assert response.status_code == 200, response.status_code
    html = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _through_the_web(client, complaint, spec: str, data: dict) -> None:
    task = task_named(complaint, spec)
    version = refreshed(complaint).instance.lock_version
    response = client.post(f"/tasks/{task.id}", data={**data, "expected_version": version})
    assert response.status_code == 302, response.get_data(as_text=True)


def _rejected_once(as_user):
    """A fax complaint walked to a rejection: the analysis step is the re-evaluation."""
    complaint = register("faks", at=ist(2026, 11, 25, 9, 30))
    complete(complaint, "task_acknowledge", ACK, ist(2026, 11, 25, 9, 40))
    complete(complaint, "task_classify", CLASSIFY, ist(2026, 11, 25, 9, 50))
    # Through the form, so the unticked "field visit" box is recorded as False.
    _through_the_web(as_user("handler"), complaint, "task_analyse",
                     {**ANALYSIS, "proposed_solution": "Hat değişimi yapılacak."})
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 10, 30))
    complete(complaint, "task_customer_answer", {"answer": "rejected", "rejection_reason": "Kopmalar sürüyor <b>"},
             ist(2026, 11, 25, 10, 50), actor="customer")
    return complaint


def test_complaint_page_shows_every_stage_outcome_labelled_in_stage_order(as_user):
    complaint = _rejected_once(as_user)
    page = _text(as_user("handler").get(f"/complaints/{complaint.registration_number}"))
    record = page[page.index("Şikâyet dosyası"):page.index("Açık görevler")]
    for label, value in [("Kategori", "Bağlantı ve hız"), ("Öncelik", "Normal"),
                         ("Bildirim yöntemi", "E-posta"), ("Bulgular", ANALYSIS["analysis_findings"]),
                         ("Önerilen çözüm", "Hat değişimi yapılacak."), ("Saha ziyareti gerekiyor mu?", "Hayır"),
                         ("Kök neden", "Ağ altyapısı"), ("Kök neden analizi", RESPONSE["root_cause_analysis"]),
                         ("Müşteriye iletilecek çözüm / karar", RESPONSE["solution"]),
                         ("Müşterinin yanıtı", "Müşteri çözümü yeterli bulmadı"),
                         ("Müşteri çözümü neden yeterli bulmadı?", "Kopmalar sürüyor <b>")]:
        assert f"{label} {value}" in record, label
    stages = [int(n) for n in re.findall(r"Aşama (\d)", record)]
    assert stages == sorted(stages) and {1, 2, 3, 5, 6, 7, 8} <= set(stages)
    assert "Müşteriye karar bildirimi e-postası" in record and "ayse@example.com.tr" in record
    assert "1. yeniden değerlendirme" in page  # the open analysis task starts the next round


def test_history_lines_are_sentences_without_raw_keys(as_user):
    complaint = _rejected_once(as_user)
    page = _text(as_user("handler").get(f"/complaints/{complaint.registration_number}"))
    history = page[page.index("Geçmiş"):]
    assert "Saha ziyareti gerekiyor mu? Hayır" in history
    assert "“Şikâyeti analiz et ve değerlendir” adımı tamamlandı." in history
    assert "Müşteriye karar bildirimi e-postası hazırlandı." in history
    assert "şikâyet yeniden değerlendirmeye alındı (1. kez)" in history
    for raw in ("needs_field_visit", "False", "system:", "message_queued", "task_completed", "rejection_reason",
                "network_infrastructure", "Hande Uzman uzman"):
        assert raw not in page, raw
    assert "Hande Uzman" in history  # the analysis was completed through the web by this handler


def test_reevaluation_shows_the_rejection_reason_and_the_previous_solution(as_user):
    complaint = _rejected_once(as_user)
    task = task_named(complaint, "task_analyse")
    page = _text(as_user("handler").get(f"/tasks/{task.id}"))
    needs = page[page.index("Bu adım için gerekenler"):page.index("Analiz ve değerlendirme")]
    assert "Müşterinin çözümü kabul etmeme gerekçesi Kopmalar sürüyor <b>" in needs
    assert f"Müşteriye bildirilen önceki çözüm {RESPONSE['solution']}" in needs


def test_response_step_starts_from_the_proposed_solution_of_this_round(as_user):
    complaint = _rejected_once(as_user)
    complete(complaint, "task_analyse", {"analysis_findings": "Modem değişmeli.",
                                         "proposed_solution": "Yeni modem <gönder>"}, ist(2026, 11, 25, 11, 30))
    task = task_named(complaint, "task_respond")
    html = as_user("handler").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'<textarea id="f-solution" name="solution"[^>]*>Yeni modem &lt;gönder&gt;</textarea>', html)
    assert "Bu adım için gerekenler" not in html  # nothing to read out yet on the response step


def test_phone_step_shows_the_decision_to_read_out(as_user):
    complaint = register("telefon", preferred_contact="telefon", at=ist(2026, 11, 25, 9, 30))
    complete(complaint, "task_classify", CLASSIFY, ist(2026, 11, 25, 9, 50))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 10, 30))
    task = task_named(complaint, "task_notify_phone")
    page = _text(as_user("handler").get(f"/tasks/{task.id}"))
    assert f"Müşteriye bildirilecek karar {RESPONSE['solution']}" in page


def test_a_field_an_analyst_adds_shows_with_its_own_title_without_code(as_user, live_version, monkeypatch):
    properties = versions.forms_for(live_version)["classification"]["properties"]
    monkeypatch.setitem(properties, "contract_end", {
        "type": "string", "title": "Taahhüt bitişi", "oneOf": [{"const": "y2027", "title": "2027 yılı"}]})
    complaint = register("telefon", at=ist(2026, 11, 25, 9, 30))
    complete(complaint, "task_classify", {**CLASSIFY, "contract_end": "y2027"}, ist(2026, 11, 25, 9, 50))
    page = _text(as_user("handler").get(f"/complaints/{complaint.registration_number}"))
    assert "Taahhüt bitişi 2027 yılı" in page and "contract_end" not in page and "y2027" not in page


def test_case_file_labels_in_english(as_user):
    complaint = _rejected_once(as_user)
    client = as_user("handler")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = _text(client.get(f"/complaints/{complaint.registration_number}"))
    assert "Case file" in page and "Stage 5" in page
    assert "Field visit needed? No" in page and "Category Connection and speed" in page
    assert "The customer did not accept the solution" in page
