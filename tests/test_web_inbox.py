"""The inbox: visibility by lane, filters, sorting, paging, search; claim, release, assign."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.models import AuditEvent, HumanTask
from app.services.workflow import inbox

from .helpers import ist, ready, register

pytestmark = pytest.mark.usefixtures("live_version")


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_intake_sees_acknowledgements_handler_sees_classification(as_user):
    fax = register("faks", customer_name="Fatma Faks")
    phone = register("telefon", customer_name="Tarık Telefon")
    intake_page = _text(as_user("intake").get("/inbox"))
    handler_page = _text(as_user("handler").get("/inbox"))
    assert fax.registration_number in intake_page and phone.registration_number not in intake_page
    assert phone.registration_number in handler_page and fax.registration_number not in handler_page
    assert "Şikâyeti sınıflandır ve önceliklendir" in handler_page


def test_overdue_rows_are_marked_with_text_not_only_colour(as_user):
    register("faks", at=ist(2026, 1, 5, 10, 0))  # acknowledgement was due 5 Jan 18:00
    page = _text(as_user("intake").get("/inbox"))
    assert 'class="overdue' in page and "Süre aşıldı" in page and "geçti" in page
    assert "05.01.2026 18:00" in page


def test_filters_overdue_today_channel_and_priority(app, as_user, staff):
    now = clock.now()
    old = register("faks", at=now - timedelta(days=30), customer_name="Eski Faks")
    fresh = register("anket", at=now, customer_name="Yeni Anket")
    client = as_user("intake")
    overdue = _text(client.get("/inbox?due=overdue"))
    assert old.registration_number in overdue and fresh.registration_number not in overdue
    by_channel = _text(client.get("/inbox?channel=anket"))
    assert fresh.registration_number in by_channel and old.registration_number not in by_channel
    today = inbox.inbox_page(staff["intake"], inbox.InboxQuery(due="today"), now=fresh.received_at)
    assert all(r.task.due_at.date() - fresh.received_at.date() <= timedelta(days=1) for r in today.rows)
    high = register("telefon", customer_name="Yüksek Öncelik")
    task = ready(high)[0]
    from app.services.workflow import tasks
    tasks.complete_task(task.id, {"priority": "high", "category": "billing", "priority_override_reason": "Acil"},
                        actor="t")
    handler = as_user("handler")
    assert high.registration_number in _text(handler.get("/inbox?priority=high"))
    assert high.registration_number not in _text(handler.get("/inbox?priority=low"))


def test_sort_by_due_puts_earliest_first_and_age_oldest_first(staff):
    from app.services.workflow import tasks

    slow = register("telefon", at=ist(2026, 3, 2, 10, 0))
    tasks.complete_task(ready(slow)[0].id, {"priority": "low", "category": "other"}, actor="t",
                        at=ist(2026, 3, 2, 10, 5))
    urgent = register("telefon", at=ist(2026, 3, 3, 10, 0))
    tasks.complete_task(ready(urgent)[0].id, {"priority": "high", "category": "outage",
                                              "priority_override_reason": "Acil"}, actor="t", at=ist(2026, 3, 3, 10, 5))
    by_due = inbox.inbox_page(staff["handler"], inbox.InboxQuery(sort="due"))
    assert [r.complaint.id for r in by_due.rows] == [urgent.id, slow.id]
    by_age = inbox.inbox_page(staff["handler"], inbox.InboxQuery(sort="age"))
    assert [r.complaint.id for r in by_age.rows] == [slow.id, urgent.id]


def test_paging_and_search(as_user, staff):
    made = [register("faks", at=ist(2026, 2, 2, 10, i), customer_name=f"Müşteri {i:02d}") for i in range(7)]
    first = inbox.inbox_page(staff["intake"], inbox.InboxQuery(page=1), page_size=3)
    third = inbox.inbox_page(staff["intake"], inbox.InboxQuery(page=3), page_size=3)
    assert (first.total, first.pages, len(first.rows), len(third.rows)) == (7, 3, 3, 1)
    client = as_user("intake")
    page = _text(client.get(f"/inbox?q={made[4].registration_number.lower()}"))
    assert made[4].registration_number in page and made[3].registration_number not in page
    page = _text(client.get("/inbox?q=müşteri 05"))
    assert made[5].registration_number in page and made[4].registration_number not in page


def test_claim_release_and_a_claimed_task_is_not_claimable_by_a_colleague(as_user, staff):
    complaint = register("telefon")
    task = ready(complaint)[0]
    first, second = as_user("handler"), as_user("handler2")
    assert first.post(f"/tasks/{task.id}/claim").status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler"].id
    assert "Hande Uzman" in _text(second.get("/inbox"))
    response = second.post(f"/tasks/{task.id}/claim", follow_redirects=True)
    assert "Bu görevi Hande Uzman üstlenmiş." in _text(response)
    second.post(f"/tasks/{task.id}/unclaim")
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler"].id
    first.post(f"/tasks/{task.id}/unclaim")
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(complaint_id=complaint.id)]
    assert actions.count("task_claimed") == 1 and actions.count("task_unclaimed") == 1


def test_a_claim_that_loses_a_race_on_its_complaint_asks_to_try_again_and_changes_nothing(as_user, monkeypatch):
    """A completion of the same complaint committed first and took the audit chain's next number: the claim
    is refused with "try again" (it was a 500), and the task is left as it was."""
    from app.services import audit

    complaint = register("telefon")
    task = ready(complaint)[0]
    tail = audit._tail

    def taken_meanwhile(complaint_id):
        seq, digest = tail(complaint_id)
        return seq - 1, digest  # the next number is already written: what a racing completion leaves

    monkeypatch.setattr(audit, "_tail", taken_meanwhile)
    page = _text(as_user("handler").post(f"/tasks/{task.id}/claim", follow_redirects=True))
    assert "Şikâyet aynı anda değişti; lütfen tekrar deneyin." in page and "Görevi üstlendiniz." not in page
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None


def test_claiming_outside_ones_lanes_is_refused(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    response = as_user("intake").post(f"/tasks/{task.id}/claim", follow_redirects=True)
    assert "Bu görev için yetkiniz yok." in _text(response)


def test_only_a_representative_assigns_and_only_to_someone_who_can_work_the_lane(as_user, staff):
    complaint = register("telefon")
    task = ready(complaint)[0]
    assert as_user("handler").post(f"/tasks/{task.id}/assign", data={f"t{task.id}-assignee": "uzman2"}
                                   ).status_code == 403
    rep = as_user("representative")
    page = _text(rep.get("/inbox?scope=all"))
    assert f'name="t{task.id}-assignee"' in page
    rep.post(f"/tasks/{task.id}/assign", data={f"t{task.id}-assignee": "kabul"})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None
    rep.post(f"/tasks/{task.id}/assign", data={f"t{task.id}-assignee": "uzman2"})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == staff["handler2"].id
    assert complaint.registration_number in _text(as_user("handler2").get("/inbox?scope=mine"))
    assert complaint.registration_number not in _text(as_user("handler").get("/inbox?scope=mine"))


def test_a_task_claimed_by_someone_else_cannot_be_completed_by_a_colleague(as_user):
    complaint = register("telefon")
    task = ready(complaint)[0]
    as_user("handler").post(f"/tasks/{task.id}/claim")
    response = as_user("handler2").post(f"/tasks/{task.id}", data={"priority": "high", "category": "billing"})
    assert response.status_code == 409
    assert "Hande Uzman" in response.get_data(as_text=True)
    assert ready(complaint)[0].id == task.id


def test_keyset_paging_shows_every_task_once_when_tasks_are_completed_between_pages(app, as_user, staff):
    """Following "Sonraki" while colleagues finish tasks: no row is skipped or shown twice (offset paging
    would skip the row that moved up into the page already read)."""
    import re

    from app.services.workflow import tasks

    made = [register("faks", at=ist(2026, 2, 2, 10, i)) for i in range(8)]
    open_ids = {ready(c)[0].id for c in made}
    app.config["INBOX_PAGE_SIZE"] = 3
    client = as_user("intake")
    url, seen, finished = "/inbox", [], []
    while url:
        html = _text(client.get(url))
        shown = [int(i) for i in re.findall(r'href="/tasks/(\d+)"', html)]
        seen += shown
        # A colleague finishes the first task of this page and one not yet shown.
        for task_id in (shown[0] if shown else None, max(open_ids - set(seen) - set(finished), default=None)):
            if task_id is not None:
                tasks.complete_task(task_id, {"ack_method": "telefon"}, actor="colleague",
                                    at=ist(2026, 2, 2, 11, 0))
                finished.append(task_id)
        match = re.search(r'href="([^"]+)" rel="next"', html)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == len(set(seen))
    assert set(seen) == open_ids - (set(finished) - set(seen))
    assert len(seen) >= 5


def test_a_large_desk_shows_a_capped_count_and_pages_on(app, as_user, staff, monkeypatch):
    """Past the cap the page says "N+ görev" instead of counting every open task."""
    monkeypatch.setattr(inbox, "COUNT_CAP", 4)
    app.config["INBOX_PAGE_SIZE"] = 2
    for i in range(6):
        register("faks", at=ist(2026, 2, 2, 10, i))
    html = _text(as_user("intake").get("/inbox"))
    assert "4+ görev" in html and 'rel="next"' in html and "Sayfa 1<" in html
    first = inbox.inbox_page(staff["intake"], inbox.InboxQuery(), page_size=2)
    assert (first.total, first.capped, len(first.rows)) == (4, True, 2)


def test_a_forged_cursor_is_ignored(as_user):
    register("faks")
    html = _text(as_user("intake").get("/inbox?after=9-x-<script>&page=999999"))
    assert "<script>" not in html and 'href="/tasks/' in html


def test_the_assign_box_offers_the_lanes_active_colleagues_and_the_page_reads_users_once(as_user, staff):
    from .test_write_paths import statements

    fax, phone = register("faks"), register("telefon")
    staff["handler2"].active = False
    db.session.commit()
    rep = as_user("representative")
    page = _text(rep.get("/inbox?scope=all"))
    ack, classify = ready(fax)[0], ready(phone)[0]
    ack_box = page.split(f'name="t{ack.id}-assignee"')[1].split("</select>")[0]
    classify_box = page.split(f'name="t{classify.id}-assignee"')[1].split("</select>")[0]
    assert 'value="kabul">Kabul Personeli<' in ack_box and "uzman" not in ack_box
    assert 'value="uzman">Hande Uzman<' in classify_box and "kabul" not in classify_box
    assert "uzman2" not in page  # deactivated: cannot be given work
    with statements() as few:
        _text(rep.get("/inbox?scope=all"))
    for _ in range(8):
        register("telefon")
        register("faks")
    with statements() as many:
        page = _text(rep.get("/inbox?scope=all"))
    assert page.count("-assignee\" required>") == 18
    assert len(many) <= len(few), "the inbox must not read once per row"


def test_the_page_reads_only_what_its_rows_show_and_not_once_per_row(as_user):
    """The rows' complaints are read with the columns a row shows: not the description the customer wrote,
    and nothing left to a read per row (an at-risk row's figures included)."""
    import sqlalchemy as sa

    from app.models import Complaint

    from .test_write_paths import statements

    def at_risk_page() -> tuple[str, list[str]]:
        db.session.execute(sa.update(Complaint).values(risk_status="at_risk", risk_needed_hours=20.0,
                                                       risk_left_hours=4.5))
        db.session.commit()
        db.session.expunge_all()  # what a fresh request's session holds
        with statements() as seen:
            page = _text(rep.get("/inbox?scope=all"))
        return page, seen

    rep = as_user("representative")
    register("faks", description="Modem ışığı yanıp sönüyor, gizli ayrıntı.")
    _, few = at_risk_page()
    for _ in range(6):
        register("telefon", description="Modem ışığı yanıp sönüyor, gizli ayrıntı.")
    page, many = at_risk_page()
    reason = "Kalan adımlar geçmişte ortanca 2,2 iş günü sürdü; kalan süre 4,5 iş saati"
    assert page.count(f"<small class=\"risk-reason\">{reason}</small>") == 7
    assert len(many) <= len(few), "the inbox must not read once per row"
    assert not [s for s in many if "complaint.description" in s]


HOSTILE_NAMES = ("<img src=x onerror=alert(1)>", '"><script>alert(1)</script>', "O'Brien \"Kırıcı\" & <b>kalın</b>")


def test_a_colleagues_full_name_is_only_text_in_the_assign_box(as_user, staff):
    """Full names are free text (a username is not): whatever a name holds, the box shows it as written."""
    from html.parser import HTMLParser

    from app.services.accounts import users
    from app.services.errors import ValidationFailed

    from .staff_fixtures import PASSWORD

    for odd in ("<img>", 'a"b', "a b", "x/../y"):
        with pytest.raises(ValidationFailed):
            users.create_user(odd, "Biri", PASSWORD, ["handler"])
    for i, name in enumerate(HOSTILE_NAMES):
        users.create_user(f"kotu{i}", name, PASSWORD, ["handler"])
    task = ready(register("telefon"))[0]
    page = _text(as_user("representative").get("/inbox?scope=all"))
    assert "<img" not in page and "<script>alert" not in page and "<b>" not in page

    class Options(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found, self._value, self._inside = [], None, False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "select":
                self._inside = attrs.get("name") == f"t{task.id}-assignee"
            elif tag == "option" and self._inside:
                self._value = attrs["value"]
            else:
                assert not self._inside, f"<{tag}> inside the assign box"

        def handle_endtag(self, tag):
            if tag == "select":
                self._inside = False

        def handle_data(self, data):
            if self._inside and self._value is not None:
                self.found.append((self._value, data))
                self._value = None

    parser = Options()
    parser.feed(page)
    assert parser.found == [("kotu0", HOSTILE_NAMES[0]), ("kotu1", HOSTILE_NAMES[1]), ("kotu2", HOSTILE_NAMES[2]),
                            ("u_handler", "handler"), ("uzman", "Hande Uzman"), ("uzman2", "Hakan İkinci")]


def _assignee(task_id: int):
    db.session.expire_all()
    return db.session.get(HumanTask, task_id).assignee_id


def test_assign_is_refused_to_the_wrong_role_to_a_deactivated_or_out_of_lane_colleague_and_without_csrf(
        app, as_user, staff):
    from app.services.accounts import users

    complaint = register("telefon")
    task = ready(complaint)[0]
    url, field = f"/tasks/{task.id}/assign", f"t{task.id}-assignee"
    for role in ("intake", "handler", "analyst", "quality_manager", "admin", "auditor"):
        assert as_user(role).post(url, data={field: "uzman"}).status_code == 403, role
    assert _assignee(task.id) is None

    users.deactivate("uzman2")
    rep = as_user("representative")
    for who, message in (("uzman2", "Bu görevi yapabilecek bir çalışma arkadaşı seçin."),  # deactivated
                         ("kabul", "Bu görevi yapabilecek bir çalışma arkadaşı seçin."),  # not in the lane
                         ("yok_boyle_biri", "Atanacak kişiyi seçin."),  # no such account
                         ("", "Atanacak kişiyi seçin.")):
        page = _text(rep.post(url, data={field: who}, follow_redirects=True))
        assert message in page, who
        assert _assignee(task.id) is None
    # The refusal is in the reader's language too.
    rep.post("/language", data={"lang": "en", "next": "/inbox"})
    page = _text(rep.post(url, data={field: "uzman2"}, follow_redirects=True))
    assert "Choose a colleague who can do this task." in page and "Bu görevi yapabilecek" not in page
    assert _assignee(task.id) is None

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert rep.post(url, data={field: "uzman"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _assignee(task.id) is None
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(complaint_id=complaint.id)]
    assert "task_assigned" not in actions


def test_the_filter_form_kept_between_pages_follows_the_readers_role_language_and_filters(as_user):
    """The filter form's HTML is kept per page view: one reader's form never reaches another. The same query
    by a handler and a representative, in Turkish and in English, and with a search word that holds markup."""
    register("telefon", customer_name="Tarık Telefon")
    query = "/inbox?scope=visible&due=overdue"
    representative, handler = as_user("representative"), as_user("handler")
    rep_page, handler_page = _text(representative.get(query)), _text(handler.get(query))
    assert '<option value="all">Tüm açık görevler</option>' in rep_page
    assert 'value="all"' not in handler_page.split('class="filters"')[1].split("</form>")[0]
    assert '<option selected value="overdue">Süresi geçmiş</option>' in handler_page
    handler.post("/language", data={"lang": "en", "next": "/inbox"})
    english = _text(handler.get(query))
    assert "Overdue" in english and "Süresi geçmiş" not in english
    assert "Süresi geçmiş" in _text(as_user("handler").get(query))  # a Turkish reader of the same query
    marked = _text(handler.get('/inbox?q=<script>alert(1)</script>'))
    assert "<script>alert(1)" not in marked and "&lt;script&gt;alert(1)&lt;/script&gt;" in marked
    assert 'value="overdue" selected' not in marked and '<option selected value="overdue">' not in marked


def test_each_row_links_to_its_own_task_and_complaint_and_offers_only_the_buttons_that_work(as_user, staff):
    mine, free = register("telefon", customer_name="Benim Görevim"), register("telefon", customer_name="Boş Görev")
    inbox.claim(ready(mine)[0].id, staff["handler"])
    page = _text(as_user("handler").get("/inbox"))
    for complaint, button in ((mine, "Bırak"), (free, "Üstlen")):
        task_id = ready(complaint)[0].id
        row = page.split(f'href="/complaints/{complaint.registration_number}"')[1].split("</tr>")[0]
        assert f'href="/tasks/{task_id}"' in row
        action = "unclaim" if button == "Bırak" else "claim"
        assert f'action="/tasks/{task_id}/{action}"' in row and f"{button}<span" in row
    other_lane = _text(as_user("intake").get("/inbox"))
    assert mine.registration_number not in other_lane and "Üstlen" not in other_lane


def _filter_form(page: str) -> str:
    return page.split('<form class="filters"')[1].split("</form>")[0]


def test_the_kept_filter_form_shows_the_filter_the_list_applies_and_posts_where_the_desk_is_mounted(as_user):
    """The form shows a repeated parameter's first value, as the list applies it: two queries with the same
    values in another order are two forms. Its action follows the mount point of each request."""
    register("faks", customer_name="Fatma Faks")
    register("telefon", customer_name="Tarık Telefon")
    rep = as_user("representative")
    first = _text(rep.get("/inbox?scope=all&channel=telefon&channel=faks"))
    assert "Tarık Telefon" in first and "Fatma Faks" not in first
    assert '<option selected value="telefon">' in _filter_form(first)
    swapped = _text(rep.get("/inbox?scope=all&channel=faks&channel=telefon"))
    assert "Fatma Faks" in swapped and "Tarık Telefon" not in swapped
    assert '<option selected value="faks">' in _filter_form(swapped), "the form shows another filter than the list"
    mounted = _text(rep.get("/inbox?scope=all", base_url="http://localhost/desk"))
    assert 'action="/desk/inbox"' in _filter_form(mounted)
    assert 'action="/inbox"' in _filter_form(_text(rep.get("/inbox?scope=all")))
