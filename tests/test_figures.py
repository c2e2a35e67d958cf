"""ISO 10002 figures on a data set of 100 complaints built through the services, answers worked out by hand.

November 2026 (no public holidays; 2 Nov is a Monday). Profiles, all received at 10:00 on a Monday:

- A, 40 × telefon, 10 on each of 2, 9, 16, 23 Nov: high; classify 10:30; proposal 14:00 (4 h);
  accepted Tue 10:00 (9 h to closure).
- B, 20 × eposta, 10 on each of 2, 9 Nov: ack 11:00; normal; proposal Wed 10:00 (18 h); rejected
  Wed 12:00; second proposal Thu 10:00; accepted Thu 12:00 (29 h).
- C, 15 × faks, 16 Nov: ack Tue 10:00 (late); low; classify Tue 12:00; proposal next Tue 10:00
  (54 h, late); accepted 12:00 (56 h).
- D, 10 × yuz_yuze, 5 on 2 Nov and 5 on 23 Nov: normal; classify 10:30; still in analysis.
- E, 10 × web, 16 Nov: ack 11:00; high; classify 11:30; proposal Wed 10:00 (18 h, late); no answer.
- F, 5 × telefon, 9 Nov: cancelled by the quality manager.

Surveys: 20 of A answer (scores 5×8, 4×6, 3×4, 1×2; 16 say solved). Figures as of Fri 27 Nov 14:00,
after the timer sweep ran.
"""

from __future__ import annotations

import pytest

from app.services.complaints import customer
from app.services.review import figures
from app.services.review.figures import Scope
from app.services.workflow import admin_actions

from .helpers import ACK, ANALYSIS, answer, classify, complete, fire, ist, register

pytestmark = pytest.mark.usefixtures("live_version")
NOW = ist(2026, 11, 27, 14, 0)
SCORES = [5] * 8 + [4] * 6 + [3] * 4 + [1] * 2


def _solve(complaint, at, root_cause):
    complete(complaint, "task_analyse", ANALYSIS, at)
    complete(complaint, "task_respond", {"root_cause_category": root_cause, "root_cause_analysis": "Analiz.",
                                         "solution": "Çözüm uygulandı."}, at)


def _build(staff) -> None:
    for week, day in enumerate((2, 9, 16, 23)):
        for i in range(10):
            c = register("telefon", at=ist(2026, 11, day, 10, 0))
            classify(c, "high", ist(2026, 11, day, 10, 30))
            _solve(c, ist(2026, 11, day, 14, 0), "network_infrastructure")
            answer(c, True, ist(2026, 11, day + 1, 10, 0))
            if week < 2:  # the first 20 of A answer the survey
                n = week * 10 + i
                customer.record_survey(c, SCORES[n], n >= 4, f"yorum {n}", at=ist(2026, 11, day + 2, 10, 0))
    for day in (2, 9):
        for _ in range(10):
            c = register("eposta", at=ist(2026, 11, day, 10, 0))  # acknowledged by e-mail at once
            classify(c, "normal", ist(2026, 11, day, 11, 30))
            _solve(c, ist(2026, 11, day + 2, 10, 0), "billing_system")
            answer(c, False, ist(2026, 11, day + 2, 12, 0))
            _solve(c, ist(2026, 11, day + 3, 10, 0), "billing_system")
            answer(c, True, ist(2026, 11, day + 3, 12, 0))
    for _ in range(15):
        c = register("faks", at=ist(2026, 11, 16, 10, 0))
        complete(c, "task_acknowledge", ACK, ist(2026, 11, 17, 10, 0))
        classify(c, "low", ist(2026, 11, 17, 12, 0))
        _solve(c, ist(2026, 11, 24, 10, 0), "equipment")
        answer(c, True, ist(2026, 11, 24, 12, 0))
    for day in (2, 2, 2, 2, 2, 23, 23, 23, 23, 23):
        c = register("yuz_yuze", at=ist(2026, 11, day, 10, 0))
        classify(c, "normal", ist(2026, 11, day, 10, 30))
    for _ in range(10):
        c = register("web", at=ist(2026, 11, 16, 10, 0))  # acknowledged by e-mail at once
        classify(c, "high", ist(2026, 11, 16, 11, 30))
        _solve(c, ist(2026, 11, 18, 10, 0), "third_party")
    for _ in range(5):
        c = register("telefon", at=ist(2026, 11, 9, 10, 0))
        admin_actions.cancel(c, user=staff["quality_manager"], reason="Mükerrer kayıt", at=ist(2026, 11, 9, 12, 0))
    fire(NOW)


