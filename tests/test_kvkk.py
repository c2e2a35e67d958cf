"""KVKK: retention anonymisation keeps figures and a valid audit chain; the view log; data-subject requests."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Complaint, PersonalDataView
from app.services.complaints import casefile, customer
from app.services.operations.audit_check import verify_chains
from app.services.privacy import kvkk, retention
from app.services.review import figures

from .helpers import ACK, answer, audit_actions, classify, complete, ist, refreshed, register, solve

pytestmark = pytest.mark.usefixtures("live_version")
# Distinctive values: none may survive anywhere once the complaint is anonymised.
PERSONAL = {"customer_name": "Zeynep Kvkktestoğlu", "customer_email": "zeynep.kvkk@example.com.tr",
            "customer_phone": "+90 532 987 6543", "subscription_number": "ABN-77331199",
            "subject": "Konu-Gizli-Özel", "description": "Açıklama-Gizli-4242 evimde internet yok"}
FREE_TEXT = ["Hatta gürültü tespit edildi", "Santral kartı arızalı", "Sorun devam ediyor", "Not-Gizli-9191",
             "Anket-Yorum-5151", "dekont-zeynep.pdf"]


def _closed_complaint(attachment_dir: Path) -> Complaint:
    """Registered, acknowledged, classified, solved, rejected once, solved again, accepted, surveyed."""
    c = register("faks", at=ist(2026, 11, 25, 10, 0), **PERSONAL)
    casefile.add_note(c.id, "Not-Gizli-9191: müşteri aradı", actor="uzman", at=ist(2026, 11, 25, 10, 30))
    upload = casefile.check_upload("dekont-zeynep.pdf", io.BytesIO(b"%PDF-1.4 zeynep"))
    casefile.store_attachments(c.id, [upload], actor="uzman", at=ist(2026, 11, 25, 10, 31))
    complete(c, "task_acknowledge", ACK, ist(2026, 11, 25, 11, 0))
    classify(c, "high", ist(2026, 11, 25, 11, 0))
    solve(c, ist(2026, 11, 25, 12, 0))
    answer(c, False, ist(2026, 11, 25, 13, 0))
    solve(c, ist(2026, 11, 25, 14, 0))
    answer(c, True, ist(2026, 11, 25, 15, 0))
    customer.record_survey(refreshed(c), 4, True, "Anket-Yorum-5151", at=ist(2026, 11, 25, 16, 0))
    c = refreshed(c)
    assert c.status == "closed"
    assert any(attachment_dir.rglob("*"))
    return c


def _everything_stored() -> str:
    """Every text value in every table, as one string to search."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                chunks.extend(str(v) for v in row if v is not None)
    return "\n".join(chunks)


def _leaks(text: str) -> list[str]:
    values = [*PERSONAL.values(), "987 6543", "5329876543", *FREE_TEXT]
    return [v for v in values if v.lower() in text.lower()]


@pytest.fixture
def attachment_dir(app, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    return tmp_path / "files"


def test_retention_removes_every_personal_value_keeps_figures_and_the_audit_chain(app, attachment_dir, runner):
    closed = _closed_complaint(attachment_dir)
    still_open = register("telefon", at=ist(2026, 11, 26, 10, 0), customer_name="Açık Müşteri")
    scope = figures.Scope(date(2026, 11, 1), date(2026, 12, 1))
    before = figures.compute(scope, now=ist(2027, 1, 1, 9, 0))
    assert _leaks(_everything_stored())

    assert retention.run_retention(at=ist(2028, 11, 20, 9, 0)).anonymised == []  # not yet two years
    report = retention.run_retention(at=ist(2028, 11, 26, 9, 0))

    assert report.anonymised == [closed.registration_number]
    assert _leaks(_everything_stored()) == []
    assert not [p for p in attachment_dir.rglob("*") if p.is_file()]
    after = figures.compute(scope, now=ist(2027, 1, 1, 9, 0))
    assert after == before
    assert verify_chains().ok
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    c = refreshed(closed)
    assert c.anonymised_at is not None and c.priority == "high" and c.root_cause_category == "network_infrastructure"
    assert audit_actions(c)[-1] == "anonymised"
    assert refreshed(still_open).customer_name == "Açık Müşteri"
    assert retention.run_retention(at=ist(2028, 11, 27, 9, 0)).anonymised == []


def test_the_anonymised_marker_records_the_previous_chain_head(app, attachment_dir):
    closed = _closed_complaint(attachment_dir)
    from app.models import AuditEvent

    head = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == closed.id)
                              .order_by(AuditEvent.seq.desc())).first()
    head_seq, head_hash = head.seq, head.hash
    kvkk.anonymise_complaint(closed, reason="test", at=ist(2029, 1, 1, 9, 0))
    marker = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == closed.id)
                                .order_by(AuditEvent.seq.desc())).first()
    data = json.loads(marker.data_json)
    assert (marker.action, marker.seq) == ("anonymised", head_seq + 1)
    assert (data["previous_head_seq"], data["previous_head_hash"]) == (head_seq, head_hash)
    assert data["redacted_events"] >= 3


