"""The deploy gate: every check a candidate procedure must pass before it can reach a customer.

Order matters: safe XML and SpiffWorkflow parsing first (nothing else can run without them), then
static checks tied to diagram elements (forms, lanes, expressions), and only when those are clean
the conformance scenarios, which execute the analysts' Python. Results are cached by content, so
deploying the same diagram twice (or every test's fixture) runs the scenarios once.
"""

from __future__ import annotations

import ast
import json
from collections import OrderedDict
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app import clock
from app.bilingual import form_gaps
from app.calendar import half_days_of
from app.engine import (
    ProcessBundle,
    ProcessDefinitionError,
    check_structure,
    content_hash,
    decode_bpmn,
    lint,
    parse_bpmn,
    safe_tree,
    user_tasks,
)
from app.engine.conformance import simulated_instants
from app.engine.decisions import MAX_DECISION_FILES, cells
from app.engine.isolation import GateLimits, check_in_worker
from app.engine.messages import Text, message_fields
from app.engine.sandbox import ScriptRefused, compile_diagram_code, disallowed_builtins
from app.engine.scripting import MESSAGE_KINDS
from app.services import context

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
_cache: OrderedDict[str, tuple[ProcessBundle | None, list[dict]]] = OrderedDict()
_CACHE_SIZE = 32


def problem(message: str, element: str | None = None, stage: int | None = None, path: str | None = None) -> dict:
    """One problem; a `Text` message also carries its template and parameters for the UI's translation."""
    return {"element": element, **message_fields(message), "stage": stage, "path": path}


def _normalized(items: list[dict]) -> list[dict]:
    return [{**problem(p.get("message", ""), p.get("element"), p.get("stage"), p.get("path")),
             **{k: p[k] for k in ("message_id", "params") if k in p}} for p in items]


def check_forms(forms: dict) -> list[dict]:
    problems = []
    for name, schema in forms.items():
        if not isinstance(schema, dict):
            problems.append(problem(Text("form {form!r} is not a JSON object", form=name)))
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(problem(Text("form {form!r} is not a valid JSON Schema: {detail}", form=name,
                                         detail=exc.message)))
            continue
        if schema.get("type", "object") != "object":
            problems.append(problem(Text('form {form!r} must describe an object ("type": "object")', form=name)))
        elif schema.get("additionalProperties") is not False:
            # Submitted data becomes workflow variables: a form must not let a client set ones it doesn't
            # show (closed_at, solution_due, reopen_count ...).
            problems.append(problem(Text('form {form!r} must set "additionalProperties": false', form=name)))
    return problems


def english_gaps(forms: dict) -> list[dict]:
    """Warnings, never refusals: a form text with no English beside it (`x-i18n`, app/bilingual.py),
    which English pages show in Turkish. An analyst's Turkish-only draft still deploys."""
    found = []
    for name, schema in forms.items():
        gaps = form_gaps(schema) if isinstance(schema, dict) else []
        if gaps:
            found.append(problem(Text('form {form!r} has no English (x-i18n.en) for {count} texts: {where}; English '
                                      'pages show them in Turkish', form=name, count=len(gaps),
                                      where=", ".join(gaps[:5]) + (" …" if len(gaps) > 5 else ""))))
    return found


def language_warnings(bpmn_xml: str | bytes, forms: dict) -> list[dict]:
    """What English readers would see in Turkish: steps without `name_en` (the lint's "english-name"
    warnings) and form texts without `x-i18n` English. Shown by the CLI and the modeler; never refused."""
    try:
        tree = safe_tree(bpmn_xml)
    except ProcessDefinitionError:
        return []
    steps = [f.as_problem() for f in lint(tree) if f.rule == "english-name"]
    return steps + english_gaps(forms)


