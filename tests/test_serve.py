"""`complaintflow serve` runs several gunicorn workers over the same database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from app.extensions import db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_from_several_workers(app):
    port = _free_port()
    url = db.engine.url.render_as_string(hide_password=False)
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    server = subprocess.Popen([executable, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              env={**os.environ, "DATABASE_URL": url, "METRICS_TOKEN": "t0ken"}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.3)
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert response.status == 200
        # Each worker counts its own requests; a scrape, whichever worker answers it, adds up all of them
        # (prometheus_client's multiprocess mode, set up by `serve`).
        for _ in range(4):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                             headers={"Authorization": "Bearer t0ken"})
            with urllib.request.urlopen(request, timeout=5) as response:
                text = response.read().decode()
            assert 'complaintflow_http_requests_total{method="GET",route="/healthz",status="200"} 21.0' in text, text
        assert server.poll() is None
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert output.count("Booting worker") == 2, output


def test_a_worker_parses_the_live_diagram_and_freezes_what_it_built_before_serving(app, live_version, monkeypatch):
    """The first complaint a new worker registers does not wait for the diagram to be parsed, and a full garbage
    collection in the worker skips the objects it built to start (80–100 ms pauses otherwise; see `make bench`)."""
    import gc

    import app as app_package
    from app.cli.serve import _Gunicorn
    from app.engine.specs import SpecCache
    from app.services.procedure import versions

    fresh = SpecCache()
    monkeypatch.setattr(versions, "SPEC_CACHE", fresh)
    monkeypatch.setattr(app_package, "create_app", lambda *args, **kwargs: app)
    gc.unfreeze()
    try:
        assert _Gunicorn({"bind": "127.0.0.1:0", "workers": 1}).load() is app
        assert list(fresh._items) == [live_version.content_hash]
        assert gc.get_freeze_count() > 10000
    finally:
        gc.unfreeze()