def test_figures_on_a_known_data_set(staff):
    _build(staff)
    f = figures.compute(Scope(start=ist(2026, 11, 1, 0, 0).date(), end=ist(2026, 12, 1, 0, 0).date()), now=NOW)

    assert (f.total, f.cancelled) == (95, 5)
    assert (f.acknowledged_in_time.numerator, f.acknowledged_in_time.denominator) == (80, 95)
    assert f.acknowledged_in_time.percent == 84.2
    assert {p: (r.numerator, r.denominator, r.percent) for p, r in f.solution_in_time_by_priority.items()} == {
        "high": (40, 50, 80.0), "normal": (20, 30, 66.7), "low": (0, 15, 0.0)}
    assert f.solution_in_time.percent == 63.2  # 60 / 95
    assert {p: (r.numerator, r.denominator, r.percent) for p, r in f.on_time_by_priority.items()} == {
        "high": (40, 50, 80.0), "normal": (20, 30, 66.7), "low": (0, 15, 0.0)}
    # Proposal: 40×4 h, 30×18 h, 15×54 h → 43rd of 85; closure: 40×9, 20×29, 15×56 → 38th of 75.
    assert f.median_hours_to_proposal == 18.0
    assert f.median_hours_to_closure == 9.0
    assert f.backlog_by_age == {"0-1": 0, "1-3": 0, "3-5": 5, "5-10": 10, "10+": 5}
    assert (f.reopen_rate.numerator, f.reopen_rate.denominator, f.reopen_rate.percent) == (20, 85, 23.5)
    assert (f.accepted_first.numerator, f.accepted_first.denominator, f.accepted_first.percent) == (55, 75, 73.3)
    assert f.satisfaction == {"responses": 20, "surveys_sent": 75, "average": 3.9,
                              "distribution": {1: 2, 2: 0, 3: 4, 4: 6, 5: 8}, "response_rate": 26.7,
                              "solved": 80.0}
    assert f.by_channel == {"telefon": 40, "eposta": 20, "faks": 15, "web": 10, "yuz_yuze": 10}
    assert f.by_week == {"2026-W44": 0, "2026-W45": 25, "2026-W46": 20, "2026-W47": 35, "2026-W48": 15,
                         "2026-W49": 0}
    assert f.root_causes == [
        {"category": "network_infrastructure", "count": 40, "cumulative_percent": 47.1},
        {"category": "billing_system", "count": 20, "cumulative_percent": 70.6},
        {"category": "equipment", "count": 15, "cumulative_percent": 88.2},
        {"category": "third_party", "count": 10, "cumulative_percent": 100.0},
    ]
    heat = {spec: (v["count"], v["median_hours"], v["active"]) for spec, v in f.heatmap.items()}
    assert heat == {
        "task_acknowledge": (15, 9.0, 0),            # 15×9 h (e-mail and web are acknowledged automatically)
        "task_classify": (95, 0.5, 0),               # 80×0.5 h, 15×2 h
        "task_analyse": (105, 7.0, 10),              # 40×3.5, 20×7, 30×16.5, 15×43 → 53rd of 105
        "task_respond": (105, 0.0, 0),
        "task_customer_answer": (95, 2.0, 10),       # 40×5 h, 55×2 h
        # D's missed deadlines (the sweep) and C and E, whose late proposals fired the deadline timer
        "task_deadline_escalation": (0, None, 35),
    }

    high = figures.compute(Scope(start=ist(2026, 11, 1, 0, 0).date(), end=ist(2026, 12, 1, 0, 0).date(),
                                 priority="high", channel="web"), now=NOW)
    assert high.total == 10
    assert high.solution_in_time.percent == 0.0
    assert high.median_hours_to_proposal == 18.0
    assert high.backlog_by_age == {"0-1": 0, "1-3": 0, "3-5": 0, "5-10": 10, "10+": 0}


def test_an_empty_period_has_no_rates_and_no_satisfaction_data(app):
    f = figures.compute(Scope(start=ist(2026, 1, 1, 0, 0).date(), end=ist(2026, 2, 1, 0, 0).date()),
                        now=ist(2026, 2, 1, 0, 0))
    assert f.total == 0
    assert f.acknowledged_in_time.percent is None
    assert f.median_hours_to_closure is None
    assert f.satisfaction["average"] is None and f.satisfaction["response_rate"] is None
    assert f.root_causes == [] and f.heatmap == {}
