"""The modeler in headless Chromium: change a timer, see the gate's verdict, deploy, see the new version."""

from __future__ import annotations

import pytest
from lxml import etree

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import ProcessDraft
from app.services.procedure import versions

from .helpers import classify, ist, refreshed, register
from .staff_fixtures import PASSWORD, chromium_page

pytestmark = pytest.mark.browser


@pytest.fixture
def analyst_page(live_server):
    with chromium_page(live_server, width=1400, height=950, timeout_ms=20000) as page:
        page.goto("/login")
        page.get_by_label("Kullanıcı adı").fill("analist")
        page.get_by_label("Parola").fill(PASSWORD)
        page.get_by_role("button", name="Giriş yap").click()
        page.wait_for_load_state()
        yield page
        assert page.js_errors == [], page.js_errors


TIMER_VALUE = "#bio-properties-panel-timerEventDefinitionValue"
SCRIPT = "#bio-properties-panel-cf-script"


def _set_timer(page, expression: str) -> None:
    page.fill("#find-element", "timer_solution_deadline")
    page.press("#find-element", "Tab")
    page.wait_for_selector(TIMER_VALUE)
    page.fill(TIMER_VALUE, expression)
    page.press(TIMER_VALUE, "Tab")
    page.wait_for_selector("#modeler-status[data-state='dirty']")


def test_analyst_changes_a_timer_sees_the_verdict_deploys_and_sees_the_new_version(analyst_page):
    page = analyst_page
    page.get_by_role("link", name="Süreç modelleyici").click()
    page.wait_for_selector("#canvas[data-ready='1']")
    assert page.locator("#canvas .bjs-powered-by").is_visible()  # the bpmn.io watermark stays

    _set_timer(page, "solution_due[:10]")  # a date without an offset: the gate must refuse it
    page.click("#save-button")
    page.wait_for_selector("#modeler-status[data-state='problems']")
    assert "timer_solution_deadline" in page.locator("#problems").inner_text()
    assert page.locator("[data-element-id='timer_solution_deadline'].cf-problem").count() == 1
    assert page.locator("#deploy-form").is_hidden()

    _set_timer(page, "solution_due[:10] + solution_due[10:]")  # the same instant, written anew: the gate passes it
    page.fill("#draft-comment", "zamanlayıcı yeniden yazıldı")
    page.click("#save-button")
    page.wait_for_selector("#modeler-status[data-state='passed']")
    assert page.locator("#problems li").count() == 0
    page.click("#deploy-button")
    page.wait_for_url("**/modeler/versions")
    row = page.locator("tr[data-version='2']")
    assert "yayında" in row.inner_text() and "zamanlayıcı yeniden yazıldı" in row.inner_text()

    db.session.rollback()
    live = versions.live_version()
    assert live.number == 2 and "solution_due[:10] + solution_due[10:]</bpmn:timeDate>" in live.bpmn_xml


def test_the_live_check_marks_problems_while_drawing_and_an_iso_8859_9_file_keeps_its_names(analyst_page, tmp_path):
    page = analyst_page
    page.goto("/modeler/")
    page.wait_for_selector("#canvas[data-ready='1']")
    page.wait_for_selector("#lint-findings[data-checked='1']", state="attached")
    assert page.locator("#lint-findings li[data-severity='error']").count() == 0

    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('encoding="UTF-8"', 'encoding="ISO-8859-9"', 1)
    line = next(x for x in bpmn.splitlines() if 'id="flow_ack_task"' in x)  # a condition on the default flow
    opened = line.rstrip()[:-2].rstrip() + "></bpmn:sequenceFlow>" if line.rstrip().endswith("/>") else line
    bpmn = bpmn.replace(line, opened.replace("</bpmn:sequenceFlow>", "<bpmn:conditionExpression>True"
                                             "</bpmn:conditionExpression></bpmn:sequenceFlow>"))
    bpmn = bpmn.replace('id="sub_start" name="Değerlendirme başladı"', 'id="sub_start"')  # a style warning
    upload = tmp_path / "legacy.bpmn"
    upload.write_bytes(bpmn.encode("iso-8859-9", "xmlcharrefreplace"))
    page.set_input_files("#import-file", str(upload))
    page.wait_for_selector("#lint-findings li[data-element='flow_ack_task'][data-severity='error']")
    assert page.locator("#lint-findings li[data-element='sub_start'][data-severity='warning']").count() == 1
    assert page.locator("[data-element-id='flow_ack_task'].cf-lint-error").count() >= 1
    assert "Şikâyeti sınıflandır" in page.locator("[data-element-id='task_classify']").text_content()


