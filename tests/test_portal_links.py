"""Answer and survey links over HTTP, and the whole mail loop: form → staff → decision mail → accept → survey."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import SurveyResponse
from app.services.complaints import links

from .helpers import audit_actions, refreshed
from .mailbox import deliver, html_of, text_of, tokens_in
from .portal_helpers import answer_token, decide, file_over_http, now, to_decision
from .test_outbox import tamper

pytestmark = pytest.mark.usefixtures("live_version")


@pytest.fixture
def decided(client):
    complaint, _ = file_over_http(client)
    return to_decision(complaint)


def test_an_accept_link_shows_the_solution_works_once_then_says_used(client, decided):
    token = answer_token(decided, "accept")
    page = client.get(f"/yanit/{token}").get_data(as_text=True)
    assert "Santral kartı değiştirildi, hattınız yeniden yapılandırıldı." in page
    assert re.search(r'<input[^>]*checked[^>]*value="accept"', page) and page.count("checked") == 1
    response = client.post(f"/yanit/{token}", data={"decision": "accept"})
    assert response.status_code == 302 and "/yanit-alindi" in response.headers["Location"]
    assert "şikâyetiniz kapatıldı" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert refreshed(decided).status == "closed"
    for method in (client.get, client.post):
        used = method(f"/yanit/{token}", data={"decision": "accept"})
        assert used.status_code == 410 and "Bu bağlantı kullanıldı" in used.get_data(as_text=True)


def test_tampered_and_expired_links_give_a_clear_page(client, decided):
    token = answer_token(decided, "accept")
    bad = client.get(f"/yanit/{tamper(token)}")
    assert bad.status_code == 400 and "Bu bağlantı geçersiz" in bad.get_data(as_text=True)
    assert client.get("/yanit/not-a-token").status_code == 400
    assert client.get(f"/anket/{token}").status_code == 400  # an answer token is no survey token
    old = answer_token(decided, "accept", at=now() - timedelta(days=31))
    expired = client.post(f"/yanit/{old}", data={"decision": "accept"})
    assert expired.status_code == 410 and "süresi doldu" in expired.get_data(as_text=True)
    assert refreshed(decided).status == "open"
    client.post("/language", data={"lang": "en", "next": "/takip"})
    assert "This link has expired" in client.get(f"/yanit/{old}").get_data(as_text=True)


def test_not_satisfied_needs_a_reason_then_reopens_the_complaint(client, decided):
    token = answer_token(decided, "reject")
    page = client.get(f"/yanit/{token}").get_data(as_text=True)
    assert "Neden yeterli bulmuyorsunuz?" in page
    missing = client.post(f"/yanit/{token}", data={"decision": "reject", "reason": "  "})
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'aria-describedby="reason-error' in body
    assert "Lütfen çözümü neden yeterli bulmadığınızı yazın." in body
    done = client.post(f"/yanit/{token}", data={"decision": "reject", "reason": "Akşamları hâlâ kopuyor."})
    assert done.status_code == 302
    complaint = refreshed(decided)
    assert (complaint.reopen_count, complaint.status) == (1, "open")
    assert "reopened" in audit_actions(complaint)


def closed_with_survey(client, decided):
    client.post(f"/yanit/{answer_token(decided, 'accept')}", data={"decision": "accept"})
    return links.make_token(links.SURVEY, refreshed(decided), at=now())


def test_the_survey_is_answered_once_and_a_bad_score_is_refused(client, decided):
    token = closed_with_survey(client, decided)
    page = client.get(f"/anket/{token}").get_data(as_text=True)
    assert "<fieldset" in page and 'type="radio"' in page and "Sorununuz çözüldü mü?" in page
    for bad in ({"score": "6", "solved": "yes"}, {"score": "", "solved": "yes"}, {"score": "3"}):
        assert client.post(f"/anket/{token}", data=bad).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    done = client.post(f"/anket/{token}", data={"score": "4", "solved": "yes", "comment": "Teşekkürler."})
    assert done.status_code == 302
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(SurveyResponse)).all()
    assert (row.complaint_id, row.score, row.solved, row.comment) == (decided.id, 4, True, "Teşekkürler.")
    again = client.post(f"/anket/{token}", data={"score": "1", "solved": "no"})
    assert again.status_code == 410 and "Anket zaten yanıtlandı" in again.get_data(as_text=True)
    assert client.get(f"/anket/{token}").status_code == 410


def test_the_whole_mail_loop_over_smtp_and_http(client, smtp):
    complaint, _ = file_over_http(client, customer_name="Çağrı Öztürk", customer_email="cagri@example.com.tr")
    assert deliver(now()).sent == 1  # the acknowledgement, queued at registration
    (ack,) = smtp.messages()
    assert ack["To"].addresses[0].addr_spec == "cagri@example.com.tr"
    assert complaint.registration_number in ack["Subject"]
    assert "http://127.0.0.1:5000/takip" in text_of(ack)

    decide(complaint)
    assert deliver(now()).sent == 1
    decision = smtp.messages()[1]
    accept, reject = tokens_in(text_of(decision), "yanit")
    assert tokens_in(html_of(decision), "yanit") == [accept, reject]
    assert "Santral kartı değiştirildi" in client.get(f"/yanit/{accept}").get_data(as_text=True)
    assert client.post(f"/yanit/{accept}", data={"decision": "accept"}).status_code == 302
    assert refreshed(complaint).status == "closed"
    assert client.get(f"/yanit/{reject}").status_code == 410  # the other link of the pair is spent too

    assert deliver(now()).sent == 1
    survey = smtp.messages()[2]
    (token,) = tokens_in(text_of(survey), "anket")
    assert client.post(f"/anket/{token}", data={"score": "5", "solved": "yes"}).status_code == 302
    assert "survey_answered" in audit_actions(complaint)
    assert deliver(now()).sent == 0 and len(smtp.envelopes) == 3
