"""Diagram code is analysts' code: it runs in a sandbox, bounded, and the deploy gate cannot be fooled.

Each case here is an attack or a mistake that passed the gate (or ran inside the web server) before.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import current_app

from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask
from app.services.errors import ProcedureFailed
from app.services.procedure import validation, versions

from . import procedure_edits as edits
from .helpers import ANALYSIS, ist, ready_names, refreshed, register, task_named

CLASSIFY = {"priority": "normal", "category": "connection"}


def _with_register_line(line: str):
    """The registration script with one more line of analyst code."""
    def edit(bpmn: str, forms: dict) -> tuple[str, dict]:
        return edits.replace_once(bpmn, "reopen_limit = 3\n", f"reopen_limit = 3\n{line}\n"), forms
    return edit


def _gate(edit, timeout: float = 90.0) -> list[dict]:
    """Run the gate in a thread with a time limit, so a hang fails the test instead of the suite."""
    bpmn, forms = edit(*edits.shipped())
    app = current_app._get_current_object()
    found: list = []

    def run():
        with app.app_context():
            found.append(validation.run_gate(bpmn, forms)[1])

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"the gate did not answer within {timeout} s"
    return found[0]


def _messages(problems: list[dict]) -> str:
    return "\n".join(validation.format_problem(p) for p in problems)


HOSTILE_SCRIPTS = [
    # (case, line added to the registration script, words the analyst reads)
    ("import the os module", "__import__('os').system('touch /tmp/complaintflow-pwned')", "__import__"),
    ("read a server file", "secret = open('/etc/passwd').read()", "uses open"),
    ("reach Python internals", "bases = ().__class__.__bases__", "__class__"),
    ("eval a string", "x = eval('1 + 1')", "Eval calls are not allowed"),
    ("look attributes up by name", "x = getattr(channel, 'upper')", "uses getattr"),
    ("loop forever", "while True:\n    pass", "did not finish in"),
    ("exhaust memory", "padding = 'x' * 3_000_000_000", "would exceed"),
    ("a huge number", "big = 2 ** 10 ** 9", "too large a number"),
    ("fail only for the public form", "if channel == 'web':\n    1 / 0", "channel=web"),
    ("a deadline in the year 9999", "ack_due = '9999-12-31T18:00:00+03:00'", "horizon"),
]


@pytest.mark.parametrize(("case", "line", "words"), HOSTILE_SCRIPTS, ids=[c[0] for c in HOSTILE_SCRIPTS])
def test_the_gate_refuses_hostile_or_runaway_diagram_code(app, live_version, case, line, words):
    problems = _gate(_with_register_line(line))
    text = _messages(problems)
    assert words in text, text
    assert any(p["element"] in ("script_register", "timer_ack_missed") for p in problems), text
    assert not Path("/tmp/complaintflow-pwned").exists()
    with pytest.raises(Exception):  # noqa: B017 - deploy raises the gate's ProcessDefinitionError
        versions.deploy_version(*_with_register_line(line)(*edits.shipped()), author="analyst", comment=case)


def test_a_runaway_script_is_reported_by_task_and_time(app):
    problems = _gate(_with_register_line("while True:\n    pass"))
    runaway = next(p for p in problems if "did not finish" in p["message"])
    assert runaway["element"] == "script_register"
    assert "Şikâyeti kaydet" in runaway["message"] and "1 s" in runaway["message"]


def test_the_gate_process_is_bounded_in_memory_and_time(app):
    """Past the in-process checks (a higher script limit), the gate's own process still stops it."""
    # A script limit high enough that a slow machine does not stop the hog by time first.
    app.config.update(SCRIPT_MEMORY_LIMIT_MB=100_000, GATE_MEMORY_LIMIT_MB=200, SCRIPT_TIME_LIMIT_SECONDS=30)
    hog = "hog = [list(range(1000000)) for i in range(200)]"
    assert "more than 200 MB" in _messages(_gate(_with_register_line(hog)))

    app.config.update(SCRIPT_TIME_LIMIT_SECONDS=600, GATE_TIME_LIMIT_SECONDS=3)
    assert "did not finish in 3 s" in _messages(_gate(_with_register_line("while True:\n    pass")))
    # The next check gets a fresh process.
    app.config.update(SCRIPT_TIME_LIMIT_SECONDS=1, GATE_TIME_LIMIT_SECONDS=60, GATE_MEMORY_LIMIT_MB=512,
                      SCRIPT_MEMORY_LIMIT_MB=256)
    assert _gate(lambda b, f: (b, f)) == []


