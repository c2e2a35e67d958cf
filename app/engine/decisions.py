"""Decision tables (DMN) of a process version: read them, list their expressions, and run each table
over every combination of its enumerated inputs.

A table's cells are Python expressions evaluated by SpiffWorkflow's DMN engine through the workflow's
script engine, so they run in the same RestrictedPython sandbox as scripts and conditions. The
coverage check executes analysts' expressions: it runs in the gate worker, never in a web worker.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import sandbox
from .messages import Text, message_fields
from .specs import _add_decisions, _safe_tree, space_comparisons

MAX_COMBINATIONS = 5000
MAX_PROBLEMS_PER_TABLE = 5
MAX_DECISION_FILES = 20


@dataclass(frozen=True)
class Cell:
    """One expression of a table, for the gate's static compile: where it is and what it says."""

    file: str
    decision: str
    element: str
    kind: str  # "input", "rule", "output"
    text: str


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(node, name: str):
    return next((c for c in node if _local(c.tag) == name), None)


def _text(node) -> str | None:
    text = _child(node, "text") if node is not None else None
    return text.text if text is not None else None


def cells(decisions: dict[str, str]) -> list[Cell]:
    """Every input expression, input entry and output entry of every table (the XML as written)."""
    found = []
    for name, xml in sorted(decisions.items()):
        tree = _safe_tree(xml)
        for decision in tree.iter():
            if _local(decision.tag) != "decision":
                continue
            for node in decision.iter():
                tag = _local(node.tag)
                if tag == "inputExpression":
                    found.append(Cell(name, decision.get("id"), node.getparent().get("id"), "input", _text(node) or ""))
                elif tag in ("inputEntry", "outputEntry"):
                    text = (_text(node) or "").strip()
                    if text and text != "-":
                        kind = "rule" if tag == "inputEntry" else "output"
                        found.append(Cell(name, decision.get("id"), node.getparent().get("id"), kind, text))
    return found


def _input_values(decisions: dict[str, str]) -> dict[str, str]:
    """`inputValues` of every input by input id (SpiffWorkflow's model does not keep them)."""
    values = {}
    for xml in decisions.values():
        for node in _safe_tree(xml).iter():
            if _local(node.tag) == "input":
                text = _text(_child(node, "inputValues"))
                if text and text.strip():
                    values[node.get("id")] = text
    return values


def enumerated(text: str) -> list | None:
    """`"a","b"` or `1, 2` (the list dmn-js writes as an input's values) as Python values; None when
    it is not a plain list of literals."""
    try:
        values = ast.literal_eval(f"[{text}]")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not values or not all(isinstance(v, str | int | float | bool) for v in values):
        return None
    return list(dict.fromkeys(values))


def decision_tables(decisions: dict[str, str]) -> list[tuple[str, str, object]]:
    """(file, decision id, SpiffWorkflow DecisionTable) for every table."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    _add_decisions(parser, decisions)
    tables = []
    for decision_id, dmn_parser in sorted(parser.dmn_parsers.items()):
        dmn_parser.parse()
        for table in dmn_parser.decision.decisionTables:
            space_comparisons(table)  # as parse_bpmn does: the gate checks the table that will run
            tables.append((dmn_parser.filename, decision_id, table))
    return tables


class _Probe:
    """What SpiffWorkflow's DMN engine reads of a task: its data, its workflow's script engine, its spec."""

    def __init__(self, data: dict, script_engine):
        self.data = data
        self.workflow = self
        self.script_engine = script_engine
        self.task_spec = None


def _described(names: list[str], combination: tuple) -> str:
    return ", ".join(f"{n} = {v!r}" for n, v in zip(names, combination, strict=True))


def _rules(rules) -> str:
    return ", ".join(f"{r.row_number} ({r.id})" for r in rules)


def _matches(dmn: DMNEngine, rule, probe: _Probe) -> bool:
    for entry in rule.inputEntries:
        for lhs in entry.lhs:
            if lhs is not None and not dmn.evaluate(entry.input.expression, lhs, probe):
                return False
    return True


def _domains(table, values: dict[str, str], where: str) -> tuple[list[str], list[list], list[dict]]:
    names, domains, problems = [], [], []
    for column in table.inputs:
        label = column.label or column.id
        expression = (column.expression or "").strip()
        if not expression.isidentifier():
            problems.append({"element": column.id, "message": Text(
                "{table}: input {input!r} must be a variable name ({expression!r}) so the gate can try every value",
                table=where, input=label, expression=expression[:80])})
            continue
        listed = values.get(column.id)
        domain = enumerated(listed) if listed else ([True, False] if column.typeRef == "boolean" else None)
        if domain is None:
            problems.append({"element": column.id, "message": Text(
                "{table}: input {input!r} lists no values (input values such as \"a\",\"b\"), so the gate cannot "
                "check the table for gaps and overlaps", table=where, input=label)})
            continue
        names.append(expression)
        domains.append(domain)
    return names, domains, problems


def check_table(script_engine, file: str, decision_id: str, table, values: dict[str, str]) -> list[dict]:
    """Every combination of the inputs' values: a unique table must match exactly one rule for each."""
    where = f"{file} / {decision_id}"
    names, domains, problems = _domains(table, values, where)
    if problems:
        return problems
    total = 1
    for domain in domains:
        total *= len(domain)
    if total > MAX_COMBINATIONS:
        return [{"element": table.id, "message": Text(
            "{table}: {count} input combinations are more than the gate tries ({limit})",
            table=where, count=total, limit=MAX_COMBINATIONS)}]
    dmn = DMNEngine(table)
    unique = table.hit_policy == "UNIQUE"
    for combination in itertools.product(*domains):
        probe = _Probe(dict(zip(names, combination, strict=True)), script_engine)
        try:
            matched = [rule for rule in table.rules if _matches(dmn, rule, probe)]
            for rule in matched[:1] if unique else matched:
                rule.output_as_dict(probe)
        except (Exception, sandbox.DiagramCodeError) as exc:  # noqa: BLE001 - analysts' cells fail any way
            problems.append({"element": table.id, "message": Text(
                "{table}: the table cannot be evaluated for {inputs}: {error}", table=where,
                inputs=_described(names, combination), error=str(exc)[:300])})
            break
        if unique and not matched:
            problems.append({"element": table.id, "message": Text(
                "{table}: no rule matches {inputs} (a gap)", table=where, inputs=_described(names, combination))})
        elif unique and len(matched) > 1:
            problems.append({"element": matched[1].id, "message": Text(
                "{table}: rules {rules} all match {inputs} (an overlap; the hit policy is unique)", table=where,
                rules=_rules(matched), inputs=_described(names, combination))})
        if len(problems) >= MAX_PROBLEMS_PER_TABLE:
            break
    return problems


def check_decisions(script_engine, decisions: dict[str, str]) -> list[dict]:
    """The coverage check of every table (run inside the gate worker)."""
    if not decisions:
        return []
    values = _input_values(decisions)
    problems = []
    for file, decision_id, table in decision_tables(decisions):
        problems += check_table(script_engine, file, decision_id, table, values)
    return [{"element": p["element"], **message_fields(p["message"]), "stage": None, "path": None} for p in problems]
