"""At risk before the deadline: the estimate against hand-computed cases, the inbox and the dashboard.

History (priority high, decision by e-mail): two complaints whose analysis took 2 and 4 business hours
(median 3) and whose response took 4 and 6 (median 5). Now is Wed 25.11.2026 11:00; a high complaint's
solution deadline is one business day after receipt.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.engine import parse_bpmn
from app.engine.paths import remaining_steps
from app.extensions import db
from app.models import DeadlineForecast
from app.services.review.insight import risk

from .helpers import ANALYSIS, RESPONSE, classify, complete, ist, refreshed, register

pytestmark = pytest.mark.usefixtures("live_version")
NOW = ist(2026, 11, 25, 11, 0)


def _history() -> None:
    a = register("telefon", at=ist(2026, 11, 16, 9, 0))
    b = register("telefon", at=ist(2026, 11, 16, 9, 0))
    for complaint in (a, b):
        classify(complaint, "high", ist(2026, 11, 16, 10, 0))
    complete(a, "task_analyse", ANALYSIS, ist(2026, 11, 16, 12, 0))   # 2 h
    complete(a, "task_respond", RESPONSE, ist(2026, 11, 16, 16, 0))   # 4 h
    complete(b, "task_analyse", ANALYSIS, ist(2026, 11, 16, 14, 0))   # 4 h
    complete(b, "task_respond", RESPONSE, ist(2026, 11, 17, 11, 0))   # 14-18 + 9-11 = 6 h


@pytest.fixture
def desk(app):
    app.config["AT_RISK_MIN_HISTORY"] = 2
    _history()
    cases = {}
    cases["at_risk"] = register("telefon", at=ist(2026, 11, 25, 9, 0))
    classify(cases["at_risk"], "high", ist(2026, 11, 25, 10, 30))        # due Thu 09:00
    cases["on_track"] = register("telefon", at=ist(2026, 11, 25, 10, 0))
    classify(cases["on_track"], "high", ist(2026, 11, 25, 10, 5))        # due Thu 10:00
    cases["later_missed"] = register("telefon", at=ist(2026, 11, 25, 10, 30))
    classify(cases["later_missed"], "high", ist(2026, 11, 25, 10, 35))   # due Thu 10:30
    cases["no_history"] = register("telefon", at=ist(2026, 11, 25, 9, 0))
    classify(cases["no_history"], "low", ist(2026, 11, 25, 9, 30))
    cases["unclassified"] = register("faks", at=ist(2026, 11, 25, 9, 30))  # acknowledgement due today 18:00
    risk.recompute(now=NOW)
    return {key: refreshed(c) for key, c in cases.items()}


def test_remaining_steps_come_from_the_diagram():
    from app.config import PROJECT_ROOT
    from app.services.procedure import validation

    bundle = parse_bpmn((PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8"),
                        validation.load_decisions_dir(PROJECT_ROOT / "processes"))
    assert [(s.id, s.optional) for s in remaining_steps(bundle, "task_analyse")] == [
        ("task_respond", False), ("task_notify_phone", True), ("task_notify_letter", True)]
    # Classification has no deadline of its own: nothing after the acknowledgement counts towards ack_due.
    assert [s.id for s in remaining_steps(bundle, "task_acknowledge")] == []
    assert remaining_steps(bundle, "task_customer_answer") == []


def test_hand_computed_estimates(desk):
    at_risk = desk["at_risk"]
    # Analysis open 0.5 h of its median 3 h, then the response's median 5 h: 7.5 h needed; 11:00-18:00 left.
    assert (at_risk.risk_status, at_risk.risk_needed_hours, at_risk.risk_left_hours) == ("at_risk", 7.5, 7.0)
    on_track = desk["on_track"]
    # Open 55 min: 3 - 0.92 + 5 = 7.08 h needed; 7 h today + 1 h tomorrow left.
    assert (on_track.risk_status, on_track.risk_needed_hours, on_track.risk_left_hours) == ("on_track", 7.08, 8.0)
    assert desk["later_missed"].risk_status == "on_track"
    detail = json.loads(at_risk.risk_detail_json)
    assert [(s["id"], s["samples"], s["median"], s["weight"]) for s in detail["steps"]] == [
        ("task_analyse", 2, 3.0, 1.0), ("task_respond", 2, 5.0, 1.0), ("task_notify_phone", 0, None, 0.0),
        ("task_notify_letter", 0, None, 0.0)]


def test_too_little_history_is_said_not_guessed(desk):
    low = desk["no_history"]
    assert (low.risk_status, low.risk_needed_hours) == ("unknown", None)
    assert json.loads(low.risk_detail_json)["short"] == ["Şikâyeti analiz et ve değerlendir",
                                                         "Cevapla: kök neden analizi ve çözüm"]
    assert desk["unclassified"].risk_status == "unknown"  # no acknowledgement has been timed yet


def test_precision_and_recall_once_the_deadlines_resolve(desk, client, as_user, desk_clock):
    complete(desk["at_risk"], "task_analyse", ANALYSIS, ist(2026, 11, 25, 13, 0))
    complete(desk["at_risk"], "task_respond", RESPONSE, ist(2026, 11, 26, 10, 0))   # due 09:00: missed, flagged
    complete(desk["on_track"], "task_analyse", ANALYSIS, ist(2026, 11, 25, 12, 0))
    complete(desk["on_track"], "task_respond", RESPONSE, ist(2026, 11, 25, 16, 0))  # met
    complete(desk["later_missed"], "task_analyse", ANALYSIS, ist(2026, 11, 25, 12, 0))  # response still open
    later = ist(2026, 11, 26, 12, 0)
    report = risk.recompute(now=later)
    assert report.resolved == 3
    outcomes = dict(db.session.execute(sa.select(DeadlineForecast.complaint_id, DeadlineForecast.outcome)).all())
    assert outcomes == {desk["at_risk"].id: "missed", desk["on_track"].id: "met", desk["later_missed"].id: "missed"}
    quality = risk.flag_quality(ist(2026, 11, 1, 0, 0), ist(2026, 12, 1, 0, 0))
    assert (quality.flagged, quality.missed, quality.flagged_and_missed) == (1, 2, 1)
    assert (quality.precision, quality.recall) == (100.0, 50.0)
    assert refreshed(desk["at_risk"]).risk_status is None  # waiting for the customer: no deadline running
    desk_clock.pin(later)
    page = as_user("quality_manager").get("/review/dashboard?from=2026-11-01&to=2026-12-01").get_data(as_text=True)
    assert 'id="flag-precision">100.0 %' in page and 'id="flag-recall">50.0 %' in page


def test_inbox_filter_marker_and_the_representatives_order(desk, as_user):
    handler = as_user("handler")
    page = handler.get("/inbox?due=at_risk").get_data(as_text=True)
    assert desk["at_risk"].registration_number in page
    assert desk["on_track"].registration_number not in page
    assert "Risk altında" in page
    assert "Kalan adımlar geçmişte ortanca 7,5 iş saati sürdü; kalan süre 7 iş saati" in page
    # The faks complaint's acknowledgement is due first, but the representative sees the risk first.
    rows = as_user("representative").get("/inbox?scope=all").get_data(as_text=True)
    first = rows.index(desk["at_risk"].registration_number)
    assert first < rows.index(desk["unclassified"].registration_number)
    handler.post("/language", data={"lang": "en", "next": "/inbox"})
    english = handler.get("/inbox?due=at_risk").get_data(as_text=True)
    assert "At risk" in english
    assert "The remaining steps took a median of 7.5 business hours in the past; 7 business hours left" in english


def test_a_flag_without_its_figures_still_shows_the_inbox(desk, as_user):
    from app.models import Complaint

    db.session.execute(sa.update(Complaint).where(Complaint.id == desk["at_risk"].id)
                       .values(risk_needed_hours=None, risk_left_hours=None))
    db.session.commit()
    response = as_user("handler").get("/inbox?due=at_risk")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert desk["at_risk"].registration_number in page and "Risk altında" in page
    assert "Kalan adımlar" not in page


def test_dashboard_counts_at_risk_by_priority(desk, as_user):
    page = as_user("quality_manager").get("/review/dashboard").get_data(as_text=True)
    assert '<tr data-priority="high"><td>Yüksek</td>\n        <td class="risk-count">1</td><td>2</td>' in page
    table = risk.at_risk_by_priority()
    assert table["high"]["at_risk"] == 1 and table["high"]["on_track"] == 2
    assert table["low"]["unknown"] == 1 and table[""]["unknown"] == 1


def test_recompute_from_the_cli_and_the_scheduler(desk, runner, app):
    from app.scheduler import build_scheduler

    result = runner.invoke(args=["review", "at-risk", "--now", "2026-11-25T11:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert "1 at risk" in result.output and "2 with too little history" in result.output
    assert build_scheduler(app, blocking=False).get_job("at-risk") is not None
    bad = runner.invoke(args=["review", "at-risk", "--now", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
