"""Compare two versions of the procedure and move a running workflow from one to the other.

Built on SpiffWorkflow's own diff (`SpecDiff`, `WorkflowDiff`, `migrate_workflow`). The rule for
moving a running complaint is conservative: only when no task it has already reached (ready,
waiting, started or completed) was changed or removed; what it has not reached yet may change freely.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_dependencies, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from ..bilingual import NAME_EN
from .messages import Text
from .runner import WorkflowRun
from .serialization import SERIALIZER
from .specs import ProcessBundle


def _element(spec) -> str:
    return spec.bpmn_id or spec.name


def _collect(diff: SpecDiff, added: set, removed: set, changed: dict) -> None:
    added.update(_element(s) for s in diff.added if s.bpmn_id)
    removed.update(_element(s) for s in diff.removed if s.bpmn_id)
    for spec, attributes in diff.changed.items():
        if spec.bpmn_id:
            changed.setdefault(_element(spec), set()).update(attributes)


def diff_bundles(old: ProcessBundle, new: ProcessBundle) -> dict:
    """Element ids added, removed and changed (with the changed attributes) from `old` to `new`."""
    registry = SERIALIZER.registry
    added, removed, changed = set(), set(), {}
    _collect(SpecDiff(registry, old.spec, new.spec), added, removed, changed)
    dependencies, new_names = diff_dependencies(registry, old.subprocess_specs, new.subprocess_specs)
    for name, diff in dependencies.items():
        if diff is None:
            removed.update(_element(s) for s in old.subprocess_specs[name].task_specs.values() if s.bpmn_id)
        else:
            _collect(diff, added, removed, changed)
    for name in new_names:
        added.update(_element(s) for s in new.subprocess_specs[name].task_specs.values() if s.bpmn_id)
    return {
        "added": sorted(added),
        "removed": sorted(removed),
        "changed": {k: sorted(v) for k, v in sorted(changed.items())},
    }


OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
REACHED = OPEN | TaskState.COMPLETED


def _ancestors(spec, targets: set[str]) -> set[str]:
    """Elements on the way from the start to `targets`, loops cut where they turn back.

    The running state keeps no finished history (it is compacted), so "already reached" is read
    from the diagram: whatever lies before where the complaint is (or was a person's task).
    """
    back_edges, state = set(), {}
    stack = [(spec.start, iter(spec.start.outputs))]
    state[spec.start.name] = "open"
    while stack:
        node, outputs = stack[-1]
        child = next(outputs, None)
        if child is None:
            state[node.name] = "done"
            stack.pop()
        elif state.get(child.name) == "open":
            back_edges.add((node.name, child.name))
        elif child.name not in state:
            state[child.name] = "open"
            stack.append((child, iter(child.outputs)))
    parents: dict[str, set[str]] = {}
    for task_spec in spec.task_specs.values():
        for child in task_spec.outputs:
            if (task_spec.name, child.name) not in back_edges:
                parents.setdefault(child.name, set()).add(task_spec.name)
    found, todo = set(), [t for t in targets if t in spec.task_specs]
    while todo:
        name = todo.pop()
        for parent in parents.get(name, ()):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def _reached(workflow, spec, history: set[str]) -> set[str]:
    here = {t.task_spec.name for t in workflow.get_tasks(state=REACHED, skip_subprocesses=True)}
    here |= {name for name in history if name in spec.task_specs}
    return here | _ancestors(spec, here)


def _reached_change(spec, sub_process: str | None, attributes) -> Text:
    """"task_x, which it has reached, was changed (bpmn_name)" — or removed; "in <sub-process>" when inside one."""
    where = " in {process}" if sub_process else ""
    if attributes is None:
        return Text("{element}" + where + ", which it has reached, was removed", element=_element(spec),
                    **({"process": sub_process} if sub_process else {}))
    return Text("{element}" + where + ", which it has reached, was changed ({attributes})", element=_element(spec),
                attributes=", ".join(attributes), **({"process": sub_process} if sub_process else {}))


def migration_blockers(run: WorkflowRun, new: ProcessBundle, history: set[str] | frozenset = frozenset()) -> list[str]:
    """Why this workflow cannot move to `new` (empty: it can).

    `history` names the user tasks the complaint has completed (the inbox rows remember them).
    """
    registry = SERIALIZER.registry
    workflow = run.workflow
    reasons = []
    pairs = [(workflow, workflow.spec, new.spec, None)]
    for sub in workflow.subprocesses.values():
        if sub.is_completed():
            continue
        if sub.spec.name not in new.subprocess_specs:
            reasons.append(Text("sub-process {name} it is in was removed", name=sub.spec.name))
            continue
        pairs.append((sub, sub.spec, new.subprocess_specs[sub.spec.name], sub.spec.name))
    for owner, old_spec, new_spec, where in pairs:
        diff = SpecDiff(registry, old_spec, new_spec)
        reached = _reached(owner, old_spec, set(history))
        for spec in diff.removed:
            if spec.name in reached:
                reasons.append(_reached_change(spec, where, None))
        for spec, attributes in diff.changed.items():
            if spec.name in reached and not _only_english_name(spec, new_spec.task_specs.get(spec.name), attributes):
                reasons.append(_reached_change(spec, where, attributes))
    return list(dict.fromkeys(reasons))


def _without_english_name(extensions) -> dict:
    extensions = dict(extensions or {})
    properties = {k: v for k, v in (extensions.get("properties") or {}).items() if k != NAME_EN}
    return {**extensions, "properties": properties} if "properties" in extensions else extensions


def _only_english_name(old, new, attributes) -> bool:
    """A step whose only change is its English name (`name_en`) runs exactly as before: no blocker."""
    return (new is not None and list(attributes) == ["extensions"]
            and _without_english_name(getattr(old, "extensions", None))
            == _without_english_name(getattr(new, "extensions", None)))


def _drop_stale_predictions(workflow, spec) -> None:
    """Predicted tasks whose element no longer exists are dropped; their parents re-predict when they run."""
    stale = [
        t
        for t in list(workflow.tasks.values())
        if t.has_state(TaskState.PREDICTED_MASK) and spec.task_specs.get(t.task_spec.name) is not t.task_spec
    ]
    for task in stale:
        if task.id not in workflow.tasks:
            continue
        for descendant in list(task):
            workflow.tasks.pop(descendant.id, None)
        parent = task.parent
        if parent is not None and task.id in parent._children:
            parent._children.remove(task.id)


def migrate(run: WorkflowRun, new: ProcessBundle) -> WorkflowRun:
    """Re-point the workflow's tasks at the new specs; call only when `migration_blockers` is empty.

    Only ready tasks are reset (so their predicted futures follow the new diagram); waiting timers
    keep their armed deadlines rather than being re-armed (a past deadline would fire twice).
    """
    workflow = run.workflow
    top_diff, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, new.spec, new.subprocess_specs)
    for sub_id, diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if diff is not None:
            new_spec = new.subprocess_specs[sub.spec.name]
            migrate_workflow(diff, sub, new_spec, reset_mask=TaskState.READY)
            _drop_stale_predictions(sub, new_spec)
    migrate_workflow(top_diff, workflow, new.spec, reset_mask=TaskState.READY)
    _drop_stale_predictions(workflow, new.spec)
    workflow.subprocess_specs = new.subprocess_specs
    return WorkflowRun(workflow, new)