def _compile(expression: str | None, element: str | None, mode: str, what: str) -> list[dict]:
    """Python syntax first (the clearer message), then the sandbox's rules and its list of builtins."""
    what = Text(what)
    if expression is None or not expression.strip():
        return [problem(Text("{what} is empty", what=what), element)]
    source = expression.strip() if mode == "eval" else expression
    try:
        compile(source, f"<{element}>", mode)
    except SyntaxError as exc:
        return [problem(Text("{what} does not compile: {error} (line {line}): {code!r}", what=what, error=exc.msg,
                             line=exc.lineno or 0, code=expression.strip()[:80]), element)]
    try:
        compile_diagram_code(source, mode)
    except ScriptRefused as exc:
        return [problem(Text("{what} is not allowed in diagram code: {reason}", what=what, reason=exc), element)]
    forbidden = disallowed_builtins(source, mode)
    if forbidden:
        return [problem(Text("{what} uses {names}, which diagram code may not call (see the README's list of what "
                             "scripts may use)", what=what, names=", ".join(forbidden)), element)]
    return []


def _message_kinds(source: str | None, element: str | None) -> list[dict]:
    """A `send_message` of a kind the desk has no e-mail for would fail at a customer's step: refuse it here."""
    try:
        tree = ast.parse(source or "", mode="exec")
    except SyntaxError:
        return []  # reported by _compile
    problems = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "send_message"):
            continue
        kind = call.args[0] if call.args else None
        if kind is not None and not isinstance(kind, ast.Constant):
            continue  # a computed kind is checked when the scenarios run it
        if kind is not None and kind.value in MESSAGE_KINDS:
            continue
        shown = repr(kind.value) if kind is not None else ""
        problems.append(problem(Text("send_message({kind}) names no message the desk can send; known: {known}",
                                     kind=shown, known=", ".join(MESSAGE_KINDS)), element))
    return problems


def shipped_decisions() -> dict[str, str]:
    """The desk's decision tables: every `*.dmn` next to PROCESS_FILE (file name → XML)."""
    return load_decisions_dir(Path(current_app.config["PROCESS_FILE"]).parent)


def load_decisions_dir(path: str | Path) -> dict[str, str]:
    return {file.name: file.read_text(encoding="utf-8") for file in sorted(Path(path).glob("*.dmn"))}


def decisions_beside(bpmn_file: str | Path, directory: str | Path | None = None) -> dict[str, str]:
    """The tables for a diagram file (CLI): `directory`'s, else those beside the file, else the shipped ones."""
    if directory is not None:
        return load_decisions_dir(directory)
    return load_decisions_dir(Path(bpmn_file).parent) or shipped_decisions()


def check_decision_cells(decisions: dict[str, str]) -> list[dict]:
    """Every cell of every table is diagram code: it must compile under the sandbox's rules.

    An input entry such as `"billing"` is compared with `==`; one that starts with an operator
    (`!= "billing"`, `< 3`) is appended to the input (SpiffWorkflow's DMN engine does the same)."""
    if len(decisions) > MAX_DECISION_FILES:
        return [problem(Text("a version may have at most {limit} decision tables", limit=MAX_DECISION_FILES))]
    problems = []
    try:
        found = cells(decisions)
    except ProcessDefinitionError as exc:
        return _normalized(exc.problems)
    for cell in found:
        text = cell.text.strip()
        if cell.kind == "rule":
            text = text.replace("?", "dmninputexpr")
            try:
                compile(text, "<cell>", "eval")
            except SyntaxError:
                text = f"dmninputexpr {text}"
        what = f"{cell.file} / {cell.decision}: " + {"input": "input expression", "rule": "input entry",
                                                      "output": "output entry"}[cell.kind]
        problems += _compile(text, cell.element, "eval", what)
    return problems


def check_call_activities(tree) -> list[dict]:
    """A call activity that (directly or through others) calls its own process would nest forever."""
    calls: dict[str, list[tuple[str, str]]] = {}
    for process in tree.iter(f"{BPMN}process"):
        calls[process.get("id")] = [(c.get("id"), c.get("calledElement") or "")
                                    for c in process.iter(f"{BPMN}callActivity")]
    problems, reported = [], set()

    def walk(process_id: str, path: list[str]) -> None:
        for activity, called in calls.get(process_id, []):
            if called in path:
                cycle = " → ".join([*path[path.index(called):], called])
                if activity not in reported:
                    reported.add(activity)
                    problems.append(problem(Text("call activity calls {called!r} again ({cycle}): a procedure "
                                                 "may not call itself", called=called, cycle=cycle), activity))
            elif called in calls:
                walk(called, [*path, called])

    for process_id in calls:
        walk(process_id, [process_id])
    return problems


