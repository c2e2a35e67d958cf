"""Odd input never becomes a 500: huge ids, dates at the ends of the calendar, non-ASCII digits."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.review import listing as review

from .helpers import register

pytestmark = pytest.mark.usefixtures("live_version")
HUGE = "99999999999999999999999"


@pytest.mark.parametrize("role, path", [
    ("handler", f"/tasks/{HUGE}"),
    ("handler", f"/attachments/{HUGE}"),
    ("quality_manager", f"/review/versions/{HUGE}/diagram.bpmn"),
    ("analyst", f"/modeler/versions/{HUGE}/export"),
])
def test_ids_past_the_database_range_are_not_found(as_user, role, path):
    assert as_user(role).get(path).status_code == 404


@pytest.mark.parametrize("role, path", [
    ("handler", "/complaints?date_to=9999-12-31"),
    ("handler", "/complaints?date_from=0001-01-01"),
    ("quality_manager", "/review/?to=9999-12-31"),
    ("quality_manager", "/review/?stage=%C2%B2"),
    ("quality_manager", f"/review/?version={HUGE}"),
    ("quality_manager", "/review/dashboard?from=0001-01-01&to=9999-12-31"),
    ("quality_manager", "/review/report?from=0001-01-01&to=9999-12-31"),
    ("analyst", f"/modeler/source?version={HUGE}"),
])
def test_out_of_range_query_values_are_refused_or_ignored_not_a_500(as_user, role, path):
    register("faks")
    assert as_user(role).get(path).status_code in (200, 400, 404)


def test_review_query_ignores_non_ascii_digits_and_far_dates():
    query = review.ReviewQuery.from_args({"stage": "²", "version": HUGE, "from": "0001-01-01"})
    assert (query.stage, query.version) == (None, None)


def test_a_deactivated_account_is_signed_out_at_its_next_request(as_user, staff):
    client = as_user("handler")
    assert client.get("/inbox").status_code == 200
    staff["handler"].active = False
    db.session.commit()
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(make_app):
    from flask import request

    app = make_app()
    app.config["PROXY_FIX_HOPS"] = 1
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # as init_web does at start-up
    seen = {}

    @app.get("/_test/address")
    def address():
        seen["ip"], seen["secure"] = request.remote_addr, request.is_secure
        return "ok"

    app.test_client().get("/_test/address", headers={"X-Forwarded-For": "203.0.113.7",
                                                     "X-Forwarded-Proto": "https"})
    assert seen == {"ip": "203.0.113.7", "secure": True}
