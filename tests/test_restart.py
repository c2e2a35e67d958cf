"""A new app object over the same database resumes every open complaint and its timers."""

from __future__ import annotations

import pytest

from app.extensions import db

from .helpers import ACK, all_tasks, classify, complete, fire, ist, ready_names, register, solve

pytestmark = pytest.mark.usefixtures("live_version")


def test_a_restarted_app_resumes_open_complaints_and_fires_their_timers(app, make_app):
    waiting_ack = register("faks", at=ist(2026, 11, 25, 10, 0))
    in_solution = register("telefon", at=ist(2026, 11, 25, 10, 5))
    classify(in_solution, "high", ist(2026, 11, 25, 10, 30))
    ids = (waiting_ack.id, in_solution.id)
    db.session.remove()

    restarted = make_app()
    with restarted.app_context():
        from app.models import Complaint

        waiting_ack, in_solution = (db.session.get(Complaint, i) for i in ids)
        fire(ist(2026, 11, 26, 10, 6))  # both deadlines (ack: 25th 18:00, high: 26th 10:05) passed
        assert ready_names(waiting_ack) == ["task_ack_escalation", "task_acknowledge"]
        assert ready_names(in_solution) == ["task_analyse", "task_deadline_escalation"]

        complete(waiting_ack, "task_acknowledge", ACK, ist(2026, 11, 26, 10, 5))
        solve(in_solution, ist(2026, 11, 26, 10, 10))
        assert "task_classify" in ready_names(waiting_ack)
        assert "task_customer_answer" in ready_names(in_solution)
        assert len(all_tasks(in_solution, "task_deadline_escalation")) == 1
        db.session.remove()
