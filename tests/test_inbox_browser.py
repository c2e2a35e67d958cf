"""The representative's inbox in Chromium: switching language back and forth changes every label, the
"at risk" line and the deadline words each time (the per-request catalog cache keeps no old language),
and the hand-rendered assign box assigns."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import HumanTask

from .staff_fixtures import PASSWORD, chromium_page, sign_in, switch_language
from .test_insight_risk import desk  # noqa: F401 - the at-risk desk fixture

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_version")]

TURKISH = ("Gelen kutusu", "Risk altında", "Kalan adımlar geçmişte ortanca 7,5 iş saati sürdü; kalan süre 7 iş saati",
           "iş saati kaldı (takvimde", "Atanmamış", "Ata")
ENGLISH = ("Inbox", "At risk", "The remaining steps took a median of 7.5 business hours in the past; 7 business "
           "hours left", "business hours left (", "Unassigned", "Assign")


def _shown(page) -> str:
    page.goto("/inbox?scope=all")
    page.wait_for_load_state()
    return page.inner_text("main")


def test_the_inbox_follows_each_language_switch_and_assigns_from_its_box(live_server, desk, staff):  # noqa: F811
    from app.services.accounts import users

    hostile = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    users.create_user("zz_kotu", hostile, PASSWORD, ["handler"])
    at_risk = desk["at_risk"]
    (task,) = [t for t in db.session.query(HumanTask).filter_by(complaint_id=at_risk.id, state="ready")]
    with chromium_page(live_server, timeout_ms=30000) as page:
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, "temsilci")
        for lang in ("tr", "en", "tr", "en", "tr"):
            if lang != "tr" or page.get_attribute("html", "lang") != "tr":
                switch_language(page, lang)
            text = _shown(page)
            shown, hidden = (TURKISH, ENGLISH) if lang == "tr" else (ENGLISH, TURKISH)
            assert page.get_attribute("html", "lang") == lang
            missing = [s for s in shown if s not in text]
            leaked = [s for s in hidden if s in text and s not in ("Ata",)]
            assert (missing, leaked) == ([], []), (lang, text)
        # The at-risk task from its own box: Hakan İkinci (a handler) gets it.
        box = page.locator(f"select[name='t{task.id}-assignee']")
        assert box.locator("option").all_inner_texts() == ["handler", "Hande Uzman", "Hakan İkinci", hostile]
        box.select_option("uzman2")
        box.locator("xpath=ancestor::form").locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "Görev atandı." in page.inner_text("main")
        row = page.locator("tr", has=page.locator(f"a[href='/tasks/{task.id}']"))
        assert "Hakan İkinci" in row.inner_text()
        assert page.js_errors == [] and dialogs == []  # the hostile full name ran nothing
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler2"].id
