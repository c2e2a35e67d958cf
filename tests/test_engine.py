"""The engine's storage contract: specs once per version, instance state without the spec."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.engine import ProcessDefinitionError, parse_bpmn
from app.extensions import db
from app.models import ProcessVersion
from app.services.procedure import versions

from .helpers import classify, ist, refreshed, register


def test_instance_state_holds_no_spec_and_specs_are_stored_once(live_version):
    first = register("telefon", at=ist(2026, 11, 25, 10, 0))
    second = register("faks", at=ist(2026, 11, 25, 10, 5))
    classify(first, "normal", ist(2026, 11, 25, 11, 0))

    state = json.loads(refreshed(first).instance.state_json)
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(refreshed(first).instance.state_json) < len(live_version.spec_json) / 2
    assert refreshed(second).instance.version_id == live_version.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 1


def test_deploying_the_same_content_twice_keeps_one_version(app, live_version):
    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    forms = versions.load_forms_dir(PROJECT_ROOT / "forms")
    again = versions.deploy_version(bpmn, forms, author="test")
    assert again.id == live_version.id and again.number == 1


def test_a_changed_form_is_a_new_version_and_running_complaints_keep_theirs(app, live_version):
    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    forms = versions.load_forms_dir(PROJECT_ROOT / "forms")
    forms["classification"]["required"].append("classification_note")
    second = versions.deploy_version(bpmn, forms, author="analyst", comment="note required")

    assert second.number == 2 and second.is_live
    assert refreshed(complaint).instance.version_id == live_version.id
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))  # old form: no note needed


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("this is not xml", "not well-formed"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</definitions>', "DOCTYPE"),
        ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "no process"),
    ],
)
def test_unusable_diagrams_are_refused_with_a_readable_problem(xml, expected):
    with pytest.raises(ProcessDefinitionError) as refused:
        parse_bpmn(xml)
    assert expected in refused.value.problems[0]["message"]


def test_a_user_task_without_a_form_is_refused(app):
    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    forms = versions.load_forms_dir(PROJECT_ROOT / "forms")
    del forms["classification"]
    with pytest.raises(ProcessDefinitionError) as refused:
        versions.deploy_version(bpmn, forms, author="test")
    assert ("task_classify", "form 'classification' does not exist") in [
        (p["element"], p["message"]) for p in refused.value.problems]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0
