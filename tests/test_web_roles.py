"""Roles where they belong (issue 12, item 5): each role lands where it works, the representative
follows and assigns every task, and no page shows anyone a link or button that answers 403."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .helpers import ESCALATION, complete, fire, ist, register, task_named
from .staff_fixtures import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.usefixtures("live_version")


@pytest.mark.parametrize(("role", "landing"), [
    ("handler", "/inbox"), ("representative", "/inbox"), ("intake", "/intake"), ("analyst", "/modeler/"),
    ("quality_manager", "/review/"), ("auditor", "/review/"),
])
def test_after_sign_in_each_role_lands_where_it_works(client, staff, role, landing):
    username = ACCOUNTS[role][0]
    response = client.post("/login", data={"username": username, "password": PASSWORD, "next": ""})
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    assert client.get("/").headers["Location"] == landing  # the home link goes there too


def test_a_safe_next_still_wins_over_the_landing_page(client, staff):
    response = client.post("/login", data={"username": "analist", "password": PASSWORD, "next": "/modeler/versions"})
    assert response.headers["Location"] == "/modeler/versions"
    client.post("/logout")
    response = client.post("/login", data={"username": "kalite", "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/review/"


def _cases():
    """A task in each lane: acknowledgement (intake), analysis (handler), escalation (representative)."""
    fax = register("faks", at=ist(2026, 11, 25, 10, 0))
    phone = register("telefon", at=ist(2026, 11, 25, 10, 5))
    complete(phone, "task_classify", {"priority": "normal", "category": "billing"}, ist(2026, 11, 25, 10, 10))
    late = register("faks", at=ist(2026, 11, 20, 10, 0))
    fire(ist(2026, 11, 20, 18, 1))  # the acknowledgement was not sent in time
    return fax, phone, late


def _incident():
    """An open incident, so the case file, the search and the incident pages show their incident buttons."""
    from app.services.complaints import incidents

    return incidents.open_incident(incidents.IncidentForm(
        "Kesinti", None, "Çankaya", "", ist(2026, 11, 25, 9, 0), "fiber internet kesintisi"), actor="uzman",
        at=ist(2026, 11, 25, 9, 30))


def test_representative_opens_assigns_and_completes_from_the_all_scope(as_user, staff):
    fax, phone, late = _cases()
    client = as_user("representative")
    page = client.get("/inbox?scope=all").get_data(as_text=True)
    analyse = task_named(phone, "task_analyse")
    assert f'href="/tasks/{analyse.id}"' in page and "Üstlen<" not in page.split(f"/tasks/{analyse.id}")[1][:1500]
    task_page = client.get(f"/tasks/{analyse.id}")
    html = task_page.get_data(as_text=True)
    assert task_page.status_code == 200 and "Bulgular" in html
    assert f'action="/tasks/{analyse.id}"' not in html and "siz görevi izleyebilir ve atayabilirsiniz" in html
    assert f'action="/tasks/{analyse.id}/assign"' in html
    response = client.post(f"/tasks/{analyse.id}/assign", data={f"t{analyse.id}-assignee": "uzman"},
                           follow_redirects=True)
    assert "Görev atandı." in response.get_data(as_text=True)
    assert task_named(phone, "task_analyse").assignee.username == "uzman"
    # The procedure gives escalations to the representative: they complete them.
    escalation = task_named(late, "task_ack_escalation")
    html = client.get(f"/tasks/{escalation.id}").get_data(as_text=True)
    assert f'action="/tasks/{escalation.id}"' in html
    response = client.post(f"/tasks/{escalation.id}", data={**ESCALATION, "expected_version": "",
                                                            "escalation_note": ""})
    assert response.status_code == 302


class _Controls(HTMLParser):
    """Links and POST forms (with the values their fields would send) of one page."""

    def __init__(self):
        super().__init__()
        self.links: set[str] = set()
        self.forms: list[tuple[str, dict]] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.add(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {}
            self.forms.append((a.get("action", ""), self._form))
        elif tag == "input" and self._form is not None and a.get("name") and a.get("type") not in ("file", "submit"):
            self._form.setdefault(a["name"], a.get("value", ""))
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self._form.setdefault(self._select, a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _controls(html: str) -> _Controls:
    parser = _Controls()
    parser.feed(html)
    return parser


SKIPPED = ("/logout", "/static/", "/vendor/")


@pytest.mark.parametrize("role", ["intake", "handler", "representative", "quality_manager", "admin", "auditor",
                                  "analyst"])
def test_no_link_or_button_on_inbox_task_and_complaint_pages_answers_403(as_user, staff, role):
    fax, phone, late = _cases()
    as_user("handler").post(f"/tasks/{task_named(phone, 'task_analyse').id}/claim")  # a task someone holds
    tasks = [task_named(fax, "task_acknowledge"), task_named(phone, "task_analyse"),
             task_named(late, "task_ack_escalation"), task_named(late, "task_acknowledge")]
    incident = _incident()
    pages = ["/inbox", "/inbox?scope=all", *(f"/complaints/{c.registration_number}" for c in (fax, phone, late)),
             *(f"/tasks/{t.id}" for t in tasks), "/complaints?status=open", "/incidents", "/incidents/new",
             f"/incidents/{incident.id}"]
    client = as_user(role)
    checked: set[str] = set()
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            continue  # a page this role cannot open is not where it is shown buttons
        controls = _controls(response.get_data(as_text=True))
        for link in sorted(controls.links - checked):
            checked.add(link)
            if not link.startswith(SKIPPED):
                assert client.get(link).status_code != 403, f"{role}: link {link} on {page}"
        for action, fields in controls.forms:
            if action.startswith(SKIPPED) or action == "/language":
                continue
            assert client.post(action, data=fields).status_code != 403, f"{role}: button {action} on {page}"