def _calls_itself(bpmn: str, forms: dict) -> tuple[str, dict]:
    call = ('<bpmn:callActivity id="call_again" name="Yeniden başlat" calledElement="complaint_handling">'
            '<bpmn:incoming>flow_register_channel</bpmn:incoming><bpmn:outgoing>flow_again</bpmn:outgoing>'
            '</bpmn:callActivity>'
            '<bpmn:sequenceFlow id="flow_again" sourceRef="call_again" targetRef="gw_channel" />')
    bpmn = edits.replace_once(bpmn, 'sourceRef="script_register" targetRef="gw_channel"',
                              'sourceRef="script_register" targetRef="call_again"')
    return edits.replace_once(bpmn, "</bpmn:process>", call + "</bpmn:process>"), forms


def test_a_call_activity_that_calls_its_own_process_is_refused_up_front(app):
    problems = _gate(_calls_itself, timeout=20)
    assert [p["element"] for p in problems] == ["call_again"]
    assert "may not call itself" in problems[0]["message"]


def test_every_intake_channel_and_both_notification_paths_are_simulated(app):
    """A failure that only one channel or one notification path reaches is still found."""
    for channel in ("web", "anket", "posta_kargo", "yuz_yuze"):
        text = _messages(_gate(_with_register_line(f"if channel == '{channel}':\n    1 / 0")))
        assert f"channel={channel}" in text and "ZeroDivisionError" in text
    phone_only = _with_register_line("if preferred_contact == 'telefon':\n    x = undefined_name")
    assert "decision by telefon" in _messages(_gate(phone_only))


def _hangs_on_some_findings(bpmn: str, forms: dict) -> tuple[str, dict]:
    """A post-script the gate's sample answers never trigger: it loops when the findings say 'sonsuz'."""
    script = ("<spiffworkflow:postScript>if 'sonsuz' in analysis_findings:\n    while True:\n        pass"
              "</spiffworkflow:postScript>")
    properties = ('<spiffworkflow:property name="form" value="analysis" /><spiffworkflow:property name="due" '
                  'value="solution_due" /></spiffworkflow:properties>')
    bpmn = edits.replace_once(bpmn, properties, properties + script)
    return bpmn, forms


@pytest.fixture
def runaway_version(app):
    bpmn, forms = _hangs_on_some_findings(*edits.shipped())
    return versions.deploy_version(bpmn, forms, author="analyst", comment="hangs on some findings",
                                   at=ist(2026, 1, 1, 9, 0))


def test_a_runaway_script_at_run_time_fails_its_step_and_flags_the_complaint(app, runaway_version):
    from .helpers import complete

    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_classify", CLASSIFY, ist(2026, 11, 25, 10, 5))
    version_before = refreshed(complaint).instance.lock_version
    events_before = db.session.query(AuditEvent).filter_by(complaint_id=complaint.id).count()
    with pytest.raises(ProcedureFailed) as failed:
        complete(complaint, "task_analyse", {**ANALYSIS, "analysis_findings": "sonsuz döngü"},
                 ist(2026, 11, 25, 10, 10))
    assert failed.value.kind == "timeout" and failed.value.element == "task_analyse"
    complaint = refreshed(complaint)
    assert ready_names(complaint) == ["task_analyse"]  # nothing of the step was kept
    assert complaint.instance.lock_version == version_before
    assert "did not finish" in complaint.attention_reason
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(complaint_id=complaint.id)
               .order_by(AuditEvent.id)]
    assert len(actions) == events_before + 1 and actions[-1] == "procedure_failed"
    # Another answer goes through, and the flag is lifted.
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 10, 15))
    assert refreshed(complaint).attention_reason is None


