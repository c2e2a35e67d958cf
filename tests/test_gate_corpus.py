"""A hostile corpus for the deploy gate: diagrams SpiffWorkflow accepts or misreports, each with its verdict.

Files under tests/data/bpmn/ are small standalone diagrams; the rest are altered copies of the shipped
procedure, made here so they follow it when it changes. Every diagram runs through the gate in a thread
with a time limit, so a hang fails its case instead of the suite.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.engine import ProcessDefinitionError, decode_bpmn, lint, parse_bpmn, safe_tree
from app.extensions import db
from app.models import ProcessVersion
from app.services.procedure import validation, versions

from . import procedure_edits as edits

CORPUS = Path(__file__).parent / "data" / "bpmn"
GATE_SECONDS = 60


def gate_within(app, bpmn, forms, seconds: float = GATE_SECONDS):
    """run_gate in a thread: a diagram that hangs the gate fails the test after `seconds`."""
    outcome: dict = {}

    def work():
        with app.app_context():
            try:
                outcome["result"] = validation.run_gate(bpmn, forms)
            except Exception as exc:  # noqa: BLE001 - reported below as the test's failure
                outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the gate did not finish within {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _shipped_with(old: str, new: str, count: int = 1):
    def edit(bpmn, forms):
        assert bpmn.count(old) >= count, f"{old!r} not in the shipped diagram"
        return bpmn.replace(old, new, count), forms
    return edit


def _condition_on_default_flow(bpmn, forms):
    """flow_ack_task (gw_channel's default) with a condition, whether its line is self-closing or not."""
    line = next(x for x in bpmn.splitlines() if '<bpmn:sequenceFlow id="flow_ack_task"' in x)
    opened = line.rstrip()[:-2].rstrip() + "></bpmn:sequenceFlow>" if line.rstrip().endswith("/>") else line
    return bpmn.replace(line, opened.replace("</bpmn:sequenceFlow>", "<bpmn:conditionExpression>True"
                                             "</bpmn:conditionExpression></bpmn:sequenceFlow>"), 1), forms


def _file(name: str):
    return lambda bpmn, forms: ((CORPUS / name).read_text(encoding="utf-8"), forms)


def _without_layout(bpmn, forms):
    return re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", bpmn, flags=re.S), forms


def _escalation_cut_off(bpmn, forms):
    """The acknowledgement escalation loops with its end event and nothing leads into the loop."""
    bpmn = edits.replace_once(bpmn, 'id="flow_ack_missed" sourceRef="timer_ack_missed"',
                              'id="flow_ack_missed" sourceRef="end_ack_escalation"')
    bpmn = edits.replace_once(bpmn, "<bpmn:outgoing>flow_ack_missed</bpmn:outgoing>\n", "")
    return edits.replace_once(bpmn, "<bpmn:incoming>flow_ack_escalation_end</bpmn:incoming>",
                              "<bpmn:incoming>flow_ack_escalation_end</bpmn:incoming>\n"
                              "      <bpmn:outgoing>flow_ack_missed</bpmn:outgoing>"), forms


def _data_association_to_nothing(bpmn, forms):
    return edits.replace_once(bpmn, "<bpmn:outgoing>flow_ack_task_done</bpmn:outgoing>",
                              "<bpmn:outgoing>flow_ack_task_done</bpmn:outgoing>\n"
                              '      <bpmn:dataOutputAssociation id="association_ghost">'
                              "<bpmn:targetRef>data_ghost</bpmn:targetRef></bpmn:dataOutputAssociation>"), forms


_DECOY = """  <bpmn:process id="decoy" name="Sahte süreç" isExecutable="true">
    <bpmn:startEvent id="decoy_start" name="Başla"><bpmn:outgoing>decoy_flow</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="decoy_end" name="Bitti"><bpmn:incoming>decoy_flow</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="decoy_flow" sourceRef="decoy_start" targetRef="decoy_end" />
  </bpmn:process>
"""
_DECOY_LAYOUT = """  <bpmndi:BPMNDiagram id="diagram_decoy">
    <bpmndi:BPMNPlane id="plane_decoy" bpmnElement="decoy">
      <bpmndi:BPMNShape id="decoy_start_di" bpmnElement="decoy_start"><dc:Bounds x="0" y="0" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="decoy_end_di" bpmnElement="decoy_end"><dc:Bounds x="90" y="0" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="decoy_flow_di" bpmnElement="decoy_flow"><di:waypoint x="36" y="18" />
        <di:waypoint x="90" y="18" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
"""


def _decoy_process_first(bpmn, forms):
    """A second executable process placed before the pool's process: the pool's process is the one checked."""
    bpmn = edits.replace_once(bpmn, "  <bpmn:process id=\"complaint_handling\"",
                              _DECOY + "  <bpmn:process id=\"complaint_handling\"")
    return edits.replace_once(bpmn, "</bpmn:definitions>", _DECOY_LAYOUT + "</bpmn:definitions>"), forms


PASSES = "passes"
CORPUS_CASES = [
    # (case, edit of the shipped (bpmn, forms), expected: PASSES or [(element, words in the message)])
    ("boundary timer on a missing task",
     _shipped_with('attachedToRef="task_acknowledge"', 'attachedToRef="task_gone"'),
     [("timer_ack_missed", "is attached to task_gone, which is not a task or sub-process")]),
    ("task in two lanes",
     _shipped_with("<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>",
                   "<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>\n"
                   "        <bpmn:flowNodeRef>task_classify</bpmn:flowNodeRef>"),
     [("task_classify", "is listed in Lane lane_handler")]),
    ("no diagram layout", _without_layout, [("complaint_handling", "no diagram layout (BPMN DI)")]),
    ("no diagram layout, small file", _file("no-layout.bpmn"), [("no_layout", "no diagram layout (BPMN DI)")]),
    ("layout for a missing element",
     _shipped_with('bpmnElement="task_classify">', 'bpmnElement="task_gone">'),
     [("task_classify_di", "draws task_gone, which does not exist"),
      ("task_classify", "has no shape in the diagram layout")]),
    ("lane lists a missing node",
     _shipped_with("<bpmn:flowNodeRef>gw_accepted</bpmn:flowNodeRef>",
                   "<bpmn:flowNodeRef>gw_accepted</bpmn:flowNodeRef>\n"
                   "        <bpmn:flowNodeRef>task_ghost</bpmn:flowNodeRef>"),
     [("lane_handler", "lists task_ghost, which does not exist")]),
    ("outgoing list disagrees with the flows",
     _shipped_with("<bpmn:outgoing>flow_classify_deadline</bpmn:outgoing>",
                   "<bpmn:outgoing>flow_accepted</bpmn:outgoing>"),
     [("task_classify", "lists flow_accepted as outgoing, but no sequence flow flow_accepted starts at it"),
      ("task_classify", "Sequence flow flow_classify_deadline starts at task_classify, but")]),
    ("unreachable user task", _escalation_cut_off,
     [("task_ack_escalation", "cannot be reached from a start event")]),
    ("condition on a default flow",
     _condition_on_default_flow,
     [("flow_ack_task", "is the default flow of gw_channel but also has a condition")]),
    ("dangling targetRef",
     _shipped_with('sourceRef="send_survey" targetRef="end_closed"', 'sourceRef="send_survey" targetRef="end_gone"'),
     [("flow_survey_end", "Sequence flow flow_survey_end points to end_gone, which does not exist.")]),
    ("dangling targetRef, small file", _file("dangling-target.bpmn"),
     [("flow_start_end", "Sequence flow flow_start_end points to end_missing, which does not exist.")]),
    ("data association to nothing", _data_association_to_nothing,
     [("task_acknowledge", "writes data to data_ghost, which does not exist")]),
    ("two executable processes, no pool", _file("two-executable-processes.bpmn"),
     [("decoy", "more than one executable process (decoy, real)")]),
    ("outgoing list names a missing flow",
     _shipped_with("<bpmn:outgoing>flow_ack_task_done</bpmn:outgoing>",
                   "<bpmn:outgoing>flow_ack_task_done</bpmn:outgoing>\n"
                   "      <bpmn:outgoing>flow_extra</bpmn:outgoing>"),
     [("task_acknowledge", "lists flow_extra as outgoing")]),
    ("time bomb: the registration script fails after this month",
     _shipped_with("reopen_limit = 3\n", "reopen_limit = 3\nif received_at[:7] != '2026-11':\n    1 / 0\n"),
     [("script_register", "ZeroDivisionError")]),
    ("time bomb: the registration script fails after this year",
     _shipped_with("reopen_limit = 3\n", "reopen_limit = 3\nif now()[:4] > '2026':\n    1 / 0\n"),
     [("script_register", "ZeroDivisionError")]),
    ("runaway registration script, reported once",
     _shipped_with("reopen_limit = 3\n", "reopen_limit = 3\nwhile True:\n    pass\n"),
     [("script_register", "did not finish in 1 s")]),
    ("decoy process first, the pool's process is checked", _decoy_process_first, PASSES),
    ("the shipped procedure", lambda bpmn, forms: (bpmn, forms), PASSES),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CORPUS_CASES, ids=[c[0] for c in CORPUS_CASES])
def test_the_gate_gives_each_hostile_diagram_its_verdict(app, case, edit, expected):
    bpmn, forms = edit(*edits.shipped())
    bundle, problems = gate_within(app, bpmn, forms)
    if expected == PASSES:
        assert problems == [], problems
        assert bundle.process_id == "complaint_handling"
        return
    for element, words in expected:
        assert any(p["element"] == element and words in p["message"] for p in problems), \
            f"{element}: {words!r} not in {problems}"
    for item in problems:
        assert "perhaps a form" not in item["message"] and " at 0x" not in item["message"]
        assert set(item) - {"message_id", "params"} == {"element", "message", "stage", "path"}
    with pytest.raises(ProcessDefinitionError):
        versions.deploy_version(bpmn, forms, author="analyst", comment=case)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_the_shipped_procedure_breaks_no_lint_rule_not_even_a_style_rule():
    findings = lint(safe_tree(edits.shipped()[0]))
    assert [(f.rule, f.element, f.severity) for f in findings] == []


def test_a_data_association_error_reads_the_same_every_run():
    bpmn, _ = _data_association_to_nothing(*edits.shipped())
    messages = []
    for _ in range(2):
        with pytest.raises(ProcessDefinitionError) as refused:
            parse_bpmn(bpmn)
        messages.append(refused.value.problems)
    assert messages[0] == messages[1]
    assert messages[0][0]["element"] == "task_acknowledge" and "0x" not in messages[0][0]["message"]


def _encoded(encoding: str) -> bytes:
    text = edits.shipped()[0].replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    return text.encode(encoding, "xmlcharrefreplace")  # an em dash is not in ISO-8859-9


@pytest.mark.parametrize("encoding", ["ISO-8859-9", "UTF-16"])
def test_a_diagram_in_another_encoding_keeps_its_turkish_names(app, encoding):
    raw = _encoded(encoding)
    text = decode_bpmn(raw)
    assert 'name="Şikâyeti sınıflandır ve önceliklendir"' in text and 'encoding="UTF-8"' in text
    bundle, problems = gate_within(app, raw, edits.shipped()[1])
    assert problems == []
    assert bundle.spec.task_specs["task_classify"].bpmn_name == "Şikâyeti sınıflandır ve önceliklendir"
    # A decoded text whose declaration still names the old encoding is read as what it is: text.
    lying = edits.shipped()[0].replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    tables = validation.shipped_decisions()
    assert parse_bpmn(lying, tables).spec.task_specs["task_classify"].bpmn_name.startswith("Şikâyeti")


@pytest.mark.parametrize("encoding", ["ISO-8859-9", "UTF-16"])
def test_cli_deploys_a_diagram_in_another_encoding_and_stores_utf8(app, runner, tmp_path, encoding):
    path = tmp_path / "complaint.bpmn"
    path.write_bytes(_encoded(encoding))
    result = runner.invoke(args=["processes", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "process 'complaint_handling' passes the gate" in result.output
    result = runner.invoke(args=["processes", "deploy", str(path)])
    assert result.exit_code == 0, result.output
    assert "process 'complaint_handling'" in result.output
    stored = versions.get_version(1).bpmn_xml
    assert "Şikâyet Yönetimi Süreci" in stored and 'encoding="UTF-8"' in stored


def test_cli_refuses_bytes_that_are_not_xml_in_their_declared_encoding(app, runner, tmp_path):
    path = tmp_path / "broken.bpmn"
    path.write_bytes('<?xml version="1.0" encoding="UTF-8"?><a>Ş'.encode("iso-8859-9"))
    for command in ("check", "deploy"):
        result = runner.invoke(args=["processes", command, str(path)])
        assert result.exit_code == 1 and "not well-formed" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
