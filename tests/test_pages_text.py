"""Issue 13: no stored code, English sentence or wrong number format reaches a person (no browser)."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from flask_babel import force_locale

from app import numbers, problem_text
from app.engine.messages import Text
from app.services.review import figures
from app.services.review.figures import Scope
from app.services.workflow import tasks

from .helpers import ESCALATION, classify, complete, fire, ist, refreshed, register, solve, task_named

pytestmark = pytest.mark.usefixtures("live_version")


@pytest.mark.parametrize(("n", "dative", "locative"), [
    (1, "1'e", "1'de"), (2, "2'ye", "2'de"), (3, "3'e", "3'te"), (4, "4'e", "4'te"), (6, "6'ya", "6'da"),
    (9, "9'a", "9'da"), (10, "10'a", "10'da"), (20, "20'ye", "20'de"), (40, "40'a", "40'ta"),
    (100, "100'e", "100'de"), (300, "300'e", "300'de"), (1000, "1000'e", "1000'de"), (0, "0'a", "0'da"),
    (12, "12'ye", "12'de"), (1_000_000, "1000000'a", "1000000'da"),
])
def test_turkish_suffixes_follow_the_spoken_number(n, dative, locative):
    assert numbers.suffix(n) == dative
    assert numbers.suffix(n, "locative") == locative


def test_numbers_are_written_as_each_language_writes_them(app):
    with app.test_request_context(), force_locale("tr"):
        assert numbers.percent(100.0) == "%100,0"
        assert numbers.decimal(4.0, 2) == "4,00"
        assert numbers.after_number(2) == "2'ye"
    with app.test_request_context(), force_locale("en"):
        assert numbers.percent(100.0) == "100.0%"
        assert numbers.decimal(4.0, 2) == "4.00"
        assert numbers.after_number(2) == "2"


def test_gate_and_migration_sentences_are_turkish_in_the_turkish_ui(app):
    text = Text("{element}, which it has reached, was changed ({attributes})", element="task_classify",
                attributes="bpmn_name")
    problem = {"element": "Task_1", "message": "form 'x' does not exist", "message_id": "form {form!r} does not exist",
               "params": {"form": "x"}, "stage": None, "path": None}
    with app.test_request_context(), force_locale("tr"):
        assert problem_text.reason(text) == "ulaştığı task_classify adımı değişti (adı)"
        assert problem_text.problem(problem)["message"] == "'x' formu yok"
        assert problem_text.line({**problem, "stage": 5}) == "Task_1 | aşama 5: 'x' formu yok"
        # A sentence without a template (or not yet translated) stays as the engine said it.
        assert problem_text.say("something new", "something new {x}", {"x": 1}) == "something new"
    with app.test_request_context(), force_locale("en"):
        assert problem_text.reason(text) == "task_classify, which it has reached, was changed (bpmn_name)"
        assert problem_text.problem(problem)["message"] == "form 'x' does not exist"


def test_a_text_survives_the_trip_to_the_gate_worker_and_back():
    import json
    import pickle

    text = Text("form {form!r} does not exist", form="x")
    assert pickle.loads(pickle.dumps(text)).params == {"form": "x"}
    from app.services.procedure.validation import problem

    assert json.loads(json.dumps(problem(text)))["message_id"] == "form {form!r} does not exist"


def test_csv_keeps_the_code_and_adds_the_label_in_the_readers_language(as_user):
    complaint = register("telefon", at=ist(2026, 11, 24, 10, 0))
    classify(complaint, "high", ist(2026, 11, 24, 11, 0))
    solve(complaint, ist(2026, 11, 24, 12, 0))
    client = as_user("quality_manager")

    def rows():
        body = client.get("/review/export.csv").data
        return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8):].decode("utf-8")), delimiter=";"))

    header, row = rows()
    assert row[header.index("Kök neden (kod)")] == "network_infrastructure"
    assert row[header.index("Kök neden")] == "Ağ altyapısı"
    assert row[header.index("Kanal")] == "Telefon" and row[header.index("Öncelik")] == "Yüksek"
    client.post("/language", data={"lang": "en", "next": "/review/"})
    header, row = rows()
    assert row[header.index("Root cause (code)")] == "network_infrastructure"
    assert row[header.index("Root cause")] == "Network infrastructure"
    assert row[header.index("Priority")] == "High"


def test_a_task_completed_before_it_was_raised_counts_no_negative_time():
    """The timer sweep ran with a later --now than the person who then completed the escalation task."""
    complaint = register("faks", at=ist(2026, 11, 24, 10, 0))
    fire(ist(2026, 11, 25, 9, 0))  # the acknowledgement escalation is raised "tomorrow"
    escalation = task_named(complaint, "task_ack_escalation")
    done = tasks.complete_task(escalation.id, ESCALATION, actor="test", at=ist(2026, 11, 24, 16, 0))
    assert done.completed_at == done.created_at  # a step ends no earlier than it began
    complete(complaint, "task_acknowledge", {"ack_method": "eposta"}, ist(2026, 11, 24, 16, 5))
    assert refreshed(complaint).acknowledged_at is not None
    heat = figures.compute(Scope(start=ist(2026, 11, 1).date(), end=ist(2026, 12, 1).date()),
                           now=ist(2026, 11, 25, 11, 0)).heatmap
    assert heat["task_ack_escalation"]["median_hours"] == 0
    assert all(cell["median_hours"] is None or cell["median_hours"] >= 0 for cell in heat.values())


def test_the_search_page_starts_with_recent_complaints(as_user):
    numbers_ = [register("faks", at=ist(2026, 11, 24, 10, m)).registration_number for m in range(3)]
    page = as_user("handler").get("/complaints").get_data(as_text=True)
    assert "Son şikâyetler" in page and all(n in page for n in numbers_)


def test_the_browser_gets_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"


def test_intake_shows_the_contact_rule_with_the_other_errors(as_user):
    page = as_user("intake").post("/intake", data={"channel": "", "customer_name": "", "description": "",
                                                   "customer_phone": "", "customer_email": ""})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Bu alan zorunludur." in body and "en az biri gereklidir" in body


def test_a_hostile_language_value_changes_nothing(as_user):
    client = as_user("quality_manager")
    client.post("/language", data={"lang": "xx\r\n<script>", "next": "/review/"})
    assert "Kök neden" in client.get("/review/").get_data(as_text=True)


def test_the_live_check_speaks_the_analysts_language(as_user):
    from pathlib import Path

    bpmn = (Path(__file__).resolve().parent.parent / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('name="Şikâyeti sınıflandır ve önceliklendir"', "", 1)
    client = as_user("analyst")
    findings = client.post("/modeler/lint", json={"bpmn": bpmn}).json["findings"]
    unnamed = [f for f in findings if f["rule"] == "label-required" and f["element"] == "task_classify"]
    assert unnamed and unnamed[0]["message"] == "Kullanıcı görevi task_classify: adı yok."
    client.post("/language", data={"lang": "en", "next": "/modeler/"})
    findings = client.post("/modeler/lint", json={"bpmn": bpmn}).json["findings"]
    assert "User task task_classify has no name." in [f["message"] for f in findings]
