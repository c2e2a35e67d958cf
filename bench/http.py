"""The HTTP half of the bench: a real `complaintflow serve` process (gunicorn) on loopback.

Clients are keep-alive `http.client` connections in this process (lighter than `requests`, so the client
takes less of the two cores from the server); latencies are measured at the client, so they include
loopback and HTTP parsing on top of the server's own time.
"""

from __future__ import annotations

import json
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
from http.client import HTTPConnection
from urllib.parse import urlencode

import requests

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# What each intake registers: the ratio to the engine floor compares the same diagram path.
REST_CHANNEL, FORM_CHANNEL = "eposta", "web"
PASSWORD = "bench-handler-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`complaintflow serve --workers N` (gunicorn, N web processes with `threads` threads each)."""

    def __init__(self, database_url: str, workers: int = 1, threads: int = 4):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only-secret",
               "SCHEDULER_IN_PROCESS": "0", "PORTAL_FORM_MAX_POSTS": "1000000000"}
        self.process = subprocess.Popen(
            [executable, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads)],
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
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True,
                                  check=False).stdout
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


class Client:
    """One keep-alive connection that keeps the session cookie (the public form's CSRF lives in it)."""

    def __init__(self, server: Server, headers: dict | None = None):
        self.connection = HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.headers = headers or {}
        self.cookie: str | None = None

    def call(self, method: str, path: str, *, json_body=None, form: dict | None = None,
             headers: dict | None = None) -> tuple[int, str]:
        sent = {**self.headers, **(headers or {})}
        body = None
        if json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, sent["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
        if self.cookie:
            sent["Cookie"] = self.cookie
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text


def _rate(server: Server, count: int, clients: int, one, headers: dict | None = None) -> float:
    """Calls per second with `clients` keep-alive connections sharing `count` calls of `one(client, i)`."""
    local = threading.local()

    def call(i):
        if not hasattr(local, "client"):
            local.client = Client(server, headers)
        one(local.client, i)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(call, range(count)))
    return count / (time.perf_counter() - started)


def _latencies(calls) -> list[float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def percentiles(times: list[float]) -> tuple[float, float, float]:
    """Median, 95th percentile and the slowest call (a pause such as a full garbage collection shows there)."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], ordered[-1]


def intake_over_rest(server: Server, token: str, count: int, clients: int = 4) -> float:
    def one(client, i):
        status, text = client.call("POST", "/api/v1/complaints", headers={"Idempotency-Key": uuid.uuid4().hex},
                                   json_body={"channel": REST_CHANNEL, "customer_name": f"REST Müşteri {i}",
                                              "customer_email": f"rest{i}@example.com.tr",
                                              "description": "Faturam iki kez kesildi."})
        assert status == 201, text[:300]

    return _rate(server, count, clients, one, {"Authorization": f"Bearer {token}"})


def intake_over_public_form(server: Server, count: int, clients: int = 4) -> float:
    tokens: dict[int, str] = {}

    def one(client, i):
        key = id(client)
        if key not in tokens:
            tokens[key] = CSRF.search(client.call("GET", "/sikayet")[1]).group(1)
        status, text = client.call("POST", "/sikayet", form={
            "csrf_token": tokens[key], "idempotency_key": str(uuid.uuid4()), "customer_name": f"Form Müşteri {i}",
            "customer_email": f"form{i}@example.com.tr", "preferred_contact": "eposta",
            "subject": "Bağlantı", "description": "İnternet bağlantım akşamları kopuyor.", "consent": "y"})
        assert status in (302, 303), text[:300]

    return _rate(server, count, clients, one)


def complete_task(client: Client, task_id: int, data: dict) -> None:
    status, text = client.call("POST", f"/api/v1/tasks/{task_id}/complete", json_body={"data": data})
    assert status == 200, text[:300]


def task_completion(server: Server, token: str, task_ids: list[int], data: dict) -> list[float]:
    client = Client(server, {"Authorization": f"Bearer {token}"})
    return _latencies([lambda t=t: complete_task(client, t, data) for t in task_ids])


def signed_in(server: Server, username: str) -> Client:
    client = Client(server)
    csrf = CSRF.search(client.call("GET", "/login")[1]).group(1)
    status, text = client.call("POST", "/login", form={"csrf_token": csrf, "username": username,
                                                       "password": PASSWORD})
    assert status in (302, 303), text[:300]
    return client


def inbox_page(server: Server, username: str, rounds: int = 50, path: str = "/inbox?scope=roles&sort=due"
               ) -> list[float]:
    client = signed_in(server, username)

    def call():
        status, _ = client.call("GET", path)
        assert status == 200
    call()  # the server's first page compiles its templates: a start-up cost, not the page's
    return _latencies([call] * rounds)


def status_lookup(server: Server, token: str, numbers: list[str]) -> list[float]:
    client = Client(server, {"Authorization": f"Bearer {token}"})

    def lookup(number):
        def call():
            status, text = client.call("GET", f"/api/v1/complaints/{number}")
            assert status == 200, text[:300]
        return call

    return _latencies([lookup(n) for n in numbers])


def next_page_path(server: Server, username: str, path: str) -> str:
    """The "next page" link of a view (its keyset cursor), or the view itself when it has one page."""
    status, text = signed_in(server, username).call("GET", path)
    assert status == 200
    found = re.search(r'href="([^"]+)" rel="next"', text)
    return found.group(1).replace("&amp;", "&") if found else path
