"""The XES event log and the variants page, on a generated history read back with pm4py."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from app.services.privacy.kvkk import anonymise_complaint
from app.services.review.insight import eventlog

from .helpers import ist

pytestmark = pytest.mark.usefixtures("live_version")
END = ist(2026, 11, 25, 11, 0)
PERIOD = "from=2026-10-01&to=2026-12-01"


@pytest.fixture
def history(app):
    """Three weeks of complaints through the real procedure on the simulated clock."""
    # Imported here, not at collection: importing it before test_api_fuzz runs changes what that
    # derandomized fuzzer generates, and it then finds `status=` (empty) accepted by the API.
    from app.services.review.insight import seed

    app.config["EVENT_LOG_BATCH"] = 7  # several batches even for a small history
    report = seed.seed_history(21, 3, end=END, seed=7)
    assert report.registered > 20 and report.steps > 60
    return report


def _pm4py_variants(path) -> Counter:
    pm4py = pytest.importorskip("pm4py")
    log = pm4py.read_xes(str(path))
    done = log[log["lifecycle:transition"] == "complete"]
    return Counter({tuple(variant): n for variant, n in pm4py.get_variants(done).items()})


def test_the_xes_read_back_with_pm4py_has_the_variants_the_desk_shows(history, runner, tmp_path, as_user):
    target = tmp_path / "log.xes"
    result = runner.invoke(args=["review", "export-xes", "--from", "2026-10-01", "--to", "2026-12-01",
                                 "-o", str(target)])
    assert result.exit_code == 0, result.output
    desk = eventlog.variants(ist(2026, 10, 1, 0, 0), ist(2026, 12, 1, 0, 0))
    shown = Counter({v.steps: v.count for v in desk if v.steps})
    assert _pm4py_variants(target) == shown
    assert sum(v.count for v in desk) == history.registered
    # A process model can be discovered from it (every step a transition of the net).
    pm4py = pytest.importorskip("pm4py")
    net, _, _ = pm4py.discover_petri_net_inductive(pm4py.read_xes(str(target)))
    labels = {t.label for t in net.transitions if t.label}
    assert {"Şikâyeti sınıflandır ve önceliklendir", "Şikâyeti analiz et ve değerlendir"} <= labels
    page = as_user("quality_manager").get(f"/review/procedure?{PERIOD}").get_data(as_text=True)
    top = desk[0]
    assert f'<td class="variant-count">{top.count}</td>' in page
    assert "v1: " in page and "Aşamalar arası ortanca süre" in page


def test_the_log_has_roles_lifecycles_timers_and_no_personal_data(history, as_user):
    response = as_user("auditor").get(f"/review/export.xes?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "attachment" in response.headers["Content-Disposition"]
    xml = response.get_data(as_text=True)
    assert xml.count("<trace>") == history.registered
    assert '<string key="lifecycle:transition" value="start"/>' in xml
    assert '<string key="org:role" value="handler"/>' in xml
    assert re.search(r'<string key="priority" value="(high|normal|low)"/>', xml)
    assert '<string key="channel" value="web"/>' in xml or '<string key="channel" value="eposta"/>' in xml
    for personal in ("Demo Müşteri", "example.com.tr", "+90 312", "demo", "Sorununuz giderildi"):
        assert personal not in xml


def test_timer_and_escalation_events(app, runner, tmp_path):
    from .helpers import register

    complaint = register("faks", at=ist(2026, 11, 23, 10, 0))
    from app.services.workflow import timers

    timers.fire_due_timers(at=ist(2026, 11, 24, 10, 0))  # the acknowledgement deadline passed
    xml = "".join(eventlog.export_xes(ist(2026, 11, 1, 0, 0), ist(2026, 12, 1, 0, 0)))
    assert '<string key="concept:name" value="Bildirim süresi aşıldı"/>' in xml
    assert '<string key="complaintflow:kind" value="timer"/>' in xml
    assert '<string key="org:role" value="system"/>' in xml
    assert complaint.registration_number in xml


def test_anonymised_complaints_keep_their_place(history, app):
    from app.extensions import db
    from app.models import Complaint

    victim = db.session.scalar(db.select(Complaint).where(Complaint.status == "closed").limit(1))
    before = [t.variant for t in eventlog.traces(ist(2026, 10, 1, 0, 0), ist(2026, 12, 1, 0, 0))]
    assert anonymise_complaint(victim, reason="test", at=END)
    traces = list(eventlog.traces(ist(2026, 10, 1, 0, 0), ist(2026, 12, 1, 0, 0)))
    assert [t.variant for t in traces] == before
    xml = "".join(eventlog.export_xes(ist(2026, 10, 1, 0, 0), ist(2026, 12, 1, 0, 0)))
    assert '<boolean key="anonymised" value="true"/>' in xml


@pytest.mark.parametrize("role", ["handler", "representative", "intake", "analyst"])
def test_only_review_readers_export(role, as_user):
    assert as_user(role).get(f"/review/export.xes?{PERIOD}").status_code == 403
    assert as_user(role).get(f"/review/procedure?{PERIOD}").status_code == 403


def test_an_outsider_is_sent_to_sign_in(client):
    response = client.get(f"/review/export.xes?{PERIOD}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bad_dates_on_the_command_line_are_refused_clearly(runner):
    result = runner.invoke(args=["review", "export-xes", "--from", "2026-13-45", "--to", "2026-12-01"])
    assert result.exit_code == 2
    assert "Invalid value for '--from'" in result.output and "YYYY-MM-DD" in result.output
    result = runner.invoke(args=["review", "export-xes", "--from", "2026-12-01", "--to", "2026-11-01"])
    assert result.exit_code == 2 and "--to must be after --from" in result.output


def test_seed_history_from_the_command_line(runner):
    result = runner.invoke(args=["demo", "seed-history", "--days", "3", "--per-day", "2",
                                 "--now", "2026-11-25T11:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert "complaints registered" in result.output
    bad = runner.invoke(args=["demo", "seed-history", "--days", "0"])
    assert bad.exit_code == 2
