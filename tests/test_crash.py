"""kill -9 of the web server during a burst of submissions: every number handed out is kept."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, HumanTask, ProcessInstance
from app.services.accounts import api_tokens

pytestmark = pytest.mark.usefixtures("live_version")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(url: str, port: int) -> subprocess.Popen:
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    server = subprocess.Popen([executable, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                              env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("server did not start")


def test_every_registration_number_returned_survives_a_kill_minus_nine(app):
    _, token = api_tokens.create_token("crash", ["intake"])
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    port = _free_port()
    server = _start(url, port)
    handed_out: list[str] = []
    stop = threading.Event()

    def burst():
        session = requests.Session()
        while not stop.is_set():
            try:
                response = session.post(
                    f"http://127.0.0.1:{port}/api/v1/complaints", timeout=5,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                    json={"channel": "faks", "customer_name": "Deniz Kaya", "customer_email": "deniz@example.com",
                          "description": "Kesinti yaşıyorum."})
            except requests.RequestException:
                return
            if response.status_code == 201:
                handed_out.append(response.json()["registration_number"])

    clients = [threading.Thread(target=burst) for _ in range(3)]
    for client in clients:
        client.start()
    while len(handed_out) < 30:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    stop.set()
    for client in clients:
        client.join(timeout=30)

    server = _start(url, port)  # restart over the same database
    try:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)

    stored = {c.registration_number: c for c in db.session.scalars(sa.select(Complaint))}
    assert set(handed_out) <= set(stored), set(handed_out) - set(stored)
    for number in handed_out:
        complaint = stored[number]
        instance = db.session.get(ProcessInstance, complaint.instance_id)
        assert instance.status == "running" and instance.next_timer_at == complaint.acknowledgement_due_at
        acknowledgement = db.session.scalar(sa.select(HumanTask).where(
            HumanTask.complaint_id == complaint.id, HumanTask.spec_name == "task_acknowledge"))
        assert acknowledgement is not None and acknowledgement.state == "ready"
    # Nothing half-written: no complaint without its instance, no instance without its complaint.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)
                             .where(Complaint.instance_id.is_(None))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == len(stored)