def test_the_handler_sees_a_clear_message_and_the_representative_sees_the_flag(app, runaway_version, as_user):
    from .helpers import complete

    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_classify", CLASSIFY, ist(2026, 11, 25, 10, 5))
    task = task_named(complaint, "task_analyse")
    handler = as_user("handler")
    response = handler.post(f"/tasks/{task.id}", data={**ANALYSIS, "analysis_findings": "sonsuz"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kaydedilmedi" in page and "sonsuz" in page  # typed values kept
    assert "betik 1 saniyede bitmedi" in page  # the reason in the reader's language (the stored flag stays as said)
    assert db.session.get(HumanTask, task.id).state == "ready"
    representative = as_user("representative").get("/inbox").get_data(as_text=True)
    assert 'id="attention"' in representative and complaint.registration_number in representative
    case_page = as_user("representative").get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Dikkat" in case_page
    assert "adımında durdu" in case_page and "procedure_failed" not in case_page  # a sentence, not the raw key


def test_a_complaint_whose_registration_script_fails_is_a_clear_error_not_a_500(app, client):
    bpmn, forms = _with_register_line("if channel == 'web' and 'sonsuz' in registration_number:\n    pass")(
        *edits.shipped())
    versions.deploy_version(bpmn, forms, author="analyst", comment="harmless", at=ist(2026, 1, 1, 9, 0))
    from app.engine import ProcedureFailure
    from app.services.complaints import registration as complaints

    def broken_start(*args, **kwargs):
        raise ProcedureFailure("timeout", "script_register", "Şikâyeti kaydet", "the script did not finish in 1 s")

    from app.services import context

    engine = context.runtime().engine
    original, engine.start = engine.start, broken_start
    try:
        with pytest.raises(ProcedureFailed):
            complaints.register_complaint({"channel": "web", "customer_name": "A", "customer_email": "a@example.com",
                                           "description": "x"}, actor="test")
    finally:
        engine.start = original
    assert db.session.query(Complaint).count() == 0


ESCAPES = [
    # (what an analyst's code tries, the code, the refusal the sandbox gives)
    ("huge when written out", "x = ['a' * 1000000] * 1000000", "ScriptTooLarge"),
    ("str() of a huge list", "x = ['a' * 1000000] * 1000\ny = str(x)", "ScriptTooLarge"),
    ("f-string of a huge list", "x = ['a' * 1000] * 10000\ny = f'{x}'", "ScriptTooLarge"),
    ("f-string width", "y = f'{1:>1000000000}'", "ScriptRefused"),
    ("computed f-string width", "w = 10\ny = f'{1:>{w}}'", "ScriptRefused"),
    ("% width", "y = '%1000000000s' % 'x'", "ScriptTooLarge"),
    ("% star width", "y = '%*s' % (1000000000, 'x')", "ScriptRefused"),
    ("translate table", "y = 'abc'.translate({97: 'x' * 1000000})", "ScriptRefused"),
    ("list doubling", "l = [1]\nfor i in range(40):\n    l.extend(l)", "ScriptTooLarge"),
    ("string doubling", "s = 'ab'\nfor i in range(40):\n    s += s", "ScriptTooLarge"),
    ("a calendar count that never ends", "y = add_business_days(now(), 10 ** 9)", "ValueError"),
    ("an hour count that never ends", "y = add_business_hours(now(), 10 ** 9)", "ValueError"),
    ("format() attribute of str", "y = '{0}'.format(1)", "NotImplementedError"),
    ("runaway comprehension", "x = [i for i in range(1000000) for j in range(1000000)]", "ScriptTimeout"),
    ("recursion", "def f(n):\n    return f(n + 1)\nf(0)", "ScriptTooLarge"),
    # Found by an attack on the first version of the sandbox:
    ("catch the stop, then loop", "try:\n    while True:\n        pass\nexcept Exception:\n    pass\n"
     "while True:\n    pass", "ScriptTimeout"),
    ("a bare except", "try:\n    x = 1\nexcept:\n    pass", "ScriptRefused"),
    ("a finally that runs on", "try:\n    x = 1\nfinally:\n    x = 2", "ScriptRefused"),
    ("a loop of calendar calls", "while True:\n    d = add_business_days('2026-11-25T10:00:00+03:00', 1000)",
     "ScriptTimeout"),
    ("colliding hashes", "p = 2 ** 61 - 1\ns = set(range(0, 20000 * p, p))", "ScriptTooLarge"),
    ("huge rounding", "x = round(1, -10 ** 7)", "ScriptRefused"),
    ("big-int arithmetic", "x = int('1' * 4000)", "ScriptTooLarge"),
    ("byte strings", "x = b'x'.ljust(1500000000)", "ScriptRefused"),
    ("int to bytes", "x = (1).to_bytes(1000000000, 'big')", "ScriptRefused"),
    ("a codec", "x = ('é一ā' * 66000).encode('punycode')", "ScriptRefused"),
    ("summing lists", "a = [0] * 1000000\nx = sum([a] * 40, [])", "ScriptRefused"),
    ("mass mail", "for i in range(20000):\n    send_message('survey')", "ScriptRefused"),
    ("a value that cannot be saved", "v = range(1)", "ScriptRefused"),
    ("deep nesting", "v = []\nfor i in range(3000):\n    v = [v]", "ScriptRefused"),
    ("not a number", "v = float('nan')", "ScriptRefused"),
]


@pytest.mark.parametrize(("case", "code", "refusal"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_the_sandbox_stops_what_would_hold_a_worker(app, case, code, refusal):
    from app.services import context

    environment = context.runtime().engine.script_engine.environment
    data = {"channel": "web"}
    with pytest.raises(BaseException) as stopped:  # noqa: B017 - the type is asserted below
        environment.execute(code, data)
    assert type(stopped.value).__name__ == refusal, stopped.value


def test_ordinary_diagram_code_still_works(app):
    from app.services import context

    environment = context.runtime().engine.script_engine.environment
    data = {"channel": "web", "priority": "normal", "received_at": "2026-11-25T10:00:00+03:00"}
    environment.execute("days = {'high': 1, 'normal': 3, 'low': 5}[priority]\n"
                        "due = add_business_days(received_at, days)\n"
                        "label = f'{channel!r}: {days:>3}' + ' (%s)' % priority\n"
                        "total = 0\nfor i in range(10):\n    total += i\n"
                        "counts = {}\ncounts['a'] = len([x for x in range(5) if x % 2])\n"
                        "first, *rest = sorted({3, 1, 2})", data)
    assert data["due"] == "2026-11-30T10:00:00+03:00" and data["label"] == "'web':   3 (normal)"
    assert (data["total"], data["counts"], data["first"], data["rest"]) == (45, {"a": 2}, 1, [2, 3])
    assert environment.evaluate("channel in ('web', 'eposta') and priority != 'high'", data) is True


def test_a_retry_in_business_hours_skips_the_night(app):
    from app.services import context

    environment = context.runtime().engine.script_engine.environment
    data = {"last_call_at": "2026-11-25T17:30:00+03:00", "call_retry_hours": 2}
    assert environment.evaluate("add_business_hours(last_call_at, call_retry_hours)", data) == \
        "2026-11-26T10:30:00+03:00"


BRANCH_ONLY_FAILURES = [
    # (case, edit, the scenario that must find it)
    ("the letter path breaks",
     lambda b, f: (edits.replace_once(b, "<bpmn:script>decision_notified_by = 'posta'\n",
                                      "<bpmn:script>decision_notified_by = 'posta' + 1\n"), f),
     "phone_notification.reached always 'no', no e-mail address"),
    ("closing without an answer breaks",
     lambda b, f: (edits.replace_once(b, "closure_outcome = 'no_answer'</bpmn:script>",
                                      "closure_outcome = no_answer</bpmn:script>"), f),
     "the customer never answers"),
    ("only customers without an e-mail address break",
     _with_register_line("if not customer_has_email:\n    1 / 0"), "no e-mail address"),
]


@pytest.mark.parametrize(("case", "edit", "scenario"), BRANCH_ONLY_FAILURES, ids=[c[0] for c in BRANCH_ONLY_FAILURES])
def test_a_failure_on_a_branch_few_complaints_take_is_still_found(app, case, edit, scenario):
    problems = _gate(edit)
    assert any(scenario in (p["path"] or "") for p in problems), _messages(problems)


def test_a_long_error_message_from_a_script_is_cut_short(app):
    from app.services import context

    environment = context.runtime().engine.script_engine.environment
    with pytest.raises(ValueError) as failed:
        environment.execute("raise ValueError('x' * 100000)", {})
    assert len(str(failed.value)) < 400


def test_a_time_bomb_in_the_registration_script_is_refused_by_the_gate_naming_the_date(app):
    """It passed a gate that simulated one November day, and fired for complaints from December on."""
    from app.engine import ProcessDefinitionError

    bomb = _with_register_line("if received_at[:7] != '2026-11':\n    v = range(1)")
    with pytest.raises(ProcessDefinitionError) as refused:
        versions.deploy_version(*bomb(*edits.shipped()), author="analyst", comment="time bomb")
    assert any(p["element"] == "script_register" and "registered 2026-12-31 23:59 (year end)" in p["path"]
               and "cannot be saved" in p["message"] for p in refused.value.problems), refused.value.problems


def test_a_registration_script_failing_at_run_time_is_a_clear_error_and_stores_nothing(app):
    """A failure the gate cannot see (it registers SK-…-000001 only) is a clear error, and nothing is stored."""
    from app.services.complaints import registration as complaints

    bomb = _with_register_line("if registration_number.endswith('0002'):\n    v = range(1)")
    bpmn, forms = bomb(*edits.shipped())
    versions.deploy_version(bpmn, forms, author="analyst", comment="bomb", at=ist(2026, 1, 1, 9, 0))
    assert register("faks", at=ist(2026, 11, 30, 10, 0)).registration_number
    with pytest.raises(ProcedureFailed) as failed:
        complaints.register_complaint({"channel": "faks", "customer_name": "Ali Veli", "description": "Hat yok.",
                                       "customer_phone": "+90 312 555 0101"}, actor="test",
                                      at=ist(2026, 12, 1, 10, 0))
    assert failed.value.element == "script_register" and "cannot be saved" in failed.value.detail
    assert db.session.query(Complaint).count() == 1