def test_the_palette_leaves_the_diagram_free_and_the_preview_draws_radio_buttons(analyst_page):
    page = analyst_page
    page.goto("/modeler/")
    page.wait_for_selector("#canvas[data-ready='1']")
    palette = page.locator("#canvas .djs-palette").bounding_box()
    shapes = page.locator("#canvas .djs-element.djs-shape").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).filter(r => r.width > 0).map(r => r.left)")
    assert shapes and min(shapes) >= palette["x"] + palette["width"]  # nothing drawn under the palette
    page.select_option("#form-select", "classification")
    preview = page.locator("#form-preview")
    assert preview.locator("input[type=radio]").count() >= 3  # x-widget: radio, as the task page shows it
    assert preview.locator("fieldset legend", has_text="Öncelik").count() == 1


def test_a_modeler_box_without_a_size_when_the_diagram_opens_is_fitted_once_it_has_one(analyst_page):
    """bpmn-js cannot fit into 0×0 (CI saw 'SVGMatrix scale: non-finite' on a review diagram): the diagram is
    left alone until its box gets a size, then fitted beside the palette."""
    page = analyst_page
    page.add_init_script(script="""document.addEventListener('readystatechange', () => {
        const box = document.getElementById('canvas');
        if (document.readyState === 'interactive' && box) { box.style.display = 'none'; } });""")
    page.goto("/modeler/")
    page.wait_for_selector("#canvas[data-ready='1']", state="attached")
    assert page.locator("#canvas").get_attribute("data-fitted-to") is None
    page.evaluate("document.getElementById('canvas').style.display = ''")
    page.wait_for_selector("#canvas[data-fitted-to]")
    palette = page.locator("#canvas .djs-palette").bounding_box()
    shapes = page.locator("#canvas .djs-element.djs-shape").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).filter(r => r.width > 0).map(r => r.left)")
    assert shapes and min(shapes) >= palette["x"] + palette["width"]
    assert page.js_errors == []


SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _diagram_code(xml: str) -> list[tuple]:
    """Every spiffworkflow element and every piece of code, by the element that holds it: what must
    survive an import and export unchanged (spacing and attribute order do not matter)."""
    root = etree.fromstring(xml.encode("utf-8"))
    facts = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        owner = next((a.get("id") for a in node.iterancestors() if a.get("id")), None)
        code = node.tag in (f"{BPMN}script", f"{BPMN}conditionExpression", f"{BPMN}timeDate",
                            f"{BPMN}timeDuration", f"{BPMN}timeCycle")
        if node.tag.startswith(SPIFF) or code:
            facts.append((owner, etree.QName(node).localname, tuple(sorted(node.attrib.items())),
                          (node.text or "").strip()))
    return sorted(facts)


def _open_modeler(page) -> None:
    page.goto("/modeler/")
    page.wait_for_selector("#canvas[data-ready='1']")


def _select(page, element_id: str) -> None:
    """Click the element on the canvas, as an analyst does."""
    page.locator(f"#canvas [data-element-id='{element_id}']").first.click()
    page.wait_for_selector("#properties-panel .bio-properties-panel-header")


def _set_script(page, text: str) -> None:
    page.fill(SCRIPT, text)
    page.press(SCRIPT, "Tab")
    page.wait_for_selector("#modeler-status[data-state='dirty']")


def test_the_shipped_diagram_survives_import_and_export_with_every_spiffworkflow_element(analyst_page):
    page = analyst_page
    _open_modeler(page)
    exported = page.evaluate("CF.modeler.saveXML({ format: true }).then(function (out) { return out.xml; })")
    shipped = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    facts = _diagram_code(shipped)
    assert len([f for f in facts if f[1] == "property"]) > 40 and any(f[1] == "preScript" for f in facts)
    assert _diagram_code(exported) == facts

    def find(element_id):
        page.fill("#find-element", element_id)
        page.press("#find-element", "Tab")

    find("task_classify")  # the panel shows what the diagram holds
    page.wait_for_selector("#bio-properties-panel-cf-form")
    assert page.input_value("#bio-properties-panel-cf-form") == "classification"
    find("flow_notify_phone")
    page.wait_for_selector("#bio-properties-panel-cf-condition")
    assert page.input_value("#bio-properties-panel-cf-condition") == "preferred_contact == 'telefon'"
    find("timer_solution_deadline")
    page.wait_for_selector(TIMER_VALUE)
    assert page.input_value("#bio-properties-panel-timerEventDefinitionType") == "timeDate"
    assert "solution_due" in page.input_value(TIMER_VALUE)


