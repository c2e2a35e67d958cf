"""Versions: drafts, diff, dry-run migration and migration of running complaints."""

from __future__ import annotations

import pytest

from app.engine import ProcessDefinitionError
from app.services.procedure import drafts, migration, versions

from . import procedure_edits as edits
from .helpers import answer, audit_actions, classify, complete, ist, ready_names, refreshed, register, solve

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)


def _deploy(edit):
    return versions.deploy_version(*edit(*edits.shipped()), author="analyst", comment="change")


def test_diff_lists_added_removed_and_changed_tasks_and_forms(app):
    _deploy(edits.normal_deadline_two_days)
    app.config["LANE_ROLES"] = {**app.config["LANE_ROLES"], edits.LEGAL_LANE: ["legal"]}
    _deploy(edits.legal_review_for_high_priority)

    first = versions.diff_versions(1, 2)
    assert first["added"] == [] and first["removed"] == []
    assert first["changed"] == {"script_solution_deadline": ["script"]}

    second = versions.diff_versions(2, 3)
    assert {"task_legal_review", "gw_legal", "timer_legal_deadline", "task_legal_escalation"} <= set(second["added"])
    assert "script_solution_deadline" in second["changed"]  # its script (back to 3 days) and its next step
    assert second["forms"]["added"] == ["legal_review"]


def test_dry_run_says_who_can_move_and_migrating_records_an_audit_event(app):
    waiting = register("faks", at=RECEIVED)  # acknowledgement not given yet: the deadline rule is ahead of it
    analysing = register("telefon", at=RECEIVED)
    classify(analysing, "normal", ist(2026, 11, 25, 11, 0))  # already computed its 3-day deadline
    _deploy(edits.normal_deadline_two_days)

    plan = {c.registration_number: c for c in migration.dry_run(2)}
    assert plan[waiting.registration_number].can_move
    assert not plan[analysing.registration_number].can_move
    assert "script_solution_deadline, which it has reached, was changed (script)" in plan[
        analysing.registration_number].reasons

    moved = migration.migrate_complaints(2, actor="analist", at=ist(2026, 11, 25, 10, 15))
    results = {c.registration_number: c for c in moved}
    assert results[waiting.registration_number].moved
    assert not results[analysing.registration_number].moved
    assert refreshed(waiting).instance.version.number == 2
    assert refreshed(analysing).instance.version.number == 1
    assert audit_actions(waiting)[-1] == "migrated"
    assert "migrated" not in audit_actions(analysing)

    # The moved complaint follows the new rule from here on; its open task is still in the inbox.
    assert ready_names(waiting) == ["task_acknowledge"]
    complete(waiting, "task_acknowledge", {"ack_method": "telefon"}, ist(2026, 11, 25, 10, 30))
    classify(waiting, "normal", ist(2026, 11, 25, 11, 0))
    assert refreshed(waiting).solution_due_at == ist(2026, 11, 27, 10, 0)
    solve(waiting, ist(2026, 11, 26, 9, 0))
    answer(waiting, True, ist(2026, 11, 26, 9, 30))
    assert refreshed(waiting).status == "closed"
    assert waiting.registration_number not in [c.registration_number for c in migration.dry_run(2)]


def test_a_complaint_inside_the_changed_sub_process_stays(app):
    complaint = register("telefon", at=RECEIVED)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    bpmn, forms = edits.shipped()
    bpmn = edits.replace_once(bpmn, "<spiffworkflow:preScript>send_message('decision')",
                              "<spiffworkflow:preScript>send_message('decision')\ndecision_note = 'e-posta'")
    versions.deploy_version(bpmn, forms, author="analyst")
    (check,) = migration.dry_run(2)
    assert check.can_move  # the changed script is ahead of it, inside the sub-process
    migration.migrate_complaints(2, actor="analist", at=ist(2026, 11, 25, 11, 30))
    solve(complaint, ist(2026, 11, 25, 14, 0))
    assert refreshed(complaint).instance.version.number == 2
    assert ready_names(complaint) == ["task_customer_answer"]


def test_drafts_keep_problems_and_only_a_clean_draft_deploys(app):
    bad, problems = drafts.save_draft(*edits.loses_reopen_path(*edits.shipped()), author="analist",
                                      comment="wip", base_version=1)
    assert problems and drafts.draft_problems(bad) == problems
    with pytest.raises(ProcessDefinitionError):
        drafts.deploy_draft(bad.id, author="analist")
    assert versions.live_version().number == 1

    fixed, problems = drafts.save_draft(*edits.normal_deadline_two_days(*edits.shipped()), author="analist",
                                        draft_id=bad.id)
    assert problems == [] and fixed.id == bad.id
    version = drafts.deploy_draft(fixed.id, author="analist")
    assert version.number == 2 and versions.live_version().number == 2
    assert drafts.get_draft(fixed.id).deployed_version_id == version.id

    assert [(v.number, running) for v, running in versions.list_versions()] == [(2, 0), (1, 0)]
    versions.deploy_existing(1)
    assert versions.live_version().number == 1


def test_a_draft_over_the_size_limit_is_not_stored(app):
    bpmn, forms = edits.shipped()
    with pytest.raises(ProcessDefinitionError):
        drafts.save_draft(bpmn + " " * 3_000_000, forms, author="analist")
    assert drafts.list_drafts() == []


def test_a_moved_complaint_takes_a_step_added_ahead_of_it(app):
    app.config["LANE_ROLES"] = {**app.config["LANE_ROLES"], edits.LEGAL_LANE: ["legal"]}
    complaint = register("faks", at=RECEIVED)
    _deploy(edits.legal_review_for_high_priority)
    (moved,) = migration.migrate_complaints(2, actor="analist", at=ist(2026, 11, 25, 10, 15))
    assert moved.moved
    complete(complaint, "task_acknowledge", {"ack_method": "telefon"}, ist(2026, 11, 25, 10, 30))
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    assert ready_names(complaint) == ["task_legal_review"]
