"""A user sees and revokes their own API tokens (page and API), and logging out can end
them (issue 7, A.12). Another user's token is never reachable."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from yiyang.accounts import events
from yiyang.accounts.models import ApiToken
from yiyang.core.models import Event


@pytest.fixture(autouse=True)
def cheap_hashes(settings):
    """Dozens of password checks: a cheap hasher first for the failures (Argon2 is tested
    elsewhere). The factories' shared hash is made first, with the project's hashers, so
    that no user of a later test gets a hash those hashers cannot read."""
    factories.shared_password_hash()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


def issue(username: str = "worker_a") -> str:
    resp = Client().post("/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
                         content_type="application/json")
    assert resp.status_code == 200
    return resp.json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def works(token: str) -> bool:
    return Client().get("/api/v1/elders", headers=bearer(token)).status_code == 200


@pytest.fixture
def other(tree):
    return factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A2)


def test_the_api_lists_and_revokes_ones_own_tokens(worker, other):
    a1, a2, b1 = issue(), issue(), issue("worker_b")
    listed = Client().get("/api/v1/auth/tokens", headers=bearer(a1)).json()
    assert len(listed) == 2 and [t["current"] for t in listed] == [False, True]  # newest first
    assert set(listed[0]) == {"id", "created_at", "expires_at", "last_used_at", "current"}
    other_id = ApiToken.objects.get(user=other).pk
    resp = Client().delete(f"/api/v1/auth/tokens/{other_id}", headers=bearer(a1))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert works(b1)
    resp = Client().delete(f"/api/v1/auth/tokens/{listed[0]['id']}", headers=bearer(a1))
    assert resp.status_code == 204
    assert not works(a2) and works(a1)
    ev = Event.objects.get(type=events.TOKENS_REVOKED)
    assert ev.actor == worker and ev.payload == {"tokens": [listed[0]["id"]], "reason": "api"}


def test_api_logout_ends_the_token_of_the_call_or_all(worker):
    a1, a2, a3 = issue(), issue(), issue()
    resp = Client().post("/api/v1/auth/logout", content_type="application/json", headers=bearer(a1))
    assert resp.status_code == 200 and resp.json() == {"revoked": 1}
    assert not works(a1) and works(a2)
    resp = Client().post("/api/v1/auth/logout", {"all_tokens": True}, content_type="application/json",
                         headers=bearer(a2))
    assert resp.json() == {"revoked": 2}
    assert not works(a2) and not works(a3)


def test_the_page_lists_and_revokes_and_logout_can_end_all_tokens(worker, other):
    a1, a2 = issue(), issue()
    b1 = issue("worker_b")
    worker.refresh_from_db()  # a login may have re-hashed the password (cheap_hashes)
    c = Client()
    c.force_login(worker)
    page = c.get("/accounts/tokens/").content.decode()
    mine = list(ApiToken.objects.filter(user=worker).order_by("pk"))
    assert all(f'name="token" value="{t.pk}"' in page for t in mine)
    assert f'value="{ApiToken.objects.get(user=other).pk}"' not in page
    resp = c.post("/accounts/tokens/", {"token": mine[0].pk})
    assert resp.status_code == 302 and not works(a1) and works(a2)
    # Someone else's token id: refused, nothing revoked.
    c.post("/accounts/tokens/", {"token": ApiToken.objects.get(user=other).pk})
    assert works(b1)
    # Log out, ending every token.
    assert 'name="revoke_tokens"' in page
    resp = c.post("/accounts/logout/", {"revoke_tokens": "1"})
    assert resp.status_code == 302 and not works(a2) and works(b1)
    assert c.get("/accounts/tokens/").status_code == 302  # logged out


def test_a_plain_logout_leaves_tokens_working(worker):
    a1 = issue()
    worker.refresh_from_db()
    c = Client()
    c.force_login(worker)
    c.post("/accounts/logout/")
    assert works(a1)
