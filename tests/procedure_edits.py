"""Analysts' changes of the procedure, made the way an analyst makes them: by editing BPMN / form text.

Each function takes the shipped diagram and forms and returns edited copies; nothing on disk changes.
"""

from __future__ import annotations

import copy
import re

from app.config import PROJECT_ROOT
from app.services.procedure import versions

LEGAL_LANE = "Hukuk Müşavirliği"


def shipped() -> tuple[str, dict]:
    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    return bpmn, versions.load_forms_dir(PROJECT_ROOT / "forms")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r}"
    return text.replace(old, new)


def normal_deadline_two_days(bpmn: str, forms: dict) -> tuple[str, dict]:
    """(a) normal priority: 3 → 2 business days, by a script (the table edit is in test_decisions.py)."""
    return replace_once(bpmn, "\nsolution_due = add_business_days(received_at, solution_days)",
                        "\nsolution_days = 2 if priority == 'normal' else solution_days"
                        "\nsolution_due = add_business_days(received_at, solution_days)"), forms


def normal_days_in_table(decisions: dict[str, str], days: int = 2) -> dict[str, str]:
    """The same change made where it belongs now: the normal row of the solution_days table."""
    table = replace_once(decisions["solution_days.dmn"], '<outputEntry id="output_days_normal"><text>3</text>',
                         f'<outputEntry id="output_days_normal"><text>{days}</text>')
    return {**decisions, "solution_days.dmn": table}


_LEGAL_ELEMENTS = """
    <bpmn:exclusiveGateway id="gw_legal" name="Hukuki inceleme gerekli mi?" default="flow_no_legal">
      <bpmn:incoming>flow_deadline_join</bpmn:incoming>
      <bpmn:outgoing>flow_to_legal</bpmn:outgoing>
      <bpmn:outgoing>flow_no_legal</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="task_legal_review" name="Hukuki inceleme">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="iso10002_stage" value="5" />
          <spiffworkflow:property name="form" value="legal_review" />
          <spiffworkflow:property name="due" value="solution_due" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_to_legal</bpmn:incoming>
      <bpmn:outgoing>flow_legal_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="timer_legal_deadline" name="Çözüm süresi doldu" attachedToRef="task_legal_review"
        cancelActivity="false">
      <bpmn:outgoing>flow_legal_missed</bpmn:outgoing>
      <bpmn:timerEventDefinition id="timer_legal_deadline_def">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">solution_due</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="task_legal_escalation" name="Geciken hukuki incelemeyi takip et">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="iso10002_stage" value="4" />
          <spiffworkflow:property name="form" value="escalation" />
          <spiffworkflow:property name="escalation" value="solution_deadline" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_legal_missed</bpmn:incoming>
      <bpmn:outgoing>flow_legal_escalation_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_legal_escalation" name="Takip edildi">
      <bpmn:incoming>flow_legal_escalation_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_to_legal" name="Yüksek öncelik" sourceRef="gw_legal" targetRef="task_legal_review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">priority == 'high'</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_no_legal" sourceRef="gw_legal" targetRef="gw_solution_join" />
    <bpmn:sequenceFlow id="flow_legal_done" sourceRef="task_legal_review" targetRef="gw_solution_join" />
    <bpmn:sequenceFlow id="flow_legal_missed" sourceRef="timer_legal_deadline" targetRef="task_legal_escalation" />
    <bpmn:sequenceFlow id="flow_legal_escalation_end" sourceRef="task_legal_escalation"
        targetRef="end_legal_escalation" />
  </bpmn:process>"""

def _shape(element: str, x: int, y: int, width: int = 100, height: int = 80) -> str:
    return (f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}">\n'
            f'        <dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}" />\n'
            "      </bpmndi:BPMNShape>\n")


def _edge(flow: str, *points: tuple[int, int]) -> str:
    waypoints = "".join(f'        <di:waypoint x="{x}" y="{y}" />\n' for x, y in points)
    return f'      <bpmndi:BPMNEdge id="{flow}_di" bpmnElement="{flow}">\n{waypoints}      </bpmndi:BPMNEdge>\n'


# The modeler can only open what has a shape: every new element gets one (the gate checks it).
_LEGAL_LAYOUT = (
    _shape("lane_legal", 90, 1170, 2890, 200)
    + _shape("gw_legal", 1185, 520, 50, 50) + _shape("task_legal_review", 1260, 1220)
    + _shape("timer_legal_deadline", 1342, 1282, 36, 36) + _shape("task_legal_escalation", 1420, 1220)
    + _shape("end_legal_escalation", 1572, 1242, 36, 36)
    + _edge("flow_to_legal", (1210, 570), (1210, 1260), (1260, 1260))
    + _edge("flow_no_legal", (1235, 545), (1285, 545))
    + _edge("flow_legal_done", (1310, 1220), (1310, 570))
    + _edge("flow_legal_missed", (1378, 1300), (1420, 1260))
    + _edge("flow_legal_escalation_end", (1520, 1260), (1572, 1260))
)

LEGAL_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Hukuki inceleme",
    "type": "object",
    "properties": {"legal_opinion": {"type": "string", "title": "Hukuki görüş", "minLength": 1,
                                     "maxLength": 5000, "x-widget": "textarea"}},
    "required": ["legal_opinion"],
    "additionalProperties": False,
}