def test_an_analyst_changes_the_normal_days_in_the_panel_and_only_new_complaints_get_them(analyst_page):
    page = analyst_page
    running = register("telefon", at=ist(2026, 11, 25, 10, 0))  # started on version 1: keeps 3 days

    page.get_by_role("link", name="Süreç modelleyici").click()
    page.wait_for_selector("#canvas[data-ready='1']")
    _select(page, "script_solution_deadline")
    panel = page.locator("#properties-panel")
    assert panel.get_by_text("Betik (Python)").count() == 1  # the panel speaks Turkish
    script = page.input_value(SCRIPT)
    # The days per priority come from the solution_days table; a script line may still override them.
    shipped = "solution_due = add_business_days(received_at, solution_days)"
    assert shipped in script
    override = "solution_days = 2 if priority == 'normal' else solution_days\n"
    _set_script(page, script.replace(shipped, override + shipped))
    page.fill("#draft-comment", "normal öncelik 2 iş günü")
    page.click("#save-button")
    page.wait_for_selector("#modeler-status[data-state='passed']")
    assert page.locator("#problems li").count() == 0
    page.click("#deploy-button")
    page.wait_for_url("**/modeler/versions")

    db.session.rollback()
    live = versions.live_version()
    assert live.number == 2 and "solution_days = 2 if priority == 'normal'" in live.bpmn_xml
    fresh = register("telefon", at=ist(2026, 11, 25, 10, 0))
    classify(running, "normal", ist(2026, 11, 25, 12, 0))
    classify(fresh, "normal", ist(2026, 11, 25, 12, 0))
    assert refreshed(running).solution_due_at == ist(2026, 11, 30, 10, 0)  # Wednesday + 3 business days
    assert refreshed(fresh).solution_due_at == ist(2026, 11, 27, 10, 0)  # Wednesday + 2 business days


def test_a_hostile_script_is_refused_and_its_message_stands_beside_the_element(analyst_page):
    page = analyst_page
    _open_modeler(page)
    _select(page, "script_solution_deadline")
    _set_script(page, "os = __import__('os')\n" + page.input_value(SCRIPT))
    page.click("#save-button")
    page.wait_for_selector("#modeler-status[data-state='problems']")
    assert page.locator("#canvas [data-element-id='script_solution_deadline'].cf-problem").count() == 1
    page.click("#canvas")  # select nothing; the gate's list brings the element back
    page.click("#problems li[data-element='script_solution_deadline']")
    beside = page.locator("#element-problems ul[data-element='script_solution_deadline'] li[data-kind='problem']")
    assert beside.count() >= 1 and "__import__" in beside.first.inner_text()
    assert page.locator("#deploy-form").is_hidden()

    db.session.rollback()
    assert versions.live_version().number == 1
    assert db.session.query(ProcessDraft).filter(ProcessDraft.deployed_version_id.isnot(None)).count() == 0


def test_the_panel_edits_the_english_name_beside_the_turkish_one_and_the_draft_keeps_it(analyst_page):
    """The old panel's name_en field lives on in the library panel: both names of a step are shown, and
    an English name with markup characters reaches the saved draft as typed (escaped, not markup)."""
    page = analyst_page
    _open_modeler(page)
    _select(page, "task_classify")
    english = "#bio-properties-panel-cf-name-en"
    page.wait_for_selector(english)
    assert page.input_value("#bio-properties-panel-name") == "Şikâyeti sınıflandır ve önceliklendir"
    assert page.input_value(english) == "Classify and prioritise the complaint"
    assert page.locator("#properties-panel").get_by_text("İngilizce ad (name_en)").count() == 1
    typed = 'Classify & "prioritise" <b>now</b>'
    page.fill(english, typed)
    page.press(english, "Tab")
    page.wait_for_selector("#modeler-status[data-state='dirty']")
    page.click("#save-button")
    page.wait_for_selector("#modeler-status[data-state='passed']")

    db.session.rollback()
    draft = db.session.query(ProcessDraft).order_by(ProcessDraft.id.desc()).first()
    root = etree.fromstring(draft.bpmn_xml.encode("utf-8"))
    task = root.xpath("//*[@id='task_classify']")[0]
    names = {p.get("name"): p.get("value") for p in task.iter("{*}property")}
    assert names["name_en"] == typed and task.get("name") == "Şikâyeti sınıflandır ve önceliklendir"
