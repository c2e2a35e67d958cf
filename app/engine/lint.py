"""Structural lint of a BPMN diagram: what SpiffWorkflow accepts but an analyst would not mean.

Pure lxml over the safe tree, no SpiffWorkflow. The rules follow bpmnlint's "recommended" set (the
bpmn.io linter) where they matter for an executable diagram, plus the holes SpiffWorkflow leaves open:
references to elements that do not exist, a task in two lanes, a layout (BPMN DI) the modeler cannot
open, <incoming>/<outgoing> lists that disagree with the sequence flows, unreachable user tasks and
conditions on default flows. Every finding names one element and says in one sentence what is wrong.

Severity "error" refuses the diagram at the gate; "warning" is a style rule, shown in the modeler only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..bilingual import english_name
from .messages import Text, message_fields

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"

ERROR, WARNING = "error", "warning"
TASKS = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
         "businessRuleTask")
SUB_PROCESSES = ("subProcess", "transaction", "adHocSubProcess")
ACTIVITIES = TASKS + SUB_PROCESSES + ("callActivity",)
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway")
FLOW_NODES = ACTIVITIES + EVENTS + GATEWAYS
_KIND = {"userTask": "User task", "scriptTask": "Script task", "manualTask": "Manual task",
         "serviceTask": "Service task", "sendTask": "Send task", "receiveTask": "Receive task",
         "businessRuleTask": "Business rule task", "task": "Task", "callActivity": "Call activity",
         "subProcess": "Sub-process", "transaction": "Transaction", "adHocSubProcess": "Ad-hoc sub-process",
         "startEvent": "Start event", "endEvent": "End event", "intermediateCatchEvent": "Intermediate event",
         "intermediateThrowEvent": "Intermediate event", "boundaryEvent": "Boundary event",
         "exclusiveGateway": "Gateway", "parallelGateway": "Parallel gateway",
         "inclusiveGateway": "Inclusive gateway", "eventBasedGateway": "Event-based gateway",
         "complexGateway": "Complex gateway", "sequenceFlow": "Sequence flow", "lane": "Lane",
         "participant": "Pool", "process": "Process"}


@dataclass(frozen=True)
class Finding:
    rule: str
    element: str | None
    message: str
    severity: str = ERROR

    def as_dict(self) -> dict:
        return {"rule": self.rule, "element": self.element, **message_fields(self.message), "severity": self.severity}

    def as_problem(self) -> dict:
        """The deploy gate's problem shape (services/procedure/validation.py)."""
        return {"element": self.element, **message_fields(self.message), "stage": None, "path": None}


def local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def describe(element) -> Text:
    """'User task task_classify ("Şikâyeti sınıflandır")': kind, id and, when there is one, the name."""
    kind = Text(_KIND.get(local(element), local(element)))
    name = (element.get("name") or "").strip()
    if name:
        return Text('{kind} {id} ("{name}")', kind=kind, id=element.get("id"), name=name)
    return Text("{kind} {id}", kind=kind, id=element.get("id"))


class _Model:
    """Indexes of one diagram: elements by id, flow nodes by container, flows in and out."""

    def __init__(self, tree):
        self.tree = tree
        self.by_id: dict[str, object] = {}
        self.duplicates: list[str] = []
        for element in tree.iter(f"{BPMN}*"):
            element_id = element.get("id")
            if element_id:
                if element_id in self.by_id:
                    self.duplicates.append(element_id)
                self.by_id.setdefault(element_id, element)
        self.processes = tree.findall(f"{BPMN}process")
        self.containers = list(self.processes) + [e for tag in SUB_PROCESSES for e in tree.iter(f"{BPMN}{tag}")]
        self.nodes = [e for c in self.containers for e in c if local(e) in FLOW_NODES]
        self.node_ids = {n.get("id") for n in self.nodes}
        self.flows = [e for c in self.containers for e in c.findall(f"{BPMN}sequenceFlow")]
        self.incoming: dict[str, list] = defaultdict(list)
        self.outgoing: dict[str, list] = defaultdict(list)
        for flow in self.flows:
            self.outgoing[flow.get("sourceRef")].append(flow)
            self.incoming[flow.get("targetRef")].append(flow)
        self.boundary: dict[str, list] = defaultdict(list)
        for node in self.nodes:
            if local(node) == "boundaryEvent":
                self.boundary[node.get("attachedToRef")].append(node)

    def of_kind(self, *kinds: str) -> list:
        return [n for n in self.nodes if local(n) in kinds]


