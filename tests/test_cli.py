"""A complaint walked from receipt to closure with the `complaintflow` command alone."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Complaint
from app.services.complaints import registration as complaints


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.stdout  # `complaints register` prints the open tasks on stderr, the number alone on stdout


def _task_id(runner, number: str, spec_label: str) -> int:
    shown = _ok(runner.invoke(args=["complaints", "show", number]))
    match = re.search(rf"task (\d+): {re.escape(spec_label)}", shown)
    assert match, shown
    return int(match.group(1))


def test_walk_a_complaint_from_receipt_to_closure(runner):
    out = _ok(runner.invoke(args=["processes", "deploy", str(PROJECT_ROOT / "processes" / "complaint.bpmn")]))
    assert "version 1 is live" in out
    out = _ok(runner.invoke(args=["processes", "deploy", str(PROJECT_ROOT / "processes" / "complaint.bpmn"),
                                  "--if-empty"]))
    assert "already" in out

    number = _ok(runner.invoke(args=[
        "complaints", "register", "--channel", "faks", "--name", "Ayşe Yılmaz", "--email", "ayse@example.com.tr",
        "--description", "Modem sürekli yeniden başlıyor", "--now", "2026-11-25T10:00:00+03:00"])).strip()
    assert number == "SK-2026-000001"

    steps = [
        ("Alındı bilgisini müşteriye bildir", {"ack_method": "eposta"}),
        ("Şikâyeti sınıflandır ve önceliklendir", {"priority": "normal", "category": "technical_support",
                                                  "priority_override_reason": "Müşteri aboneliği kritik."}),
        ("Şikâyeti analiz et ve değerlendir", {"analysis_findings": "Modem yazılımı eski.",
                                              "proposed_solution": "Yazılım güncellemesi."}),
        ("Cevapla: kök neden analizi ve çözüm", {"root_cause_category": "equipment",
                                                "root_cause_analysis": "Eski yazılım sürümü.",
                                                "solution": "Modeminizin yazılımı uzaktan güncellendi."}),
        ("Müşterinin yanıtını kaydet", {"answer": "accepted"}),
    ]
    for hour, (label, data) in enumerate(steps, start=11):
        task_id = _task_id(runner, number, label)
        _ok(runner.invoke(args=["tasks", "complete", str(task_id), "--data", json.dumps(data),
                                "--now", f"2026-11-25T{hour}:00:00+03:00"]))

    shown = _ok(runner.invoke(args=["complaints", "show", number]))
    assert f"{number}  closed  stage 8" in shown
    assert "closed" in shown and "message_queued" in shown


def test_cli_errors_are_readable(runner):
    _ok(runner.invoke(args=["processes", "deploy", str(PROJECT_ROOT / "processes" / "complaint.bpmn")]))
    result = runner.invoke(args=["complaints", "register", "--channel", "güvercin", "--name", "X",
                                 "--description", "Y"])
    assert result.exit_code == 1
    assert "channel" in result.output

    result = runner.invoke(args=["tasks", "complete", "999", "--data", "{}"])
    assert result.exit_code == 1 and "no task 999" in result.output

    result = runner.invoke(args=["timers", "fire", "--now", "2026-11-25T10:00:00"])
    assert result.exit_code != 0 and "UTC offset" in result.output


@pytest.mark.usefixtures("live_version")
def test_timers_fire_command_escalates_a_missed_acknowledgement(runner):
    number = _ok(runner.invoke(args=[
        "complaints", "register", "--channel", "posta_kargo", "--name", "Can Demir", "--phone", "+905551112233",
        "--description", "Mektubuma yanıt gelmedi", "--now", "2026-11-27T17:00:00+03:00"])).strip()
    out = _ok(runner.invoke(args=["timers", "fire", "--now", "2026-11-27T18:30:00+03:00"]))
    assert "1 complaint(s) advanced" in out
    shown = _ok(runner.invoke(args=["complaints", "show", number]))
    assert "Geciken alındı bildirimini takip et" in shown


def test_days_off_move_deadlines(runner, live_version):
    _ok(runner.invoke(args=["calendar", "add", "2026-11-26", "--reason", "İdari izin"]))
    assert "2026-11-26" in _ok(runner.invoke(args=["calendar", "list"]))
    number = _ok(runner.invoke(args=[
        "complaints", "register", "--channel", "faks", "--name", "Can Demir", "--phone", "+905551112233",
        "--description", "Fatura hatalı", "--now", "2026-11-25T19:00:00+03:00"])).strip()
    shown = _ok(runner.invoke(args=["complaints", "show", number]))
    # Received after hours on the 25th; the 26th is off, so the acknowledgement is due end of the 27th.
    assert "ack due 2026-11-27T15:00:00+00:00" in shown
    _ok(runner.invoke(args=["calendar", "remove", "2026-11-26"]))
    assert "2026-11-26" not in _ok(runner.invoke(args=["calendar", "list"]))


@pytest.mark.usefixtures("live_version")
def test_register_takes_the_decision_tables_inputs_and_refuses_a_value_not_on_the_list(runner):
    base = ["complaints", "register", "--channel", "telefon", "--name", "Ayşe Yılmaz", "--phone", "+90 312 555 0101",
            "--description", "Ofiste internet yok", "--now", "2026-11-25T10:00:00+03:00"]
    number = _ok(runner.invoke(args=[*base, "--service-impact", "no_service", "--segment", "corporate"])).strip()
    complaint = complaints.get_by_number(number)
    assert (complaint.service_impact, complaint.customer_segment, complaint.suggested_priority) == \
        ("no_service", "corporate", "high")

    for option, value in (("--service-impact", "no_service;x"), ("--segment", "vip")):
        result = runner.invoke(args=[*base, option, value])
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1  # nothing more registered
