"""Decision tables (DMN): the priority suggestion, the days per priority, the gate's coverage check,
repeat complaints, overrides with a reason, and a table change deployed through the modeler."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.engine import ProcessDefinitionError
from app.extensions import db
from app.models import AuditEvent
from app.services.complaints import registration as complaints
from app.services.errors import ValidationFailed
from app.services.procedure import validation, versions
from app.services.review import figures
from app.services.workflow import tasks

from . import procedure_edits as edits
from .helpers import audit_actions, complete, ist, ready, refreshed, register

pytestmark = pytest.mark.usefixtures("live_version")


def shipped_decisions() -> dict[str, str]:
    return validation.shipped_decisions()


def gate(decisions: dict[str, str]) -> list[dict]:
    bpmn, forms = edits.shipped()
    return validation.run_gate(bpmn, forms, decisions=decisions)[1]


def with_cell(decisions: dict, file: str, old: str, new: str) -> dict:
    return {**decisions, file: edits.replace_once(decisions[file], old, new)}


def test_the_shipped_tables_pass_the_gate():
    assert gate(shipped_decisions()) == []


def test_the_gate_refuses_a_gap_naming_the_table_and_the_input_combination():
    gap = with_cell(shipped_decisions(), "solution_days.dmn", '<inputEntry id="entry_days_low"><text>"low"</text>',
                    '<inputEntry id="entry_days_low"><text>"lowest"</text>')
    problems = gate(gap)
    assert [p["message"] for p in problems] == [
        "solution_days.dmn / solution_days: no rule matches priority = 'low' (a gap)"]
    with pytest.raises(ProcessDefinitionError):
        versions.deploy_version(*edits.shipped(), decisions=gap, author="analist")


def test_the_gate_refuses_an_overlap_naming_the_rules():
    overlap = with_cell(shipped_decisions(), "priority_suggestion.dmn",
                        '<inputEntry id="entry_priority_1_1"><text>"no_service"</text>',
                        '<inputEntry id="entry_priority_1_1"><text></text>')
    messages = [p["message"] for p in gate(overlap)]
    assert messages[0] == ("priority_suggestion.dmn / priority_suggestion: rules 1 (rule_priority_1), "
                           "4 (rule_priority_4) all match service_impact = 'degraded', customer_segment = "
                           "'corporate', category = 'billing', repeat_complaint = True (an overlap; the hit policy "
                           "is unique)")


def test_an_input_without_listed_values_cannot_be_checked_and_is_refused():
    unlisted = with_cell(shipped_decisions(), "solution_days.dmn",
                         '<inputValues id="input_values_priority"><text>"high","normal","low"</text></inputValues>', "")
    assert "lists no values" in gate(unlisted)[0]["message"]


@pytest.mark.parametrize(("old", "new", "says"), [
    ("<text>5</text>", "<text>__import__('os').system('id')</text>", "not allowed in diagram code"),
    ("<text>5</text>", "<text>open('/etc/passwd').read()</text>", "which diagram code may not call"),
    ("<text>5</text>", '<text>"x" * 10**9</text>', "would exceed 1,000,000 items"),
    ("<text>priority</text>", "<text>[0] * 10**12</text>", "must be a variable name"),
])
def test_a_hostile_cell_is_refused(old, new, says):
    hostile = with_cell(shipped_decisions(), "solution_days.dmn", old, new)
    problems = gate(hostile)
    assert problems and says in problems[0]["message"], problems


def test_a_hostile_cell_that_only_fails_when_run_is_stopped_by_the_sandbox():
    """The coverage check runs the cells in the gate worker; at run time they run in the same sandbox."""
    slow = with_cell(shipped_decisions(), "solution_days.dmn", "<text>5</text>",
                     "<text>len([i for i in range(10**6) for j in range(10**6)])</text>")
    problems = gate(slow)
    assert problems and "cannot be evaluated" in problems[0]["message"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"service_impact": "no_service", "customer_segment": "corporate"}, "high"),
    ({"service_impact": "no_service", "customer_segment": "individual"}, "normal"),
    ({"service_impact": "degraded", "customer_segment": "corporate"}, "high"),
    ({"service_impact": "degraded"}, "normal"),
    ({"service_impact": "billing", "customer_segment": "corporate"}, "normal"),
    ({"service_impact": "other", "category": "outage"}, "normal"),
    ({}, "low"),
])
def test_the_suggestion_for_hand_computed_cases(fields, expected):
    complaint = register("telefon", **fields)
    assert refreshed(complaint).suggested_priority == expected
    assert [t.spec_name for t in ready(complaint)] == ["task_classify"]


def test_a_repeat_complaint_raises_the_suggestion_by_one_step_and_is_shown_in_the_case_file(as_user):
    first = register("telefon", service_impact="billing", category="billing", subscription_number="ABN-1",
                     at=ist(2026, 11, 2, 10, 0))
    again = register("telefon", service_impact="billing", category="billing", subscription_number="ABN-1")
    other_topic = register("telefon", service_impact="billing", category="connection", subscription_number="ABN-1")
    assert refreshed(first).repeat_of_id is None and refreshed(first).suggested_priority == "normal"
    assert refreshed(again).repeat_of_id == first.id and refreshed(again).suggested_priority == "high"
    assert refreshed(other_topic).repeat_of_id is None
    page = as_user("handler").get(f"/complaints/{again.registration_number}").get_data(as_text=True)
    assert f">{first.registration_number}</a>" in page
    task_page = as_user("handler").get(f"/tasks/{ready(again)[0].id}").get_data(as_text=True)
    assert 'id="priority-suggestion"' in task_page and "Yüksek" in task_page
    assert 'value="high" checked' in task_page


def test_an_earlier_complaint_outside_the_window_is_not_a_repeat(app):
    register("telefon", category="billing", subscription_number="ABN-2", at=ist(2026, 10, 20, 10, 0))
    later = register("telefon", category="billing", subscription_number="ABN-2")
    assert app.config["REPEAT_COMPLAINT_DAYS"] == 30
    assert refreshed(later).repeat_of_id is None


def test_an_unknown_service_impact_or_category_is_refused_at_intake():
    with pytest.raises(ValidationFailed) as refused:
        register("telefon", service_impact="everything", customer_segment="vip", category="not_a_category")
    assert set(refused.value.errors) == {"service_impact", "customer_segment", "category"}


def test_an_override_needs_a_reason_which_is_audited_and_counted(desk_clock):
    complaint = register("telefon", service_impact="no_service", customer_segment="corporate")
    task = ready(complaint)[0]
    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(task.id, {"priority": "low", "category": "outage"}, actor="uzman")
    assert "priority_override_reason" in refused.value.errors
    assert ready(complaint)[0].id == task.id
    tasks.complete_task(task.id, {"priority": "low", "category": "outage",
                                  "priority_override_reason": "Yedek hat devrede, müşteri çalışabiliyor."},
                        actor="uzman")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id,
                                                          AuditEvent.action == "priority_overridden"))
    assert json.loads(event.data_json) == {"suggested": "high", "chosen": "low",
                                           "reason": "Yedek hat devrede, müşteri çalışabiliyor."}
    followed = register("telefon", service_impact="billing")
    complete(followed, "task_classify", {"priority": "normal", "category": "billing"}, ist(2026, 11, 25, 10, 30))
    assert "priority_overridden" not in audit_actions(followed)
    scope = figures.Scope(start=ist(2026, 11, 1).date(), end=ist(2026, 12, 1).date())
    counted = figures.compute(scope, now=ist(2026, 11, 25, 12, 0)).priority_overrides
    assert (counted.numerator, counted.denominator) == (1, 2)


def test_the_dashboard_shows_the_overrides(as_user):
    complaint = register("telefon", service_impact="no_service", customer_segment="corporate")
    complete(complaint, "task_classify", {"priority": "normal", "category": "outage",
                                          "priority_override_reason": "Yedek hat var."}, ist(2026, 11, 25, 10, 30))
    page = as_user("quality_manager").get("/review/dashboard?from=2026-11-01&to=2026-12-01").get_data(as_text=True)
    assert 'id="priority-overrides">' in page and "(1/1)" in page


def test_a_days_table_change_deployed_through_the_modeler_changes_the_next_complaints_deadline_only(as_user):
    running = register("telefon", service_impact="degraded")
    complete(running, "task_classify", {"priority": "normal", "category": "connection"}, ist(2026, 11, 25, 10, 30))
    waiting = register("telefon", service_impact="degraded")  # registered on version 1, not yet classified
    due_before = refreshed(running).solution_due_at

    client = as_user("analyst")
    source = client.get("/modeler/source").json
    assert set(source["decisions"]) == {"priority_suggestion.dmn", "solution_days.dmn"}
    saved = client.post("/modeler/drafts", json={
        "bpmn": source["bpmn"], "forms": source["forms"], "version": source["version"], "comment": "normal: 2 gün",
        "decisions": edits.normal_days_in_table(source["decisions"])}).json
    assert saved["saved"] and saved["problems"] == []
    deployed = client.post(f"/modeler/drafts/{saved['draft_id']}/deploy", json={})
    assert deployed.json == {"deployed": True, "version": 2}
    assert versions.diff_versions(1, 2)["decisions"] == {"added": [], "removed": [], "changed": ["solution_days.dmn"]}
    assert "rule_solution_days" in versions.diff_versions(1, 2)["changed"]
    diff_page = client.get("/modeler/versions/diff?old=1&new=2").get_data(as_text=True)
    assert '<li class="diff-changed">~ solution_days.dmn</li>' in diff_page

    new = register("telefon", service_impact="degraded")
    complete(new, "task_classify", {"priority": "normal", "category": "connection"}, ist(2026, 11, 25, 10, 30))
    complete(waiting, "task_classify", {"priority": "normal", "category": "connection"}, ist(2026, 11, 25, 10, 30))
    assert refreshed(running).solution_due_at == due_before == ist(2026, 11, 30, 10, 0)  # 3 business days
    assert refreshed(waiting).solution_due_at == ist(2026, 11, 30, 10, 0)
    assert refreshed(new).solution_due_at == ist(2026, 11, 27, 10, 0)  # 2 business days


def test_the_modeler_refuses_a_table_with_a_gap_and_a_hostile_file_name(as_user):
    client = as_user("analyst")
    source = client.get("/modeler/source").json
    gap = with_cell(source["decisions"], "solution_days.dmn", '<inputEntry id="entry_days_high"><text>"high"</text>',
                    '<inputEntry id="entry_days_high"><text>"urgent"</text>')
    saved = client.post("/modeler/drafts", json={"bpmn": source["bpmn"], "forms": source["forms"],
                                                 "decisions": gap}).json
    assert [p["element"] for p in saved["problems"]] == ["table_solution_days"]
    assert "priority = 'high'" in saved["problems"][0]["message"]  # in the analyst's language
    assert client.post(f"/modeler/drafts/{saved['draft_id']}/deploy", json={}).status_code == 422
    hostile = client.post("/modeler/drafts", json={"bpmn": source["bpmn"], "forms": source["forms"],
                                                   "decisions": {"../../etc/x.dmn": "<x/>"}})
    assert hostile.status_code == 400
    assert as_user("handler").post("/modeler/drafts", json={"bpmn": source["bpmn"], "forms": source["forms"],
                                                            "decisions": gap}).status_code == 403


def test_the_dmn_editor_is_served_from_node_modules(as_user):
    client = as_user("analyst")
    page = client.get("/modeler/").get_data(as_text=True)
    assert "/vendor/dmn-js/dist/dmn-modeler.production.min.js" in page and 'id="decision-canvas"' in page
    assert client.get("/vendor/dmn-js/dist/dmn-modeler.production.min.js").status_code == 200
    assert client.get("/vendor/dmn-js/package.json").status_code == 404


def test_the_cli_deploys_the_tables_beside_the_diagram(app, runner, tmp_path):
    bpmn, forms = edits.shipped()
    (tmp_path / "complaint.bpmn").write_text(bpmn, encoding="utf-8")
    for name, text in edits.normal_days_in_table(shipped_decisions(), days=4).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = runner.invoke(args=["processes", "deploy", str(tmp_path / "complaint.bpmn")])
    assert result.exit_code == 0, result.output
    live = versions.live_version()
    assert '<outputEntry id="output_days_normal"><text>4</text>' in versions.decisions_for(live)["solution_days.dmn"]


def test_the_api_takes_the_table_inputs_and_refuses_unknown_ones(api):
    client = api("intake")
    new = {"channel": "telefon", "customer_name": "Kurumsal A.Ş.", "customer_phone": "+90 312 555 0199",
           "description": "Hattımız tamamen kesik.", "service_impact": "no_service", "customer_segment": "corporate"}
    created = client.post("/complaints", json=new)
    assert created.status_code == 201, created.json
    assert complaints.get_by_number(created.json["registration_number"]).suggested_priority == "high"
    refused = client.post("/complaints", json={**new, "service_impact": "<script>", "customer_segment": 7})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) >= {"customer_segment"}
    refused = client.post("/complaints", json={**new, "service_impact": "<script>"})
    assert refused.status_code == 422 and "service_impact" in refused.json["errors"]


def _start_data(number: str, **fields) -> dict:
    """What the app passes the engine at registration: a corporate customer's phone complaint."""
    return {"registration_number": number, "channel": "telefon", "received_at": "2026-11-25T10:00:00+03:00",
            "preferred_contact": "telefon", "customer_has_email": False, "kind": "complaint", "category": None,
            "service_impact": "other", "customer_segment": "corporate", "repeat_complaint": False, **fields}