def _has_condition(flow) -> bool:
    condition = flow.find(f"{BPMN}conditionExpression")
    return condition is not None and bool((condition.text or "").strip())


# --- references: run before SpiffWorkflow, which crashes or misreports on them ----------------------

def reference_findings(tree) -> list[Finding]:
    model = _Model(tree)
    found = [Finding("unique-ids", i, Text("Two elements have the ID {id}; every element needs its own ID.", id=i))
             for i in sorted(set(model.duplicates))]
    parent_of = {n.get("id"): n.getparent() for n in model.nodes}
    for flow in model.flows:
        flow_id, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        if source not in model.node_ids:
            found.append(Finding("sequence-flow-reference", flow_id,
                                 Text("Sequence flow {flow} starts at {node}, which does not exist.", flow=flow_id,
                                      node=source)))
        if target not in model.node_ids:
            found.append(Finding("sequence-flow-reference", flow_id,
                                 Text("Sequence flow {flow} points to {node}, which does not exist.", flow=flow_id,
                                      node=target)))
        elif source in model.node_ids and parent_of[source] is not parent_of[target]:
            found.append(Finding("sequence-flow-reference", flow_id,
                                 Text("Sequence flow {flow} connects {source} and {target}, which are not in the "
                                      "same process or sub-process.", flow=flow_id, source=source, target=target)))
    for node in model.nodes:
        default = node.get("default")
        if default and default not in {f.get("id") for f in model.outgoing[node.get("id")]}:
            found.append(Finding("default-flow-reference", node.get("id"),
                                 Text("{element} names {flow} as its default flow, but no sequence flow {flow} "
                                      "leaves it.", element=describe(node), flow=default)))
    for event in model.of_kind("boundaryEvent"):
        attached = event.get("attachedToRef")
        target = model.by_id.get(attached)
        if target is None or local(target) not in ACTIVITIES:
            found.append(Finding("boundary-attached", event.get("id"),
                                 Text("{element} is attached to {target}, which is not a task or sub-process in "
                                      "this diagram, so it would never fire.", element=describe(event),
                                      target=attached)))
    for lane in tree.iter(f"{BPMN}lane"):
        for ref in lane.findall(f"{BPMN}flowNodeRef"):
            if (ref.text or "").strip() not in model.node_ids:
                found.append(Finding("lane-reference", lane.get("id"),
                                     Text("{lane} lists {node}, which does not exist.", lane=describe(lane),
                                          node=(ref.text or "").strip())))
    for association, ref_tag, sentence in (
            ("dataInputAssociation", "sourceRef", "{element} reads data from {data}, which does not exist."),
            ("dataOutputAssociation", "targetRef", "{element} writes data to {data}, which does not exist.")):
        for item in tree.iter(f"{BPMN}{association}"):
            owner = item.getparent()
            for ref in item.findall(f"{BPMN}{ref_tag}"):
                name = (ref.text or "").strip()
                if name not in model.by_id:
                    found.append(Finding("data-reference", owner.get("id"),
                                         Text(sentence, element=describe(owner), data=name or "(nothing)")))
    return found


# --- structure ----------------------------------------------------------------------------------------

