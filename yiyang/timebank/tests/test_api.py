"""/api/v1/timebank: the flow through the API, the error shape, relationship-based access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from yiyang.timebank.models import CatalogueItem
from yiyang.timebank.tests.helpers import rolled_back
from yiyang.timebank.tests.test_flow import HOME, build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(build, django_db_blocker) as built:
        yield built


def token(username: str) -> dict:
    resp = Client().post("/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
                         content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


@pytest.fixture
def as_(world, db):
    def client(username):
        c = Client()
        headers = token(username)

        def call(method, url, body=None):
            fn = getattr(c, method)
            if body is None:
                return fn(f"/api/v1/timebank{url}", **headers)
            return fn(f"/api/v1/timebank{url}", body, content_type="application/json", **headers)
        return call
    return client


def test_the_flow_through_the_api(world, as_):
    daughter, vol, lead = as_("daughter"), as_("vol"), as_("lead")
    wanted = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = daughter("post", "/requests", {"elder_id": str(world["father"].pk), "kind": "escort",
                                       "description": "陪父亲去医院复查", "wanted_at": wanted,
                                       "expected_minutes": 120})
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["posted_as"] == "family" and r.json()["status"] == "open"
    assert rid in [x["id"] for x in vol("get", "/requests/open").json()]
    assert vol("post", f"/requests/{rid}/take").json()["status"] == "taken"
    here = {"latitude": HOME[0], "longitude": HOME[1]}
    assert vol("post", f"/requests/{rid}/checkin", here).json()["checkin_distance_m"] < 200
    done = vol("post", f"/requests/{rid}/checkout", here).json()
    assert done["status"] == "done" and done["minutes"] >= 1
    vol("post", f"/requests/{rid}/rate", {"rating": 5, "comment": "顺利"})
    assert daughter("post", f"/requests/{rid}/rate", {"rating": 4}).json()["status"] == "rated"
    # The volunteer cannot certify their own service: 403 in the API's error shape.
    refused = vol("post", f"/requests/{rid}/certify", {})
    assert refused.status_code == 403 and set(refused.json()) == {"code", "message", "detail"}
    cert = lead("post", f"/requests/{rid}/certify", {})
    assert cert.status_code == 200 and cert.json()["status"] == "certified" and cert.json()["credits"]
    me = vol("get", "/accounts/me").json()
    assert me["balance"] == sum(e["amount"] for e in me["statement"])
    assert me["statement"][0]["category"] == "service" and me["statement"][0]["service_kind"] == "escort"
    # Staff read the same account by id; another member may not.
    assert lead("get", f"/accounts/{me['id']}").json()["balance"] == me["balance"]
    assert daughter("get", f"/accounts/{me['id']}").status_code == 404


def test_errors_and_relationships(world, as_):
    far = as_("far_vol")
    missing = far("get", "/requests/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    # A member who is not an approved volunteer sees no open requests and cannot take one.
    assert far("get", "/requests/open").json() == []
    # Not linked to the father: cannot post for him.
    r = far("post", "/requests", {"elder_id": str(world["father"].pk), "kind": "meal", "description": "送饭",
                                  "wanted_at": timezone.now().isoformat()})
    assert r.status_code == 404
    bad = as_("daughter")("post", "/requests", {"elder_id": str(world["father"].pk), "kind": "meal",
                                                "description": "", "wanted_at": timezone.now().isoformat()})
    assert bad.status_code == 400 and "description" in bad.json()["detail"]["fields"]


def test_members_transfers_donations_and_redemptions(world, as_):
    lead = as_("lead")
    r = lead("post", "/members", {"name": "黄丽华", "id_number": factories.make_id_number(dt.date(1950, 2, 3), "F"),
                                  "region_code": factories.COMMUNITY_A, "volunteer": True})
    assert r.status_code == 201 and r.json()["age_group"] == "old" and r.json()["volunteer_status"] == "applied"
    mid = r.json()["id"]
    assert lead("post", f"/members/{mid}/review", {"approve": True}).json()["volunteer_status"] == "point_approved"
    bad = lead("post", "/members", {"name": "错号", "id_number": "440304199001011234",
                                    "region_code": factories.COMMUNITY_A})
    assert bad.status_code == 400 and "id_number" in bad.json()["detail"]["fields"]
    vol = as_("vol")
    gift = vol("post", "/donations", {"amount": 1})
    assert gift.status_code in (201, 409)  # 409 when the volunteer has no credit yet in this order
    CatalogueItem.objects.create(name="助浴一次", service_point=world["point"], region_code=factories.COMMUNITY_A,
                                 price=100)
    items = vol("get", "/catalogue").json()
    assert items and items[0]["region_code"].startswith("440304")
    young = vol("post", "/redemptions", {"item_id": items[0]["id"]})
    assert young.status_code == 400 and young.json()["code"] == "too_young"
    stranger = vol("post", "/transfers", {"to_member_id": mid, "amount": 1})
    assert stranger.status_code == 400 and stranger.json()["code"] == "not_verified_relative"


def test_a_booking_is_corrected_through_the_api_by_a_compensating_one(world, as_):
    from yiyang.timebank import ledger
    from yiyang.timebank.models import Category

    point = ledger.point_account(world["point"])
    acc = ledger.member_account(world["daughter"])
    txn = ledger.ledger_book(category=Category.GRANT, legs=[(point, -30), (acc, 30)],
                             region_code=factories.COMMUNITY_A)
    # A member is not staff: a booking is not theirs to reach (404, as everything outside a
    # relationship), whatever their capabilities.
    assert as_("vol")("post", f"/transactions/{txn.pk}/correct", {"reason": "误拨"}).status_code == 404
    no_reason = as_("lead")("post", f"/transactions/{txn.pk}/correct", {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    fixed = as_("lead")("post", f"/transactions/{txn.pk}/correct", {"reason": "误拨，冲正"})
    assert fixed.status_code == 201 and fixed.json()["category"] == "correction"
    again = as_("lead")("post", f"/transactions/{txn.pk}/correct", {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "already_corrected"
    assert ledger.balance_of(acc) == ledger.member_account(world["daughter"]).balance
