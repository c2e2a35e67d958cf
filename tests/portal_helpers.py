"""Helpers of the customer portal tests: fill in the public form, walk a web complaint to its decision."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import uuid4

from app import clock
from app.services.complaints import links, lookup

from .helpers import ANALYSIS, RESPONSE, complete, refreshed

NUMBER = re.compile(r"SK-\d{4}-\d{6}")


def now() -> datetime:
    return clock.now()


def form_data(**overrides) -> dict:
    data = {
        "customer_name": "Ayşe Yılmaz",
        "customer_email": "ayse@example.com.tr",
        "customer_phone": "+90 (532) 123 45 67",
        "subscription_number": "ABN-778899",
        "preferred_contact": "eposta",
        "subject": "Bağlantı kopuyor",
        "description": "İnternet bağlantım üç gündür akşamları sık sık kopuyor.",
        "consent": "y",
        "idempotency_key": str(uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_over_http(client, **overrides):
    """Submit the public form; returns (complaint, filed page text)."""
    response = client.post("/sikayet", data=form_data(**overrides), follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    number = NUMBER.search(page).group(0)
    return refreshed(lookup.complaint_by_number(number)), page


def decide(complaint, at=None):
    """Staff classify, analyse and respond: the decision goes out by e-mail and the answer is awaited."""
    at = at or now()
    complete(complaint, "task_classify", {"priority": "normal", "category": "connection"}, at)
    complete(complaint, "task_analyse", ANALYSIS, at)
    complete(complaint, "task_respond", RESPONSE, at)
    return refreshed(complaint)


def to_decision(complaint, at=None):
    """A web complaint is acknowledged by e-mail at registration: staff go straight to the decision."""
    return decide(refreshed(complaint), at)


def answer_token(complaint, action: str, at=None) -> str:
    task = links.ready_answer_task(complaint)
    assert task is not None, "the complaint is not waiting for the customer's answer"
    return links.make_token(links.ANSWER, complaint, action=action, task=task, at=at or now())
