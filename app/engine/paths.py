"""Which user tasks still lie ahead of a task, read from the diagram (the parsed spec), not from a list.

The insight services ask two questions of a process version: "from this step, which steps must still
be done before the deadline it carries is met?" and "which timer raises this escalation task?". Both
are answered by walking the spec's flows: into an embedded sub-process at its start, out of it at its
end, never along a boundary event (an escalation branch runs only when a deadline is already missed).
"""

from __future__ import annotations

from dataclasses import dataclass

from .specs import ProcessBundle


@dataclass(frozen=True)
class Step:
    """A user task ahead of the current one; `optional` when some path to the deadline skips it."""

    id: str
    name: str
    optional: bool


def _props(task_spec) -> dict:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


def _type(task_spec) -> str:
    return type(task_spec).__name__


class _Graph:
    """Every task spec of the bundle by (process, name), with edges across sub-process borders."""

    def __init__(self, bundle: ProcessBundle):
        self.specs = {bundle.spec.name: bundle.spec, **bundle.subprocess_specs}
        # The sub-process task that runs each embedded spec: leaving the spec continues after it.
        self.callers: dict[str, list[tuple[str, object]]] = {}
        for owner, spec in self.specs.items():
            for task_spec in spec.task_specs.values():
                inner = getattr(task_spec, "spec", None)
                if _type(task_spec) in ("SubWorkflowTask", "TransactionSubprocess") and inner in self.specs:
                    self.callers.setdefault(inner, []).append((owner, task_spec))

    def find(self, element_id: str) -> tuple[str, object] | None:
        for owner, spec in self.specs.items():
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == element_id and getattr(task_spec, "manual", False):
                    return owner, task_spec
        return None

    def successors(self, owner: str, task_spec) -> list[tuple[str, object]]:
        kind = _type(task_spec)
        if kind in ("SubWorkflowTask", "TransactionSubprocess") and task_spec.spec in self.specs:
            inner = self.specs[task_spec.spec]
            # Into the sub-process at its start; out of it after its end (handled at the EndJoin).
            return [(task_spec.spec, inner.start)]
        if kind == "_EndJoin" and owner in self.callers:
            found = []
            for caller_owner, caller in self.callers[owner]:
                found += [(caller_owner, out) for out in caller.outputs if _type(out) != "BoundaryEventJoin"]
            return found
        return [(owner, out) for out in task_spec.outputs
                if _type(out) not in ("BoundaryEvent", "BoundaryEventJoin")]


def _walk(graph: _Graph, start: list[tuple[str, object]], due_var: str | None, skip: str | None = None):
    """Collect user tasks carrying `due_var` reachable from `start`; a user task with another (or no)
    deadline ends the walk there, since the deadline is met before it. Returns (found ids, exit reached)."""
    found: dict[str, object] = {}
    seen: set[tuple[str, str]] = set()
    todo = list(start)
    exits = False
    while todo:
        owner, task_spec = todo.pop(0)
        key = (owner, task_spec.name)
        if key in seen:
            continue
        seen.add(key)
        if getattr(task_spec, "manual", False):
            props = _props(task_spec)
            if props.get("escalation"):
                continue
            if props.get("due") != due_var:
                exits = True
                continue
            if task_spec.bpmn_id == skip:
                continue
            found[task_spec.bpmn_id] = task_spec
        nexts = graph.successors(owner, task_spec)
        if not nexts:
            exits = True
        todo.extend(nexts)
    return found, exits


def remaining_steps(bundle: ProcessBundle, task_id: str) -> list[Step]:
    """The user tasks after `task_id` that share its deadline (its `due` property), in diagram order.

    A step is optional when an exclusive branch can reach the end of the deadline's work without it
    (the phone notification, when the decision may also go out by e-mail).
    """
    graph = _Graph(bundle)
    located = graph.find(task_id)
    if located is None:
        return []
    owner, task_spec = located
    due_var = _props(task_spec).get("due")
    if not due_var:
        return []
    start = graph.successors(owner, task_spec)
    ahead, _ = _walk(graph, start, due_var)
    steps = []
    for step_id, step_spec in ahead.items():
        _, still_exits = _walk(graph, start, due_var, skip=step_id)
        steps.append(Step(step_id, step_spec.bpmn_name or step_id, optional=still_exits))
    return steps


def timer_names(bundle: ProcessBundle) -> dict[str, str]:
    """Escalation user task id -> the name of the boundary timer whose flow raises it."""
    names = {}
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if _type(task_spec) != "BoundaryEvent":
                continue
            for out in task_spec.outputs:
                if getattr(out, "manual", False):
                    names[out.bpmn_id] = task_spec.bpmn_name or task_spec.bpmn_id
    return names
