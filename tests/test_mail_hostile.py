"""Hostile e-mail: a corpus of .eml files with their expected verdicts, and what staff see of them."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Attachment, AuditEvent, Complaint, MailMessage
from app.services.mail import ingest as mail_ingest
from app.services.mail import sender_check as mail_auth
from app.services.privacy import kvkk

from .conftest import TESTS_DIR
from .helpers import ACK, classify, complete, ist, ready, ready_names, refreshed, register, solve

pytestmark = pytest.mark.usefixtures("live_version", "mail_dirs")
DATA = TESTS_DIR / "data"
CORPUS = DATA / "hostile-mail"
VERDICTS = {k: v for k, v in json.loads((CORPUS / "verdicts.json").read_text(encoding="utf-8")).items()
            if not k.startswith("_")}
AT = ist(2026, 11, 26, 9, 20)
TRUSTED = "mx.example.com.tr"


def _desk():
    """SK-2026-000001 waits for Ayşe's answer; SK-2026-000002 (also hers) has been anonymised."""
    waiting = register("faks", at=ist(2026, 11, 25, 10, 0))
    complete(waiting, "task_acknowledge", ACK, ist(2026, 11, 25, 10, 30))
    classify(waiting, "normal", ist(2026, 11, 25, 11, 0))
    solve(waiting, ist(2026, 11, 25, 15, 0))
    assert ready_names(waiting) == ["task_customer_answer"]
    gone = register("faks", at=ist(2026, 11, 25, 10, 5))
    kvkk.anonymise_complaint(gone, reason="test", at=ist(2026, 11, 25, 16, 0))
    return waiting, gone


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_corpus_has_a_verdict_for_every_message():
    assert sorted(VERDICTS) == sorted(p.name for p in CORPUS.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_hostile_message(app, mail_dirs, name):
    expected = VERDICTS[name]
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = TRUSTED
    waiting, _gone = _desk()
    for earlier in expected.get("before", []):
        assert mail_ingest.ingest_bytes((DATA / earlier).read_bytes(), at=AT).outcome in ("created", "appended")
    messages, events, complaints = count(MailMessage), count(AuditEvent), count(Complaint)
    raw = (CORPUS / name).read_bytes()

    result = mail_ingest.ingest_bytes(raw, source="corpus", at=AT)

    assert result.outcome == expected["outcome"], result
    if "reason" in expected:
        assert expected["reason"] in (result.reason or "")
    if result.outcome == "quarantined":
        assert (count(MailMessage), count(AuditEvent), count(Complaint)) == (messages, events, complaints)
        assert result.path.read_bytes() == raw
        return
    message = db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id.desc())).first()
    assert count(MailMessage) == messages + 1
    if "verified" in expected:
        assert message.verified is expected["verified"], message.authentication
    if "status" in expected:
        assert refreshed(waiting).status == expected["status"]
    if "held" in expected:
        assert message.held_attachments == expected["held"]
        assert (message.held_as is not None) == bool(expected["held"])
    if "filed" in expected:
        assert count(Attachment) == expected["filed"]
    if result.outcome == "created":
        complaint = db.session.get(Complaint, message.complaint_id)
        assert complaint.registration_number == result.number and count(Complaint) == complaints + 1
        for field, value in expected.get("complaint", {}).items():
            assert getattr(complaint, field) == value, field
        assert "\r" not in complaint.customer_name + (complaint.subject or "") and "\n" not in complaint.customer_name


@pytest.mark.parametrize(("signer", "from_domain", "aligned"), [
    ("example.com.tr", "example.com.tr", True),
    ("mail.example.com.tr", "example.com.tr", True),
    ("example.com.tr", "bounce.example.com.tr", True),
    ("@Example.COM.tr", "example.com.tr", True),
    ("notexample.com.tr", "example.com.tr", False),
    ("example.com.tr.attacker.example", "example.com.tr", False),
    ("tr", "example.com.tr", False),
    ("", "example.com.tr", False),
])
def test_relaxed_alignment_by_the_simple_rule(signer, from_domain, aligned):
    assert mail_auth.aligned(signer, from_domain) is aligned


