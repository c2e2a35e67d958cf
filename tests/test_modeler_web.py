"""The modeler's HTTP routes: drafts with the gate's problems, deploy, versions, diff, migration, vendor files."""

from __future__ import annotations

import json
import re

import pytest

from app.config import PROJECT_ROOT
from app.services.procedure import versions

from . import procedure_edits as edits
from .helpers import classify, ist, refreshed, register

pytestmark = pytest.mark.usefixtures("live_version")


def save(client, edit, **extra):
    bpmn, forms = edit(*edits.shipped())
    return client.post("/modeler/drafts", json={"bpmn": bpmn, "forms": forms, "comment": "test", **extra})


def test_only_analysts_open_the_modeler(as_user):
    assert as_user("analyst").get("/modeler/").status_code == 200
    assert as_user("handler").get("/modeler/").status_code == 403
    assert as_user("handler").post("/modeler/drafts", json={}).status_code == 403


def test_the_page_loads_bpmn_js_from_the_app_with_a_script_policy_of_self(as_user):
    client = as_user("analyst")
    page = client.get("/modeler/")
    assert b"/vendor/bpmn-js/dist/bpmn-modeler.production.min.js" in page.data
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert b"<script>" not in page.data  # no inline scripts: JSON data blocks and files only
    assert client.get("/vendor/bpmn-js/dist/bpmn-modeler.production.min.js").status_code == 200
    assert client.get("/vendor/bpmn-js/package.json").status_code == 404
    assert client.get("/vendor/../pyproject.toml").status_code == 404


def test_source_opens_the_live_version_or_a_given_one(as_user):
    data = as_user("analyst").get("/modeler/source").json
    assert data["version"] == 1 and data["bpmn"].startswith("<?xml") and "classification" in data["forms"]
    assert as_user("analyst").get("/modeler/source?version=7").status_code == 404


def test_a_draft_with_problems_is_saved_but_cannot_be_deployed(as_user):
    client = as_user("analyst")
    response = save(client, edits.skips_acknowledgement)
    assert response.status_code == 200
    body = response.json
    assert body["saved"] and body["problems"][0]["element"] == "task_acknowledge" and body["problems"][0]["stage"] == 2
    refused = client.post(f"/modeler/drafts/{body['draft_id']}/deploy", json={})
    assert refused.status_code == 422 and refused.json["problems"]
    assert versions.live_version().number == 1
    assert client.get(f"/modeler/source?draft={body['draft_id']}").json["problems"] == body["problems"]


@pytest.mark.parametrize("payload", [{"bpmn": "not xml", "forms": {}},
                                     {"bpmn": "<x>" + "a" * 20_000_000 + "</x>", "forms": {}}])
def test_unusable_uploads_come_back_with_problems(as_user, payload):
    response = as_user("analyst").post("/modeler/drafts", json=payload)
    assert response.json["problems"] and versions.live_version().number == 1


def test_form_schemas_are_checked(as_user):
    client = as_user("analyst")
    bad = client.post("/modeler/forms/check", json={"name": "x", "schema": {"type": "nonsense"}}).json
    assert "geçerli bir JSON Schema değil" in bad["problems"][0]["message"]  # the analyst's language
    client.post("/language", data={"lang": "en", "next": "/modeler/"})
    bad = client.post("/modeler/forms/check", json={"name": "x", "schema": {"type": "nonsense"}}).json
    assert "not a valid JSON Schema" in bad["problems"][0]["message"]
    client.post("/language", data={"lang": "tr", "next": "/modeler/"})
    open_form = client.post("/modeler/forms/check", json={"name": "x", "schema": {"type": "object"}}).json
    assert "additionalProperties" in open_form["problems"][0]["message"]
    assert client.post("/modeler/forms/check", json={"name": "x", "schema": {
        "type": "object", "additionalProperties": False}}).json == {"problems": [], "warnings": []}


def test_deploy_diff_and_migrate_through_the_pages(as_user, app):
    client = as_user("analyst")
    waiting = register("faks", at=ist(2026, 11, 25, 10, 0))
    busy = register("telefon", at=ist(2026, 11, 25, 10, 0))
    classify(busy, "normal", ist(2026, 11, 25, 11, 0))
    draft_id = save(client, edits.normal_deadline_two_days).json["draft_id"]
    deployed = client.post(f"/modeler/drafts/{draft_id}/deploy", data={"comment": "normal: 2 gün"})
    assert deployed.status_code == 302 and versions.live_version().number == 2

    page = client.get("/modeler/versions").get_data(as_text=True)
    assert 'data-version="2"' in page and "normal: 2 gün" in page
    diff = client.get("/modeler/versions/diff?old=1&new=2").get_data(as_text=True)
    assert "script_solution_deadline" in diff
    dry = client.post("/modeler/versions/2/migrate", data={"dry_run": "1"}).get_data(as_text=True)
    assert waiting.registration_number in dry and "taşınabilir" in dry and "kalır" in dry
    done = client.post("/modeler/versions/2/migrate", data={"dry_run": "0"}).get_data(as_text=True)
    assert "taşındı" in done
    assert refreshed(waiting).instance.version.number == 2 and refreshed(busy).instance.version.number == 1

    assert client.post("/modeler/versions/1/deploy").status_code == 302
    assert versions.live_version().number == 1
    exported = client.get("/modeler/versions/2/export")
    assert exported.headers["Content-Disposition"].endswith("complaint-v2.bpmn")
    assert b"priority == 'normal'" in exported.data


