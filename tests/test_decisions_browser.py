"""The decision-table editor (dmn-js) beside the modeler in headless Chromium: edit a cell, save, deploy."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.services.procedure import versions

from .staff_fixtures import PASSWORD, chromium_page

pytestmark = pytest.mark.browser

NORMAL_DAYS = "[data-element-id='output_days_normal']"


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


def test_analyst_edits_the_days_table_in_the_browser_and_the_gate_passes_it(analyst_page):
    page = analyst_page
    page.goto("/modeler/")
    page.wait_for_selector("#canvas[data-ready='1']")
    page.wait_for_selector("#decision-canvas[data-ready='1']")
    page.select_option("#decision-select", "solution_days.dmn")
    page.wait_for_selector("#decision-canvas[data-file='solution_days.dmn'][data-ready='1']")
    assert page.locator("#decision-canvas .bjs-powered-by").is_visible()  # the bpmn.io watermark stays
    cell = page.locator(f"#decision-canvas {NORMAL_DAYS} [contenteditable]")
    assert cell.inner_text().strip() == "3"
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    # The table's model follows the typed text (dmn-js applies it after a short debounce).
    page.wait_for_function("""() => CF.decisions.collect().then(files => { window.__days = files; })
        && window.__days && /output_days_normal">\\s*<text>2<\\/text>/.test(window.__days['solution_days.dmn'])""")

    page.fill("#draft-comment", "normal: 2 iş günü")
    page.click("#save-button")
    page.wait_for_selector("#modeler-status:is([data-state='passed'], [data-state='problems'], [data-state='error'])",
                           timeout=120000)  # the gate runs every scenario: slow on a busy machine
    assert page.locator("#modeler-status").get_attribute("data-state") == "passed", (
        page.locator("#modeler-status").inner_text(), page.locator("#problems").inner_text())
    page.click("#deploy-button")
    page.wait_for_url("**/modeler/versions")

    db.session.rollback()
    live = versions.live_version()
    assert live.number == 2
    assert re.search(r'id="output_days_normal">\s*<text>2</text>', versions.decisions_for(live)["solution_days.dmn"])
    assert versions.diff_versions(1, 2)["decisions"]["changed"] == ["solution_days.dmn"]
