"""The newcomer's path: the README's commands as written, a key that outlives a restart, one settings file.

The README's walk runs in-process on the suite's database; the other tests run `complaintflow` in child
processes, as a person at a shell would, each on a database of its own (an SQLite file).
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import PROJECT_ROOT, TestConfig
from app.extensions import db

from .helpers import ist

BIN = Path(sys.executable).parent
COMPLAINTFLOW = str(BIN / "complaintflow")


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMTP_", "TEST_DATABASE")) and k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'desk.db'}", COMPLAINTFLOW_INSTANCE_DIR=str(tmp_path / "instance"),
               COMPLAINTFLOW_SETTINGS_FILE=str(tmp_path / "instance" / "complaintflow.env"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)
    return env


def _run(args, env, *, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, f"{args}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def readme_walk() -> str:
    """The first shell block under the README's "Walking a complaint from the command line"."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walking a complaint from the command line", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _shell_commands(script: str) -> list[tuple[str | None, list[str]]]:
    """(variable or None, argv) per command of a README block: continuations joined, comments dropped."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] == ".":  # blank, or `. .venv/bin/activate`
            continue
        capture = re.fullmatch(r"(\w+)=\$\((.*)\)", line.split("#")[0].strip())
        if capture:
            commands.append((capture.group(1), shlex.split(capture.group(2))))
        else:
            commands.append((None, words))
    return commands


@pytest.mark.usefixtures("live_version")
def test_the_readme_walk_runs_as_written_twice_on_one_database(runner):
    """The block's own commands, in order, with its shell variables, on the suite's database (SQLite or
    PostgreSQL); twice, so the second pass meets the first pass's complaint and task ids."""
    commands = _shell_commands(readme_walk())
    assert commands[0][0] == "N" and commands[0][1][:3] == ["complaintflow", "complaints", "register"]
    for expected in ("SK-2026-000001", "SK-2026-000002"):
        variables, shown = {}, []
        for variable, argv in commands:
            assert argv[0] == "complaintflow", argv
            args = [variables.get(word[1:], word) if word.startswith("$") else word for word in argv[1:]]
            assert not [a for a in args if "$" in a], args
            result = runner.invoke(args=args)
            assert result.exit_code == 0, f"{args}: {result.output}"
            if variable:
                variables[variable] = result.stdout.strip()
            if args[:2] == ["complaints", "show"]:
                shown.append(result.stdout)
        assert variables["N"] == expected
        assert f"{expected}  open  stage 5  priority high" in shown[-1]
        assert "Süresi aşılan şikâyete müdahale et" in shown[-1]


def test_the_development_key_is_made_once_and_kept_but_production_still_needs_secret_key(tmp_path):
    env = _env(tmp_path)
    show_key = [sys.executable, "-c", "from app import create_app; print(create_app().secret_key)"]
    first = _run(show_key, env).stdout.strip()
    second = _run(show_key, env).stdout.strip()
    assert first == second and len(first) == 64
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    production = _run(show_key, {**env, "COMPLAINTFLOW_ENV": "production"}, check=False)
    assert production.returncode != 0 and "SECRET_KEY must be set" in production.stderr
    assert first not in production.stdout


def test_processes_check_before_db_upgrade_says_what_to_run_instead_of_an_sql_error(tmp_path):
    class Fresh(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'fresh.db'}"

    fresh = create_app(Fresh)
    result = fresh.test_cli_runner().invoke(
        args=["processes", "check", str(PROJECT_ROOT / "processes" / "complaint.bpmn")])
    assert result.exit_code == 0, result.output
    assert "run `complaintflow db upgrade`" in result.output
    assert "passes the gate" in result.output
    assert "no such table" not in result.output


def _desk_with_mail_waiting(tmp_path: Path, count: int) -> list[str]:
    """A migrated SQLite desk file whose outbox holds `count` acknowledgements."""
    from flask_migrate import upgrade

    from app.services.complaints import registration as complaints
    from app.services.procedure import versions
    from app.services.workflow import tasks

    class Desk(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'desk.db'}"

    desk = create_app(Desk)
    numbers = []
    with desk.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
        versions.deploy_version(bpmn, versions.load_forms_dir(PROJECT_ROOT / "forms"), author="test",
                                at=ist(2026, 1, 1, 9, 0))
        for i in range(count):
            complaint = complaints.register_complaint(
                {"channel": "faks", "customer_name": "Ayşe Yılmaz", "customer_email": f"ayse{i}@example.com.tr",
                 "description": "Bağlantı kopuyor"}, actor="test", at=ist(2026, 11, 25, 10, i))
            task = tasks.ready_tasks_for(complaint)[0]
            tasks.complete_task(task.id, {"ack_method": "eposta"}, actor="test", at=ist(2026, 11, 25, 10, 30 + i))
            numbers.append(complaint.registration_number)
        db.session.remove()
        db.engine.dispose()
    return numbers


def test_outbox_deliver_and_the_sweep_use_the_settings_file_and_never_guess_localhost(tmp_path, smtp):
    _desk_with_mail_waiting(tmp_path, 2)
    env = _env(tmp_path)

    unset = _run([COMPLAINTFLOW, "outbox", "deliver"], env, check=False)
    assert unset.returncode == 1
    assert "SMTP_HOST is not set" in unset.stderr and "nothing sent" in unset.stderr
    assert smtp.envelopes == []

    settings = tmp_path / "instance" / "complaintflow.env"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(f"# the desk's mail server\nSMTP_HOST=127.0.0.1\nSMTP_PORT='{smtp.port}'\n", encoding="utf-8")
    # The scheduler's job, in a process of its own, reads the file: one message per run of the sweep.
    sweep = ("from app import create_app; from app.scheduler import deliver_outbox; "
             "print(deliver_outbox(create_app()))")
    assert _run([sys.executable, "-c", sweep], env).stdout.strip() == "2"
    assert sorted(rcpt for _, rcpts, _ in smtp.envelopes for rcpt in rcpts) == [
        "ayse0@example.com.tr", "ayse1@example.com.tr"]


def test_outbox_deliver_from_a_shell_names_the_server_it_used(tmp_path, smtp):
    _desk_with_mail_waiting(tmp_path, 1)
    env = _env(tmp_path)
    settings = tmp_path / "instance" / "complaintflow.env"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(f"SMTP_HOST=127.0.0.1\nSMTP_PORT={smtp.port}\n", encoding="utf-8")
    done = _run([COMPLAINTFLOW, "outbox", "deliver"], env)
    assert f"SMTP 127.0.0.1:{smtp.port} (from {settings})" in done.stdout
    assert len(smtp.envelopes) == 1


@pytest.mark.parametrize("line", ["SMTP_HOST", "SMTP HOST=x", "=x"])
def test_a_broken_settings_file_stops_every_command_with_its_line(tmp_path, line):
    env = _env(tmp_path)
    settings = tmp_path / "instance" / "complaintflow.env"
    settings.parent.mkdir()
    settings.write_text(f"# ok\n{line}\n", encoding="utf-8")
    done = _run([COMPLAINTFLOW, "outbox", "list"], env, check=False)
    assert done.returncode != 0
    assert f"{settings}:2: expected KEY=value" in done.stderr
