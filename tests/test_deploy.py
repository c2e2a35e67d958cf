"""deploy/: the systemd units and the nginx site of the README's production layout, checked by the real
tools (`systemd-analyze verify`, `nginx -t`; CI installs them and sets COMPLAINTFLOW_REQUIRE_DEPLOY_TOOLS=1),
and every `complaintflow` command line they hold parsed by the command itself."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from app.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SITE = DEPLOY / "nginx" / "complaintflow.conf"
INSTALLED = "/opt/complaintflow"
MAILDIR = "/var/mail/complaintflow/Maildir"


def _tool(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)),
                                      None)
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install systemd nginx-light openssl)"
        if os.environ.get("COMPLAINTFLOW_REQUIRE_DEPLOY_TOOLS") == "1":
            pytest.fail(message + " (required: COMPLAINTFLOW_REQUIRE_DEPLOY_TOOLS=1)")
        pytest.skip(message)
    return path


def _here(text: str, tmp_path: Path) -> str:
    """The unit as installed on this machine: the checkout and its venv for /opt/complaintflow."""
    return (text.replace(f"{INSTALLED}/.venv/bin/complaintflow", str(Path(sys.executable).parent / "complaintflow"))
            .replace(INSTALLED, str(PROJECT_ROOT)).replace(MAILDIR, str(tmp_path)))


def _exec_lines(unit: Path) -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in unit.read_text().splitlines()
            if line.startswith("ExecStart=")]


def test_the_units_and_the_site_are_there():
    names = {u.name for u in UNITS}
    assert {"complaintflow-serve.service", "complaintflow-scheduler.service", "complaintflow-ingest.service",
            "complaintflow-ingest.timer"} <= names
    assert SITE.exists()


def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    analyze = _tool("systemd-analyze")
    for unit in UNITS:
        (tmp_path / unit.name).write_text(_here(unit.read_text(), tmp_path))
    done = subprocess.run([analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("complaintflow-*"))],
                          capture_output=True, text=True, timeout=120)
    ours = [line for line in (done.stdout + done.stderr).splitlines() if "complaintflow" in line]
    assert done.returncode == 0 and ours == [], done.stdout + done.stderr


def test_nginx_accepts_the_site(tmp_path):
    nginx = _tool("nginx")
    openssl = _tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=sikayet.example.com.tr",
                    "-days", "2", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (SITE.read_text().replace("/etc/ssl/complaintflow/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/complaintflow/privkey.pem", str(tmp_path / "key.pem")))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def _parse(group: click.Group, args: list[str], ctx: click.Context) -> click.Command:
    """Walk the command tree as click would and parse the final command's options (raises on a wrong one)."""
    name, *rest = args
    command = group.get_command(ctx, name)
    assert command is not None, f"no command {name!r} under {group.name!r}"
    sub = command.make_context(name, list(rest), parent=ctx, resilient_parsing=False) \
        if not isinstance(command, click.Group) else click.Context(command, parent=ctx, info_name=name)
    if isinstance(command, click.Group):
        return _parse(command, rest, sub)
    return command


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_every_command_a_unit_runs_exists_with_those_options(app, unit, tmp_path):
    lines = _exec_lines(unit)
    assert lines, f"{unit.name} runs nothing"
    root = click.Context(app.cli, info_name="complaintflow", obj=None)
    for argv in lines:
        assert argv[0] == f"{INSTALLED}/.venv/bin/complaintflow", argv
        args = [a.replace(MAILDIR, str(tmp_path)) for a in argv[1:]]
        command = _parse(app.cli, args, root)
        assert command.callback is not None


def test_the_timer_starts_the_ingest_service_and_nginx_proxies_to_serve():
    timer = (DEPLOY / "systemd" / "complaintflow-ingest.timer").read_text()
    unit = re.search(r"^Unit=(\S+)", timer, re.M).group(1)
    assert (DEPLOY / "systemd" / unit).exists()
    bind = re.search(r"--bind (\S+)", (DEPLOY / "systemd" / "complaintflow-serve.service").read_text()).group(1)
    assert f"server {bind};" in SITE.read_text()


def test_a_unit_naming_a_missing_option_is_caught(app):
    root = click.Context(app.cli, info_name="complaintflow")
    with pytest.raises(click.UsageError):
        _parse(app.cli, ["serve", "--workerz", "4"], root)
    with pytest.raises(AssertionError, match="no command 'ingest'"):
        _parse(app.cli, ["ingest"], root)