def test_a_tampered_chain_still_shows_after_anonymisation(app, attachment_dir):
    closed = _closed_complaint(attachment_dir)
    kvkk.anonymise_complaint(closed, reason="test", at=ist(2029, 1, 1, 9, 0))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT set_config('complaintflow.kvkk_redaction', 'on', true)"))
        conn.execute(sa.text("UPDATE audit_event SET data_json = '{}' WHERE complaint_id = :c AND seq = 2"),
                     {"c": closed.id})
    assert not verify_chains().ok


def test_postgresql_still_refuses_plain_changes_to_the_audit_trail(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    c = register("faks")
    with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET data_json = '{}' WHERE complaint_id = :c"), {"c": c.id})
    with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
        conn.execute(sa.text("SELECT set_config('complaintflow.kvkk_redaction', 'on', true)"))
        conn.execute(sa.text("DELETE FROM audit_event WHERE complaint_id = :c"), {"c": c.id})


def test_cli_anonymise_with_now(app, attachment_dir, runner):
    closed = _closed_complaint(attachment_dir)
    result = runner.invoke(args=["kvkk", "anonymise", "--now", "2029-01-01T09:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert f"anonymised {closed.registration_number}" in result.output
    assert PERSONAL["customer_name"] not in result.output


def test_data_subject_export_and_forget(app, attachment_dir, runner):
    closed = _closed_complaint(attachment_dir)
    open_one = register("telefon", at=ist(2026, 11, 27, 10, 0), customer_email="ZEYNEP.kvkk@example.com.tr",
                        customer_name="Zeynep K.")
    exported = runner.invoke(args=["kvkk", "export", "--email", PERSONAL["customer_email"]])
    assert exported.exit_code == 0, exported.output
    doc = json.loads(exported.output)
    assert [c["registration_number"] for c in doc["complaints"]] == [closed.registration_number,
                                                                     open_one.registration_number]
    assert doc["complaints"][0]["notes"][0]["body"].startswith("Not-Gizli-9191")
    assert doc["complaints"][0]["survey"]["comment"] == "Anket-Yorum-5151"
    by_phone = retention.export_subject(phone="0532 987 65 43")
    assert [c["registration_number"] for c in by_phone["complaints"]] == [closed.registration_number]

    forgot = runner.invoke(args=["kvkk", "forget", "--email", PERSONAL["customer_email"], "--yes",
                                 "--actor", "yonetici"])
    assert forgot.exit_code == 0, forgot.output
    assert f"anonymised {closed.registration_number}" in forgot.output
    assert f"still open, not anonymised (close it first): {open_one.registration_number}" in forgot.output
    assert refreshed(closed).customer_email is None
    assert refreshed(open_one).customer_name == "Zeynep K."
    assert verify_chains().ok
    assert "no complaints found" in runner.invoke(args=["kvkk", "forget", "--phone", "+90 532 987 6543",
                                                       "--yes"]).output


def test_staff_views_of_personal_data_are_logged_and_exported(app, as_user, staff):
    c = register("faks")
    handler = as_user("handler")
    assert handler.get(f"/complaints/{c.registration_number}").status_code == 200
    from .helpers import task_named

    assert as_user("intake").get(f"/tasks/{task_named(c, 'task_acknowledge').id}").status_code == 200
    rows = db.session.scalars(sa.select(PersonalDataView).order_by(PersonalDataView.id)).all()
    assert [(r.actor, r.context, r.complaint_id) for r in rows] == [
        ("uzman", "complaint_page", c.id), ("kabul", "task_page", c.id)]
    assert rows[0].ip == "127.0.0.1"
    csv_page = as_user("admin").get("/admin/kvkk/views.csv")
    assert csv_page.status_code == 200 and csv_page.mimetype == "text/csv"
    lines = csv_page.get_data(as_text=True).splitlines()
    assert lines[0] == "at,actor,user_id,registration_number,context,ip"
    assert len(lines) == 3 and c.registration_number in lines[1]
    assert as_user("handler").get("/admin/kvkk/views.csv").status_code == 403


def test_a_task_page_shown_again_after_a_refused_submission_is_logged_too(app, as_user, staff):
    """The form comes back with the complaint's personal data on it: that showing is a view as well."""
    from .helpers import task_named

    c = register("faks")
    task = task_named(c, "task_acknowledge")
    intake = as_user("intake")
    assert intake.get(f"/tasks/{task.id}").status_code == 200
    refused = intake.post(f"/tasks/{task.id}", data={"expected_version": str(refreshed(c).instance.lock_version)})
    assert refused.status_code == 422 and "Ayşe Yılmaz" in refused.get_data(as_text=True)
    rows = db.session.scalars(sa.select(PersonalDataView).order_by(PersonalDataView.id)).all()
    assert [(r.actor, r.context) for r in rows] == [("kabul", "task_page"), ("kabul", "task_page")]


def test_attachment_download_is_logged(app, as_user, staff, attachment_dir):
    c = register("faks")
    upload = casefile.check_upload("a.txt", io.BytesIO(b"merhaba"))
    (row,) = casefile.store_attachments(c.id, [upload], actor="uzman")
    assert as_user("handler").get(f"/attachments/{row.id}").status_code == 200
    assert db.session.scalar(sa.select(PersonalDataView.context)) == "attachment_download"
    kvkk.anonymise_complaint(refreshed(c), reason="test")
    assert as_user("handler").get(f"/attachments/{row.id}").status_code == 404
    assert db.session.get(Attachment, row.id).original_filename == kvkk.REDACTED


def test_admin_page_finds_exports_and_forgets(app, as_user, staff, attachment_dir):
    closed = _closed_complaint(attachment_dir)
    admin = as_user("admin")
    assert admin.get("/admin/kvkk/").status_code == 200
    assert as_user("handler").get("/admin/kvkk/").status_code == 403
    found = admin.post("/admin/kvkk/", data={"email": PERSONAL["customer_email"], "action": "find"})
    assert closed.registration_number in found.get_data(as_text=True)
    exported = admin.post("/admin/kvkk/", data={"email": PERSONAL["customer_email"], "action": "export"})
    assert exported.mimetype == "application/json"
    assert exported.json["complaints"][0]["customer"]["name"] == PERSONAL["customer_name"]
    unconfirmed = admin.post("/admin/kvkk/", data={"email": PERSONAL["customer_email"], "action": "forget"})
    assert unconfirmed.status_code == 422 and refreshed(closed).anonymised_at is None
    admin.post("/admin/kvkk/", data={"email": PERSONAL["customer_email"], "action": "forget", "confirm": "onay"})
    assert refreshed(closed).anonymised_at is not None


def test_retention_prunes_rate_limit_attempts_older_than_a_day(app):
    from app.models import LoginThrottle, LookupAttempt

    db.session.add_all([
        LoginThrottle(username="ayse", last_failure_at=ist(2026, 11, 20, 10, 0)),
        LoginThrottle(username="mehmet", last_failure_at=ist(2026, 11, 25, 9, 0)),
        LookupAttempt(scope="ip", key="10.0.0.2", at=ist(2026, 11, 20, 10, 0)),
    ])
    db.session.commit()
    report = retention.run_retention(at=ist(2026, 11, 25, 10, 0))
    assert report.attempt_rows == 2
    assert [a.username for a in db.session.scalars(sa.select(LoginThrottle))] == ["mehmet"]
    assert db.session.scalars(sa.select(LookupAttempt)).all() == []
    assert "2 sign-in/look-up attempt(s)" in str(report)


def test_the_data_subject_export_includes_the_recorded_consent(app, attachment_dir):
    from app.services.complaints import portal

    portal.file_complaint({"customer_name": "Elif Şahin", "customer_email": "elif@example.com.tr",
                           "preferred_contact": "eposta", "subject": "Fatura", "description": "Çift fatura."},
                          [], consent=True, language="tr", idempotency_key="6f1c2a9e-0d3b-4c57-8e21-5a9b7c3d1e40",
                          at=ist(2026, 11, 25, 10, 0))
    (exported,) = retention.export_subject(email="elif@example.com.tr")["complaints"]
    assert exported["consent"]["source"] and exported["consent"]["notice_sha256"]
    assert exported["consent"]["at"].startswith("2026-11-25T07:00")


def test_no_note_or_file_can_be_added_to_an_anonymised_complaint(app, attachment_dir):
    from app.services.errors import ValidationFailed

    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    kvkk.anonymise_complaint(complaint, reason="test", at=ist(2026, 11, 26, 10, 0))
    with pytest.raises(ValidationFailed, match="KVKK"):
        casefile.add_note(complaint.id, "Müşteri Ayşe Yılmaz aradı", actor="uzman")