def test_only_the_topmost_authentication_results_counts():
    ours = f"{TRUSTED}; dmarc=pass header.from=example.com.tr"
    forged = f"{TRUSTED}; dmarc=fail header.from=example.com.tr"
    assert mail_auth.verdict([ours, forged], "ayse@example.com.tr", TRUSTED).authenticated
    assert not mail_auth.verdict([forged, ours], "ayse@example.com.tr", TRUSTED).authenticated
    assert not mail_auth.verdict([], "ayse@example.com.tr", TRUSTED).authenticated


# --- what staff see --------------------------------------------------------------------------------

def test_staff_see_every_message_with_sender_date_subject_and_escaped_text(app, as_user):
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = TRUSTED
    waiting, _gone = _desk()
    stranger = (CORPUS / "stranger_reply_with_attachment.eml").read_bytes().replace(
        b"Kabul ediyorum, te=C5=9Fekk=C3=BCrler.", b"<script>alert(1)</script> Kabul ediyorum.")
    assert mail_ingest.ingest_bytes(stranger, at=AT).outcome == "appended"
    assert mail_ingest.ingest_bytes((CORPUS / "customer_reply_with_attachment.eml").read_bytes(),
                                    at=AT).outcome == "appended"

    page = as_user("handler").get(f"/complaints/{waiting.registration_number}").get_data(as_text=True)
    assert "E-postalar (2)" in page
    assert "&lt;kotu@example.org&gt;" in page and "Kotu Niyet" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kabul ediyorum." in page and "<script>alert(1)" not in page
    assert "Çözüm önerimiz" in page and "26.11.2026" in page
    assert page.count("Doğrulanmamış gönderen") == 1 and page.count("Doğrulanmış gönderen") == 1
    assert "şikâyette kayıtlı adres değil" in page
    assert "karantinada tutuluyor" in page and "makbuz.pdf" in page
    assert "Bağlantı yine koptu, ekran görüntüsü ekte." in page
    (filed,) = db.session.scalars(sa.select(Attachment))
    assert filed.original_filename == "ekran.pdf"  # only the verified reply's attachment is filed

    (answer_task,) = ready(waiting)
    task_page = as_user("representative").get(f"/tasks/{answer_task.id}").get_data(as_text=True)
    assert "E-postalar (2)" in task_page and "Doğrulanmamış gönderen" in task_page


def test_an_unauthenticated_reply_says_why_on_the_page(app, as_user):
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = TRUSTED
    waiting, _gone = _desk()
    assert mail_ingest.ingest_bytes((CORPUS / "ar_forged_second_header.eml").read_bytes(),
                                    at=AT).outcome == "appended"
    page = as_user("handler").get(f"/complaints/{waiting.registration_number}").get_data(as_text=True)
    assert "e-posta sunucumuzca doğrulanmadı" in page
    assert refreshed(waiting).status == "open"


def test_anonymising_a_complaint_clears_its_messages_and_held_mail(app, mail_dirs):
    waiting, _gone = _desk()
    result = mail_ingest.ingest_bytes((CORPUS / "stranger_reply_with_attachment.eml").read_bytes(), at=AT)
    assert result.outcome == "appended"
    (message,) = db.session.scalars(sa.select(MailMessage))
    held = mail_dirs / "quarantine" / message.held_as
    assert held.exists()
    kvkk.anonymise_complaint(refreshed(waiting), reason="test", at=ist(2026, 11, 27, 9, 0))
    db.session.expire_all()
    message = db.session.get(MailMessage, message.id)
    assert (message.sender, message.text, message.held_attachments, message.held_as) == (
        kvkk.REDACTED, kvkk.REDACTED, [], None)
    assert not held.exists()


# --- crashing messages, both modes ------------------------------------------------------------------

def _maildir(root):
    for folder in ("new", "cur", "tmp"):
        (root / folder).mkdir(parents=True)
    return root