def legal_review_for_high_priority(bpmn: str, forms: dict) -> tuple[str, dict]:
    """(b) high-priority complaints get a legal review, in a new lane, within the solution deadline."""
    bpmn = replace_once(bpmn, '<bpmn:sequenceFlow id="flow_deadline_join" sourceRef="script_solution_deadline" '
                              'targetRef="gw_solution_join" />',
                        '<bpmn:sequenceFlow id="flow_deadline_join" sourceRef="script_solution_deadline" '
                        'targetRef="gw_legal" />')
    bpmn = replace_once(bpmn, "<bpmn:incoming>flow_deadline_join</bpmn:incoming>\n      <bpmn:incoming>"
                              "flow_reopen_back",
                        "<bpmn:incoming>flow_no_legal</bpmn:incoming>\n      <bpmn:incoming>flow_legal_done"
                        "</bpmn:incoming>\n      <bpmn:incoming>flow_reopen_back")
    bpmn = replace_once(bpmn, "    </bpmn:laneSet>",
                        f'      <bpmn:lane id="lane_legal" name="{LEGAL_LANE}">\n'
                        "        <bpmn:flowNodeRef>task_legal_review</bpmn:flowNodeRef>\n"
                        "      </bpmn:lane>\n    </bpmn:laneSet>")
    bpmn = replace_once(bpmn, "<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>\n"
                        "        <bpmn:flowNodeRef>task_legal_escalation</bpmn:flowNodeRef>")
    bpmn = replace_once(bpmn, "<bpmn:flowNodeRef>gw_solution_join</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>gw_solution_join</bpmn:flowNodeRef>\n"
                        "        <bpmn:flowNodeRef>gw_legal</bpmn:flowNodeRef>")
    bpmn = replace_once(bpmn, "\n  </bpmn:process>", _LEGAL_ELEMENTS)
    bpmn = replace_once(bpmn, "    </bpmndi:BPMNPlane>", _LEGAL_LAYOUT + "    </bpmndi:BPMNPlane>")
    return bpmn, {**forms, "legal_review": copy.deepcopy(LEGAL_FORM)}


def classification_requires_affected_service(bpmn: str, forms: dict) -> tuple[str, dict]:
    """(c) a new required field on the classification form."""
    forms = copy.deepcopy(forms)
    form = forms["classification"]
    form["properties"]["affected_service"] = {"type": "string", "title": "Etkilenen hizmet", "oneOf": [
        {"const": "internet", "title": "İnternet"}, {"const": "tv", "title": "TV"}], "x-widget": "select"}
    form["required"].append("affected_service")
    return bpmn, forms


def escalate_after_two_reopens(bpmn: str, forms: dict) -> tuple[str, dict]:
    """(d) the reopen limit 3 → 2: the third rejection (more than two reopens) escalates."""
    return replace_once(bpmn, "reopen_limit = 3", "reopen_limit = 2"), forms


def priority_from_affected_customers(bpmn: str, forms: dict) -> tuple[str, dict]:
    """(e) priority is no longer chosen by hand: it follows how many customers are affected."""
    forms = copy.deepcopy(forms)
    form = forms["classification"]
    del form["properties"]["priority"]
    form["required"].remove("priority")
    form["properties"]["affected_customers"] = {"type": "string", "title": "Etkilenen müşteri", "oneOf": [
        {"const": "many", "title": "Bölge"}, {"const": "several", "title": "Birkaç müşteri"},
        {"const": "one", "title": "Tek müşteri"}], "x-widget": "radio"}
    form["required"].append("affected_customers")
    bpmn = replace_once(bpmn, "<spiffworkflow:calledDecisionId>solution_days</spiffworkflow:calledDecisionId>",
                        "<spiffworkflow:calledDecisionId>solution_days</spiffworkflow:calledDecisionId>"
                        "<spiffworkflow:preScript>priority = {'many': 'high', 'several': 'normal', 'one': 'low'}"
                        "[affected_customers]</spiffworkflow:preScript>")
    return bpmn, forms


# --- changes the gate must refuse -------------------------------------------------------------------

def without_start_event(bpmn: str, forms: dict) -> tuple[str, dict]:
    bpmn = re.sub(r'<bpmn:startEvent id="start_received".*?</bpmn:startEvent>', "", bpmn, count=1, flags=re.S)
    return bpmn.replace('<bpmn:sequenceFlow id="flow_start_register" sourceRef="start_received" '
                        'targetRef="script_register" />', ""), forms


def condition_syntax_error(bpmn: str, forms: dict) -> tuple[str, dict]:
    return replace_once(bpmn, "answer == 'accepted'", "answer === 'accepted'"), forms


def classification_without_form(bpmn: str, forms: dict) -> tuple[str, dict]:
    return replace_once(bpmn, '<spiffworkflow:property name="form" value="classification" />', ""), forms


def skips_acknowledgement(bpmn: str, forms: dict) -> tuple[str, dict]:
    """The later acknowledgement is relabelled classification: for most channels stage 2 is never passed.

    The diagram stays well-formed (every step reachable), so only the ISO 10002 scenarios can catch it.
    """
    for element in ("task_acknowledge", "send_ack", "script_ack_phone"):
        start = bpmn.index(f'id="{element}"')
        end = bpmn.index("</bpmn:extensionElements>", start)
        bpmn = bpmn[:start] + bpmn[start:end].replace('name="iso10002_stage" value="2"',
                                                      'name="iso10002_stage" value="3"') + bpmn[end:]
    return bpmn, forms


def loses_reopen_path(bpmn: str, forms: dict) -> tuple[str, dict]:
    """A rejected solution closes the complaint anyway (the acceptance condition always holds)."""
    return replace_once(bpmn, "answer == 'accepted'", "answer == 'accepted' or True"), forms