def check_expressions(tree) -> list[dict]:
    """Conditions, timers and scripts are Python; a syntax error is caught here, not at a customer."""
    problems = []
    for flow in tree.iter(f"{BPMN}sequenceFlow"):
        condition = flow.find(f"{BPMN}conditionExpression")
        if condition is not None:
            problems += _compile(condition.text, flow.get("id"), "eval", "condition")
    for definition in tree.iter(f"{BPMN}timerEventDefinition"):
        event_id = definition.getparent().get("id")
        expressions = [definition.find(f"{BPMN}{tag}") for tag in _TIMER_TAGS]
        expressions = [e for e in expressions if e is not None]
        if not expressions:
            problems.append(problem(Text("timer has no timeDate, timeDuration or timeCycle expression"), event_id))
        for expression in expressions:
            problems += _compile(expression.text, event_id, "eval", "timer expression")
    for script_task in tree.iter(f"{BPMN}scriptTask"):
        script = script_task.find(f"{BPMN}script")
        problems += _compile(script.text if script is not None else None, script_task.get("id"), "exec", "script")
        problems += _message_kinds(script.text if script is not None else None, script_task.get("id"))
    for tag in ("preScript", "postScript"):
        for script in tree.iter(f"{SPIFF}{tag}"):
            owner = script.getparent().getparent()
            if script.text and script.text.strip():
                problems += _compile(script.text, owner.get("id"), "exec", tag)
                problems += _message_kinds(script.text, owner.get("id"))
    for prop in tree.iter(f"{SPIFF}property"):
        if prop.get("name") == "iso10002_stage" and prop.get("value", "").strip() not in {str(i) for i in range(1, 9)}:
            owner = prop.getparent().getparent().getparent()
            problems.append(problem(Text("iso10002_stage must be 1–8, not {value!r}", value=prop.get("value")),
                                    owner.get("id")))
    return problems


def check_tasks_and_lanes(tree, bundle: ProcessBundle, forms: dict, lane_roles: dict) -> list[dict]:
    problems = []
    for lane in tree.iter(f"{BPMN}lane"):
        name = lane.get("name")
        if name not in lane_roles:
            problems.append(problem(Text("lane {lane!r} is not mapped to a staff role (LANE_ROLES)", lane=name),
                                    lane.get("id")))
    for task in user_tasks(bundle):
        form = task["properties"].get("form")
        if not form:
            problems.append(problem(Text("user task has no form property"), task["id"]))
        elif form not in forms:
            problems.append(problem(Text("form {form!r} does not exist", form=form), task["id"]))
        if task["lane"] is None:
            problems.append(problem(Text("user task is in no lane, so nobody would see it"), task["id"]))
    return problems


def run_gate(bpmn_xml: str | bytes, forms: dict, *, decisions: dict[str, str] | None = None,
             lane_roles: dict | None = None, conformance: bool = True) -> tuple[ProcessBundle | None, list[dict]]:
    """All checks; returns the parsed bundle (None when it cannot be parsed) and the problems.

    `decisions` (DMN file name → XML) defaults to the desk's shipped tables (`shipped_decisions`)."""
    decisions = shipped_decisions() if decisions is None else decisions
    lane_roles = current_app.config["LANE_ROLES"] if lane_roles is None else lane_roles
    text = bpmn_xml.decode("utf-8", "replace") if isinstance(bpmn_xml, bytes) else bpmn_xml
    limits = [current_app.config[k] for k in ("SCRIPT_TIME_LIMIT_SECONDS", "SCRIPT_MEMORY_LIMIT_MB",
                                              "GATE_TIME_LIMIT_SECONDS", "GATE_MEMORY_LIMIT_MB",
                                              "DEADLINE_HORIZON_BUSINESS_DAYS")]
    instants = [at.isoformat() for _, at in gate_instants()] if conformance else []
    key = content_hash(text, forms, decisions) + json.dumps([lane_roles, limits, instants], sort_keys=True) \
        + str(conformance)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    result = _gate(bpmn_xml, forms, decisions, lane_roles, conformance)
    _cache[key] = result
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result