def test_maildir_never_retries_a_crashing_message_and_the_others_go_on(runner, mail_dirs, monkeypatch):
    maildir = _maildir(mail_dirs / "Maildir")
    names = ["message_id_angle_brackets.eml", "name_encoded_crlf.eml", "two_from_headers.eml"]
    for number, name in enumerate(names, start=1):
        (maildir / "new" / f"1764050000.{number}.mx").write_bytes((CORPUS / name).read_bytes())
    (maildir / "new" / "1764050000.4.mx").write_bytes(b"From: a@example.net\nSubject: BOOM\n\nx\n")
    (maildir / "new" / "1764050000.5.mx").write_bytes((DATA / "mail" / "plain.eml").read_bytes())
    real_parse = mail_ingest.parse

    def parse_with_a_bug(raw):  # a parser bug we do not know yet
        if b"BOOM" in raw:
            raise RecursionError("maximum recursion depth exceeded")
        return real_parse(raw)

    monkeypatch.setattr(mail_ingest, "parse", parse_with_a_bug)
    result = runner.invoke(args=["mail", "ingest", "--maildir", str(maildir), "--now", "2026-11-25T10:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert list((maildir / "new").iterdir()) == []
    assert len(list((maildir / "cur").iterdir())) == 5
    assert result.output.count("created") == 3 and result.output.count("quarantined") == 2
    assert "RecursionError" in result.output
    reasons = sorted(p.read_text(encoding="utf-8") for p in (mail_dirs / "quarantine").glob("*.reason"))
    assert any("reason: error: RecursionError" in r for r in reasons)
    assert any("reason: malformed" in r for r in reasons)
    assert ("source: maildir:" in reasons[0]) and count(Complaint) == 3

    again = runner.invoke(args=["mail", "ingest", "--maildir", str(maildir)])
    assert again.exit_code == 0 and again.output == ""


def test_stdin_quarantines_a_crashing_message_and_exits_0(runner, mail_dirs, monkeypatch):
    monkeypatch.setattr(mail_ingest, "parse", lambda raw: (_ for _ in ()).throw(RecursionError("deep")))
    result = runner.invoke(args=["mail", "ingest"], input=(CORPUS / "name_encoded_crlf.eml").read_bytes())
    assert result.exit_code == 0, result.output
    assert result.output.startswith("quarantined error: RecursionError")
    assert len(list((mail_dirs / "quarantine").glob("*.eml"))) == 1


def test_stdin_asks_the_mta_to_retry_only_when_the_database_is_away(runner, monkeypatch):
    def database_away(raw, **_):
        raise mail_ingest.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(mail_ingest, "ingest_bytes", database_away)
    result = runner.invoke(args=["mail", "ingest"], input=(DATA / "mail" / "plain.eml").read_bytes())
    assert result.exit_code == 75


def test_the_encoded_crlf_name_no_longer_breaks_mail_to_the_customer(smtp):
    from .mailbox import deliver

    mail_ingest.ingest_bytes((CORPUS / "name_encoded_crlf.eml").read_bytes(), at=ist(2026, 11, 25, 10, 0))
    assert db.session.scalar(sa.select(Complaint)) is not None  # acknowledged by e-mail at registration
    report = deliver(ist(2026, 11, 25, 10, 31))
    (sent,) = smtp.messages()
    assert sent["To"].addresses[0].addr_spec == "ali.veli@example.net" and "Bcc" not in sent
    assert report is not None


# --- production start-up -----------------------------------------------------------------------------

def _production(**settings):
    return type("Production", (TestConfig,), {"TESTING": False, "ENV": "production", **settings})


def test_production_refuses_to_start_without_a_trusted_authserv_id():
    with pytest.raises(RuntimeError, match="MAIL_TRUSTED_AUTHSERV_ID must be set when COMPLAINTFLOW_ENV=production"):
        create_app(_production(MAIL_TRUSTED_AUTHSERV_ID=""))
    assert create_app(_production(MAIL_TRUSTED_AUTHSERV_ID=TRUSTED)).config["MAIL_TRUSTED_AUTHSERV_ID"] == TRUSTED
    assert create_app(_production(MAIL_TRUSTED_AUTHSERV_ID="off"))
    assert create_app(type("Development", (TestConfig,), {"TESTING": False, "ENV": "development",
                                                          "MAIL_TRUSTED_AUTHSERV_ID": ""}))


def test_off_turns_the_check_off_explicitly(app):
    waiting, _gone = _desk()
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = "off"
    result = mail_ingest.ingest_bytes((CORPUS / "ar_forged_second_header.eml").read_bytes(), at=AT)
    assert result.outcome == "answered" and refreshed(waiting).status == "closed"

