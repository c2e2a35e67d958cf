"""Bulk work shared among forked worker processes, each with database connections of its own.

The engine runs in Python, so one process applies one complaint at a time on one core. A bulk step
(an outage's resolution) splits its rows into shares, and each share runs in a process forked from this
one: the parsed diagrams and translations come along warm, while every pooled connection is left
behind (the parent closes its idle ones before the fork, the child starts empty pools and closes its
own at the end). On SQLite the processes take turns at each complaint's write through a lock they share
(`write_turn`), which hands the turn on at once where SQLite's busy handler would sleep for milliseconds.

The parent is usually a scheduler with other threads, so a child may inherit a lock some library held
at the instant of the fork and wait on it for ever. Each worker therefore reports every row it finishes
(`tick`); one silent for `silence` seconds is killed and its share handed to `lost`, like a worker that
died, and the next run finishes what it left.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import wait
from typing import TypeVar

from flask import Flask, current_app

from app.extensions import db

log = logging.getLogger(__name__)

Share = TypeVar("Share")
Result = TypeVar("Result")

_turn = None  # in a worker writing to SQLite: the lock the workers of one run share
# The pools a worker inherited: kept referenced, so no connection of the parent is closed from the child.
_inherited: list = []
DIED = "interrupted: a worker process stopped; run it again"


def can_fork(engine) -> bool:
    """Fork is there (not on Windows or macOS's default) and the database outlives one connection."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine.url
    memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    return not (url.get_backend_name() == "sqlite" and memory)


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def write_turn() -> Iterator[None]:
    """Around a step's writes and commit: in a worker on SQLite, one process writes at a time."""
    if _turn is None:
        yield
        return
    with _turn:
        yield


def _worker(app: Flask, turn, work: Callable, share, common, channel) -> None:
    """In the child: run one share and send back ("tick", None) per row, then ("result", …) or ("error", …)."""
    global _turn
    _turn = turn
    with app.app_context():
        for engine in db.engines.values():
            _inherited.append(engine.pool)
            engine.dispose(close=False)
        try:
            channel.send(("result", work(share, common, lambda: channel.send(("tick", None)))))
        except Exception as exc:  # noqa: BLE001 - the parent reads what got done from the database
            channel.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()  # this worker's own connections, closed properly
            channel.close()


def run_shares(work: Callable[[Share, object, Callable[[], None]], Result], shares: Sequence[Share],
               common: object, *, merge: Callable[[list[Result]], Result], lost: Callable[[Share, str], Result],
               silence: float = 120.0) -> Result:
    """Run `work(share, common, tick)` for each share in a process of its own and `merge` the results.

    `work` calls `tick()` after each row. A share whose process died, raised, or said nothing for
    `silence` seconds (it is killed) goes to `lost` once its process is gone, which reads from the
    database what got done. The caller's session is committed first: no transaction crosses the fork.
    """
    app = current_app._get_current_object()
    db.session.commit()
    db.engine.dispose()  # nor an idle connection
    context = multiprocessing.get_context("fork")
    turn = context.Lock() if db.engine.dialect.name == "sqlite" else None
    processes, channels = [], []
    for share in shares:
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(app, turn, work, share, common, writer), daemon=True)
        process.start()
        writer.close()
        processes.append(process)
        channels.append(reader)
    outcomes: list[tuple[str, object]] = [("died", None)] * len(shares)
    waiting = {reader: index for index, reader in enumerate(channels)}
    heard = {reader: time.monotonic() for reader in channels}
    while waiting:
        for reader in wait(list(waiting), timeout=min(silence, 1.0)):
            try:
                kind, value = reader.recv()
            except (EOFError, OSError):
                kind, value = "died", None
            heard[reader] = time.monotonic()
            if kind != "tick":
                outcomes[waiting.pop(reader)] = (kind, value)
        now = time.monotonic()
        for reader, index in list(waiting.items()):
            if now - heard[reader] > silence:
                log.warning("a worker process made no progress for %g s and was stopped", silence)
                processes[index].kill()
                outcomes[waiting.pop(reader)] = ("silent", None)
    for process, reader in zip(processes, channels, strict=True):
        process.join()
        reader.close()
    results = []
    for share, (kind, value) in zip(shares, outcomes, strict=True):
        if kind == "result":
            results.append(value)
        elif kind == "error":
            results.append(lost(share, str(value)))
        elif kind == "silent":
            results.append(lost(share, f"a worker process made no progress for {silence:g} s and was stopped; "
                                       "run it again"))
        else:
            results.append(lost(share, DIED))
    return merge(results)
