"""The gate registers complaints on more than one date, and stops at the first failure every scenario repeats.

A script that fails only in another month or year (a time bomb) passed a gate that simulated one fixed
date; a runaway registration script cost the analyst the script limit once per scenario (~29 s).
"""

from __future__ import annotations

import pytest

from app.engine import ProcessDefinitionError
from app.services.procedure import validation, versions

from . import procedure_edits as edits
from .test_gate_corpus import gate_within

TIME_BOMBS = [
    # (case, line added to the registration script, the instant the gate names)
    ("fails after this month", "if received_at[:7] != '2026-11':\n    1 / 0", "registered 2026-12-31 23:59 (year end)"),
    ("fails after this year", "if now()[:4] > '2026':\n    1 / 0", "registered 2027-"),
    ("fails three years on", "if now()[:4] >= '2029':\n    1 / 0", "(three years ahead)"),
]


def _with_register_line(line: str):
    def edit(bpmn: str, forms: dict) -> tuple[str, dict]:
        return edits.replace_once(bpmn, "reopen_limit = 3\n", f"reopen_limit = 3\n{line}\n"), forms
    return edit


@pytest.mark.parametrize(("case", "line", "instant"), TIME_BOMBS, ids=[c[0] for c in TIME_BOMBS])
def test_a_time_bomb_is_refused_naming_the_date_and_the_element(app, case, line, instant):
    bpmn, forms = _with_register_line(line)(*edits.shipped())
    _, problems = gate_within(app, bpmn, forms)
    bomb = [p for p in problems if p["element"] == "script_register" and "ZeroDivisionError" in p["message"]]
    assert bomb, problems
    assert instant in bomb[0]["path"], bomb[0]
    assert instant in validation.format_problem(bomb[0])
    with pytest.raises(ProcessDefinitionError):
        versions.deploy_version(bpmn, forms, author="analyst", comment=case)


def test_the_gate_says_which_dates_it_simulated(app, runner, tmp_path):
    labels = [label for label, _ in validation.gate_instants()]
    assert labels == ["the fixed date", "today", "year end", "half day", "three years ahead"]
    instants = dict(validation.gate_instants())
    assert instants["today"].isoformat() == "2026-11-25T11:00:00+03:00"  # the desk clock, pinned by the suite
    assert instants["half day"].hour == 12 and instants["half day"].minute == 30
    path = tmp_path / "complaint.bpmn"
    path.write_text(edits.shipped()[0], encoding="utf-8")
    result = runner.invoke(args=["processes", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "scenarios registered at: 2026-11-25 10:00 +0300 (the fixed date); 2026-11-25 11:00 +0300 (today); " \
           "2026-12-31 23:59 +0300 (year end); " in result.output
    assert "2029-11-25 11:00 +0300 (three years ahead)" in result.output


def test_a_runaway_start_script_is_reported_once_not_once_per_scenario(app):
    bpmn, forms = _with_register_line("while True:\n    pass")(*edits.shipped())
    _, problems = gate_within(app, bpmn, forms)
    assert len(problems) == 1, problems
    assert problems[0]["element"] == "script_register" and "did not finish in 1 s" in problems[0]["message"]


def test_the_modeler_says_which_dates_the_scenarios_registered_on(as_user):
    bpmn, forms = edits.shipped()
    answer = as_user("analyst").post("/modeler/drafts", json={"bpmn": bpmn, "forms": forms, "comment": "x"}).json
    assert answer["problems"] == []
    assert [d["label"] for d in answer["simulated"]][:3] == ["the fixed date", "today", "year end"]
    assert answer["simulated"][2]["registered_at"] == "2026-12-31T23:59:00+03:00"