def _lane_findings(tree, model: _Model) -> list[Finding]:
    found = []
    lanes_of: dict[str, list] = defaultdict(list)
    for lane in tree.iter(f"{BPMN}lane"):
        for ref in lane.findall(f"{BPMN}flowNodeRef"):
            lanes_of[(ref.text or "").strip()].append(lane)
    for node_id, lanes in lanes_of.items():
        # A node in a nested lane is listed by the parent lane too; only unrelated lanes conflict.
        leaves = [lane for lane in lanes if not any(other is not lane and lane in other.iterancestors()
                                                     for other in lanes)]
        if len(leaves) > 1 and node_id in model.node_ids:
            names = " and ".join(describe(lane) for lane in leaves)
            found.append(Finding("single-lane", node_id,
                                 Text("{element} is listed in {lanes}; it must be in exactly one lane, otherwise "
                                      "who may do it depends on which lane is read first.",
                                      element=describe(model.by_id[node_id]), lanes=names)))
    return found


def _incoming_outgoing_findings(model: _Model) -> list[Finding]:
    found = []
    for node in model.nodes:
        node_id = node.get("id")
        for tag, actual, end in (("incoming", model.incoming, "ends at"), ("outgoing", model.outgoing, "starts at")):
            listed = {(e.text or "").strip() for e in node.findall(f"{BPMN}{tag}")}
            real = {f.get("id") for f in actual[node_id]}
            for flow_id in sorted(listed - real):
                found.append(Finding("incoming-outgoing", node_id,
                                     Text("{element} lists {flow} as " + tag + ", but no sequence flow {flow} " + end
                                          + " it.", element=describe(node), flow=flow_id)))
            for flow_id in sorted(real - listed):
                found.append(Finding("incoming-outgoing", node_id,
                                     Text("Sequence flow {flow} " + end + " {node}, but {element} does not list it as "
                                          + tag + ".", flow=flow_id, node=node_id, element=describe(node))))
    return found


def _container_findings(model: _Model) -> list[Finding]:
    found = []
    for container in model.containers:
        if container.get("triggeredByEvent") == "true" or local(container) == "adHocSubProcess":
            continue
        children = [e for e in container if local(e) in FLOW_NODES]
        if local(container) == "process" and not children:
            continue
        starts = [e for e in children if local(e) == "startEvent"]
        blank = [e for e in starts if not _event_definitions(e)]
        if not starts:
            found.append(Finding("start-event-required", container.get("id"),
                                 Text("{element} has no start event, so nothing in it can begin.",
                                      element=describe(container))))
        if not any(local(e) == "endEvent" for e in children):
            found.append(Finding("end-event-required", container.get("id"),
                                 Text("{element} has no end event; add one where the work is finished.",
                                      element=describe(container))))
        if len(blank) > 1:
            found.append(Finding("single-blank-start-event", container.get("id"),
                                 Text("{element} has {count} plain start events; it may have only one, otherwise "
                                      "it is unclear where it begins.", element=describe(container), count=len(blank))))
        if local(container) in SUB_PROCESSES:
            for start in starts:
                if _event_definitions(start):
                    found.append(Finding("sub-process-blank-start-event", start.get("id"),
                                         Text("{element} in a sub-process must be a plain start event (no timer, "
                                              "message or other trigger).", element=describe(start))))
    return found


def _event_definitions(event) -> list:
    return [e for e in event if local(e).endswith("EventDefinition")]


