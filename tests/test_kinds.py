"""Requests, opinions and thanks, not only complaints (the seed: "Müşteri İstek, Görüş ve Şikâyetleri").

Every entry point records the kind, a wrong kind is refused on its field, staff correct it with a
reason, each kind runs through the diagram with its own deadline, and the ISO 10002 figures count
complaints apart.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint
from app.services.complaints.kinds import kind_from_subject
from app.services.mail import ingest as mail_ingest
from app.services.review import figures
from app.services.review.figures import Scope

from .helpers import (
    ANALYSIS,
    RESPONSE,
    answer,
    classify,
    complete,
    fire,
    ist,
    outbox_kinds,
    ready_names,
    refreshed,
    register,
)
from .portal_helpers import file_over_http, form_data

pytestmark = pytest.mark.usefixtures("live_version")
AT = ist(2026, 11, 25, 10, 0)  # a Wednesday, business hours


def _only(**where) -> Complaint:
    db.session.expire_all()
    return db.session.scalars(sa.select(Complaint).filter_by(**where)).one()


# --- every entry point records the kind -------------------------------------------------------------

def test_the_public_form_records_the_kind_the_customer_chose(client):
    page = client.get("/sikayet").get_data(as_text=True)
    assert "Bize ne iletmek istiyorsunuz?" in page and "Görüş/öneri" in page and "Teşekkür" in page
    complaint, _ = file_over_http(client, kind="opinion")
    assert complaint.kind == "opinion"


def test_staff_intake_records_the_kind_and_the_history_names_it(as_user):
    client = as_user("intake")
    response = client.post("/intake", data={
        "kind": "request", "channel": "telefon", "customer_name": "Ayşe Yılmaz",
        "customer_phone": "+90 312 555 0101", "description": "Hız paketimi yükseltmek istiyorum."},
        content_type="multipart/form-data")
    assert response.status_code == 302
    complaint = _only(channel="telefon")
    assert complaint.kind == "request"
    page = as_user("handler").get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Başvuru kaydedildi (tür: İstek, kanal: Telefon)." in page
    assert '<dd id="kind">İstek</dd>' in page


def test_the_api_records_the_kind_and_searches_by_it(api):
    client = api("intake", "handler")
    base = {"channel": "telefon", "customer_name": "Ali Veli", "customer_phone": "+90 312 555 0102",
            "description": "Fatura adresimin değişmesini istiyorum."}
    created = client.post("/complaints", json={**base, "kind": "request"})
    assert created.status_code == 201 and created.get_json()["kind"] == "request"
    assert client.post("/complaints", json=base).get_json()["kind"] == "complaint"  # the default
    found = client.get("/complaints?kind=request").get_json()
    assert [c["kind"] for c in found["items"]] == ["request"]
    assert client.get("/complaints?kind=nonsense").status_code == 422


@pytest.mark.parametrize(("subject", "kind"), [
    ("[İstek] Hız paketi", "request"), ("[ÖNERİ] Mobil uygulama", "opinion"), ("[Request] static IP", "request"),
    ("[teşekkür] Teknisyen", "thanks"), ("[Thanks] great support", "thanks"),
    ("Bağlantım kopuyor", "complaint"), ("[Acil] kopuyor", "complaint"), ("Re: [İstek] x", "complaint"),
])
def test_the_e_mail_channel_reads_the_kind_from_a_leading_subject_tag(subject, kind):
    assert kind_from_subject(subject) == kind


def test_a_tagged_e_mail_opens_a_request(mail_dirs):
    raw = (b"From: Ayse Yilmaz <ayse@example.com.tr>\r\nTo: sikayet@keyinternet.com.tr\r\n"
           b"Subject: =?UTF-8?B?W8SwU1RFS10gU2FiaXQgSVAgYWRyZXNp?=\r\nMessage-ID: <kind-1@example.com.tr>\r\n"
           b"Date: Wed, 25 Nov 2026 10:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Sabit IP adresi istiyorum.\r\n")
    result = mail_ingest.ingest_bytes(raw, at=AT)
    assert result.outcome == "created"
    assert _only(registration_number=result.number).kind == "request"


# --- a wrong or hostile kind is a field message, never a complaint ----------------------------------

@pytest.mark.parametrize("kind", ["evil", "complaint\r\nBcc: x@example.com", "<script>alert(1)</script>"])
def test_the_public_form_refuses_an_unknown_kind_on_its_field(client, kind):
    response = client.post("/sikayet", data=form_data(kind=kind))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Listedeki başvuru türlerinden birini seçin." in page and "<script>alert(1)" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_intake_and_the_api_refuse_an_unknown_kind_on_its_field(as_user, api):
    response = as_user("intake").post("/intake", data={
        "kind": "praise", "channel": "telefon", "customer_name": "Ayşe", "customer_phone": "+90 312 555 0101",
        "description": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Geçerli bir başvuru türü seçin" in response.get_data(as_text=True)
    client = api("intake")
    base = {"channel": "telefon", "customer_name": "Ali", "customer_phone": "+90 312 555 0102", "description": "x"}
    bad = client.post("/complaints", json={**base, "kind": "praise"})
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]
    assert client.post("/complaints", json={**base, "kind": 3}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


# --- staff correct the kind ----------------------------------------------------------------------------

def test_a_handler_corrects_the_kind_with_a_reason_and_the_history_says_so(as_user):
    complaint = register("telefon", at=AT)
    handler = as_user("handler")
    page = handler.get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Başvuru türünü düzelt" in page
    url = f"/complaints/{complaint.registration_number}/kind"
    handler.post(url, data={"kind": "request", "reason": ""})
    assert refreshed(complaint).kind == "complaint"  # no reason, no change
    handler.post(url, data={"kind": "request", "reason": "Müşteri yeni hat istiyor, şikâyeti yok."})
    assert refreshed(complaint).kind == "request"
    page = handler.get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Başvuru türü “Şikâyet” iken “İstek” olarak düzeltildi." in page
    assert "Müşteri yeni hat istiyor, şikâyeti yok." in page
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "kind_corrected")).one()
    assert event.actor == "uzman"  # the handler account


def test_intake_staff_may_not_correct_the_kind_nor_may_a_hostile_value_pass(as_user):
    complaint = register("telefon", at=AT)
    url = f"/complaints/{complaint.registration_number}/kind"
    assert as_user("intake").post(url, data={"kind": "thanks", "reason": "x"}).status_code == 403
    as_user("representative").post(url, data={"kind": "thanks\r\n", "reason": "x"})
    assert refreshed(complaint).kind == "complaint"
    assert "Başvuru türünü düzelt" not in as_user("intake").get(
        f"/complaints/{complaint.registration_number}").get_data(as_text=True)


def test_the_corrected_kind_reaches_the_running_procedure():
    """Corrected before classification, a complaint registered by mistake gets the request's deadline."""
    from app.services.complaints import kinds

    complaint = register("telefon", at=AT)
    assert ready_names(complaint) == ["task_classify"]
    kinds.correct_kind(complaint.id, "request", "Aslında bir istek.", actor="handler", at=AT)
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    assert refreshed(complaint).solution_due_at == ist(2026, 12, 2, 10, 0)  # request_days, not 1 day


