"""Run one complaint's workflow: start, restore, complete a user task, fire timers, save.

This is the only code that drives SpiffWorkflow objects; callers get plain values back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from ..calendar import BusinessCalendar
from . import clock, sandbox, scripting, watchdog
from .messages import Text
from .serialization import dump_state, load_state
from .specs import ProcessBundle

TIMER_EVENT_TYPES = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


# Engine steps (scripts, gateways, events) one action may run before it is stopped: a diagram that
# loops without ever waiting for a person or a timer would otherwise hold its worker for good.
STEP_BUDGET = 2_000


class TaskNotReady(Exception):
    """The task is not (or no longer) waiting for a person."""


class ProcedureFailure(Exception):
    """Diagram code failed or was stopped while the procedure ran; nothing of the step is kept.

    `kind`: 'timeout', 'too_large', 'refused' (the sandbox stopped it), 'loop' (step budget spent) or
    'error' (an ordinary error in the diagram's code or data). `element` is the BPMN id, `name` its label.
    """

    def __init__(self, kind: str, element: str | None, name: str | None, detail: str):
        self.kind, self.element, self.name, self.detail = kind, element, name, detail
        if name and name != element:
            text = Text("{name} ({element}): {detail}", name=name, element=element, detail=detail)
        elif element:
            text = Text("{element}: {detail}", element=element, detail=detail)
        else:
            text = Text("the diagram: {detail}", detail=detail)
        super().__init__(text)


def _failure_from(exc: Exception) -> ProcedureFailure:
    cause = exc
    while cause is not None and not isinstance(cause, sandbox.DiagramCodeError):
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    spec = getattr(getattr(exc, "task", None), "task_spec", None) or getattr(exc, "task_spec", None) \
        or getattr(cause, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    name = getattr(spec, "bpmn_name", None)
    reason = cause.args[0] if cause is not None and cause.args else str(cause)
    if isinstance(cause, sandbox.ScriptTimeout):
        return ProcedureFailure("timeout", element, name, Text("the script {reason}", reason=reason))
    if isinstance(cause, sandbox.ScriptTooLarge):
        return ProcedureFailure("too_large", element, name, Text("the script stopped: {reason}", reason=reason))
    if isinstance(cause, sandbox.ScriptRefused):
        return ProcedureFailure("refused", element, name, Text("the script is not allowed: {reason}", reason=reason))
    original = getattr(exc, "exception", None)
    detail = f"{type(original).__name__}: {original}" if original is not None else str(exc)
    return ProcedureFailure("error", element, name, detail[:sandbox.MAX_DETAIL])


class _StepBudget:
    def __init__(self, budget: int):
        self.left = budget

    def __call__(self, task) -> None:
        self.left -= 1
        if self.left < 0:
            spec = task.task_spec
            raise ProcedureFailure("loop", spec.bpmn_id or spec.name, spec.bpmn_name,
                                   Text("the procedure ran {steps} steps without waiting for anyone; it loops "
                                        "without a user task or timer", steps=STEP_BUDGET))


@dataclass(frozen=True)
class HumanTaskView:
    """What the inbox needs to know about a ready user task."""

    guid: str
    spec_name: str
    name: str
    lane: str | None
    form: str | None
    iso_stage: int | None
    escalation: str | None
    due: datetime | None
    instructions: str | None
    properties: dict


_FINISHED = TaskState.COMPLETED
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class Survey:
    """What one walk over the task tree found; valid until the workflow changes again.

    The walk visits tasks in the library's depth-first order and applies its iteration rules (no
    descending into a finished sub-process when looking for ready, open or completed tasks; no
    descending below a predicted task), so these lists equal what `get_tasks` with the matching
    filter returns, for the price of one walk instead of four.
    """

    __slots__ = ("ready_manual", "open", "finished_since", "top_level")

    def __init__(self, workflow: BpmnWorkflow, since: float):
        self.ready_manual: list = []
        self.open: list = []
        self.finished_since: list = []
        self.top_level: list = []  # every task of the top workflow, in tree order (for compaction)
        subprocesses = workflow.subprocesses
        # (task, inside a finished sub-process, an ancestor was predicted, an ancestor was unfinished)
        stack = [(workflow.task_tree, False, False, False)]
        while stack:
            task, in_done, below_predicted, below_unfinished = stack.pop()
            state = task._state
            if task.workflow is workflow:
                self.top_level.append(task)
            if not in_done:
                if state & _OPEN and not below_predicted:
                    self.open.append(task)
                    if state == TaskState.READY and task.task_spec.manual:
                        self.ready_manual.append(task)
                elif state == _FINISHED and not below_unfinished and task.last_state_change >= since:
                    self.finished_since.append(task)
            subprocess = subprocesses.get(task.id)
            if subprocess is None:
                pass_predicted = below_predicted or state < TaskState.FUTURE
                pass_unfinished = below_unfinished or state < _FINISHED
                children = [(child, in_done, pass_predicted, pass_unfinished) for child in task.children]
            else:
                done = in_done or state >= _FINISHED
                children = [(subprocess.task_tree, done, below_predicted, below_unfinished)]
                children += [(child, in_done, below_predicted, below_unfinished) for child in task.children]
            stack.extend(reversed(children))


def _parse_instant(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


class WorkflowRun:
    """One workflow loaded in memory for one use case; collects the messages its scripts queue."""

    def __init__(self, workflow: BpmnWorkflow, bundle: ProcessBundle):
        self.workflow = workflow
        self.bundle = bundle
        self.effects: list[dict] = []
        self._started = time.time()
        # What the watchdog's marker says about this run (the instance, or the registration it starts).
        self.watch: dict = {}

    def _drive(self, at: datetime | None, action, kind: str) -> None:
        """Run `action` and every engine step it makes possible; diagram failures become ProcedureFailure.

        `kind` ('start', 'complete', 'timers', 'message') goes into the watchdog's marker with `watch`."""
        effects, token = scripting.collect_effects()
        budget = _StepBudget(STEP_BUDGET)
        marker = watchdog.start_action({**self.watch, "action": kind})
        try:
            with clock.frozen(at):
                action()
                self.workflow.do_engine_steps(will_complete_task=budget)
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps(will_complete_task=budget)
        except ProcedureFailure:
            raise
        except (SpiffWorkflowException, sandbox.DiagramCodeError) as exc:
            raise _failure_from(exc) from exc
        finally:
            watchdog.end_action(marker)
            scripting.stop_collecting(token)
        self.effects.extend(effects)

    def complete(self, task_guid: str, data: dict, at: datetime | None = None) -> None:
        if "typename" in data:
            raise ValueError("'typename' cannot be used as a field name")
        try:
            task = self.workflow.get_task_from_id(UUID(task_guid))
        except Exception as exc:
            raise TaskNotReady(task_guid) from exc
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_guid)

        def run_task():
            task.set_data(**data)
            task.run()

        self._drive(at, run_task, "complete")

    def set_variable(self, name: str, value) -> int:
        """Give a process variable a new value in every open task (ready, waiting, started), so the
        steps still to come read it; finished steps keep what they saw. Returns how many tasks took it.

        Staff correcting a fact the diagram branches on (the kind of a registration) use this: a gateway
        or script not yet reached decides by the corrected value.
        """
        if name.startswith("_") or name == "typename":
            raise ValueError(f"{name!r} cannot be a process variable")
        open_tasks = self.survey().open
        for task in open_tasks:
            task.data[name] = value
        return len(open_tasks)

    def fire_due_timers(self, at: datetime | None = None) -> None:
        self._drive(at, lambda: None, "timers")

    def _message_catcher(self, name: str):
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                return task
        return None

    def waits_for_message(self, name: str) -> bool:
        """True while an event of the diagram is waiting for the message called `name`."""
        return self._message_catcher(name) is not None

    def deliver_message(self, name: str, payload: dict, at: datetime | None = None) -> bool:
        """Hand the message `name` to the event waiting for it and run on; False if none waits or the
        diagram's correlation (its correlation properties read from `payload`) belongs to another one."""
        catcher = self._message_catcher(name)
        if catcher is None:
            return False
        definition = catcher.task_spec.event_definition
        try:
            with clock.frozen(at):
                correlations = definition.calculate_correlations(
                    self.workflow.script_engine, definition.correlation_properties, dict(payload))
        except (Exception, sandbox.DiagramCodeError) as exc:  # noqa: BLE001 - correlation expressions are diagram code
            raise _failure_from(exc) from exc
        event = BpmnEvent(definition, payload=dict(payload), correlations=correlations)
        if not definition.catches(catcher, event):
            return False
        self._drive(at, lambda: self.workflow.send_event(event), "message")
        return True

    def survey(self) -> Survey:
        """One walk over the task tree, shared by the views, the data snapshot and compaction of one save."""
        return Survey(self.workflow, self._started)

    def ready_human_tasks(self, survey: Survey | None = None) -> list[HumanTaskView]:
        views = []
        for task in (survey or self.survey()).ready_manual:
            spec = task.task_spec
            props = dict((spec.extensions or {}).get("properties", {}))
            due_var = props.get("due")
            stage = props.get("iso10002_stage")
            views.append(
                HumanTaskView(
                    guid=str(task.id),
                    spec_name=spec.bpmn_id or spec.name,
                    name=spec.bpmn_name or spec.bpmn_id or spec.name,
                    lane=spec.lane,
                    form=props.get("form"),
                    iso_stage=int(stage) if stage and str(stage).isdigit() else None,
                    escalation=props.get("escalation"),
                    due=_parse_instant(task.data.get(due_var)) if due_var else None,
                    instructions=(spec.extensions or {}).get("instructionsForEndUser"),
                    properties=props,
                )
            )
        return views

    def task_data(self, task_guid: str) -> dict:
        task = self.workflow.get_task_from_id(UUID(task_guid))
        return dict(task.data) if task is not None else {}

    def data_snapshot(self, survey: Survey | None = None) -> dict:
        """The newest known values after this run.

        Merged in order: open escalation branches (their copy is from when the timer fired), tasks
        completed during this run (oldest first, so a closing script's values survive the end of the
        main path), then the open main-path tasks, which win.
        """
        def is_escalation(task) -> bool:
            extensions = getattr(task.task_spec, "extensions", None) or {}
            return bool(extensions.get("properties", {}).get("escalation"))

        survey = survey or self.survey()
        open_tasks = survey.open
        finished = sorted(survey.finished_since, key=lambda t: t.last_state_change)
        merged: dict = {}
        for task in [t for t in open_tasks if is_escalation(t)] + finished + \
                [t for t in open_tasks if not is_escalation(t)]:
            merged.update(task.data)
        if self.workflow.is_completed():
            merged.update(self.workflow.data)
        return merged

    def next_timer_at(self) -> datetime | None:
        instants = []
        for event in self.workflow.waiting_events():
            if event.event_type not in TIMER_EVENT_TYPES or not event.value:
                continue
            try:
                instants.append(TimerEventDefinition.get_datetime(str(event.value)))
            except ValueError:
                continue
        return min(instants) if instants else None

    @property
    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    def compact(self, survey: Survey | None = None) -> int:
        """Drop finished history from the task tree, so a reopened complaint costs what a fresh one does.

        SpiffWorkflow grows the tree on every pass through the reopen loop, and each later step walks
        and serializes every earlier pass. What the desk keeps of finished steps lives in the audit log
        and the inbox rows, so finished tasks are removed; kept are the root, unfinished tasks, the
        parents of tasks still waiting to start (they inherit data from them), and boundary-event
        splits above open work (their joins look them up as ancestors). Returns the tasks removed.
        """
        workflow = self.workflow
        root = workflow.task_tree
        survey = survey or self.survey()
        open_tasks = [t for t in survey.top_level if t._state & TaskState.NOT_FINISHED_MASK]
        if not open_tasks:
            return 0
        above_open: set = set()
        for task in open_tasks:
            node = task.parent
            while node is not None and node.id not in above_open:
                above_open.add(node.id)
                node = node.parent
        keep = {root.id} | {t.id for t in open_tasks}
        for task in open_tasks:
            if not task.state & (TaskState.READY | TaskState.STARTED) and task.parent is not None:
                keep.add(task.parent.id)
        keep |= {i for i in above_open if workflow.tasks[i].task_spec.name.endswith("EventSplit")}
        if len(keep) == len(workflow.tasks):
            return 0
        new_parent = {}
        for task_id in keep - {root.id}:
            node = workflow.tasks[task_id].parent
            while node.id not in keep:
                node = node.parent
            new_parent[task_id] = node.id
        ordered = [t.id for t in survey.top_level if t.id in keep]
        for task_id in keep:
            workflow.tasks[task_id]._children = []
        for task_id in ordered:
            if task_id in new_parent:
                workflow.tasks[task_id]._parent = new_parent[task_id]
                workflow.tasks[new_parent[task_id]]._children.append(task_id)
        removed = [task_id for task_id in workflow.tasks if task_id not in keep]
        for task_id in removed:
            del workflow.tasks[task_id]
            self._drop_subprocess(task_id)
        if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
            workflow.last_task = None
        return len(removed)

    def _drop_subprocess(self, task_id) -> None:
        subprocess = self.workflow.subprocesses.pop(task_id, None)
        if subprocess is not None:
            for inner_id in list(subprocess.tasks):
                self._drop_subprocess(inner_id)

    def serialize(self, survey: Survey | None = None) -> str:
        """The state to store, compacted; `survey` (taken after the last change) spares another walk."""
        self.compact(survey)
        try:
            return dump_state(self.workflow)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ProcedureFailure("error", None, None, f"the procedure's data cannot be saved: {exc}"[:300]) from exc


