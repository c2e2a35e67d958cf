"""The gate's sentences about a hostile diagram reach a Turkish analyst in Turkish, an English one in English."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from app import problem_text

from . import procedure_edits as edits
from .test_gate_corpus import gate_within

# Words no Turkish sentence of the gate contains (element ids such as script_register are one word).
ENGLISH = re.compile(r"\b(the|is|does|not|which|did|finish|fails|uses|may|call|exist|points|lists|has|no)\b")


def _with_register_line(line: str):
    return lambda bpmn, forms: (edits.replace_once(bpmn, "reopen_limit = 3\n", f"reopen_limit = 3\n{line}\n"), forms)


HOSTILE = [
    ("a runaway registration script", _with_register_line("while True:\n    pass"), "did not finish in 1 s"),
    ("a script that reads a server file", _with_register_line("secret = open('/etc/passwd').read()"),
     "script uses open, which diagram code may not call"),
    ("a flow to nothing", lambda b, f: (edits.replace_once(b, 'sourceRef="send_survey" targetRef="end_closed"',
                                                         'sourceRef="send_survey" targetRef="end_gone"'), f),
     "Sequence flow flow_survey_end points to end_gone, which does not exist."),
    ("a task in two lanes", lambda b, f: (edits.replace_once(
        b, "<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>task_ack_escalation</bpmn:flowNodeRef>\n<bpmn:flowNodeRef>task_classify</bpmn:flowNodeRef>"),
        f), "it must be in exactly one lane"),
]


@pytest.mark.parametrize(("case", "edit", "english"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_diagram_reads_in_turkish_without_english_and_in_english_as_the_engine_said_it(
        app, case, edit, english):
    _, problems = gate_within(app, *edit(*edits.shipped()))
    assert problems
    with app.test_request_context(), force_locale("tr"):
        turkish = problem_text.problems(problems)
    with app.test_request_context(), force_locale("en"):
        in_english = problem_text.problems(problems)
    for item in turkish:
        assert not ENGLISH.search(item["message"]), item["message"]
    assert [p["message"] for p in in_english] == [p["message"] for p in problems]
    assert any(english in p["message"] for p in in_english), in_english
