"""Deadlines people can read (issue 12, item 6): the due instant, and what is left or overdue both in
business time and in calendar time, in Turkish and English, with a pinned desk clock."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .helpers import ist, register, task_named

pytestmark = pytest.mark.usefixtures("live_version")


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _english(client):
    client.post("/language", data={"lang": "en", "next": "/"})
    return client


def test_sunday_evening_shows_a_whole_business_day_and_the_calendar_hours(as_user, desk_clock):
    complaint = register("faks", at=ist(2026, 11, 27, 19, 0))  # Friday after hours: due Monday 18:00
    desk_clock.pin(ist(2026, 11, 29, 21, 16))  # Sunday
    client = as_user("intake")
    page = _text(client.get("/inbox"))
    assert "Pzt 30.11.2026 18:00" in page
    assert "1 iş günü kaldı (takvimde 20 saat 44 dakika)" in page
    assert "9 sa" not in page and "0 dk" not in page
    task = task_named(complaint, "task_acknowledge")
    assert "1 iş günü kaldı (takvimde 20 saat 44 dakika)" in _text(client.get(f"/tasks/{task.id}"))
    english = _text(_english(client).get("/inbox"))
    assert "Mon 30.11.2026 18:00" in english
    assert "1 business day left (20 hours 44 minutes on the calendar)" in english


def test_overdue_is_said_once_in_business_and_calendar_time(as_user, desk_clock):
    register("faks", at=ist(2026, 11, 25, 10, 0))  # acknowledgement due Wednesday 18:00
    desk_clock.pin(ist(2026, 11, 30, 10, 30))  # the Monday after: Thu + Fri + 1.5 h of business time
    client = as_user("intake")
    page = _text(client.get("/inbox"))
    assert "Çar 25.11.2026 18:00" in page
    assert "Süre aşıldı: 2 iş günü 1 iş saati geçti (takvimde 4 gün 16 saat)" in page
    assert page.count("Süre aşıldı") == 1 and "gecikti" not in page
    english = _text(_english(client).get("/inbox"))
    assert "Overdue by 2 business days 1 business hour (4 days 16 hours on the calendar)" in english
    assert english.count("Overdue by") == 1 and "min overdue" not in english and " 0 min" not in english


def test_the_last_hours_show_minutes_and_singulars_in_english(as_user, desk_clock):
    register("faks", at=ist(2026, 11, 30, 10, 0))  # due Monday 18:00
    desk_clock.pin(ist(2026, 11, 30, 16, 15))
    client = as_user("intake")
    assert "1 iş saati 45 dakika kaldı (takvimde 1 saat 45 dakika)" in _text(client.get("/inbox"))
    assert "1 business hour 45 minutes left (1 hour 45 minutes on the calendar)" in _text(
        _english(client).get("/inbox"))


def test_past_due_outside_business_hours_still_says_overdue(as_user, desk_clock):
    register("faks", at=ist(2026, 11, 27, 10, 0))  # due Friday 18:00
    desk_clock.pin(ist(2026, 11, 28, 9, 0))  # Saturday: no business time has passed since
    page = _text(as_user("intake").get("/inbox"))
    assert "Süre aşıldı: mesai dışında, takvimde 15 saat önce" in page


def test_complaint_page_open_tasks_show_the_deadline_in_words(as_user, desk_clock):
    complaint = register("faks", at=ist(2026, 11, 27, 19, 0))
    desk_clock.pin(ist(2026, 11, 29, 21, 16))
    page = _text(as_user("intake").get(f"/complaints/{complaint.registration_number}"))
    assert "Pzt 30.11.2026 18:00 (1 iş günü kaldı (takvimde 20 saat 44 dakika))" in page