def _node_findings(model: _Model) -> list[Finding]:
    found = []
    for node in model.nodes:
        node_id, kind = node.get("id"), local(node)
        incoming, outgoing = model.incoming[node_id], model.outgoing[node_id]
        triggered = node.get("triggeredByEvent") == "true"
        in_ad_hoc = local(node.getparent()) == "adHocSubProcess"
        if not incoming and not outgoing and not triggered and not in_ad_hoc:
            found.append(Finding("no-disconnected", node_id,
                                 Text("{element} is not connected to anything by a sequence flow.",
                                      element=describe(node))))
            continue
        if not incoming and kind not in ("startEvent", "boundaryEvent") and not triggered and not in_ad_hoc:
            found.append(Finding("no-implicit-start", node_id,
                                 Text("{element} has no incoming sequence flow, so it would start on its own (or "
                                      "never); connect it or use a start event.", element=describe(node))))
        if not outgoing and kind != "endEvent" and not triggered and not in_ad_hoc:
            found.append(Finding("no-implicit-end", node_id,
                                 Text("{element} has no outgoing sequence flow; end the path with an end event.",
                                      element=describe(node))))
        default = node.get("default")
        if kind in ACTIVITIES + EVENTS:
            plain = [f for f in outgoing if not _has_condition(f) and f.get("id") != default]
            if len(plain) > 1:
                found.append(Finding("no-implicit-split", node_id,
                                     Text("{element} has {count} outgoing flows without conditions, which run all at "
                                          "once; use a gateway to split.", element=describe(node), count=len(plain))))
            if len(incoming) > 1:
                found.append(Finding("fake-join", node_id,
                                     Text("{element} has {count} incoming flows, which do not wait for each "
                                          "other; join them with a gateway first.", element=describe(node),
                                          count=len(incoming)),
                                     WARNING))
        if default or any(_has_condition(f) for f in outgoing):
            for flow in outgoing:
                if not _has_condition(flow) and flow.get("id") != default:
                    found.append(Finding("conditional-flows", flow.get("id"),
                                         Text("Sequence flow {flow} leaves {node} without a condition and is not its "
                                              "default flow; give it a condition or make it the default.",
                                              flow=flow.get("id"), node=node_id)))
        for flow in outgoing:
            if flow.get("id") == default and _has_condition(flow):
                found.append(Finding("default-flow-condition", flow.get("id"),
                                     Text("Sequence flow {flow} is the default flow of {node} but also has a "
                                          "condition; a default flow is taken when no other condition holds, so "
                                          "remove its condition.", flow=flow.get("id"), node=node_id)))
        if kind in GATEWAYS:
            if len(incoming) > 1 and len(outgoing) > 1:
                found.append(Finding("no-gateway-join-fork", node_id,
                                     Text("{element} both joins and splits flows; use one gateway to join and another "
                                          "to split.", element=describe(node))))
            if len(incoming) == 1 and len(outgoing) == 1:
                found.append(Finding("superfluous-gateway", node_id,
                                     Text("{element} has only one incoming and one outgoing flow, so it does nothing.",
                                          element=describe(node)), WARNING))
        if kind == "complexGateway":
            found.append(Finding("no-complex-gateway", node_id,
                                 Text("{element} is a complex gateway, which the engine does not run.",
                                      element=describe(node))))
        if kind == "inclusiveGateway":
            found.append(Finding("no-inclusive-gateway", node_id,
                                 Text("{element} is an inclusive gateway; prefer exclusive and parallel gateways, "
                                      "whose paths are easier to follow.", element=describe(node)), WARNING))
        if kind in EVENTS and len(_event_definitions(node)) > 1:
            found.append(Finding("single-event-definition", node_id,
                                 Text("{element} has more than one trigger (event definition); keep one.",
                                      element=describe(node))))
        if kind in TASKS + EVENTS and (node.get("name") or "").strip() and english_name(node) is None:
            found.append(Finding("english-name", node_id,
                                 Text("{element} has no English name (the spiffworkflow property name_en); "
                                      "English pages show its Turkish name.", element=describe(node)), WARNING))
        if kind in FLOW_NODES and not (node.get("name") or "").strip() and _needs_label(node, model):
            found.append(Finding("label-required", node_id, Text("{element} has no name.", element=describe(node)),
                                 WARNING))
    for flow in model.flows:
        if _has_condition(flow) and not (flow.get("name") or "").strip():
            found.append(Finding("label-required", flow.get("id"),
                                 Text("Sequence flow {flow} has a condition but no name.", flow=flow.get("id")),
                                 WARNING))
    seen: dict[tuple, str] = {}
    for flow in model.flows:
        condition = flow.find(f"{BPMN}conditionExpression")
        key = (flow.get("sourceRef"), flow.get("targetRef"),
               (condition.text or "").strip() if condition is not None else None)
        if key in seen:
            found.append(Finding("no-duplicate-sequence-flows", flow.get("id"),
                                 Text("Sequence flow {flow} duplicates {other} (same source, target and condition).",
                                      flow=flow.get("id"), other=seen[key])))
        seen.setdefault(key, flow.get("id"))
    return found


