"""The modeler in headless Chromium: change a timer, see the gate's verdict, deploy, see the new version."""

from __future__ import annotations

import pytest

from app.config import PROJECT_ROOT
from app.extensions import db
from app.services.procedure import versions

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


def _set_timer(page, expression: str) -> None:
    page.fill("#find-element", "timer_solution_deadline")
    page.press("#find-element", "Tab")
    page.wait_for_selector("#prop-timer")
    page.fill("#prop-timer", expression)
    page.press("#prop-timer", "Tab")


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

    _set_timer(page, "add_business_days(received_at, solution_days)")
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
    assert live.number == 2 and "add_business_days(received_at, solution_days)</bpmn:timeDate>" in live.bpmn_xml


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
