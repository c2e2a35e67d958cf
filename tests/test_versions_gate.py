"""The deploy gate refuses unsafe or non-conforming procedures with readable problems; nothing goes live."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.engine import ProcessDefinitionError
from app.extensions import db
from app.models import ProcessVersion
from app.services.procedure import validation, versions

from . import procedure_edits as edits


def _versions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion))


def _without_deadline_timer(bpmn, forms):
    """The deadline boundary event waits for a signal nobody sends: the diagram is well-formed, no timer runs."""
    bpmn = re.sub(r'<bpmn:timerEventDefinition id="timer_solution_deadline_def">.*?</bpmn:timerEventDefinition>',
                  '<bpmn:signalEventDefinition id="timer_solution_deadline_def" signalRef="signal_never" />', bpmn,
                  count=1, flags=re.S)
    signal = '  </bpmn:process>\n  <bpmn:signal id="signal_never" name="never" />'
    return bpmn.replace("  </bpmn:process>", signal), forms


REFUSED = [
    # (case, edit of (bpmn, forms) or raw text, expected words, element, stage)
    ("not XML", lambda b, f: ("this is not xml", f), "not well-formed", None, None),
    ("XXE payload", lambda b, f: ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                  '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;'
                                  '</definitions>', f), "DOCTYPE", None, None),
    ("20 MB file", lambda b, f: (b.replace("</bpmn:definitions>", "<!--" + "x" * 20_000_000 + "--></bpmn:definitions>"),
                                 f), "larger than", None, None),
    ("no start event", edits.without_start_event, "No start event", "complaint_handling", None),
    ("syntax error in a condition", edits.condition_syntax_error, "condition does not compile", "flow_accepted",
     None),
    ("user task without a form", edits.classification_without_form, "user task has no form", "task_classify", None),
    ("skips the acknowledgement", edits.skips_acknowledgement, "never passes stage 2 (acknowledgement)",
     "task_acknowledge", 2),
    ("loses the reopen path", edits.loses_reopen_path, "reopen path is lost", "task_customer_answer", 8),
    ("no deadline timer", _without_deadline_timer, "no deadline timer is armed", "task_analyse", 5),
    ("form open to any field", lambda b, f: (b, {**f, "analysis": {k: v for k, v in f["analysis"].items()
                                                                   if k != "additionalProperties"}}),
     "must set \"additionalProperties\": false", None, None),
]


@pytest.mark.parametrize(("case", "edit", "words", "element", "stage"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_gate_refuses_and_nothing_is_deployed(app, case, edit, words, element, stage):
    bpmn, forms = edit(*edits.shipped())
    with pytest.raises(ProcessDefinitionError) as refused:
        versions.deploy_version(bpmn, forms, author="analyst", comment=case)
    problems = refused.value.problems
    matching = [p for p in problems if words in p["message"]]
    assert matching, f"{words!r} not in {problems}"
    # A sentence the UI translates also carries its template and parameters (message_id, params).
    assert set(matching[0]) - {"message_id", "params"} == {"element", "message", "stage", "path"}
    assert matching[0]["element"] == element
    assert matching[0]["stage"] == stage
    if stage is not None:
        assert "=" in matching[0]["path"]  # the scenario that found it, e.g. "channel=faks, ..."
    assert _versions() == 0


def test_the_shipped_procedure_passes_every_scenario(app):
    bundle, problems = validation.run_gate(*edits.shipped())
    assert problems == [] and bundle is not None


def test_a_lane_without_a_role_and_a_bad_form_schema_are_named(app):
    bpmn, forms = edits.legal_review_for_high_priority(*edits.shipped())
    forms["escalation"] = {"type": "object", "properties": {"x": {"type": "no-such-type"}}}
    _, problems = validation.run_gate(bpmn, forms)
    messages = [(p["element"], p["message"]) for p in problems]
    assert ("lane_legal", f"lane '{edits.LEGAL_LANE}' is not mapped to a staff role (LANE_ROLES)") in messages
    assert any("form 'escalation' is not a valid JSON Schema" in m for _, m in messages)


def test_timer_and_script_expressions_must_compile_and_give_an_offset(app):
    bpmn, forms = edits.shipped()
    broken = edits.replace_once(bpmn, "<bpmn:script>closed_at = now()\nclosure_outcome = 'accepted'",
                              "<bpmn:script>closed_at = now(\nclosure_outcome = 'accepted'")
    _, problems = validation.run_gate(broken, forms)
    assert [p["element"] for p in problems] == ["script_close"]

    naive = edits.replace_once(bpmn, "solution_due = add_business_days(received_at, solution_days)",
                               "solution_due = add_business_days(received_at, solution_days)[:19]")
    _, problems = validation.run_gate(naive, forms)
    assert any(p["element"] == "timer_solution_deadline" and "UTC offset" in p["message"] for p in problems)


def test_cli_check_prints_problems_and_deploy_refuses(app, runner, tmp_path):
    bpmn, forms = edits.skips_acknowledgement(*edits.shipped())
    bad = tmp_path / "bad.bpmn"
    bad.write_text(bpmn, encoding="utf-8")
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    for name, schema in forms.items():
        (forms_dir / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")

    result = runner.invoke(args=["processes", "check", str(bad), "--forms", str(forms_dir)])
    assert result.exit_code == 1
    assert "task_acknowledge | stage 2 | channel=" in result.output
    result = runner.invoke(args=["processes", "deploy", str(bad), "--forms", str(forms_dir)])
    assert result.exit_code == 1 and "not deployed" in result.output
    assert _versions() == 0

    good = tmp_path / "good.bpmn"
    good.write_text(edits.shipped()[0], encoding="utf-8")
    result = runner.invoke(args=["processes", "check", str(good), "--forms", str(forms_dir)])
    assert result.exit_code == 0, result.output


def test_cli_export_writes_the_version_and_its_forms(app, runner, live_version, tmp_path):
    out = tmp_path / "v1.bpmn"
    result = runner.invoke(args=["processes", "export", "1", "--out", str(out), "--forms-out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == edits.shipped()[0]
    assert json.loads((tmp_path / "f" / "classification.json").read_text()) == edits.shipped()[1]["classification"]
    assert runner.invoke(args=["processes", "export", "9"]).exit_code == 1
