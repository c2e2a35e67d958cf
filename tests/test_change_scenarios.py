"""Five changes analysts make, done by editing only BPMN / form text and deploying a new version.

Each is verified by a complaint on the new version while one on the old version finishes unchanged.
`deploy` comes in two flavours: through the service, and through the modeler's HTTP routes.
"""

from __future__ import annotations

import pytest

from app.services.errors import ValidationFailed
from app.services.procedure import versions

from . import procedure_edits as edits
from .helpers import ESCALATION, all_tasks, answer, classify, complete, ist, ready_names, refreshed, register, solve

pytestmark = pytest.mark.usefixtures("live_version")
RECEIVED = ist(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.fixture(params=["service", "http"])
def deploy(request, app):
    """deploy(edit) -> the new live version, made from the shipped procedure changed by `edit`."""

    def through_service(edit):
        bpmn, forms = edit(*edits.shipped())
        return versions.deploy_version(bpmn, forms, author="analyst", comment=edit.__doc__ or "")

    def through_http(edit):
        bpmn, forms = edit(*edits.shipped())
        saved = client.post("/modeler/drafts", json={"bpmn": bpmn, "forms": forms, "comment": edit.__doc__ or ""})
        assert saved.status_code == 200 and saved.json["problems"] == [], saved.json
        deployed = client.post(f"/modeler/drafts/{saved.json['draft_id']}/deploy", json={})
        assert deployed.status_code == 200 and deployed.json["deployed"], deployed.json
        return versions.get_version(deployed.json["version"])

    if request.param == "service":
        return through_service
    client = request.getfixturevalue("as_user")("analyst")
    return through_http


def _version_of(complaint) -> int:
    return refreshed(complaint).instance.version.number


def test_a_normal_priority_deadline_becomes_two_business_days(deploy):
    old = register("telefon", at=RECEIVED)
    version = deploy(edits.normal_deadline_two_days)
    assert version.number == 2 and version.is_live
    new = register("telefon", at=RECEIVED)

    classify(old, "normal", ist(2026, 11, 25, 11, 0))
    classify(new, "normal", ist(2026, 11, 25, 11, 0))
    assert refreshed(old).solution_due_at == ist(2026, 11, 30, 10, 0)  # still 3 business days
    assert refreshed(new).solution_due_at == ist(2026, 11, 27, 10, 0)
    assert (_version_of(old), _version_of(new)) == (1, 2)
    for complaint in (old, new):
        solve(complaint, ist(2026, 11, 26, 10, 0))
        answer(complaint, True, ist(2026, 11, 26, 11, 0))
        assert refreshed(complaint).status == "closed"


def test_b_high_priority_gets_a_legal_review_in_a_new_lane(app, deploy):
    app.config["LANE_ROLES"] = {**app.config["LANE_ROLES"], edits.LEGAL_LANE: ["legal"]}
    old = register("telefon", at=RECEIVED)
    deploy(edits.legal_review_for_high_priority)
    new = register("telefon", at=RECEIVED)

    classify(old, "high", ist(2026, 11, 25, 11, 0))
    classify(new, "high", ist(2026, 11, 25, 11, 0))
    assert ready_names(old) == ["task_analyse"]
    assert ready_names(new) == ["task_legal_review"]
    (review,) = all_tasks(new, "task_legal_review")
    assert review.lane == edits.LEGAL_LANE and review.due_at == ist(2026, 11, 26, 10, 0)
    complete(new, "task_legal_review", {"legal_opinion": "Sözleşmeye aykırılık yok."}, ist(2026, 11, 25, 12, 0))
    assert ready_names(new) == ["task_analyse"]
    for complaint in (old, new):
        solve(complaint, ist(2026, 11, 25, 14, 0))
        answer(complaint, True, ist(2026, 11, 25, 15, 0))
        assert refreshed(complaint).status == "closed"


def test_c_classification_form_gets_a_new_required_field(deploy):
    old = register("telefon", at=RECEIVED)
    deploy(edits.classification_requires_affected_service)
    new = register("telefon", at=RECEIVED)

    classify(old, "normal", ist(2026, 11, 25, 11, 0))  # the old form: no such field
    with pytest.raises(ValidationFailed) as refused:
        classify(new, "normal", ist(2026, 11, 25, 11, 0))
    assert "affected_service" in refused.value.errors
    complete(new, "task_classify", {"priority": "normal", "category": "connection", "affected_service": "tv"},
             ist(2026, 11, 25, 11, 5))
    for complaint in (old, new):
        solve(complaint, ist(2026, 11, 26, 10, 0))
        answer(complaint, True, ist(2026, 11, 26, 11, 0))
        assert refreshed(complaint).status == "closed"


def _reject(complaint, times: int, hour: int = 10) -> None:
    for round_ in range(times):
        solve(complaint, ist(2026, 11, 26, hour + round_, 0))
        answer(complaint, False, ist(2026, 11, 26, hour + round_, 30))


def test_d_escalation_after_two_reopens_instead_of_three(deploy):
    old = register("telefon", at=RECEIVED)
    deploy(edits.escalate_after_two_reopens)
    new = register("telefon", at=RECEIVED)
    for complaint in (old, new):
        classify(complaint, "normal", ist(2026, 11, 25, 11, 0))

    _reject(new, 2)
    assert all_tasks(new, "task_reopen_escalation") == []
    _reject(new, 1, hour=12)
    assert len(all_tasks(new, "task_reopen_escalation")) == 1

    _reject(old, 3)
    assert all_tasks(old, "task_reopen_escalation") == []
    _reject(old, 1, hour=13)
    assert len(all_tasks(old, "task_reopen_escalation")) == 1

    for complaint in (old, new):
        complete(complaint, "task_reopen_escalation", ESCALATION, ist(2026, 11, 26, 15, 0))
        solve(complaint, ist(2026, 11, 26, 16, 0))
        answer(complaint, True, ist(2026, 11, 26, 17, 0))
        assert refreshed(complaint).status == "closed"


def test_e_priority_follows_how_many_customers_are_affected(deploy):
    old = register("telefon", at=RECEIVED)
    deploy(edits.priority_from_affected_customers)
    new = register("telefon", at=RECEIVED)

    classify(old, "low", ist(2026, 11, 25, 11, 0))
    complete(new, "task_classify", {"affected_customers": "many", "category": "outage"}, ist(2026, 11, 25, 11, 0))
    assert refreshed(old).priority == "low" and refreshed(old).solution_due_at == ist(2026, 12, 2, 10, 0)
    assert refreshed(new).priority == "high" and refreshed(new).solution_due_at == ist(2026, 11, 26, 10, 0)
    for complaint in (old, new):
        solve(complaint, ist(2026, 11, 25, 14, 0))
        answer(complaint, True, ist(2026, 11, 25, 15, 0))
        assert refreshed(complaint).status == "closed"