def test_a_thank_you_corrected_before_acknowledgement_is_thanked_and_closed():
    from app.services.complaints import kinds

    complaint = register("faks", at=AT)
    assert ready_names(complaint) == ["task_acknowledge"]
    kinds.correct_kind(complaint.id, "thanks", "Müşteri teşekkür etmiş.", actor="handler", at=AT)
    complete(complaint, "task_acknowledge", {"ack_method": "telefon"}, ist(2026, 11, 25, 11, 0))
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome, ready_names(complaint)) == ("closed", "thanked", [])


# --- each kind runs through the diagram with its own deadline ---------------------------------------

@pytest.mark.parametrize(("kind", "due"), [
    ("complaint", ist(2026, 11, 26, 10, 0)), ("request", ist(2026, 12, 2, 10, 0)),
    ("opinion", ist(2026, 12, 9, 10, 0))])
def test_each_kind_follows_the_deadline_the_diagram_sets(kind, due):
    complaint = register("telefon", at=AT, kind=kind)
    classify(complaint, "high", ist(2026, 11, 25, 10, 30))
    assert refreshed(complaint).solution_due_at == due


def test_a_request_is_escalated_at_its_own_deadline_and_closes_like_a_complaint():
    complaint = register("telefon", at=AT, kind="request")
    classify(complaint, "high", ist(2026, 11, 25, 10, 30))
    fire(ist(2026, 11, 27, 10, 0))  # past a high complaint's 1 day, well within the request's 5
    assert "task_deadline_escalation" not in ready_names(complaint)
    fire(ist(2026, 12, 2, 10, 5))
    assert "task_deadline_escalation" in ready_names(complaint)
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 12, 2, 11, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 12, 2, 11, 30))
    answer(complaint, True, ist(2026, 12, 2, 12, 0))
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome, complaint.kind) == ("closed", "accepted", "request")


