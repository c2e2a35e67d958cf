"""The procedure in two languages (issue 13 §2): English names in the diagram (`name_en`), English
form texts (`x-i18n`), shown by the reader's locale with Turkish as the fallback, and a lint warning
(never a refusal) where English is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.bilingual import diagram_names, form_gaps, localize_schema
from app.engine import lint, safe_tree
from app.services import names
from app.services.procedure import validation, versions

from .helpers import complete, ist, register, task_named

ROOT = Path(__file__).resolve().parent.parent
BPMN_TEXT = (ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
FORMS = versions.load_forms_dir(ROOT / "forms")
NAMED = re.compile(r"^(?:task|userTask|manualTask|scriptTask|sendTask|receiveTask|serviceTask|subProcess|startEvent"
                   r"|endEvent|boundaryEvent|intermediateCatchEvent|intermediateThrowEvent)$")


def _without_english(element_id: str) -> str:
    """The shipped diagram with the English name of one element taken out."""
    line = next(x for x in BPMN_TEXT.splitlines() if f'id="{element_id}"' in x)
    start = BPMN_TEXT.index(line)
    head, tail = BPMN_TEXT[:start], BPMN_TEXT[start:]
    return head + re.sub(r'<spiffworkflow:property name="name_en" value="[^"]*" />', "", tail, count=1)


def test_the_shipped_diagram_names_every_step_and_event_in_english():
    tree = safe_tree(BPMN_TEXT)
    kinds = {e.get("id"): e.tag.rsplit("}", 1)[-1] for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    steps = {i: pair for i, pair in diagram_names(tree).items() if NAMED.match(kinds[i])}
    assert len(steps) >= 40
    missing = [i for i, (_, english) in steps.items() if not english]
    assert missing == []
    same = [i for i, (turkish, english) in steps.items() if turkish == english]
    assert same == []
    assert steps["task_classify"] == ("Şikâyeti sınıflandır ve önceliklendir", "Classify and prioritise the complaint")
    assert not [f for f in lint(tree) if f.rule == "english-name"]
    # Everything else drawn with a label too (pools, lanes, gateways, labelled flows, messages).
    assert [i for i, (_, english) in diagram_names(tree).items() if not english] == []


def test_every_shipped_form_has_english_for_every_text_a_person_reads():
    assert set(FORMS) >= {"classification", "analysis", "response", "customer_answer", "acknowledgement"}
    assert {name: form_gaps(schema) for name, schema in FORMS.items() if form_gaps(schema)} == {}
    assert validation.language_warnings(BPMN_TEXT, FORMS) == []
    english = localize_schema(FORMS["classification"], "en")
    assert english["title"] == "Classification and priority"
    assert english["properties"]["priority"]["oneOf"][2]["title"] == "Low"
    assert localize_schema(FORMS["classification"], "tr")["title"] == "Sınıflandırma ve önceliklendirme"


def test_the_customer_answer_form_speaks_to_staff_not_to_the_customer():
    form = FORMS["customer_answer"]
    texts = json.dumps(form, ensure_ascii=False)
    assert "yanıtınız" not in texts.lower() and "bulmuyorsunuz" not in texts and "ediyorum" not in texts
    assert form["properties"]["answer"]["title"] == "Müşterinin yanıtı"
    assert localize_schema(form, "en")["properties"]["answer"]["title"] == "The customer's answer"


def test_a_step_without_english_is_a_lint_warning_and_still_passes_the_gate(app):
    draft = _without_english("task_classify")
    findings = [f for f in lint(safe_tree(draft)) if f.rule == "english-name"]
    assert [(f.element, f.severity) for f in findings] == [("task_classify", "warning")]
    assert "no English name" in findings[0].message
    bundle, problems = validation.run_gate(draft, FORMS, conformance=False)
    assert bundle is not None and problems == []
    assert [w["element"] for w in validation.language_warnings(draft, FORMS)] == ["task_classify"]


def test_a_form_without_english_is_a_warning_not_a_refusal(app):
    form = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Yeni adım", "type": "object",
            "properties": {"note": {"type": "string", "title": "Not", "x-i18n": {"en": {"title": "Note"}}}},
            "additionalProperties": False}
    assert validation.check_forms({"draft": form}) == []
    warnings = validation.english_gaps({"draft": form})
    assert len(warnings) == 1 and "/title" in warnings[0]["message"] and "/properties/note/title" not in \
        warnings[0]["message"]


def test_english_falls_back_to_turkish_where_the_diagram_or_form_has_none():
    book = names.NameBook()
    book.add(names.names_of(_without_english("task_classify")))
    assert book.name("Şikâyeti sınıflandır ve önceliklendir", "task_classify", "en") == \
        "Şikâyeti sınıflandır ve önceliklendir"
    assert book.name("Şikâyeti analiz et ve değerlendir", "task_analyse", "en") == "Analyse and evaluate the complaint"
    assert book.name("Şikâyeti analiz et ve değerlendir", None, "en") == "Analyse and evaluate the complaint"
    assert book.name("Şikâyeti analiz et ve değerlendir", "task_analyse", "tr") == "Şikâyeti analiz et ve değerlendir"
    form = {"title": "Yalnız Türkçe başlık", "properties": {"x": {"title": "Alan", "x-i18n": {"en": {"title": " "}}}}}
    english = localize_schema(form, "en")
    assert english["title"] == "Yalnız Türkçe başlık" and english["properties"]["x"]["title"] == "Alan"


@pytest.mark.usefixtures("live_version")
def test_task_pages_inbox_and_case_file_follow_the_reader_language(as_user):
    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_classify", {"priority": "high", "category": "billing"}, ist(2026, 11, 25, 10, 30))
    task = task_named(complaint, "task_analyse")
    client = as_user("handler")
    turkish = client.get("/inbox").get_data(as_text=True) + client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Şikâyeti analiz et ve değerlendir" in turkish and "Analiz ve değerlendirme" in turkish
    client.post("/language", data={"lang": "en", "next": "/inbox"})
    inbox = client.get("/inbox").get_data(as_text=True)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    case = client.get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Analyse and evaluate the complaint" in inbox and "Şikâyeti analiz et" not in inbox
    assert "Analysis and evaluation" in page and "Findings" in page and "Proposed solution" in page
    assert "Analiz ve değerlendirme" not in page and "Bulgular" not in page
    assert "Classify and prioritise the complaint" in case and "Şikâyeti sınıflandır" not in case
    assert "Billing and payment" in case and "Fatura ve ödeme" not in case


@pytest.mark.usefixtures("live_version")
def test_the_review_diagram_is_drawn_with_english_names_for_english_readers(as_user):
    client = as_user("quality_manager")
    turkish = client.get("/review/versions/1/diagram.bpmn?lang=tr").get_data(as_text=True)
    assert 'name="Şikâyeti sınıflandır ve önceliklendir"' in turkish
    client.post("/language", data={"lang": "en", "next": "/review/"})
    english = client.get("/review/versions/1/diagram.bpmn?lang=en").get_data(as_text=True)
    assert 'name="Classify and prioritise the complaint"' in english
    assert 'name="Şikâyeti sınıflandır ve önceliklendir"' not in english


@pytest.mark.usefixtures("live_version")
def test_the_modeler_speaks_english_and_warns_about_forms_without_english(as_user):
    client = as_user("analyst")
    client.post("/language", data={"lang": "en", "next": "/modeler/"})
    page = client.get("/modeler/").get_data(as_text=True)
    catalog = json.loads(re.search(r'id="modeler-messages">(.*?)</script>', page, re.S).group(1))
    assert catalog["Kaydedilmemiş değişiklikler var."] == "There are unsaved changes."
    assert catalog["Taslak #{n} kaydedildi: denetimden geçti, yayınlanabilir."].startswith("Draft #{n} saved")
    schema = {"title": "Yeni", "type": "object", "properties": {}, "additionalProperties": False}
    answer = client.post("/modeler/forms/check", json={"name": "yeni", "schema": schema}).get_json()
    assert answer["problems"] == [] and len(answer["warnings"]) == 1
    hostile = as_user("handler").post("/modeler/forms/check", json={"name": "yeni", "schema": schema})
    assert hostile.status_code == 403


@pytest.mark.usefixtures("live_version")
def test_a_new_english_name_does_not_keep_running_complaints_on_the_old_version(app):
    from app.services.procedure import migration

    running = register("telefon", at=ist(2026, 11, 25, 10, 0))
    complete(running, "task_classify", {"priority": "normal", "category": "billing"}, ist(2026, 11, 25, 10, 30))
    forms = versions.load_forms_dir(ROOT / "forms")
    versions.deploy_version(_without_english("task_classify"), forms, author="analyst", comment="wording")
    plan = {c.registration_number: c for c in migration.dry_run(2)}
    assert plan[running.registration_number].can_move, plan[running.registration_number].reasons
    changed = BPMN_TEXT.replace('name="Şikâyeti sınıflandır ve önceliklendir"', 'name="Sınıflandır"', 1)
    versions.deploy_version(changed, forms, author="analyst", comment="renamed")
    assert not {c.registration_number: c for c in migration.dry_run(3)}[running.registration_number].can_move
