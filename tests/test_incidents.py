"""Incidents (issue 16 §1): one outage, many complaints — suggested, linked in bulk, resolved once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, Incident, IncidentLink, OutboxMessage
from app.scheduler import apply_incident_resolutions
from app.services.complaints import incidents
from app.services.errors import ValidationFailed

from .helpers import answer, audit_actions, classify, complete, ist, ready_names, refreshed, register, task_named
from .mailbox import deliver, text_of

pytestmark = pytest.mark.usefixtures("live_version")

START = ist(2026, 11, 25, 9, 0)
DECISION = incidents.Resolution("network_infrastructure", "Kadıköy Moda'da fiber kablo kazıda kesildi.",
                                "Kesilen fiber kablo onarıldı; hizmetiniz 11:40'ta yeniden verildi.")


def outage(**fields) -> Incident:
    form = dict(title="Moda fiber kesintisi", service="connection", districts="Moda\nCaferağa",
                service_numbers="", started_at=START, description="Moda bölgesinde fiber kablo kesintisi, internet yok")
    form.update(fields)
    return incidents.open_incident(incidents.IncidentForm(**form), actor="uzman", at=ist(2026, 11, 25, 9, 30))


def affected(n: int = 1, *, phone: bool = False, at=None, **fields) -> list[Complaint]:
    """Complaints from the outage area, classified and waiting in analysis."""
    found = []
    for i in range(n):
        data = dict(description="Moda'dayım, sabahtan beri fiber internet yok, kesinti var.",
                    subject="Fiber kesintisi")
        if phone:
            data.update(preferred_contact="telefon")
        data.update(fields)
        complaint = register("telefon", at=at or ist(2026, 11, 25, 10, i % 50), **data)
        classify(complaint, "normal", ist(2026, 11, 25, 10, 55))
        found.append(complaint)
    return found


def numbers(complaints) -> list[str]:
    return [c.registration_number for c in complaints]


def test_suggestions_match_region_service_time_and_words_and_link_nothing(desk_clock):
    incident = outage()
    match = affected(1)[0]
    by_number = affected(1, description="Fiber bağlantım kesik.", subscription_number="9001 2345")[0]
    other_place = affected(1, description="Beşiktaş'ta fiber internet yok, kesinti var.")[0]
    no_words = register("telefon", at=ist(2026, 11, 25, 10, 0),
                        description="Moda şubenizdeki fatura bana yanlış geldi.")
    before = register("telefon", at=ist(2026, 11, 25, 8, 0), description="Moda'da fiber kesintisi var.")
    billing = register("telefon", at=ist(2026, 11, 25, 10, 0), description="Moda'da fiber kesintisi var.")
    complete(billing, "task_classify", {"priority": "low", "category": "billing"}, ist(2026, 11, 25, 10, 5))
    incident.service_numbers = "90012345"
    db.session.commit()

    offered = {s.complaint.registration_number: s for s in incidents.suggestions(incident)}
    assert set(offered) == {match.registration_number, by_number.registration_number}
    assert "fiber" in offered[match.registration_number].matched_words
    assert offered[by_number.registration_number].by_service_number
    for left_out in (other_place, no_words, before, billing):
        assert left_out.registration_number not in offered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncidentLink)) == 0  # offered, never linked


def test_linking_keeps_each_complaint_on_its_own_procedure(desk_clock):
    incident = outage()
    complaint = affected(1)[0]
    due = refreshed(complaint).solution_due_at
    outcome = incidents.link(incident.id, [complaint.registration_number], how="case_file", actor="uzman")
    assert outcome.linked == [complaint.registration_number]
    again = incidents.link(incident.id, [complaint.registration_number], how="bulk", actor="temsilci")
    assert again.skipped == {complaint.registration_number: "already_linked"}
    complaint = refreshed(complaint)
    assert complaint.solution_due_at == due and ready_names(complaint) == ["task_analyse"]
    assert audit_actions(complaint).count("incident_linked") == 1


def test_resolve_applies_once_mails_the_email_customers_and_raises_call_tasks(desk_clock, smtp):
    incident = outage()
    by_mail = affected(3)
    by_phone = affected(2, phone=True)
    not_yet = register("telefon", at=ist(2026, 11, 25, 10, 0), description="Moda'da fiber kesintisi var.")
    incidents.link(incident.id, numbers(by_mail + by_phone + [not_yet]), how="bulk", actor="uzman")
    at = ist(2026, 11, 25, 13, 0)
    outcome = incidents.resolve(incident.id, DECISION, actor="temsilci", at=at)
    assert sorted(outcome.applied) == sorted(numbers(by_mail + by_phone))
    assert outcome.waiting == [not_yet.registration_number]  # still in classification: nothing forced
    for complaint in by_mail:
        complaint = refreshed(complaint)
        assert complaint.solution == DECISION.solution and complaint.root_cause_category == "network_infrastructure"
        assert ready_names(complaint) == ["task_customer_answer"] and complaint.decision_notified_at == at
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
    for complaint in by_phone:
        assert ready_names(complaint) == ["task_notify_phone"]  # a call task that reads out the decision
        assert DECISION.solution in task_named(complaint, "task_notify_phone").instructions
    deliver(ist(2026, 11, 25, 13, 1))
    decisions = [m for m in smtp.messages() if DECISION.solution in text_of(m)]
    assert len(decisions) == 3
    # Again: nothing is applied twice and no second mail goes out.
    assert incidents.resolve(incident.id, None, actor="temsilci", at=ist(2026, 11, 25, 14, 0)).applied == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "decision")) == 3


def test_an_interrupted_resolution_finishes_the_rest_once_when_run_again(desk_clock):
    incident = outage()
    linked = affected(6)
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    first = incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0), stop_after=2)
    assert len(first.applied) == 2
    done = [c for c in linked if c.registration_number in first.applied]
    untouched = [c for c in linked if c.registration_number not in first.applied]
    for complaint in untouched:
        assert ready_names(complaint) == ["task_analyse"]
        assert "incident_resolution_applied" not in audit_actions(complaint)
    second = incidents.resolve(incident.id, None, actor="temsilci", at=ist(2026, 11, 25, 13, 5))
    assert sorted(second.applied) == sorted(numbers(untouched))
    for complaint in linked:
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
        assert ready_names(complaint) == ["task_customer_answer"]
    assert refreshed(done[0]).decision_notified_at == ist(2026, 11, 25, 13, 0)


def test_a_large_outage_is_shared_among_processes_and_each_complaint_gets_the_decision_once(desk_clock, monkeypatch):
    monkeypatch.setattr(incidents, "MIN_SHARE", 2)  # a share of two complaints is worth a process here
    incident = outage()
    by_mail = affected(4)
    by_phone = affected(2, phone=True)
    not_yet = register("telefon", at=ist(2026, 11, 25, 10, 0), description="Moda'da fiber kesintisi var.")
    incidents.link(incident.id, numbers(by_mail + by_phone + [not_yet]), how="bulk", actor="uzman")
    outcome = incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0), workers=3)
    assert sorted(outcome.applied) == sorted(numbers(by_mail + by_phone)) and not outcome.failed
    assert outcome.processes == 3
    assert outcome.waiting == [not_yet.registration_number]
    for complaint in by_mail + by_phone:
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
        assert refreshed(complaint).solution == DECISION.solution
    assert {ready_names(c)[0] for c in by_phone} == {"task_notify_phone"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "decision")) == len(by_mail)


def test_a_worker_process_that_dies_midway_leaves_the_rest_untouched_for_a_run_again(desk_clock, monkeypatch):
    import os

    monkeypatch.setattr(incidents, "MIN_SHARE", 2)
    incident = outage()
    linked = affected(6)
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    parent, apply = os.getpid(), incidents._apply
    victim = linked[3].registration_number  # the second complaint of the second share

    def killed_midway(link_id, complaint_id, step):
        if os.getpid() != parent and db.session.get(Complaint, complaint_id).registration_number == victim:
            os._exit(1)  # the worker process is gone (killed, out of memory) before this complaint commits
        return apply(link_id, complaint_id, step)

    monkeypatch.setattr(incidents, "_apply", killed_midway)
    first = incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0), workers=2)
    assert victim in first.failed and "run it again" in first.failed[victim]
    assert linked[1].registration_number in first.applied  # the same share, committed before the process died
    assert set(first.applied) | set(first.failed) == set(numbers(linked))
    assert ready_names(refreshed(linked[3])) == ["task_analyse"]
    assert "incident_resolution_applied" not in audit_actions(linked[3])

    monkeypatch.setattr(incidents, "_apply", apply)
    second = incidents.resolve(incident.id, None, actor="temsilci", at=ist(2026, 11, 25, 13, 5), workers=2)
    assert sorted(second.applied) == sorted(first.failed)
    for complaint in linked:
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
        assert ready_names(complaint) == ["task_customer_answer"]


def test_a_worker_forked_while_a_timer_sweep_thread_reads_the_spec_cache_can_read_it_too():
    # The incident job forks its workers from the scheduler, where the timer sweep's threads go through
    # SPEC_CACHE at any moment; a child that inherited the lock held waited for ever, and so did the job.
    import os

    from app.engine import SPEC_CACHE

    with SPEC_CACHE._lock:  # what a sweep thread holds at the instant of the fork
        child = os.fork()
        if child == 0:
            os._exit(0 if SPEC_CACHE._lock.acquire(blocking=False) else 1)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_customer_of_a_linked_complaint_rejects_and_the_reopen_works(desk_clock):
    incident = outage()
    happy, unhappy = affected(2)
    incidents.link(incident.id, numbers([happy, unhappy]), how="bulk", actor="uzman")
    incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    answer(happy, True, ist(2026, 11, 25, 15, 0))
    answer(unhappy, False, ist(2026, 11, 25, 15, 0))
    assert refreshed(happy).status == "closed"
    unhappy = refreshed(unhappy)
    assert unhappy.status == "open" and unhappy.reopen_count == 1 and ready_names(unhappy) == ["task_analyse"]
    # The incident's decision is not applied a second time: this one is analysed on its own now.
    assert incidents.resolve(incident.id, None, actor="temsilci", at=ist(2026, 11, 25, 16, 0)).applied == []
    assert ready_names(unhappy) == ["task_analyse"]


def test_figures_count_complaints_per_incident(desk_clock):
    incident = outage()
    linked = affected(3)
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    (row,) = incidents.per_incident()
    assert (row.incident.id, row.complaints, row.decided, row.on_time) == (incident.id, 3, 3, 3)


def test_the_dashboard_and_report_show_incident_complaints_apart(as_user, staff, desk_clock):
    from app.services.review import figures

    incident = outage()
    linked = affected(2)
    alone = affected(1)[0]
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    desk_clock.pin(ist(2026, 12, 10, 10, 0))  # the individual complaint's 3-day deadline has passed unanswered
    f = figures.compute(figures.Scope(start=ist(2026, 11, 1, 0, 0).date(), end=ist(2026, 12, 1, 0, 0).date()))
    assert (f.solution_in_time_by_origin["incident"].numerator, f.solution_in_time_by_origin["incident"].denominator) \
        == (2, 2)
    assert (f.solution_in_time_by_origin["individual"].numerator,
            f.solution_in_time_by_origin["individual"].denominator) == (0, 1)
    assert [(row["title"], row["complaints"]) for row in f.per_incident] == [("Moda fiber kesintisi", 2)]
    assert alone.registration_number not in numbers(c for c, _ in incidents.linked_complaints(incident.id))
    page = as_user("quality_manager").get("/review/report?from=2026-11-01&to=2026-12-01").get_data(as_text=True)
    assert "Arıza başına şikâyet" in page and "Moda fiber kesintisi" in page and "Arızaya bağlı" in page


# --- pages -------------------------------------------------------------------------------------------------


def test_a_handler_opens_an_incident_links_suggestions_and_resolves_it_on_its_page(as_user, staff, desk_clock):
    client = as_user("handler")
    response = client.post("/incidents/new", data={
        "title": "Moda fiber kesintisi", "service": "connection", "districts": "Moda", "service_numbers": "",
        "started_at": "2026-11-25T09:00", "description": "Moda bölgesinde fiber kablo kesintisi"})
    assert response.status_code == 302
    incident = db.session.scalar(sa.select(Incident))
    complaints = affected(3)
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert all(c.registration_number in page for c in complaints) and "Önerilen şikâyetler (3)" in page
    client.post(f"/incidents/{incident.id}/link", data={"numbers": numbers(complaints[:2])})
    assert {link.complaint_id for link in db.session.scalars(sa.select(IncidentLink))} == {c.id for c in complaints[:2]}
    case = client.get(f"/complaints/{complaints[0].registration_number}").get_data(as_text=True)
    assert "Bu şikâyet bir arızaya bağlı" in case and "Moda fiber kesintisi" in case
    client.post(f"/incidents/{incident.id}/resolve", data={
        "root_cause_category": "network_infrastructure", "root_cause": "Kablo kesildi.", "solution": "Kablo onarıldı."})
    # The request returns at once; the scheduler's incident job applies the decision, and the page follows it.
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "uygulanıyor: 0 / 2 uygulandı" in page and "data-poll" in page
    assert ready_names(complaints[0]) == ["task_analyse"]
    assert apply_incident_resolutions(client.application) == 2
    assert refreshed(complaints[0]).solution == "Kablo onarıldı."
    assert ready_names(complaints[2]) == ["task_analyse"]  # not linked: untouched
    line = client.get(f"/incidents/{incident.id}/application").get_data(as_text=True)  # what the page fetches
    assert "2 şikâyete uygulandı" in line and "data-poll" not in line
    # Asking again reaches nobody new: the report says so without hiding what the first run did.
    client.post(f"/incidents/{incident.id}/resolve", data={})
    assert apply_incident_resolutions(client.application) == 0
    line = client.get(f"/incidents/{incident.id}/application").get_data(as_text=True)
    assert "0 şikâyete uygulandı" in line and "şimdiye dek 2 / 2 bağlı şikâyete ulaştı" in line
    client.post("/language", data={"lang": "en", "next": "/inbox"})
    assert "Last run (" in client.get(f"/incidents/{incident.id}/application").get_data(as_text=True)
    assert apply_incident_resolutions(client.application) == 0  # nothing asked since


def test_asking_again_during_a_run_is_kept_for_the_next_run(desk_clock, monkeypatch):
    incident = outage()
    (first,) = affected(1)
    later = register("telefon", at=ist(2026, 11, 25, 10, 0), description="Moda'da fiber kesintisi var.")
    incidents.link(incident.id, numbers([first, later]), how="bulk", actor="uzman")
    incidents.request_application(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    resolve = incidents.resolve

    def while_running(*args, **kwargs):
        outcome = resolve(*args, **kwargs)
        classify(later, "normal", ist(2026, 11, 25, 13, 1))  # reaches analysis after this run passed it by
        incidents.request_application(incident.id, None, actor="uzman", at=ist(2026, 11, 25, 13, 2))
        return outcome

    monkeypatch.setattr(incidents, "resolve", while_running)
    ((_, outcome),) = incidents.apply_requested(at=ist(2026, 11, 25, 13, 1))
    assert outcome.applied == [first.registration_number] and outcome.waiting == [later.registration_number]
    kept = db.session.get(Incident, incident.id)
    assert kept.application_requested_by == "uzman" and (kept.application_applied, kept.application_waiting) == (1, 1)
    monkeypatch.setattr(incidents, "resolve", resolve)
    ((_, outcome),) = incidents.apply_requested(at=ist(2026, 11, 25, 13, 3))
    assert outcome.applied == [later.registration_number]
    assert incidents.apply_requested() == []


def test_a_run_that_fails_for_one_incident_applies_the_others_and_keeps_its_request(desk_clock, monkeypatch):
    broken, working = outage(), outage(title="Caferağa fiber kesintisi")
    first, second = affected(2)
    incidents.link(broken.id, numbers([first]), how="bulk", actor="uzman")
    incidents.link(working.id, numbers([second]), how="bulk", actor="uzman")
    for incident in (broken, working):
        incidents.request_application(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    resolve = incidents.resolve

    def failing_for_one(incident_id, *args, **kwargs):
        if incident_id == broken.id:
            raise RuntimeError("the database went away")
        return resolve(incident_id, *args, **kwargs)

    monkeypatch.setattr(incidents, "resolve", failing_for_one)
    reports = incidents.apply_requested(at=ist(2026, 11, 25, 13, 1))
    assert [incident_id for incident_id, _ in reports] == [working.id]
    assert refreshed(second).solution == DECISION.solution and ready_names(first) == ["task_analyse"]
    assert db.session.get(Incident, broken.id).application_requested_at is not None  # the next run tries again
    monkeypatch.setattr(incidents, "resolve", resolve)
    ((incident_id, outcome),) = incidents.apply_requested(at=ist(2026, 11, 25, 13, 2))
    assert incident_id == broken.id and outcome.applied == [first.registration_number]


@pytest.mark.parametrize("workers", [1, 2])
def test_one_complaint_s_unexpected_error_fails_that_complaint_only_and_the_job_moves_on(
        app, desk_clock, monkeypatch, workers):
    # An error outside the expected ones (a bug in a script helper, a corrupt state) used to abort the
    # incident's run: in one process the job failed on the same complaint at every run, its request kept for
    # ever, the page saying "applying" and the complaints after it never reached; in worker processes the
    # whole rest of that complaint's share was reported failed with its error.
    monkeypatch.setattr(incidents, "MIN_SHARE", 2)
    first, second = outage(), outage(title="İkinci kesinti")
    broken, *fine = affected(4)
    (other,) = affected(1)
    incidents.link(first.id, numbers([broken, *fine]), how="bulk", actor="uzman")
    incidents.link(second.id, numbers([other]), how="bulk", actor="uzman")
    incidents.request_application(first.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    incidents.request_application(second.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 1))
    apply = incidents._apply

    def fails_on_one(link_id, complaint_id, step):
        if complaint_id == broken.id:
            raise KeyError("no such variable")
        return apply(link_id, complaint_id, step)

    monkeypatch.setattr(incidents, "_apply", fails_on_one)
    app.config["INCIDENT_WORKERS"] = workers
    try:
        assert apply_incident_resolutions(app) == len(fine) + 1
    finally:
        app.config["INCIDENT_WORKERS"] = 0
    assert ready_names(broken) == ["task_analyse"] and "incident_resolution_applied" not in audit_actions(broken)
    for complaint in [*fine, other]:
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
    report = db.session.get(Incident, first.id)
    assert report.application_requested_at is None
    assert (report.application_applied, report.application_failed) == (len(fine), 1)


def test_a_second_scheduler_taking_the_same_request_does_not_overwrite_the_report(app, desk_clock, monkeypatch):
    # A failover scheduler beside the first sees the same request while the first is applying it: it leaves
    # it alone (it used to do the outage again, and its report, written last, said nothing was applied).
    incident = outage()
    linked = affected(3)
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    incidents.request_application(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    resolve, overlapped = incidents.resolve, []

    def other_scheduler_first(*args, **kwargs):
        if not overlapped:
            overlapped.append(True)
            with app.app_context():  # the other scheduler process: a session of its own
                incidents.apply_requested(at=ist(2026, 11, 25, 13, 1))
        return resolve(*args, **kwargs)

    monkeypatch.setattr(incidents, "resolve", other_scheduler_first)
    incidents.apply_requested(at=ist(2026, 11, 25, 13, 1))
    for complaint in linked:
        assert audit_actions(complaint).count("incident_resolution_applied") == 1
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).application_applied == len(linked)


def test_a_request_taken_by_a_scheduler_that_died_is_taken_again_once_its_lease_runs_out(desk_clock):
    incident = outage()
    linked = affected(2)
    incidents.link(incident.id, numbers(linked), how="bulk", actor="uzman")
    incidents.request_application(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    db.session.execute(sa.update(Incident).values(application_started_at=ist(2026, 11, 25, 13, 1)))  # then died
    db.session.commit()
    assert incidents.apply_requested(at=ist(2026, 11, 25, 13, 10)) == []
    assert ready_names(linked[0]) == ["task_analyse"]
    ((_, outcome),) = incidents.apply_requested(at=ist(2026, 11, 25, 13, 17))
    assert sorted(outcome.applied) == sorted(numbers(linked))
    incident = db.session.get(Incident, incident.id)
    assert incident.application_started_at is None and incident.application_requested_at is None


def test_the_progress_line_says_how_many_linked_complaints_no_run_reaches_yet(as_user, staff, desk_clock):
    incident = outage()
    in_analysis = affected(2)
    classifying = register("telefon", at=ist(2026, 11, 25, 10, 0), description="Moda'da fiber kesintisi var.")
    incidents.link(incident.id, numbers(in_analysis + [classifying]), how="bulk", actor="uzman")
    incidents.request_application(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    assert incidents.application_progress(incident.id) == incidents.Progress(linked=3, applied=0, outside_analysis=1)
    client = as_user("representative")
    line = client.get(f"/incidents/{incident.id}/application").get_data(as_text=True)
    assert "0 / 3 uygulandı" in line and "1 bağlı şikâyet analizde değil" in line
    incidents.apply_requested(at=ist(2026, 11, 25, 13, 1))
    assert incidents.application_progress(incident.id) == incidents.Progress(linked=3, applied=2, outside_analysis=1)


def test_an_invalid_decision_asks_for_nothing(desk_clock):
    incident = outage()
    with pytest.raises(ValidationFailed):
        incidents.request_application(incident.id, incidents.Resolution("network_infrastructure", " ", "x"),
                                      actor="temsilci")
    incident = db.session.get(Incident, incident.id)
    assert incident.status == "open" and incident.application_requested_at is None


def test_the_in_process_scheduler_starts_the_incident_job_at_once(app):
    from app.scheduler import INCIDENT_RESOLUTIONS, build_scheduler, wake

    assert not wake(app, INCIDENT_RESOLUTIONS)  # no scheduler in this process: the other one's interval
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(INCIDENT_RESOLUTIONS)
        scheduler.modify_job(INCIDENT_RESOLUTIONS, next_run_time=datetime.now(UTC) + timedelta(hours=1))
        assert wake(app, INCIDENT_RESOLUTIONS)
        assert scheduler.get_job(INCIDENT_RESOLUTIONS).next_run_time <= datetime.now(UTC)
        assert job.trigger.interval == timedelta(seconds=app.config["INCIDENT_SWEEP_SECONDS"])
    finally:
        scheduler.shutdown(wait=False)


def test_bulk_link_from_a_search_result_takes_every_matching_complaint(as_user, staff, desk_clock):
    incident = outage()
    complaints = affected(4)
    client = as_user("representative")
    page = client.get("/complaints?q=&status=open").get_data(as_text=True)
    assert 'action="/incidents/bulk-link"' in page
    client.post("/incidents/bulk-link", data={"incident": incident.id, "all_matching": "1", "q": "", "status": "open",
                                              "date_from": "", "date_to": ""})
    assert len(incidents.linked_complaints(incident.id)) == 4
    history = client.get(f"/complaints/{complaints[3].registration_number}").get_data(as_text=True)
    assert "Moda fiber kesintisi" in history


def test_the_case_file_links_one_complaint(as_user, staff, desk_clock):
    incident = outage()
    (complaint,) = affected(1)
    client = as_user("handler")
    client.post(f"/complaints/{complaint.registration_number}/incident", data={"incident": str(incident.id)})
    assert incidents.link_of(complaint.id)[1].id == incident.id


@pytest.mark.parametrize("role", ["intake", "analyst", "quality_manager", "auditor", "admin"])
def test_other_roles_cannot_open_link_or_resolve(as_user, staff, desk_clock, role):
    incident = outage()
    (complaint,) = affected(1)
    client = as_user(role)
    assert client.get("/incidents").status_code == 403
    assert client.get(f"/incidents/{incident.id}/application").status_code == 403
    number = complaint.registration_number
    assert client.post(f"/incidents/{incident.id}/link", data={"numbers": [number]}).status_code == 403
    assert client.post("/incidents/bulk-link", data={"incident": incident.id, "all_matching": "1"}).status_code == 403
    assert client.post(f"/complaints/{complaint.registration_number}/incident",
                       data={"incident": str(incident.id)}).status_code == 403
    assert client.post(f"/incidents/{incident.id}/resolve", data={
        "root_cause_category": "no_fault", "root_cause": "x", "solution": "x"}).status_code == 403
    assert client.post("/incidents/new", data={"title": "x"}).status_code == 403
    assert incidents.link_of(complaint.id) is None and db.session.get(Incident, incident.id).status == "open"


def test_outsiders_are_sent_to_sign_in(client, desk_clock):
    incident = outage()
    assert "/login" in client.get(f"/incidents/{incident.id}/application").headers["Location"]
    for url in ("/incidents/new", f"/incidents/{incident.id}/resolve", f"/incidents/{incident.id}/link",
                "/incidents/bulk-link"):
        response = client.post(url, data={})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(Incident, incident.id).status == "open"


def test_posts_without_a_csrf_token_change_nothing(app, as_user, staff, desk_clock):
    incident = outage()
    (complaint,) = affected(1)
    resolved = outage(title="Çözülmüş kesinti")
    incidents.resolve(resolved.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    client = as_user("representative")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        # "Apply to the complaints it has not reached" on a resolved incident: a forged post asks for nothing.
        assert client.post(f"/incidents/{resolved.id}/resolve", data={}).status_code == 400
        client.post(f"/incidents/{incident.id}/link", data={"numbers": [complaint.registration_number]})
        client.post("/incidents/bulk-link", data={"incident": incident.id, "all_matching": "1"})
        client.post(f"/complaints/{complaint.registration_number}/incident", data={"incident": str(incident.id)})
        client.post(f"/incidents/{incident.id}/resolve", data={
            "root_cause_category": "no_fault", "root_cause": "x", "solution": "x"})
        client.post("/incidents/new", data={"title": "Sahte", "districts": "Moda", "description": "x",
                                            "started_at": "2026-11-25T09:00"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert incidents.link_of(complaint.id) is None and db.session.get(Incident, incident.id).status == "open"
    assert db.session.get(Incident, resolved.id).application_requested_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 2


def test_hostile_text_is_refused_and_shown_escaped(as_user, staff, desk_clock):
    client = as_user("handler")
    response = client.post("/incidents/new", data={
        "title": "Kesinti\r\nBcc: x@evil", "districts": "Moda", "description": "x", "started_at": "2026-11-25T09:00"})
    assert response.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
    incident = outage(title="<script>alert(1)</script>")
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- the diagram ---------------------------------------------------------------------------------------------


def test_the_gate_runs_an_incident_resolved_path_and_refuses_one_that_drops_the_solution(app):
    from app.services.procedure import validation

    from . import procedure_edits as edits

    bpmn, forms = edits.shipped()
    assert validation.run_gate(bpmn, forms)[1] == []
    broken = edits.replace_once(bpmn, "\nsolution = incident_resolution['solution']",
                                "\nsolution = 'Arıza giderildi.'")
    _, problems = validation.run_gate(broken, forms)
    (problem,) = [p for p in problems if "does not carry its solution" in p["message"]]
    assert problem["element"] == "task_analyse" and "incident resolved" in problem["path"]


def test_an_analyst_may_take_the_incident_path_out(desk_clock):
    """A diagram whose analysis waits for no incident message passes the gate without an incident scenario;
    a resolution then reaches none of its complaints (each stays in analysis for the handler) and fails none."""
    from app.services.procedure import versions

    from . import procedure_edits as edits

    bpmn, forms = edits.shipped()
    renamed = edits.replace_once(bpmn, 'id="msg_incident_resolved" name="Arıza çözüldü"',
                                 'id="msg_incident_resolved" name="Başka bir mesaj"')
    versions.deploy_version(renamed, forms, author="analyst", comment="arıza yolu yok", at=ist(2026, 11, 1, 9, 0))
    incident = outage()
    (complaint,) = affected(1)
    incidents.link(incident.id, [complaint.registration_number], how="bulk", actor="uzman")
    outcome = incidents.resolve(incident.id, DECISION, actor="temsilci", at=ist(2026, 11, 25, 13, 0))
    assert outcome.applied == [] and outcome.waiting == [complaint.registration_number] and not outcome.failed
    assert ready_names(complaint) == ["task_analyse"] and refreshed(complaint).attention_reason is None


def test_the_incident_pages_speak_english_after_the_switch(as_user, staff, desk_clock):
    incident = outage()
    affected(1)
    client = as_user("handler")
    client.post("/language", data={"lang": "en", "next": "/incidents"})
    listing = client.get("/incidents").get_data(as_text=True)
    assert "Incidents" in listing and "Arıza kayıtları" not in listing
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Suggested complaints (1)" in page and "Resolve the incident" in page and "Bağlı şikâyetler" not in page


def test_the_gate_refuses_a_hostile_correlation_expression(app):
    """The correlation expression is diagram code like any other: run in the sandbox, bounded."""
    from app.services.procedure import validation

    from . import procedure_edits as edits

    bpmn, forms = edits.shipped()
    hostile = edits.replace_once(bpmn, "<bpmn:formalExpression>incident_id</bpmn:formalExpression>",
                                 "<bpmn:formalExpression>'x' * 10**9</bpmn:formalExpression>")
    bundle, problems = validation.run_gate(hostile, forms)
    assert bundle is None or problems
    assert any("incident resolved" in (p.get("path") or "") for p in problems), problems


def test_an_incident_form_with_a_future_start_and_no_region_is_shown_again_with_both_messages(as_user, staff,
                                                                                               desk_clock):
    client = as_user("handler")
    form = {"title": "Moda fiber kesintisi", "service": "connection", "districts": "", "service_numbers": "",
            "started_at": "2026-11-26T09:00", "description": "Kesinti"}  # the desk clock says 25 November
    page = client.post("/incidents/new", data=form).get_data(as_text=True)
    assert "Başlangıç zamanı ileride olamaz." in page and db.session.scalar(sa.select(Incident)) is None
    form["started_at"] = "2026-11-25T09:00"
    client.post("/language", data={"lang": "en", "next": "/inbox"})
    page = client.post("/incidents/new", data=form).get_data(as_text=True)
    assert "Enter a region (districts / neighbourhoods) or service numbers." in page
    assert db.session.scalar(sa.select(Incident)) is None


def test_a_refused_decision_shows_the_form_again_with_what_was_typed(as_user, staff, desk_clock):
    incident = outage()
    client = as_user("handler")
    form = {"root_cause_category": "network_infrastructure", "root_cause": "Kazıda fiber kablo kesildi, ekip yolda.",
            "solution": ""}
    response = client.post(f"/incidents/{incident.id}/resolve", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kazıda fiber kablo kesildi, ekip yolda." in page  # not lost
    assert "Kök neden, kök neden analizi ve çözüm zorunludur." in page and 'id="solution-error"' in page
    form["root_cause"] = "Kablo kesildi\x00"  # the desk's character rule, past the form's own checks
    form["solution"] = "Kablo onarıldı."
    client.post("/language", data={"lang": "en", "next": "/inbox"})
    page = client.post(f"/incidents/{incident.id}/resolve", data=form).get_data(as_text=True)
    assert "The decision was not saved; correct the marked fields." in page and 'id="root_cause-error"' in page
    assert "Kablo onarıldı." in page
    incident = db.session.get(Incident, incident.id)
    assert incident.status == "open" and incident.application_requested_at is None


def test_a_second_decision_on_an_incident_resolved_meanwhile_is_refused_not_dropped(as_user, staff, desk_clock):
    """Two people with the open incident's page: the first decision stands, the second person is told theirs
    was not kept; the same decision posted twice (a double click) asks once."""
    incident = outage()
    affected(1)
    first, second = as_user("handler"), as_user("representative")
    mine = {"root_cause_category": "network_infrastructure", "root_cause": "Kablo kesildi.", "solution": "Onarıldı."}
    assert client_post(first, incident, mine).status_code == 302
    asked = db.session.get(Incident, incident.id).application_requested_at
    theirs = dict(mine, solution="Modeminizi yeniden başlatın.")  # typed on a page opened before
    page = second.get(client_post(second, incident, theirs).headers["Location"]).get_data(as_text=True)
    assert "sizden önce başka bir kararla çözdü" in page and "Girdiğiniz karar kaydedilmedi." in page
    db.session.expire_all()
    kept = db.session.get(Incident, incident.id)
    assert (kept.solution, kept.resolved_by) == ("Onarıldı.", staff["handler"].username)
    desk_clock.pin(asked + timedelta(minutes=1))  # a later click would move the request's time
    page = first.get(client_post(first, incident, mine).headers["Location"]).get_data(as_text=True)
    assert "arka planda uygulanıyor" in page
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).application_requested_at == asked  # asked once
    with pytest.raises(incidents.ResolvedMeanwhile):
        incidents.request_application(incident.id, incidents.Resolution(**theirs), actor="temsilci")


def client_post(client, incident, form):
    """The decision form of the incident's page, as the browser posts it."""
    return client.post(f"/incidents/{incident.id}/resolve", data=form)