def test_forms_come_back_in_their_own_field_order(as_user):
    forms = as_user("analyst").get("/modeler/source").json["forms"]
    assert list(forms["classification"]["properties"]) == ["priority", "priority_override_reason", "category",
                                                           "classification_note"]


def test_the_live_check_names_elements_and_separates_errors_from_warnings(as_user):
    client = as_user("analyst")
    bpmn, _ = edits.shipped()
    clean = client.post("/modeler/lint", json={"bpmn": bpmn})
    assert clean.status_code == 200
    assert clean.json["findings"] == []
    unnamed = edits.replace_once(bpmn, 'id="sub_start" name="Değerlendirme başladı"', 'id="sub_start"')
    style = client.post("/modeler/lint", json={"bpmn": unnamed}).json["findings"]
    assert [(f["element"], f["severity"]) for f in style] == [("sub_start", "warning")]
    broken = bpmn.replace('attachedToRef="task_acknowledge"', 'attachedToRef="task_gone"')
    findings = client.post("/modeler/lint", json={"bpmn": broken}).json["findings"]
    # In the analyst's language (Turkish by default), naming the element.
    assert [(f["rule"], f["element"], f["severity"], f["message"]) for f in findings] == [
        ("boundary-attached", "timer_ack_missed", "error",
         'Sınır olayı timer_ack_missed ("Bildirim süresi aşıldı"), bu diyagramda görev veya alt süreç olmayan '
         "task_gone öğesine bağlı; bu yüzden hiç tetiklenmez.")]


def test_the_live_check_refuses_strangers_and_survives_hostile_input(as_user):
    assert as_user("handler").post("/modeler/lint", json={"bpmn": "<a/>"}).status_code == 403
    client = as_user("analyst")
    assert client.post("/modeler/lint", json={"bpmn": 5}).status_code == 400
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</definitions>')
    findings = client.post("/modeler/lint", json={"bpmn": xxe}).json["findings"]
    assert findings and findings[0]["severity"] == "error" and "root:" not in findings[0]["message"]
    assert client.post("/modeler/lint", json={"bpmn": "not xml"}).json["findings"][0]["rule"] == "xml"


def test_the_properties_panel_is_served_from_the_app_and_its_words_follow_the_reader(as_user):
    """The bundle built from node_modules and the panel's stylesheet load from the app; the page names
    the bpmn-js catalog of the reader's language, and every sentence of the page's own scripts is in the
    one Babel catalog the page writes, translated in English mode."""
    client = as_user("analyst")
    page = client.get("/modeler/").get_data(as_text=True)
    assert "/static/modeler/build/properties.js" in page and "/static/modeler/i18n/tr.json" in page
    assert "/static/modeler/panel.js" not in page
    assert client.get("/static/modeler/build/properties.js").status_code == 200
    assert client.get("/vendor/@bpmn-io/properties-panel/dist/assets/properties-panel.css").status_code == 200
    turkish = client.get("/static/modeler/i18n/tr.json").get_json()
    assert turkish["Script (Python)"] == "Betik (Python)" and turkish["Create task"] == "Görev oluştur"
    assert turkish["English name (name_en)"] == "İngilizce ad (name_en)"

    client.post("/language", data={"lang": "en", "next": "/modeler/"})
    page = client.get("/modeler/").get_data(as_text=True)
    assert "/static/modeler/i18n/en.json" in page
    written = re.search(r'<script type="application/json" id="modeler-messages">(.*?)</script>', page, re.S)
    english = json.loads(written.group(1))
    scripts = "".join((PROJECT_ROOT / "app" / "static" / "modeler" / name).read_text(encoding="utf-8")
                      for name in ("modeler.js", "forms.js"))
    sentences = set(re.findall(r'CF\.t\("([^"]+)"', scripts)) | {"uyarı", "hata"}  # also CF.t(kind ? "uyarı" : "hata")
    assert len(sentences) > 20 and sentences <= set(english), sorted(sentences - set(english))
    untranslated = sorted(text for text in sentences - {"Form"} if english[text] == text)  # "Form" is both
    assert untranslated == []
    assert english["Kaydedilmemiş değişiklikler var."] == "There are unsaved changes."
