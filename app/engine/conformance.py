"""Deploy-gate scenarios: run a candidate procedure in memory and check it against TS ISO 10002.

A diagram that parses can still be wrong for customers: skip the acknowledgement, lose the reopen
loop, forget a deadline. So before a version goes live it is run, with a simulated clock and
generated form data, through each priority, a missed deadline, acceptance, rejection and repeated
reopens, and through every kind a customer brings (complaint, request, opinion, thanks). Stages are
read from the `iso10002_stage` property of every element executed (user tasks, scripts, events), in
the order they ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from . import formdata
from .messages import Text, message_fields
from .runner import Engine, HumanTaskView, ProcedureFailure, WorkflowRun
from .sandbox import DiagramCodeError
from .specs import ProcessBundle

REQUIRED_STAGES = (2, 3, 5, 6, 7, 8)
# A thank-you is acknowledged and closed: it has no solution to analyse, answer or notify.
REQUIRED_STAGES_BY_KIND = {"thanks": (2, 8)}
KINDS = ("complaint", "request", "opinion", "thanks")
STAGE_NAMES = {1: "receipt", 2: "acknowledgement", 3: "classification", 4: "tracking", 5: "analysis",
               6: "response", 7: "decision notification", 8: "closure"}
START = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=3)))  # a Wednesday, business hours
STEP = timedelta(minutes=5)
MAX_STEPS = 150
PRIORITIES = ("high", "normal", "low")


@dataclass(frozen=True)
class Scenario:
    label: str
    priority: str
    channel: str = "faks"
    preferred_contact: str = "eposta"
    rejections: int = 0
    miss_deadline: bool = False
    has_email: bool = True
    no_to: tuple[str, str] | None = None  # (form, boolean field) answered False every time
    silent: bool = False  # the customer never answers: the answer task is left to its timers
    kind: str = "complaint"

    @property
    def required_stages(self) -> tuple[int, ...]:
        return REQUIRED_STAGES_BY_KIND.get(self.kind, REQUIRED_STAGES)
    incident: bool = False  # an incident resolution reaches the complaint while it waits in analysis


# Rejections "past the reopen limit": the limit the diagram sets at registration, plus one.
PAST_THE_LIMIT = -1
DEFAULT_CHANNELS = ("faks", "telefon")
CONTACTS = ("eposta", "telefon")


def _boolean_fields(forms: dict) -> list[tuple[str, str]]:
    return sorted((form, name) for form, schema in forms.items() if isinstance(schema, dict)
                  for name, sub in (schema.get("properties") or {}).items()
                  if isinstance(sub, dict) and sub.get("type") == "boolean")


def happy_paths(channels=DEFAULT_CHANNELS) -> tuple[Scenario, ...]:
    """Each intake channel, decision by e-mail, accepted: what every other registration instant runs."""
    return tuple(Scenario(f"channel={c}, decision by eposta, accepted", "normal", channel=c) for c in channels)


# The message an incident (outage) resolution sends to every linked complaint waiting in analysis.
INCIDENT_RESOLVED_MESSAGE = "Arıza çözüldü"
INCIDENT_SAMPLE = {"incident_id": 1, "root_cause_category": "network_infrastructure",
                   "root_cause": "Fiber kablo kesildi.", "solution": "Kablo onarıldı; hizmet yeniden verildi."}


def catches_incident_resolution(bundle: ProcessBundle) -> bool:
    """True when some element of the diagram waits for the incident resolution message."""
    return any(isinstance(getattr(t, "event_definition", None), MessageEventDefinition)
               and t.event_definition.name == INCIDENT_RESOLVED_MESSAGE
               for spec in (bundle.spec, *bundle.subprocess_specs.values()) for t in spec.task_specs.values())


def scenarios(channels=DEFAULT_CHANNELS, forms: dict | None = None) -> tuple[Scenario, ...]:
    """Every intake channel with each way of telling the decision, with and without an e-mail address,
    each priority, a missed deadline, acceptance, rejection, rejections past the reopen limit, a
    customer who never answers, each kind (request, opinion, thanks), and every yes/no question of every
    form answered "no" each time it is
    asked: a branch no scenario takes is a branch the gate cannot vouch for."""
    found = [Scenario(f"channel={c}, decision by {contact}, accepted", "normal", channel=c, preferred_contact=contact)
             for c in channels for contact in CONTACTS]
    found += [Scenario(f"priority={p}, accepted", p) for p in PRIORITIES if p != "normal"]
    found += [
        Scenario("priority=normal, deadline missed, accepted", "normal", miss_deadline=True),
        Scenario("priority=high, rejected once", "high", rejections=1),
        Scenario("priority=low, rejected past the reopen limit", "low", rejections=PAST_THE_LIMIT),
        Scenario("priority=normal, decision by phone, rejected once", "normal", channel="telefon",
                 preferred_contact="telefon", rejections=1),
        Scenario("channel=telefon, decision by telefon, no e-mail address, accepted", "normal", channel="telefon",
                 preferred_contact="telefon", has_email=False),
        Scenario("priority=normal, the customer never answers", "normal", silent=True),
        Scenario("kind=request, deadline missed, rejected once", "normal", kind="request", miss_deadline=True,
                 rejections=1),
        Scenario("kind=request, channel=telefon, decision by telefon, accepted", "normal", kind="request",
                 channel="telefon", preferred_contact="telefon"),
        Scenario("kind=opinion, accepted", "low", kind="opinion"),
        Scenario("kind=opinion, the customer never answers", "normal", kind="opinion", silent=True),
        *(Scenario(f"kind=thanks, channel={c}", "normal", kind="thanks", channel=c)
          for c in ("faks", "telefon", "web")),
    ]
    for form, name in _boolean_fields(forms or {}):
        for has_email in (True, False):
            found.append(Scenario(f"decision by telefon, {form}.{name} always 'no'"
                                  + ("" if has_email else ", no e-mail address"), "normal", channel="telefon",
                                  preferred_contact="telefon", has_email=has_email, no_to=(form, name)))
    return tuple(found)



def _said(exc: BaseException):
    """An error as a parameter of a sentence: a translatable `Text` when the engine made one."""
    text = exc.args[0] if isinstance(exc, ProcedureFailure) and exc.args else None
    return text if isinstance(text, Text) else exc


def problem(message: str, element: str | None = None, stage: int | None = None, path: str | None = None) -> dict:
    return {"element": element, **message_fields(message), "stage": stage, "path": path}


def _element_of(exc: Exception) -> str | None:
    if isinstance(exc, ProcedureFailure):
        return exc.element
    spec = getattr(exc, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


def _stage(task) -> int | None:
    value = ((task.task_spec.extensions or {}) if hasattr(task.task_spec, "extensions") else {}) \
        .get("properties", {}).get("iso10002_stage")
    return int(value) if value is not None and str(value).strip().isdigit() else None


def _waiting_timers(run: WorkflowRun) -> list[tuple[str, object]]:
    """(element id, evaluated value) of every armed timer."""
    found = []
    for task in run.workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            found.append((task.task_spec.bpmn_id, task.internal_data.get("event_value")))
    return found


def _has_offset(value) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@dataclass
class _Simulation:
    engine: Engine
    bundle: ProcessBundle
    forms: dict
    scenario: Scenario
    horizon_days: int = 30
    at: datetime = START
    path: str = ""
    problems: list = field(default_factory=list)
    trace: list = field(default_factory=list)  # (stage, element id) in the order elements ran
    rejected_at: list = field(default_factory=list)  # trace length after each rejection
    run: WorkflowRun | None = None
    # A failure every further scenario would repeat (the start fails, or a script ran out of time):
    # the gate stops there instead of paying the script's time limit once per scenario.
    decisive: bool = False
    _seen: set = field(default_factory=set)
    _deadline_checked: set = field(default_factory=set)
    _priority_set: bool = False
    _missed: bool = False
    _timers_checked: set = field(default_factory=set)
    _rejections: int = 0
    _incident_sent: bool = False

    def fail(self, message, element=None, stage=None):
        self.problems.append(problem(message, element, stage, self.path or self.scenario.label))

    def execute(self) -> None:
        seed = {"registration_number": f"SK-{self.at.year}-000001", "channel": self.scenario.channel,
                "received_at": self.at.isoformat(), "preferred_contact": self.scenario.preferred_contact,
                "customer_has_email": self.scenario.has_email, "kind": self.scenario.kind, "category": None,
                "service_impact": "other", "customer_segment": "individual", "repeat_complaint": False}
        try:
            self.run = self.engine.start(self.bundle, seed, at=self.at)
        except Exception as exc:  # noqa: BLE001 - analysts' scripts can fail in any way
            self.decisive = True
            return self.fail(Text("the procedure fails at its start: {error}", error=_said(exc)), _element_of(exc))
        self._rejections = self.scenario.rejections
        if self._rejections == PAST_THE_LIMIT:
            limit = self.run.data_snapshot().get("reopen_limit")
            self._rejections = (limit if isinstance(limit, int) and 0 <= limit < 20 else 3) + 1
        self._record()
        for _ in range(MAX_STEPS):
            if self.run.is_completed:
                return self._check_trace()
            try:
                if not self._step():
                    return None
            except Exception as exc:  # noqa: BLE001
                self.decisive = isinstance(exc, ProcedureFailure) and exc.kind in ("timeout", "too_large")
                return self.fail(Text("the procedure fails: {error}", error=_said(exc)), _element_of(exc))
            self._record()
        return self.fail(Text("the complaint is not closed after {steps} steps", steps=MAX_STEPS))

    def _step(self) -> bool:
        views = self.run.ready_human_tasks()
        for view in views:
            if view.iso_stage == 5 and not view.escalation and view.guid not in self._deadline_checked:
                self._deadline_checked.add(view.guid)
                if not self._check_deadline(view, views):
                    return False
                if self.scenario.miss_deadline and not self._missed:
                    return self._miss_deadline(views)
            if (view.iso_stage == 5 and not view.escalation and self.scenario.incident and not self._incident_sent
                    and self.run.waits_for_message(INCIDENT_RESOLVED_MESSAGE)):
                return self._resolve_incident(view)
        if self.scenario.silent:
            views = [v for v in views if not self._is_answer(v)]
        if not views:
            due = self.run.next_timer_at()
            if due is None:
                waiting = [t.task_spec.bpmn_id for t in self.run.workflow.get_tasks(state=TaskState.WAITING)]
                self.fail(Text("the procedure stops before closure: nothing is left to do"),
                          next((w for w in waiting if w), None))
                return False
            self.at = max(self.at, due) + STEP
            self.run.fire_due_timers(at=self.at)
            return True
        return self._complete(views[0])

    def _resolve_incident(self, view: HumanTaskView) -> bool:
        """The incident is resolved while the complaint waits in analysis: its decision must become the
        complaint's solution and reach the customer."""
        self._incident_sent = True
        self.at += STEP
        if not self.run.deliver_message(INCIDENT_RESOLVED_MESSAGE, INCIDENT_SAMPLE, at=self.at):
            self.fail(Text("the incident resolution message is not taken in analysis ({task})", task=view.spec_name),
                      view.spec_name, 5)
            return False
        if self.run.data_snapshot().get("solution") != INCIDENT_SAMPLE["solution"]:
            self.fail(Text("an incident resolution does not carry its solution into the response"), view.spec_name, 6)
            return False
        return True

    def _is_answer(self, view: HumanTaskView) -> bool:
        """The task that records the customer's accept / reject."""
        schema = self.forms.get(view.form) or {}
        return any({"accepted", "rejected"} <= set(formdata.options(sub))
                   for sub in (schema.get("properties") or {}).values() if isinstance(sub, dict))

    def _check_deadline(self, view: HumanTaskView, views) -> bool:
        timers = _waiting_timers(self.run)
        if not timers:
            self.fail(Text("no deadline timer is armed while the complaint is in stage 5 ({task})",
                           task=view.spec_name), view.spec_name, 5)
            return False
        return True

    def _miss_deadline(self, views) -> bool:
        self._missed = True
        due = self.run.next_timer_at()
        before = {v.guid for v in views}
        self.at = max(self.at, due) + STEP
        self.run.fire_due_timers(at=self.at)
        if not {v.guid for v in self.run.ready_human_tasks()} - before:
            timers = [t for t, _ in _waiting_timers(self.run)]
            self.fail(Text("the missed solution deadline raises no task for anyone"), timers[0] if timers else None, 5)
        return True

    def _overrides(self, schema: dict, form: str | None = None) -> tuple[dict, bool]:
        overrides, rejecting = {}, False
        for name, sub in (schema.get("properties") or {}).items():
            if self.scenario.no_to == (form, name):
                overrides[name] = False
                continue
            choices = formdata.options(sub) if isinstance(sub, dict) else []
            if {"accepted", "rejected"} <= set(choices):
                rejecting = len(self.rejected_at) < self._rejections
                overrides[name] = "rejected" if rejecting else "accepted"
            elif name == "priority" and self.scenario.priority in choices:
                overrides[name] = self.scenario.priority
        return overrides, rejecting

    def _complete(self, view: HumanTaskView) -> bool:
        schema = self.forms.get(view.form) or {}
        overrides, rejecting = self._overrides(schema, view.form)
        self.at += STEP
        candidates = [formdata.sample_object(schema, overrides)]
        if not self._priority_set:
            candidates = formdata.variants(schema, overrides)
        saved = self.run.serialize() if len(candidates) > 1 else None
        for data in candidates:
            invalid = formdata.errors(schema, data) if schema else []
            if invalid:
                self.fail(Text("no valid sample answer for form {form!r}: {detail}", form=view.form, detail=invalid[0]),
                          view.spec_name)
                return False
            self.run.complete(view.guid, data, at=self.at)
            priority = self.run.data_snapshot().get("priority")
            if self._priority_set or priority is None or priority == self.scenario.priority:
                break
            if saved is not None and data is not candidates[-1]:
                self.run = self.engine.restore(self.bundle, saved)
        if not self._priority_set and self.run.data_snapshot().get("priority") is not None:
            self._priority_set = True
            if self.run.data_snapshot().get("priority") != self.scenario.priority:
                self.fail(Text("no answer to {task} gives priority {priority!r}", task=view.spec_name,
                               priority=self.scenario.priority),
                          view.spec_name, 3)
                return False
        if rejecting:
            self._record()
            self.rejected_at.append((len(self.trace), view.spec_name))
        return True

    def _record(self) -> None:
        fresh = [t for t in self.run.workflow.get_tasks(state=TaskState.COMPLETED) if t.id not in self._seen]
        for task in sorted(fresh, key=lambda t: (t.last_state_change, t.depth)):
            self._seen.add(task.id)
            if task.task_spec.bpmn_id:
                self.trace.append((_stage(task), task.task_spec.bpmn_id))
        for element, value in _waiting_timers(self.run):
            if value is not None and not _has_offset(value) and not str(value).upper().startswith(("P", "R")):
                self.fail(Text("timer yields {value!r}, not an ISO 8601 date-time with a UTC offset",
                               value=value), element)
            elif _has_offset(value) and (element, value) not in self._timers_checked:
                self._timers_checked.add((element, value))
                self._check_horizon(element, datetime.fromisoformat(value))

    def _check_horizon(self, element: str, due: datetime) -> None:
        """A deadline beyond the horizon is a typo or a hostile diagram, never an ISO 10002 deadline."""
        latest = self.engine.calendar.add_business_days(self.at, self.horizon_days)
        if due > latest:
            self.fail(Text("timer is due {due}, more than {days} business days after the step that armed it "
                           "({armed}); the deadline horizon is {days} business days", due=due.isoformat(),
                           days=self.horizon_days, armed=self.at.isoformat()), element)

    def _check_trace(self) -> None:
        stages = [(s, e) for s, e in self.trace if s is not None]
        required = self.scenario.required_stages
        position = 0
        for stage, _ in stages:
            if position < len(required) and stage == required[position]:
                position += 1
        if position < len(required):
            missing = required[position]
            seen = {s for s, _ in stages}
            after = required[position - 1] if position else None
            how = "never passes" if missing not in seen else "passes out of order"
            jumped = next((e for s, e in stages if s > missing), None)
            self.fail(f"the complaint is closed but {how} stage {missing} ({STAGE_NAMES[missing]})"
                      + (f" after stage {after} ({STAGE_NAMES[after]})" if after else "")
                      + (f"; {jumped} runs without it" if jumped else ""), jumped, missing)
        if self._rejections and not self.rejected_at:
            self.fail(Text("the customer cannot reject the solution: no task offers 'accepted' / 'rejected' "
                           "before closure"), None, 8)
        for index, element in self.rejected_at:
            following = [s for s, _ in self.trace[index:] if s not in (None, 4, 8)]
            if not following or following[0] != 5:
                self.fail(Text("rejecting the solution does not lead back to stage 5 (analysis): the reopen path "
                               "is lost"), element, 8)
                break


