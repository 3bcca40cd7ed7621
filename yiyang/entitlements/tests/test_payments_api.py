"""The public contract of GET /api/v1/benefits/{code}/recipients (发放名单): its shape, the
caller's jurisdiction, the filters, the order and the pages, and the errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests import factories
from yiyang.core.pii import mask_id_number
from yiyang.elders.services import elder_deactivate
from yiyang.elders.tests.test_api import assert_error, has_chinese
from yiyang.entitlements.models import EntitlementStatus
from yiyang.entitlements.services import entitlements_refresh_for_elder
from yiyang.entitlements.tests.helpers import confirm_level, elder_aged
from yiyang.entitlements.tests.payment_helpers import AGE, CARE, STREET, api_for, names

URL = f"/api/v1/benefits/{AGE}/recipients"
ITEM_KEYS = {"elder_id", "name", "id_number", "region_code", "status", "since"}


def test_shape_masked_ids_and_order(street_admin, people):
    resp = api_for(street_admin).get(URL)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 3 == len(body["items"])
    for item in body["items"]:
        assert set(item) == ITEM_KEYS
        assert item["status"] == "entitled"
        assert "*" in item["id_number"] and len(item["id_number"]) == 18
    a1 = next(i for i in body["items"] if i["name"] == "王秀")
    elder = people["a1"]
    assert a1["elder_id"] == str(elder.pk)
    assert a1["id_number"] == mask_id_number(elder.id_number) == elder.id_number_masked
    assert elder.id_number not in resp.content.decode()
    assert a1["region_code"] == factories.COMMUNITY_A
    since = EntitlementStatus.objects.get(elder=elder, benefit__code=AGE).since
    assert abs(dt.datetime.fromisoformat(a1["since"]) - since) < dt.timedelta(milliseconds=1)
    # Community, then name (then id): 梅京 (王秀, 王秀英) before 上梅林 (李桂).
    assert [(i["region_code"], i["name"]) for i in body["items"]] == sorted(
        (i["region_code"], i["name"]) for i in body["items"])
    assert names(resp) == ["王秀", "王秀英", "李桂"]


def test_each_role_sees_its_own_node(community_admin, street_admin, district_admin, superuser, people):
    assert names(api_for(community_admin).get(URL)) == ["王秀", "王秀英"]
    assert names(api_for(street_admin).get(URL)) == ["王秀", "王秀英", "李桂"]
    assert sorted(names(api_for(district_admin).get(URL))) == sorted(["王秀", "王秀英", "李桂", "赵明"])
    city = factories.make_user("city", "city_admin", "440300000000")
    assert len(names(api_for(city).get(URL))) == 5


def test_region_filter_and_a_region_outside_is_an_empty_list(community_admin, street_admin, people):
    street = api_for(street_admin)
    assert names(street.get(URL, {"region": factories.COMMUNITY_A2})) == ["李桂"]
    assert names(street.get(URL, {"region": "440304006"})) == ["王秀", "王秀英", "李桂"]  # 9 digits: the street
    # A node above the caller's: only the part inside the jurisdiction.
    assert names(street.get(URL, {"region": "440304000000"})) == ["王秀", "王秀英", "李桂"]
    for outside in (factories.COMMUNITY_B, factories.COMMUNITY_OTHER_DISTRICT, "440304007000", "nonsense"):
        resp = street.get(URL, {"region": outside})
        assert resp.status_code == 200 and resp.json() == {"items": [], "count": 0}
    # A community's admin asking for the whole street gets only what is theirs.
    assert names(api_for(community_admin).get(URL, {"region": STREET})) == ["王秀", "王秀英"]


def test_maybe_status_and_the_default(street_admin, superuser, people):
    care = f"/api/v1/benefits/{CARE}/recipients"
    api = api_for(street_admin)
    # 护理补贴 needs 本地户籍, economic difficulty and level 2+: with neither on record it is 可能符合.
    resp = api.get(care, {"status": "maybe"})
    assert names(resp) == [*sorted(["王秀", "王秀英", "王秀兰"]), "李桂"]  # 梅京 before 上梅林
    assert {i["status"] for i in resp.json()["items"]} == {"maybe"}
    assert api.get(care).json() == {"items": [], "count": 0}  # the default: 可享受
    poor = elder_aged(superuser, 75, name="钱芳", categories=["subsistence"])
    confirm_level(poor, 2)
    entitlements_refresh_for_elder(poor, cause="assessment")
    assert names(api.get(care)) == ["钱芳"]
    assert "钱芳" not in names(api.get(care, {"status": "maybe"}))


@pytest.mark.parametrize("status", ["not", "ENTITLED", "x"])
def test_a_bad_status_is_an_error_in_chinese(street_admin, status):
    body = assert_error(api_for(street_admin).get(URL, {"status": status}), 422, "validation_error")
    assert "entitled" in body["message"] and has_chinese(body["message"])
    assert "status" in body["detail"]["fields"]


def test_unknown_or_switched_off_benefit_is_404(street_admin):
    assert_error(api_for(street_admin).get("/api/v1/benefits/no_such_thing/recipients"), 404, "not_found")
    assert_error(api_for(street_admin).get("/api/v1/benefits/ltc_insurance/recipients"), 404, "not_found")


@pytest.mark.parametrize("role", ["commissioner", "provider_staff", "operator"])
def test_roles_without_the_capability_get_403(tree, role):
    user = factories.make_user(f"u_{role}", role, factories.COMMUNITY_A if role != "operator" else "440304000000")
    body = assert_error(api_for(user).get(URL), 403, "forbidden")
    assert has_chinese(body["message"])
    # Even for an unknown benefit: the role is refused first.
    assert_error(api_for(user).get("/api/v1/benefits/nope/recipients"), 403, "forbidden")


def test_point_lead_may_read(point_lead, people):
    assert names(api_for(point_lead).get(URL)) == ["王秀", "王秀英"]


def test_anonymous_is_401(people):
    assert_error(Client().get(URL), 401, "unauthorized")


def test_pages_are_stable_and_page_size_is_bounded(street_admin, people):
    api = api_for(street_admin)
    seen = []
    for page in (1, 2, 3, 4):
        body = api.get(URL, {"page": page, "page_size": 1}).json()
        assert body["count"] == 3
        seen += [i["name"] for i in body["items"]]
    assert seen == ["王秀", "王秀英", "李桂"]
    assert api.get(URL, {"page_size": 10_000}).json()["count"] == 3  # capped at 500, not refused
    assert len(api.get(URL, {"page": 0, "page_size": 0}).json()["items"]) == 1  # at least 1, page 1
    body = assert_error(api.get(URL, {"page": "x"}), 422, "validation_error")
    assert body["detail"]["fields"]["page"] == ["应为整数"]


def test_page_size_default_50_max_500(street_admin, people):
    from yiyang.entitlements import payments_api

    assert payments_api.DEFAULT_PAGE_SIZE == 50 and payments_api.MAX_PAGE_SIZE == 500
    assert payments_api.page_bounds(1, 10_000) == (0, 500)
    assert payments_api.page_bounds(3, 50) == (100, 150)
    assert payments_api.page_bounds(-1, -5) == (0, 1)
    assert len(api_for(street_admin).get(URL).json()["items"]) == 3


def test_a_deactivated_elder_is_not_listed_even_before_the_worker_runs(street_admin, people):
    elder_deactivate(actor=street_admin, elder=people["a1"], reason="deceased")
    # Stored status still says entitled until the worker runs: the list reads active elders only.
    assert "王秀" not in names(api_for(street_admin).get(URL))
