"""Bulk work in forked worker processes (app.services.parallel): a worker that dies or hangs loses nothing."""

from __future__ import annotations

import os
import threading

from app.services import parallel


def _rows(share, common, tick):
    done = []
    for row in share:
        tick()
        if row == "hangs":
            threading.Event().wait()  # as a child that inherited a lock held at the fork would, for ever
        if row == "dies":
            os._exit(1)
        done.append((row, common, os.getpid()))
    return done


def _run(app, shares, silence=60.0):
    lost = {}

    def keep_lost(share, reason):
        lost[tuple(share)] = reason
        return []

    with app.app_context():
        merged = parallel.run_shares(_rows, shares, "common", merge=lambda results: sum(results, []),
                                     lost=keep_lost, silence=silence)
    return merged, lost


def test_each_share_runs_in_a_process_of_its_own(app):
    merged, lost = _run(app, [["a", "b"], ["c"]])
    assert sorted(row for row, _, _ in merged) == ["a", "b", "c"] and lost == {}
    assert {common for _, common, _ in merged} == {"common"}
    assert len({pid for _, _, pid in merged}) == 2 and os.getpid() not in {pid for _, _, pid in merged}


def test_a_worker_that_goes_silent_is_stopped_and_one_that_dies_is_reported(app):
    merged, lost = _run(app, [["a", "b"], ["c", "hangs", "d"], ["e", "dies"]], silence=0.5)
    assert sorted(row for row, _, _ in merged) == ["a", "b"]
    assert "no progress for 0.5 s" in lost[("c", "hangs", "d")]
    assert lost[("e", "dies")] == parallel.DIED
