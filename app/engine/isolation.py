"""The deploy gate's scenarios run in a separate, bounded process.

A candidate diagram is analysts' code that has not been vouched for yet: its scenarios run in a
long-lived worker process (`gate_worker`) with an address-space cap, and the caller waits at most a
wall-clock limit. A worker that overruns is killed and replaced on the next call, so a hostile or
broken diagram never holds a web worker, the CLI or the timer sweep.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from .messages import Text, message_fields


@dataclass(frozen=True)
class GateLimits:
    seconds: float = 60.0
    memory_mb: int = 512


class _Worker:
    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.engine.gate_worker", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self.process.stdin = io.TextIOWrapper(self.process.stdin, encoding="utf-8", write_through=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict, seconds: float) -> str | None:
        """The answer line, or None when the worker did not answer in time (it is then killed).

        Waits with select() on the pipe (a relative timeout), not a thread join: a timed lock wait is
        computed from the monotonic clock, which a shifted clock (faketime in CI) can push a year out."""
        self.process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        stdout = self.process.stdout
        fd = stdout.fileno()
        deadline = time.monotonic() + seconds
        chunks: list[bytes] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                return None
            readable, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if not readable:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks).decode("utf-8", "replace")
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks).decode("utf-8", "replace")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


_lock = threading.Lock()
_worker: _Worker | None = None


def _problem(message: str) -> dict:
    return {"element": None, **message_fields(message), "stage": None, "path": None}


def check_in_worker(request: dict, limits: GateLimits) -> list[dict]:
    """Run the conformance scenarios for `request` in the worker; returns the problems found."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive() or _worker.memory_mb != limits.memory_mb:
            if _worker is not None and _worker.alive():
                _worker.kill()
            _worker = _Worker(limits.memory_mb)
        worker = _worker
        try:
            line = worker.ask(request, limits.seconds)
        except (BrokenPipeError, OSError):
            line = ""
        if line is None:
            _worker = None
            return [_problem(Text("the conformance scenarios did not finish in {seconds:g} s: the procedure loops "
                                  "or waits forever somewhere, or its code is too slow", seconds=limits.seconds))]
        if not line:
            returncode = worker.process.poll()
            _worker = None
            return [_problem(Text("the conformance scenarios stopped the checking process (exit {code}); they may "
                                  "have used more than {mb} MB", code=returncode, mb=limits.memory_mb))]
    answer = json.loads(line)
    if answer.get("error") == "memory":
        return [_problem(Text("the scenarios used more than {mb} MB", mb=limits.memory_mb))]
    if "error" in answer:
        return [_problem(answer["message"])]
    return answer["problems"]


def shutdown() -> None:
    global _worker
    with _lock:
        if _worker is not None and _worker.alive():
            _worker.process.stdin.close()
            _worker.kill()
        _worker = None
