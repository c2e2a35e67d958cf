"""The sweep loads only due instances, and two sweepers fire each timer once."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import HumanTask
from app.services.workflow import timers

from .helpers import ist, register

pytestmark = pytest.mark.usefixtures("live_version")


def test_the_sweep_ignores_instances_that_are_not_due():
    for minute in range(5):
        register("faks", at=ist(2026, 11, 25, 10, minute))
    assert timers.due_instance_ids(ist(2026, 11, 25, 17, 0), 100) == []
    assert len(timers.due_instance_ids(ist(2026, 11, 25, 18, 1), 100)) == 5


def test_two_sweepers_at_once_fire_each_timer_exactly_once(app):
    count = 12
    for minute in range(count):
        register("faks", at=ist(2026, 11, 25, 10, minute))
    db.session.remove()
    at = ist(2026, 11, 25, 18, 30)
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        with app.app_context():
            barrier.wait()
            results.append(timers.fire_due_timers(at=at))
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    escalations = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                    .where(HumanTask.spec_name == "task_ack_escalation"))
    assert escalations == count
    assert sum(results) == count
    assert timers.fire_due_timers(at=at) == 0


def test_the_scheduler_job_sweeps(app):
    from app.scheduler import build_scheduler, sweep_timers

    register("faks", at=ist(2026, 11, 20, 10, 0))
    scheduler = build_scheduler(app, blocking=False)
    assert scheduler.get_job("timer-sweep") is not None
    assert sweep_timers(app) == 1  # by the real clock, the 20 November acknowledgement deadline has passed


def test_a_complaint_whose_timers_fail_is_retried_later_and_does_not_starve_the_others(app, monkeypatch):
    from datetime import timedelta

    from app.models import ProcessInstance
    from app.services.workflow import runtime

    broken = register("faks", at=ist(2026, 11, 25, 9, 0))
    healthy = register("faks", at=ist(2026, 11, 25, 9, 30))
    real_load = runtime.load

    def load(instance):
        if instance.id == broken.instance_id:
            raise RuntimeError("corrupt state")
        return real_load(instance)

    monkeypatch.setattr(runtime, "load", load)
    at = ist(2026, 11, 25, 18, 30)
    assert timers.fire_due_timers(at=at, limit=1) == 1  # the healthy one fires despite the batch of one

    db.session.expire_all()
    assert db.session.get(ProcessInstance, broken.instance_id).next_timer_at == at + timers.RETRY_DELAY
    escalations = db.session.scalars(sa.select(HumanTask.complaint_id)
                                     .where(HumanTask.spec_name == "task_ack_escalation")).all()
    assert escalations == [healthy.id]

    monkeypatch.setattr(runtime, "load", real_load)  # repaired: the retry fires the real deadline
    assert timers.fire_due_timers(at=at + timedelta(minutes=6)) == 1
    assert len(db.session.scalars(sa.select(HumanTask).where(HumanTask.spec_name == "task_ack_escalation")).all()) == 2
