"""Turkish by default, English on request; dates in Europe/Istanbul, Turkish style."""

from __future__ import annotations

import pytest

from .helpers import ist, ready, register

pytestmark = pytest.mark.usefixtures("live_version")


def test_turkish_by_default_and_english_after_the_switch(as_user):
    client = as_user("intake")
    assert 'lang="tr"' in client.get("/inbox").get_data(as_text=True)
    assert "Gelen kutusu" in client.get("/inbox").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/inbox"})
    assert response.headers["Location"] == "/inbox"
    page = client.get("/inbox").get_data(as_text=True)
    assert 'lang="en"' in page and "Inbox" in page and "Sign out" in page
    client.post("/language", data={"lang": "tr", "next": "//evil.example"})
    assert "Gelen kutusu" in client.get("/inbox").get_data(as_text=True)


def test_login_page_in_english_too(client):
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Username" in page and "Password" in page


def test_dates_are_shown_in_istanbul_time(as_user):
    complaint = register("faks", at=ist(2026, 12, 31, 23, 30))  # 20:30 UTC
    task = ready(complaint)[0]
    page = as_user("intake").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "31.12.2026 23:30" in page


def test_a_page_and_a_customer_mail_in_another_language_within_one_request(app):
    """The catalog is kept per request for speed; a locale forced for a customer's e-mail still gets its
    own language, and the page's comes back after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    from app import i18n, labels

    with app.test_request_context("/inbox"):
        assert i18n.gettext("Atanmamış") == "Atanmamış"
        assert render_template_string("{{ _('Atanmamış') }}") == "Atanmamış"
        with force_locale("en"):
            assert i18n.gettext("Atanmamış") == "Unassigned"
            assert render_template_string("{{ _('Atanmamış') }}") == "Unassigned"
            assert str(labels.PRIORITY_LABELS["high"]) == "High"
        assert i18n.gettext("Atanmamış") == "Atanmamış"
        assert str(labels.PRIORITY_LABELS["high"]) == "Yüksek"
        assert i18n.ngettext("%(num)d iş günü", "%(num)d iş günü", 2) == "2 iş günü"


def test_kept_number_and_date_texts_follow_the_language_and_the_value(app):
    """Texts of figures and instants are kept per value and language: a kept text never answers for another
    language, and 0.0 and -0.0 (equal, with one key) read the same whichever comes first."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from app import i18n

    instant = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    with app.test_request_context("/inbox"):
        assert i18n.format_decimal(-0.0, "#,##0.#") == i18n.format_decimal(0.0, "#,##0.#") == "0"
        assert i18n.format_decimal(2.5, "#,##0.#") == "2,5"
        assert i18n.format_datetime(instant, "EEE dd.MM.yyyy HH:mm") == "Pzt 30.11.2026 18:00"
        with force_locale("en"):
            assert i18n.format_decimal(2.5, "#,##0.#") == "2.5"
            assert i18n.format_datetime(instant, "EEE dd.MM.yyyy HH:mm") == "Mon 30.11.2026 18:00"
        assert i18n.format_decimal(2.5, "#,##0.#") == "2,5"