def _gate(bpmn_xml, forms, decisions, lane_roles, conformance) -> tuple[ProcessBundle | None, list[dict]]:
    try:
        tree = safe_tree(bpmn_xml)
        cycles = check_call_activities(tree) or check_decision_cells(decisions)
        if cycles:
            return None, cycles
        bundle = parse_bpmn(bpmn_xml, decisions)
    except ProcessDefinitionError as exc:
        return None, _normalized(exc.problems)
    problems = check_forms(forms) + check_expressions(tree) + check_tasks_and_lanes(tree, bundle, forms, lane_roles)
    problems += check_structure(tree)
    if not problems and conformance:
        problems = _normalized(run_scenarios(bpmn_xml, forms, decisions))
    return bundle, problems


def gate_instants() -> list[tuple[str, datetime]]:
    """The registration instants the scenarios simulate: the scenarios' fixed date, and for every
    channel's happy path also today (the desk clock, to the hour), the last minute of this year, the next half day
    (a bayram eve, 30 minutes before it ends) and today three years ahead."""
    desk = context.runtime()
    tz = desk.calendar.tz
    # To the hour: the gate's results are cached by these instants, and a deploy minutes after a check reuses them.
    today = clock.now().astimezone(tz).replace(minute=0, second=0, microsecond=0)
    found = [("today", today), ("year end", datetime(today.year, 12, 31, 23, 59, tzinfo=tz))]
    half_days = sorted(d for year in (today.year, today.year + 1) for d in half_days_of(year) if d >= today.date())
    if half_days:
        end = desk.calendar.half_day_end
        found.append(("half day", datetime.combine(half_days[0], end, tzinfo=tz) - timedelta(minutes=30)))
    try:
        ahead = today.replace(year=today.year + 3)
    except ValueError:  # 29 February
        ahead = today.replace(year=today.year + 3, day=28)
    found.append(("three years ahead", ahead))
    return simulated_instants(found)


def run_scenarios(bpmn_xml: str | bytes, forms: dict, decisions: dict[str, str] | None = None) -> list[dict]:
    """The decision tables' coverage and the conformance scenarios, in the bounded gate process, with
    this desk's calendar and limits."""
    from app.services.complaints.channels import CHANNELS

    config = current_app.config
    desk = context.runtime()
    request = {
        "bpmn": decode_bpmn(bpmn_xml) if isinstance(bpmn_xml, bytes) else bpmn_xml,
        "forms": forms,
        "decisions": decisions or {},
        "calendar": {"tz": config["BUSINESS_TIMEZONE"], "day_start": config["BUSINESS_DAY_START"],
                     "day_end": config["BUSINESS_DAY_END"], "half_day_end": config["BUSINESS_HALF_DAY_END"]},
        "days_off": sorted(d.isoformat() for d in desk.calendar.extra_days_off),
        "script_limits": {"seconds": config["SCRIPT_TIME_LIMIT_SECONDS"],
                          "memory_mb": min(config["SCRIPT_MEMORY_LIMIT_MB"], config["GATE_MEMORY_LIMIT_MB"])},
        "channels": list(CHANNELS),
        "horizon_days": config["DEADLINE_HORIZON_BUSINESS_DAYS"],
        "instants": [(label, at.isoformat()) for label, at in gate_instants()],
    }
    limits = GateLimits(seconds=config["GATE_TIME_LIMIT_SECONDS"], memory_mb=config["GATE_MEMORY_LIMIT_MB"])
    return check_in_worker(request, limits)


def format_problem(item: dict) -> str:
    """One line for the CLI and logs: element, stage and path in front of the message."""
    where = [item.get("element") or "(file)"]
    if item.get("stage"):
        where.append(f"stage {item['stage']}")
    if item.get("path"):
        where.append(item["path"])
    return f"{' | '.join(where)}: {item['message']}"