class Engine:
    """The workflow engine configured for this desk (script environment with its business calendar)."""

    def __init__(self, calendar: BusinessCalendar, limits: sandbox.Limits | None = None):
        self.calendar = calendar
        self.limits = limits or sandbox.Limits()
        self.script_engine = scripting.build_script_engine(calendar, self.limits)

    def start(self, bundle: ProcessBundle, data: dict, at: datetime | None = None) -> WorkflowRun:
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=self.script_engine)
        start = workflow.get_tasks(state=TaskState.READY)[0]
        start.set_data(**data)
        run = WorkflowRun(workflow, bundle)
        run.watch = {"registration_number": data.get("registration_number"), "channel": data.get("channel")}
        run._drive(at, lambda: None, "start")
        return run

    def restore(self, bundle: ProcessBundle, state_json: str) -> WorkflowRun:
        workflow = load_state(state_json, bundle.spec, bundle.subprocess_specs)
        workflow.script_engine = self.script_engine
        return WorkflowRun(workflow, bundle)

    def restore_instance(self, bundle: ProcessBundle, state_json: str, instance_id: int) -> WorkflowRun:
        """`restore`, with the instance named for the watchdog's marker."""
        run = self.restore(bundle, state_json)
        run.watch = {"instance_id": instance_id}
        return run
