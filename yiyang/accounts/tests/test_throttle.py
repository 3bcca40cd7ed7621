"""Login throttle (django-axes) on every login path, by username *and* address: nobody can
guess a password, nobody elsewhere can lock a field worker out, an administrator unlocks,
and every lock is logged (a log line and an event)."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests import factories
from yiyang.accounts import events
from yiyang.core.models import Event

ATTACKER, WORKER_PHONE = "203.0.113.7", "198.51.100.20"


def page_login(ip: str, username: str, password: str):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"username": username, "password": password})


def admin_login(ip: str, username: str, password: str):
    c = Client(REMOTE_ADDR=ip)
    resp = c.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return resp, c


def api_token(ip: str, username: str, password: str):
    return Client(REMOTE_ADDR=ip).post("/api/v1/auth/token", {"username": username, "password": password},
                                       content_type="application/json")


@pytest.fixture(autouse=True)
def cheap_hashes(settings):
    """Dozens of password checks: a cheap hasher first for the failures (Argon2 is tested
    elsewhere). The factories' shared hash is made first, with the project's hashers, so
    that no user of a later test gets a hash those hashers cannot read."""
    factories.shared_password_hash()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def staff(tree):
    return factories.make_user("staff_admin", "district_admin", "440304000000", is_staff=True, is_superuser=True)


def test_admin_login_is_throttled_and_the_lock_is_in_chinese(staff):
    for _ in range(4):
        resp, _c = admin_login(ATTACKER, "staff_admin", "wrong-password")
        assert resp.status_code == 200  # the admin's own "wrong password" form
    resp, _c = admin_login(ATTACKER, "staff_admin", "wrong-password")
    assert resp.status_code == 429  # the fifth failure locks
    resp, c = admin_login(ATTACKER, "staff_admin", factories.PASSWORD)
    assert resp.status_code == 429
    assert "登录失败次数过多" in resp.content.decode()
    assert "_auth_user_id" not in c.session
    # The owner, from their own address, still gets in.
    resp, c = admin_login(WORKER_PHONE, "staff_admin", factories.PASSWORD)
    assert resp.status_code == 302 and c.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.parametrize("login", [page_login, api_token], ids=["page", "api"])
def test_nobody_elsewhere_can_lock_a_worker_out(worker, login):
    for _ in range(8):
        assert login(ATTACKER, "worker_a", "wrong-password").status_code in (400, 401, 429)
    assert login(ATTACKER, "worker_a", factories.PASSWORD).status_code == 429
    ok = login(WORKER_PHONE, "worker_a", factories.PASSWORD)
    assert ok.status_code in (200, 302)


def test_the_api_lock_answers_in_the_error_format(worker):
    for _ in range(5):
        api_token(ATTACKER, "worker_a", "wrong-password")
    resp = api_token(ATTACKER, "worker_a", factories.PASSWORD)
    assert resp.status_code == 429
    body = resp.json()
    assert body["code"] == "login_locked" and "登录失败次数过多" in body["message"] and body["detail"] == {}


def test_one_address_guessing_many_accounts_is_locked_at_the_address_limit(worker, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = ip_limit = 12
    # Four guesses per username (under the per-username limit), over many usernames.
    for i in range(ip_limit - 1):
        assert page_login(ATTACKER, f"user{i // 4}", "guess").status_code == 400
    assert page_login(ATTACKER, "someone", "guess").status_code == 429
    assert page_login(ATTACKER, "worker_a", factories.PASSWORD).status_code == 429
    assert page_login(WORKER_PHONE, "worker_a", factories.PASSWORD).status_code == 302


def test_a_lock_is_logged_once_and_an_administrator_unlocks(worker, staff, caplog):
    caplog.set_level(logging.INFO, logger="yiyang.security")
    for _ in range(7):
        page_login(ATTACKER, "worker_a", "wrong-password")
    locks = Event.objects.filter(type=events.LOGIN_LOCKED)
    assert locks.count() == 1  # when the lock begins, not on every refused attempt
    assert locks.get().payload == {"username": "worker_a", "ip_address": ATTACKER, "path": "/accounts/login/"}
    assert any("login locked" in r.getMessage() and "worker_a" in r.getMessage() for r in caplog.records)
    assert page_login(ATTACKER, "worker_a", factories.PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(staff)
    resp = admin.post("/admin/accounts/user/", {"action": "unlock_login", "_selected_action": [worker.pk]})
    assert resp.status_code == 302
    assert not AccessAttempt.objects.filter(username="worker_a").exists()
    unlock = Event.objects.get(type=events.LOGIN_UNLOCKED)
    assert unlock.actor == staff and unlock.payload == {"username": "worker_a", "ip_addresses": [ATTACKER]}
    assert page_login(ATTACKER, "worker_a", factories.PASSWORD).status_code == 302


def test_the_failure_records_admin_unlocks_selected_rows(worker, staff):
    for _ in range(5):
        api_token(ATTACKER, "worker_a", "wrong-password")
    admin = Client()
    admin.force_login(staff)
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    pk = AccessAttempt.objects.get(username="worker_a").pk
    resp = admin.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": [pk]})
    assert resp.status_code == 302
    assert api_token(ATTACKER, "worker_a", factories.PASSWORD).status_code == 200
    assert Event.objects.filter(type=events.LOGIN_UNLOCKED, actor=staff).count() == 1


def test_a_success_clears_only_that_username_from_that_address(worker):
    factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A2)
    for _ in range(4):
        page_login(ATTACKER, "worker_a", "wrong-password")
    # Logging into one's own account does not reset another username's count ...
    assert page_login(ATTACKER, "worker_b", factories.PASSWORD).status_code == 302
    assert page_login(ATTACKER, "worker_a", "wrong-password").status_code == 429
    # ... and the owner's success from another address clears only that address.
    assert AccessAttempt.objects.filter(username="worker_a", ip_address=ATTACKER).exists()


def test_the_co_assessor_signature_counts_too(worker):
    from django.test import RequestFactory

    from yiyang.accounts.services import user_authenticate
    from yiyang.core.exceptions import ApplicationError
    for i in range(6):
        request = RequestFactory().post("/assessments/x/confirm/", REMOTE_ADDR=ATTACKER)
        with pytest.raises(ApplicationError) as exc:
            user_authenticate(request=request, username="worker_a", password="wrong-password")
        assert exc.value.code == ("login_locked" if i >= 4 else "bad_credentials")


@pytest.mark.parametrize("login", [page_login, api_token], ids=["page", "api"])
def test_a_username_longer_than_any_account_is_a_400_in_chinese(tree, login):
    # On PostgreSQL the failure record's column once overflowed: a 500.
    resp = login(ATTACKER, "a" * 200, "x")
    assert resp.status_code == 400
    if login is api_token:
        body = resp.json()
        assert body["code"] == "validation_error" and "用户名过长" in body["message"]
    else:
        assert "用户名过长" in resp.content.decode()
    assert not AccessAttempt.objects.exists()


def test_a_very_long_user_agent_is_recorded_without_error(worker):
    resp = Client(REMOTE_ADDR=ATTACKER, HTTP_USER_AGENT="x" * 2000).post(
        "/api/v1/auth/token", {"username": "worker_a", "password": "bad"}, content_type="application/json")
    assert resp.status_code == 401