def test_thanks_are_acknowledged_thanked_and_closed_without_a_solution(client):
    complaint, page = file_over_http(client, kind="thanks")
    assert "Başvurunuz alındı: Teşekkür" in page and "1 iş günü" not in page
    complaint = refreshed(complaint)
    assert (complaint.status, complaint.closure_outcome, complaint.stage) == ("closed", "thanked", 8)
    assert ready_names(complaint) == [] and outbox_kinds(complaint) == ["acknowledgement", "thanks"]


def test_the_acknowledgement_of_a_request_names_its_own_answer_time(app):
    from app.models import OutboxMessage
    from app.services.mail import compose as mail_compose

    complaint = register("web", at=AT, kind="request", preferred_contact="eposta")
    message = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)).one()
    subject, text, _ = mail_compose.render(message, complaint, AT)
    assert subject == "Başvurunuz alındı" and "isteğiniz kayda alınmıştır" in text
    assert "5 iş günü" in text and "yüksek öncelikli" not in text


def test_the_customer_sees_the_kind_on_the_status_page(client):
    complaint, _ = file_over_http(client, kind="request")
    client.post("/takip", data={"number": complaint.registration_number, "contact": "ayse@example.com.tr"})
    page = client.get("/takip/durum").get_data(as_text=True)
    assert '<dd id="case-kind">İstek</dd>' in page and "Başvurunuz:" in page


# --- the figures count complaints apart --------------------------------------------------------------

def test_requests_stay_out_of_the_complaint_on_time_rates():
    late_request = register("telefon", at=AT, kind="request")
    classify(late_request, "high", ist(2026, 11, 25, 10, 30))
    fire(ist(2026, 12, 3, 10, 0))  # the request's deadline passes: an escalation, a breach
    assert refreshed(late_request).deadline_breached
    complaint = register("telefon", at=AT)
    classify(complaint, "normal", ist(2026, 11, 25, 10, 30))
    complete(complaint, "task_analyse", ANALYSIS, ist(2026, 11, 25, 11, 0))
    complete(complaint, "task_respond", RESPONSE, ist(2026, 11, 25, 11, 30))
    answer(complaint, True, ist(2026, 11, 25, 12, 0))
    scope = Scope(date(2026, 11, 1), date(2026, 12, 1))
    result = figures.compute(scope, now=ist(2026, 12, 3, 11, 0))
    assert result.total == 1 and result.on_time_by_priority["high"].denominator == 0
    assert (result.on_time_by_priority["normal"].numerator, result.on_time_by_priority["normal"].denominator) == (1, 1)
    assert result.by_kind == {"complaint": 1, "request": 1, "opinion": 0, "thanks": 0}
    everything = figures.compute(Scope(date(2026, 11, 1), date(2026, 12, 1), kind=""), now=ist(2026, 12, 3, 11, 0))
    assert everything.total == 2 and everything.on_time_by_priority["high"].denominator == 1