def _evaluate_timers(engine: Engine, bundle: ProcessBundle, sample: dict) -> list[dict]:
    """Every timer expression, evaluated on the data of a simulated complaint."""
    problems = []
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition):
                continue
            element = task_spec.bpmn_id
            try:
                value = engine.script_engine.environment.evaluate(definition.expression, dict(sample))
            except (Exception, DiagramCodeError) as exc:  # noqa: BLE001
                problems.append(problem(Text("timer expression {expression!r} fails on sample data: {error}",
                                             expression=definition.expression, error=_said(exc)), element))
                continue
            if isinstance(definition, TimeDateEventDefinition) and not _has_offset(value):
                problems.append(problem(Text("timer expression {expression!r} gives {value!r}, not an ISO 8601 "
                                             "date-time string with a UTC offset", expression=definition.expression,
                                             value=value), element))
            elif isinstance(definition, DurationTimerEventDefinition) and not str(value).upper().startswith("P"):
                problems.append(problem(Text("timer expression gives {value!r}, not an ISO 8601 duration",
                                             value=value), element))
    return problems


def _sample_data(run: WorkflowRun | None) -> dict:
    merged: dict = {}
    if run is None:
        return merged
    for task in sorted(run.workflow.get_tasks(), key=lambda t: t.last_state_change):
        if task.state in (TaskState.COMPLETED, TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            merged.update(task.data)
    merged.update(run.workflow.data)
    return merged


def _runs(channels, forms, instants, extra=()):
    """(scenario, registration instant, path label): every scenario at the fixed instant, then the happy
    path of every channel at each other instant (today, a year end, a half day, years ahead ...)."""
    for scenario in (*scenarios(channels, forms), *extra):
        yield scenario, START, scenario.label
    for label, at in instants:
        if at == START:
            continue
        for scenario in happy_paths(channels):
            yield scenario, at, f"registered {at.strftime('%Y-%m-%d %H:%M')} ({label}), {scenario.label}"


def simulated_instants(instants=()) -> list[tuple[str, datetime]]:
    """The registration instants the scenarios use, the fixed one first."""
    return [("the fixed date", START), *((label, at) for label, at in instants if at != START)]


def check_conformance(engine: Engine, bundle: ProcessBundle, forms: dict, *, channels=DEFAULT_CHANNELS,
                      horizon_days: int = 30, instants=()) -> list[dict]:
    """Run every scenario; problems name the stage, the path and the element where possible.

    `instants`: (label, aware datetime) pairs at which every channel's happy path is registered too, so
    code that fails only on another date (a time bomb) is found. The first decisive failure (the start
    fails, or a script runs out of time or memory) ends the run: every later scenario would repeat it."""
    problems, sample = [], {}
    extra = ()
    if catches_incident_resolution(bundle):
        extra = (Scenario("incident resolved while in analysis, decision by e-mail, accepted", "normal",
                          incident=True),
                 Scenario("incident resolved while in analysis, decision by phone, rejected once", "normal",
                          channel="telefon", preferred_contact="telefon", rejections=1, incident=True))
    for scenario, at, path in _runs(channels, forms, instants, extra):
        simulation = _Simulation(engine, bundle, forms, scenario, horizon_days, at=at, path=path)
        simulation.execute()
        problems.extend(simulation.problems)
        if not sample:
            sample = _sample_data(simulation.run)
        if simulation.decisive:
            break
    if sample:
        problems.extend(_evaluate_timers(engine, bundle, sample))
    unique, seen = [], set()
    for item in problems:
        key = (item["element"], item["message"])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def user_tasks(bundle: ProcessBundle) -> list[dict]:
    """Every user task of the bundle as plain values: id, name, lane and spiffworkflow properties."""
    found = []
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "manual", False):
                found.append({"id": task_spec.bpmn_id, "name": task_spec.bpmn_name, "lane": task_spec.lane,
                              "properties": dict((task_spec.extensions or {}).get("properties", {}))})
    return found
