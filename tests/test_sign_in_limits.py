"""Password guessing: counted atomically per account (any address), growing waits that end by themselves."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from app.services.accounts import users

from .staff_fixtures import PASSWORD

LOCKED = "dakika sonra tekrar deneyin"


def login(client, username, password, ip="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def without_token(response) -> str:
    return re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))


@pytest.fixture
def checked(monkeypatch):
    """How many passwords were actually compared with a hash."""
    calls = []
    real = users.check_password_hash

    def counting(pwhash, password):
        calls.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    return calls


def test_forty_parallel_guesses_check_at_most_the_limit(app, live_server, checked):
    """40 threads post wrong passwords at once against the threaded server: at most 5 are checked."""
    import requests

    sessions, tokens = [], []
    for _ in range(40):
        session = requests.Session()
        page = session.get(f"{live_server}/login", timeout=10).text
        tokens.append(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1))
        sessions.append(session)
    barrier = threading.Barrier(40)
    statuses = []

    def guess(i: int) -> None:
        barrier.wait()
        response = sessions[i].post(f"{live_server}/login", timeout=60, allow_redirects=False, data={
            "csrf_token": tokens[i], "username": "uzman", "password": f"yanlis-{i}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 40
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert len(checked) <= limit
    assert statuses.count(401) == len(checked) and statuses.count(429) == 40 - len(checked)
    assert requests.Session().get(f"{live_server}/login", timeout=10).status_code == 200


def test_guesses_spread_over_addresses_count_for_the_account(client, staff, checked):
    for i in range(5):
        assert login(client, "uzman", "yanlis-parola", ip=f"198.51.100.{i}").status_code == 401
    response = login(client, "uzman", PASSWORD, ip="203.0.113.7")
    assert response.status_code == 429 and LOCKED in response.get_data(as_text=True)
    assert len(checked) == 5


def test_the_right_password_during_the_wait_gets_the_same_answer_as_a_wrong_one(client, staff, checked):
    for _ in range(5):
        login(client, "uzman", "yanlis-parola")
    right, wrong = login(client, "uzman", PASSWORD), login(client, "uzman", "yanlis-parola")
    assert right.status_code == wrong.status_code == 429
    assert without_token(right) == without_token(wrong)
    assert len(checked) == 5
    # An unknown name waits the same way, so the answer does not tell which accounts exist.
    for _ in range(5):
        login(client, "kimse", "yanlis-parola")
    assert without_token(login(client, "kimse", PASSWORD)).replace("kimse", "X") == \
        without_token(login(client, "uzman", PASSWORD)).replace("uzman", "X")


def test_waits_end_by_themselves_and_grow_up_to_a_cap(client, staff, desk_clock, checked):
    """5 failures: 1 minute; 5 more after it: 2; then 4, 8, and never more than 15."""
    for minutes in (1, 2, 4, 8, 15, 15):
        began = desk_clock.now()
        for _ in range(5):
            assert login(client, "uzman", "yanlis-parola").status_code == 401
        waiting = login(client, "uzman", PASSWORD)
        assert waiting.status_code == 429 and f"{minutes} {LOCKED}" in waiting.get_data(as_text=True)
        desk_clock.pin(began + timedelta(minutes=minutes) - timedelta(seconds=1))
        assert login(client, "uzman", PASSWORD).status_code == 429
        desk_clock.pin(began + timedelta(minutes=minutes))
    assert len(checked) == 6 * 5
    assert login(client, "uzman", PASSWORD).status_code == 302  # the wait is over: the real user gets in


def test_signing_in_or_a_quiet_day_starts_the_waits_again_from_the_shortest(app, staff, desk_clock):
    def round_of_failures() -> str:
        client = app.test_client()
        for _ in range(5):
            login(client, "uzman", "yanlis-parola")
        return login(client, "uzman", PASSWORD).get_data(as_text=True)

    assert f"1 {LOCKED}" in round_of_failures()
    desk_clock.pin(desk_clock.now() + timedelta(minutes=1))
    assert f"2 {LOCKED}" in round_of_failures()
    desk_clock.pin(desk_clock.now() + timedelta(minutes=2))
    assert login(app.test_client(), "uzman", PASSWORD).status_code == 302
    assert f"1 {LOCKED}" in round_of_failures()
    desk_clock.pin(desk_clock.now() + timedelta(minutes=1))
    assert f"2 {LOCKED}" in round_of_failures()
    desk_clock.pin(desk_clock.now() + timedelta(days=1, minutes=2))
    assert f"1 {LOCKED}" in round_of_failures()
