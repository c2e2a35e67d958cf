"""Bulk work shared among forked worker processes, each with database connections of its own.

The engine runs in Python, so one process applies one complaint at a time on one core. A bulk step
(an outage's resolution) splits its rows into shares, and each share runs in a process forked from this
one: the parsed diagrams and translations come along warm, while every pooled connection is left
behind (the parent closes its idle ones before the fork, the child starts empty pools). On SQLite the
processes take turns at each complaint's write through a lock they share (`write_turn`), which hands
the turn on at once where SQLite's busy handler would sleep for milliseconds.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, current_app

from app.extensions import db

Share = TypeVar("Share")
Result = TypeVar("Result")

_app: Flask | None = None
_turn = None  # in a worker writing to SQLite: the lock the workers of one run share
# The pools a worker inherited: kept referenced, so no connection of the parent is closed from the child.
_inherited: list = []


def can_fork(engine) -> bool:
    """Fork is there (not on Windows or macOS's default) and the database outlives one connection."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine.url
    memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    return not (url.get_backend_name() == "sqlite" and memory)


def _start_worker(app: Flask, turn) -> None:
    global _app, _turn
    _app, _turn = app, turn
    with app.app_context():
        for engine in db.engines.values():
            _inherited.append(engine.pool)
            engine.dispose(close=False)


@contextmanager
def write_turn() -> Iterator[None]:
    """Around a step's writes and commit: in a worker on SQLite, one process writes at a time."""
    if _turn is None:
        yield
        return
    with _turn:
        yield


def _run(work: Callable, share, common):
    with _app.app_context():
        try:
            return work(share, common)
        finally:
            db.session.remove()


def run_shares(work: Callable[[Share, object], Result], shares: Sequence[Share], common: object, *,
               merge: Callable[[list[Result]], Result], lost: Callable[[Share, str], Result]) -> Result:
    """Run `work(share, common)` for each share in a process of its own and `merge` the results.

    `work` must be a module-level function (it is named to the worker, not copied); a share whose
    process died or raised is handed to `lost` here, which reads from the database what got done.
    """
    app = current_app._get_current_object()
    db.session.commit()  # no open transaction crosses the fork (the caller's objects stay in its session)
    db.engine.dispose()  # nor an idle connection
    context = multiprocessing.get_context("fork")
    turn = context.Lock() if db.engine.dialect.name == "sqlite" else None
    results: list[Result] = []
    with ProcessPoolExecutor(max_workers=len(shares), mp_context=context,
                             initializer=_start_worker, initargs=(app, turn)) as pool:
        futures = [pool.submit(_run, work, share, common) for share in shares]
        for future, share in zip(futures, shares, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                results.append(lost(share, "interrupted: a worker process stopped; run it again"))
            except Exception as exc:  # noqa: BLE001 - the share's own outcome says what happened
                results.append(lost(share, f"{type(exc).__name__}: {exc}"[:200]))
    return merge(results)
