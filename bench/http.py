"""The HTTP half of the bench: a real `complaintflow serve` process (one gunicorn worker) on loopback.

Clients are keep-alive `requests` sessions in this process; latencies are measured at the client, so
they include loopback and HTTP parsing on top of the server's own time.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "bench-handler-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`complaintflow serve --workers 1`: single web process, as the targets are stated."""

    def __init__(self, database_url: str, threads: int = 4):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
        # Every bench client comes from one address: the public form's per-address limit would stop it.
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only-secret",
               "SCHEDULER_IN_PROCESS": "0", "PORTAL_FORM_MAX_POSTS": "1000000000"}
        self.process = subprocess.Popen(
            [executable, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", str(threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bench server did not start")
            time.sleep(0.2)

    def worker_peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) of the gunicorn worker that served the requests."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        peaks = []
        for pid in children.split():
            try:
                with open(f"/proc/{pid}/status") as status:
                    peaks += [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
            except OSError:
                continue
        return max(peaks, default=0) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _rate(count: int, clients: int, one) -> float:
    """Requests per second with `clients` keep-alive sessions sharing `count` calls of `one(session, i)`."""
    local = threading.local()

    def call(i):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        one(local.session, i)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(call, range(count)))
    return count / (time.perf_counter() - started)


def _latencies(calls) -> tuple[float, float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def intake_over_rest(server: Server, token: str, count: int, clients: int = 4) -> float:
    headers = {"Authorization": f"Bearer {token}"}

    def one(session, i):
        response = session.post(f"{server.base}/api/v1/complaints", headers={**headers,
                                "Idempotency-Key": uuid.uuid4().hex}, json={
            "channel": "eposta", "customer_name": f"REST Müşteri {i}", "customer_email": f"rest{i}@example.com.tr",
            "description": "Faturam iki kez kesildi."})
        assert response.status_code == 201, response.text[:300]

    return _rate(count, clients, one)


def intake_over_public_form(server: Server, count: int, clients: int = 4) -> float:
    tokens: dict[int, str] = {}

    def one(session, i):
        key = id(session)
        if key not in tokens:
            tokens[key] = CSRF.search(session.get(f"{server.base}/sikayet").text).group(1)
        response = session.post(f"{server.base}/sikayet", allow_redirects=False, data={
            "csrf_token": tokens[key], "idempotency_key": str(uuid.uuid4()), "customer_name": f"Form Müşteri {i}",
            "customer_email": f"form{i}@example.com.tr", "preferred_contact": "eposta",
            "subject": "Bağlantı", "description": "İnternet bağlantım akşamları kopuyor.", "consent": "y"})
        assert response.status_code in (302, 303), response.text[:300]

    return _rate(count, clients, one)


def task_completion(server: Server, token: str, task_ids: list[int], data: dict) -> tuple[float, float]:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}

    def complete(task_id):
        def call():
            response = session.post(f"{server.base}/api/v1/tasks/{task_id}/complete", headers=headers,
                                    json={"data": data})
            assert response.status_code == 200, response.text[:300]
        return call

    return _latencies([complete(t) for t in task_ids])


def inbox_page(server: Server, username: str, rounds: int = 50,
               path: str = "/inbox?scope=roles&sort=due") -> tuple[float, float]:
    session = requests.Session()
    csrf = CSRF.search(session.get(f"{server.base}/login").text).group(1)
    signed_in = session.post(f"{server.base}/login", data={"csrf_token": csrf, "username": username,
                                                           "password": PASSWORD}, allow_redirects=False)
    assert signed_in.status_code in (302, 303), signed_in.text[:300]

    def call():
        response = session.get(f"{server.base}{path}")
        assert response.status_code == 200
    return _latencies([call] * rounds)


def status_lookup(server: Server, token: str, numbers: list[str]) -> tuple[float, float]:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}

    def lookup(number):
        def call():
            assert session.get(f"{server.base}/api/v1/complaints/{number}", headers=headers).status_code == 200
        return call

    return _latencies([lookup(n) for n in numbers])
