"""English mode in English (issue 13 §2), as a person sees it in Chromium: the inbox, a task page, the
case file, the review page and the modeler's form editor show the shipped procedure's English step
names and form titles, and no Turkish one; Turkish mode shows the Turkish ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.bilingual import diagram_names, localize_schema
from app.engine import safe_tree
from app.extensions import db
from app.services.procedure import versions

from .helpers import ANALYSIS, complete, ist, register, task_named
from .staff_fixtures import chromium_page, sign_in, switch_language

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_version")]

ROOT = Path(__file__).resolve().parent.parent
FORMS = versions.load_forms_dir(ROOT / "forms")
STEP_KINDS = re.compile(r"(Task|Event|subProcess)$")


def _names() -> tuple[dict[str, str], dict[str, str]]:
    """Turkish -> English for every step and event of the shipped diagram and every form title."""
    tree = safe_tree((ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8"))
    kinds = {e.get("id"): e.tag.rsplit("}", 1)[-1] for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    steps = {tr: en for i, (tr, en) in diagram_names(tree).items() if STEP_KINDS.search(kinds[i]) and en and tr != en}
    titles = {f["title"]: localize_schema(f, "en")["title"] for f in FORMS.values()}
    return steps, {tr: en for tr, en in titles.items() if tr != en}


def _desk():
    """A complaint with two steps done (its case file has history) and its analysis task open."""
    complaint = register("telefon", at=ist(2026, 11, 24, 10, 0))
    complete(complaint, "task_classify", {"priority": "normal", "category": "billing"}, ist(2026, 11, 24, 10, 30))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 24, 11, 0))
    db.session.commit()
    return complaint, task_named(complaint, "task_respond")


def _texts(live_server, english: bool, complaint, task) -> tuple[list[str], str, list[str]]:
    """The text of every page visited (as innerText), the modeler's form editor as a person reads it,
    and the script errors."""
    texts, errors = [], []
    number = complaint.registration_number
    walks = {"uzman": ["/inbox", f"/tasks/{task.id}", f"/complaints/{number}"],
             "kalite": [f"/review/complaints/{number}"]}
    for username, paths in walks.items():
        with chromium_page(live_server, timeout_ms=30000) as page:
            sign_in(page, username)
            switch_language(page, "en" if english else "tr")
            for path in paths:
                page.goto(path)
                page.wait_for_load_state("networkidle")
                if path.startswith("/review/"):
                    page.wait_for_selector("#diagram svg .djs-element")
                texts.append(page.inner_text("body") + "\n" + " ".join(
                    page.locator("#diagram svg text").all_text_contents()))
            errors += page.js_errors
    with chromium_page(live_server, timeout_ms=30000) as page:
        sign_in(page, "analist")
        switch_language(page, "en" if english else "tr")
        page.goto("/modeler/")
        page.wait_for_selector("#canvas[data-ready='1']")
        page.wait_for_function("document.getElementById('modeler-status').dataset.state === 'loaded'")
        status = page.inner_text("#modeler-status")
        page.select_option("#form-select", "classification")
        page.wait_for_selector("#form-texts tbody tr[data-path='properties/category']")
        preview = page.inner_text("#form-preview")
        pairs = [(row.locator("input[data-lang=tr]").input_value(), row.locator("input[data-lang=en]").input_value())
                 for row in page.locator("#form-texts tbody tr").all()]
        assert ("Sınıflandırma ve önceliklendirme", "Classification and priority") in pairs
        # Typing English beside the Turkish writes it into the JSON Schema under x-i18n.en.
        page.locator("#form-texts tbody tr[data-path='properties/category'] input[data-lang=en]").fill("Subject")
        assert '"title": "Subject"' in page.input_value("#form-text")
        page.fill("#find-element", "task_classify")  # the properties panel: both names of the step
        page.press("#find-element", "Tab")
        page.wait_for_selector("#bio-properties-panel-cf-name-en")
        names = (page.input_value("#bio-properties-panel-name"), page.input_value("#bio-properties-panel-cf-name-en"))
        editor = {"preview": preview, "status": status, "panel": page.inner_text("#properties-panel"), "names": names}
        errors += page.js_errors
    return texts, editor, errors


@pytest.mark.parametrize("english", [True, False], ids=["en", "tr"])
def test_pages_show_the_procedure_in_the_reader_language(live_server, english):
    complaint, task = _desk()
    steps, titles = _names()
    texts, editor, errors = _texts(live_server, english, complaint, task)
    inbox, task_page, case_file, review = texts
    shown, hidden = (1, 0) if english else (0, 1)
    pairs = {**steps, **titles}
    leaked = sorted({pair[hidden] for pair in pairs.items() for text in texts if pair[hidden] in text})
    assert leaked == []
    respond = ("Cevapla: kök neden analizi ve çözüm", "Respond: root-cause analysis and solution")
    assert respond[shown] in inbox and respond[shown] in task_page
    assert ("Cevaplama: kök neden analizi", "Response: root-cause analysis")[shown] in task_page
    classify = ("Şikâyeti sınıflandır ve önceliklendir", "Classify and prioritise the complaint")
    assert classify[shown] in case_file and classify[shown] in review
    form_title = ("Sınıflandırma ve önceliklendirme", "Classification and priority")
    assert form_title[shown] in editor["preview"] and form_title[hidden] not in editor["preview"]
    assert ("Kategori", "Category")[shown] in editor["preview"] and ("Kategori", "Category")[hidden] not in \
        editor["preview"]
    assert ("açıldı", "opened")[shown] in editor["status"] and ("açıldı", "opened")[hidden] not in editor["status"]
    label = ("İngilizce ad (name_en)", "English name (name_en)")
    assert label[shown] in editor["panel"] and label[hidden] not in editor["panel"]
    assert ("Masa ayarları", "Desk settings")[shown] in editor["panel"]
    assert editor["names"] == ("Şikâyeti sınıflandır ve önceliklendir", "Classify and prioritise the complaint")
    assert errors == []