def _needs_label(node, model: _Model) -> bool:
    kind = local(node)
    if kind in ("parallelGateway", "eventBasedGateway") or kind in SUB_PROCESSES:
        return False
    return not (kind in GATEWAYS and len(model.outgoing[node.get("id")]) <= 1)


def _reachability_findings(model: _Model) -> list[Finding]:
    """A user task no path from a start event reaches is a step nobody will ever see."""
    reached: set[str] = set()
    frontier = [n for n in model.nodes if local(n) == "startEvent" and local(n.getparent()) == "process"]
    while frontier:
        node = frontier.pop()
        node_id = node.get("id")
        if node_id in reached:
            continue
        reached.add(node_id)
        following = [model.by_id.get(f.get("targetRef")) for f in model.outgoing[node_id]]
        following += model.boundary.get(node_id, [])
        if local(node) in SUB_PROCESSES:
            following += [e for e in node if local(e) == "startEvent"]
            following += [e for e in node if local(e) in SUB_PROCESSES and e.get("triggeredByEvent") == "true"]
        frontier += [n for n in following if n is not None and local(n) in FLOW_NODES]
    return [Finding("unreachable-user-task", task.get("id"),
                    Text("{element} cannot be reached from a start event, so nobody would ever be asked to do it.",
                         element=describe(task)))
            for task in model.of_kind("userTask", "manualTask") if task.get("id") not in reached]


def _di_findings(tree, model: _Model) -> list[Finding]:
    """bpmn-js needs a shape for every node and an edge for every flow, each pointing at a real element."""
    diagrams = tree.findall(f"{BPMNDI}BPMNDiagram")
    owner = (model.processes[0].get("id") if model.processes else tree.get("id"))
    if not diagrams or not any(d.find(f"{BPMNDI}BPMNPlane") is not None for d in diagrams):
        return [Finding("no-bpmndi", owner, Text("The file has no diagram layout (BPMN DI), so the modeler cannot "
                                                 "open it; save it from a BPMN modeler."))]
    found, drawn = [], set()
    for item in tree.iter(f"{BPMNDI}BPMNPlane", f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge"):
        ref = item.get("bpmnElement")
        drawn.add(ref)
        if ref not in model.by_id:
            found.append(Finding("di-reference", item.get("id"),
                                 Text("Diagram " + local(item)[4:].lower() + " {item} draws {element}, which does not "
                                      "exist, so the modeler cannot open the diagram.", item=item.get("id"),
                                      element=ref)))
    needed = list(model.nodes) + list(model.flows) + list(tree.iter(f"{BPMN}lane", f"{BPMN}participant"))
    for element in needed:
        if element.get("id") not in drawn:
            what = "edge" if local(element) == "sequenceFlow" else "shape"
            found.append(Finding("no-bpmndi", element.get("id"),
                                 Text("{element} has no " + what + " in the diagram layout, so it would run but "
                                      "nobody could see or edit it in the modeler.", element=describe(element))))
    return found


def lint(tree) -> list[Finding]:
    """Every finding, references first; structure rules run only on a diagram whose references hold."""
    found = reference_findings(tree)
    if found:
        return found
    model = _Model(tree)
    return (_lane_findings(tree, model) + _incoming_outgoing_findings(model) + _container_findings(model)
            + _node_findings(model) + _reachability_findings(model) + _di_findings(tree, model))


def check_structure(tree) -> list[dict]:
    """The refusals, as deploy-gate problems."""
    return [f.as_problem() for f in lint(tree) if f.severity == ERROR]