def test_the_dashboard_and_report_say_which_kind_they_count(as_user):
    register("telefon", at=AT, kind="opinion")
    register("telefon", at=AT)
    manager = as_user("quality_manager")
    page = manager.get("/review/dashboard?from=2026-11-01&to=2026-12-01").get_data(as_text=True)
    assert "Göstergeler yalnızca şu türdeki başvuruları sayar: Şikâyet." in page and 'id="by-kind"' in page
    report = manager.get("/review/report?from=2026-11-01&to=2026-12-01&kind=opinion").get_data(as_text=True)
    assert "Göstergeler yalnızca şu türdeki başvuruları sayar: Görüş/öneri." in report


# --- filter by kind: inbox, search, review list and CSV ----------------------------------------------

def test_inbox_search_and_review_filter_by_kind(as_user):
    request_ = register("telefon", at=AT, kind="request", customer_name="İstekli Müşteri")
    complaint = register("telefon", at=AT, customer_name="Şikâyetçi Müşteri")
    handler = as_user("handler")
    inbox = handler.get("/inbox?kind=request").get_data(as_text=True)
    assert request_.registration_number in inbox and complaint.registration_number not in inbox
    search = handler.get("/complaints?kind=request").get_data(as_text=True)
    assert request_.registration_number in search and complaint.registration_number not in search
    manager = as_user("quality_manager")
    listing = manager.get("/review/?kind=request").get_data(as_text=True)
    assert request_.registration_number in listing and complaint.registration_number not in listing
    csv_text = manager.get("/review/export.csv?kind=request").get_data().decode("utf-8-sig")
    assert request_.registration_number in csv_text and complaint.registration_number not in csv_text
    assert csv_text.splitlines()[0].endswith("Tür (kod);Tür") and csv_text.splitlines()[1].endswith("request;İstek")


# --- analysts change the kinds' deadlines in the diagram, and the gate covers every kind -------------

def test_an_analyst_changes_the_request_deadline_in_the_diagram_only():
    from app.services.procedure import versions

    from . import procedure_edits as edits

    bpmn, forms = edits.shipped()
    versions.deploy_version(edits.replace_once(bpmn, "request_days = 5", "request_days = 2"), forms,
                            author="analyst", comment="İstekler 2 iş gününde yanıtlanır")
    complaint = register("telefon", at=AT, kind="request")
    classify(complaint, "low", ist(2026, 11, 25, 10, 30))
    assert refreshed(complaint).solution_due_at == ist(2026, 11, 27, 10, 0)


def test_the_gate_walks_every_kind_and_names_the_one_a_broken_diagram_fails():
    from app.engine import conformance
    from app.services.procedure import validation

    from . import procedure_edits as edits

    assert {s.kind for s in conformance.scenarios()} == {"complaint", "request", "opinion", "thanks"}
    bpmn, forms = edits.shipped()
    _, problems = validation.run_gate(bpmn, forms)
    assert problems == []
    without_opinion = edits.replace_once(bpmn, "\nopinion_days = 10", "")
    _, problems = validation.run_gate(without_opinion, forms)
    # Complaints never read opinion_days: only a scenario of another kind can find the broken deadline.
    assert [(p["element"], (p["path"] or "").split(",")[0]) for p in problems] == \
        [("script_solution_deadline", "kind=request")], problems


def test_kinds_read_in_english_too(as_user):
    complaint = register("telefon", at=AT, kind="opinion")
    handler = as_user("handler")
    handler.post("/language", data={"lang": "en", "next": "/inbox"})
    page = handler.get(f"/complaints/{complaint.registration_number}").get_data(as_text=True)
    assert "Opinion/suggestion" in page and "Registered (kind: Opinion/suggestion, channel: Phone)." in page
    assert "Correct the kind" in page and ">opinion<" not in page
