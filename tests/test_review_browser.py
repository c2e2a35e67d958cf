"""The review pages in headless Chromium: a reopened complaint's path, the dashboard charts, the printable report."""

from __future__ import annotations

import os
import re

import pytest

from .helpers import answer, classify, ist, register, solve
from .staff_fixtures import PASSWORD, chromium_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_version")]


def _needs_vendor_route(app) -> None:
    """bpmn-js and Chart.js come from the shared `/vendor/<path>` route (the modeler's); without it, skip."""
    if not any(rule.rule.startswith("/vendor/") for rule in app.url_map.iter_rules()):
        message = "the shared /vendor/<path> route (npm assets) is not registered"
        if os.environ.get("COMPLAINTFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (required: COMPLAINTFLOW_REQUIRE_BROWSER=1)")
        pytest.skip(message)


@pytest.fixture
def page(live_server):
    with chromium_page(live_server, width=1280, height=720, timeout_ms=30000) as page:
        page.goto("/login")
        page.fill("input[name=username]", "kalite")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form input[type=submit]")
        page.wait_for_load_state()
        yield page


def _reopened():
    complaint = register("telefon", at=ist(2026, 11, 23, 10, 0))
    classify(complaint, "high", ist(2026, 11, 23, 11, 0))
    solve(complaint, ist(2026, 11, 23, 12, 0))
    answer(complaint, False, ist(2026, 11, 23, 13, 0))
    solve(complaint, ist(2026, 11, 24, 12, 0))
    return complaint


def test_a_reopened_complaints_path_is_drawn(app, page):
    _needs_vendor_route(app)
    number = _reopened().registration_number
    page.goto(f"/review/complaints/{number}")
    page.wait_for_selector("#diagram[data-ready='1']", timeout=15000)
    assert page.locator(".djs-element.cf-done[data-element-id='task_analyse']").count() == 1
    assert page.locator(".djs-element.cf-active[data-element-id='task_customer_answer']").count() == 1
    assert page.locator(".cf-count").first.inner_text() == "×2"
    assert page.locator(".djs-connection.cf-path").count() > 0
    assert page.js_errors == []


def test_the_dashboard_renders_its_charts_and_heatmap(app, page):
    _needs_vendor_route(app)
    _reopened()
    page.goto("/review/dashboard?from=2026-11-01&to=2026-12-01")
    for chart in ("chart-pareto", "chart-weeks", "chart-ontime"):
        page.wait_for_selector(f"#{chart}[data-drawn='1']", timeout=15000)
        painted = page.evaluate(
            """id => { const c = document.getElementById(id); const d = c.getContext('2d')
                   .getImageData(0, 0, c.width, c.height).data;
                   for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; } return false; }""", chart)
        assert painted, f"{chart} is blank"
    page.wait_for_selector("#diagram[data-ready='1']", timeout=15000)
    assert page.locator(".cf-heat").count() >= 4
    heat = page.locator(".cf-heat").all_inner_texts()
    assert not any(re.search(r"\bsa\b|task_", text) for text in heat)
    assert any("iş saati" in text for text in heat) and any("tamamlandı" in text for text in heat)
    assert page.locator(".djs-element[class*='cf-load']").count() >= 4  # steps coloured by their load
    viewport = page.locator("#diagram svg .viewport").first
    before = viewport.get_attribute("transform")
    page.get_by_role("button", name="Yakınlaştır").click()
    assert viewport.get_attribute("transform") != before
    page.get_by_role("button", name="Sığdır").click()
    assert page.js_errors == []


def test_the_report_prints(page):
    _reopened()
    page.goto("/review/report?from=2026-11-01&to=2026-12-01&lang=en")
    assert "Management review report" in page.content()
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_a_diagram_whose_box_has_no_size_yet_is_fitted_once_it_has_one(app, page):
    """CI saw bpmn-js fail ("SVGMatrix scale: non-finite") fitting a diagram into a box with no size:
    bpmn-js cannot fit into 0×0. Here the box is hidden until after the diagram is drawn."""
    _needs_vendor_route(app)
    number = _reopened().registration_number
    page.add_init_script(script="""document.addEventListener('readystatechange', () => {
        const box = document.getElementById('diagram');
        if (document.readyState === 'interactive' && box) { box.style.display = 'none'; } });""")
    page.goto(f"/review/complaints/{number}")
    page.wait_for_selector("#diagram[data-ready='1']", state="attached", timeout=15000)
    assert page.locator("#diagram").evaluate("node => node.clientHeight") == 0
    assert page.js_errors == []

    page.evaluate("document.getElementById('diagram').style.display = ''")  # the box gets its size
    page.wait_for_function(
        """() => { const v = document.querySelector('#diagram svg .viewport');
                   const m = v && v.getAttribute('transform');
                   return m && m !== 'matrix(1,0,0,1,0,0)' && !/NaN|Infinity/.test(m); }""")
    box = page.locator(".djs-element[data-element-id='task_analyse']").bounding_box()
    frame = page.locator("#diagram").bounding_box()
    assert box and frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    assert box["x"] >= frame["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert page.js_errors == []

    page.evaluate("document.getElementById('diagram').style.display = 'none'")  # hidden again, then
    page.set_viewport_size({"width": 1000, "height": 700})  # the window is resized
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.js_errors == []