def test_at_run_time_a_table_cell_runs_in_the_diagram_sandbox():
    """A table that never met the gate (parsed directly) still cannot reach Python's internals."""
    from app.engine import ProcedureFailure, parse_bpmn
    from app.services import context

    hostile = with_cell(shipped_decisions(), "priority_suggestion.dmn",
                        '<outputEntry id="output_priority_1"><text>"high"</text>',
                        '<outputEntry id="output_priority_1"><text>().__class__.__base__.__subclasses__()</text>')
    bundle = parse_bpmn(edits.shipped()[0], hostile)
    with pytest.raises(ProcedureFailure) as stopped:
        context.runtime().engine.start(bundle, _start_data("SK-2026-000009", service_impact="no_service"))
    assert stopped.value.element == "rule_priority_suggestion"


def test_comparison_cells_choose_the_same_rule_on_every_evaluation():
    """A cell like `in (...)` or `!= "x"` is not an equality: SpiffWorkflow tells by whether the cell parses
    on its own, and appends it to the input. The engine parses each cell text once and remembers the answer,
    refusals included; `in` works (the engine glued it to the input name: `service_impactin (...)`)."""
    from app.engine import parse_bpmn
    from app.services import context

    tables = with_cell(shipped_decisions(), "priority_suggestion.dmn",
                       '<inputEntry id="entry_priority_1_1"><text>"no_service"</text>',
                       '<inputEntry id="entry_priority_1_1"><text>in ("no_service", "billing")</text>')
    tables = with_cell(tables, "priority_suggestion.dmn",
                       '<inputEntry id="entry_priority_1_2"><text>"corporate"</text>',
                       '<inputEntry id="entry_priority_1_2"><text>!= "individual"</text>')
    bundle = parse_bpmn(edits.shipped()[0], tables)
    seed = _start_data("SK-2026-000010", service_impact="billing")
    engine = context.runtime().engine
    for _ in range(3):
        assert engine.start(bundle, dict(seed)).data_snapshot()["suggested_priority"] == "high"
    individual = {**seed, "customer_segment": "individual"}
    assert engine.start(bundle, individual).data_snapshot()["suggested_priority"] != "high"


def test_the_gate_takes_an_in_cell_and_checks_its_coverage():
    """The coverage check runs the table that will run: `in (...)` is read as the analyst meant."""
    same = with_cell(shipped_decisions(), "priority_suggestion.dmn",
                     '<inputEntry id="entry_priority_1_1"><text>"no_service"</text>',
                     '<inputEntry id="entry_priority_1_1"><text>in ("no_service",)</text>')
    assert gate(same) == []
    wider = with_cell(shipped_decisions(), "priority_suggestion.dmn",
                      '<inputEntry id="entry_priority_1_1"><text>"no_service"</text>',
                      '<inputEntry id="entry_priority_1_1"><text>in ("no_service", "billing")</text>')
    problems = gate(wider)
    assert problems and "overlap" in problems[0]["message"].lower(), problems  # now rule 1 also takes billing
