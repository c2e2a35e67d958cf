"""`complaintflow backup` / `restore`: a copy taken while the desk runs comes back whole, chains intact."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from app import create_app
from app.config import PROJECT_ROOT, TestConfig
from app.extensions import db

from .helpers import ACK, complete, ist, register


@pytest.fixture
def sqlite_desk(tmp_path):
    """A desk on an SQLite file of its own (backups copy files), whatever database the suite uses."""

    class Desk(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'desk.db'}"

    desk = create_app(Desk)
    with desk.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        from app.services.procedure import versions

        bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
        versions.deploy_version(bpmn, versions.load_forms_dir(PROJECT_ROOT / "forms"), author="test",
                                at=ist(2026, 1, 1, 9, 0))
        yield desk
        db.session.remove()
        db.engine.dispose()


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_a_restored_backup_passes_audit_verify_and_holds_what_it_held(sqlite_desk, tmp_path):
    runner = sqlite_desk.test_cli_runner()
    kept = register(at=ist(2026, 11, 25, 10, 0))
    complete(kept, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    out = _ok(runner.invoke(args=["backup", str(tmp_path / "desk-2026-11-25.sqlite")]))
    assert "1 complaint(s)" in out

    later = register(at=ist(2026, 11, 25, 12, 0)).registration_number
    assert later == "SK-2026-000002"

    out = _ok(runner.invoke(args=["restore", str(tmp_path / "desk-2026-11-25.sqlite"), "--yes"]))
    assert "restored 1 complaint(s)" in out
    assert "SK-2026-000001" in _ok(runner.invoke(args=["complaints", "show", "SK-2026-000001"]))
    assert runner.invoke(args=["complaints", "show", later]).exit_code == 1
    assert "the audit trail is intact" in _ok(runner.invoke(args=["audit", "verify"]))
    # The desk goes on from the restored state: the next number is the one after the backup's.
    assert register(at=ist(2026, 11, 25, 13, 0)).registration_number == "SK-2026-000002"


def test_restore_refuses_what_is_not_a_complaintflow_backup_and_leaves_the_desk_alone(sqlite_desk, tmp_path):
    import sqlite3

    runner = sqlite_desk.test_cli_runner()
    register()
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE complaint (id INTEGER)")
    for bad, reason in ((garbage, "not an SQLite database"), (other, "not a complaintflow database")):
        result = runner.invoke(args=["restore", str(bad), "--yes"])
        assert result.exit_code == 1 and reason in result.output, result.output
    assert "SK-2026-000001" in _ok(runner.invoke(args=["complaints", "show", "SK-2026-000001"]))

    result = runner.invoke(args=["restore", str(other)], input="n\n")  # asks first
    assert result.exit_code == 1 and "Replace every complaint" in result.output


def test_backup_never_overwrites_a_file(sqlite_desk, tmp_path):
    target = tmp_path / "exists.sqlite"
    target.write_text("keep me")
    result = sqlite_desk.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_text() == "keep me"


def test_on_postgresql_backup_points_to_pg_dump(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.sqlite")])
    if db.engine.dialect.name == "postgresql":
        assert result.exit_code == 1 and "pg_dump" in result.output
    else:
        assert result.exit_code == 0, result.output
