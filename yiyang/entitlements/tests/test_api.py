"""The public contract of the entitlement endpoints."""

from __future__ import annotations

import uuid

import pytest

from tests import factories
from yiyang.core.models import Event
from yiyang.elders.services import elder_update
from yiyang.elders.tests.test_api import Api, assert_error, has_chinese, token_for
from yiyang.entitlements.models import Benefit, EntitlementChange
from yiyang.entitlements.tests.helpers import elder_aged

ITEM_KEYS = {"benefit", "name", "status", "reason", "missing"}


@pytest.fixture
def api(worker) -> Api:
    return Api(token_for(worker.username).json()["token"])


@pytest.fixture
def mine(superuser):
    return elder_aged(superuser, 82, categories=["subsistence"], living_situation="alone")


@pytest.fixture
def theirs(superuser):
    return elder_aged(superuser, 82, region_code=factories.COMMUNITY_B)


def test_entitlements_of_an_elder(api, mine):
    resp = api.get(f"/api/v1/elders/{mine.pk}/entitlements")
    assert resp.status_code == 200
    items = resp.json()
    assert [i["benefit"] for i in items] == list(
        Benefit.objects.filter(active=True).order_by("sort_order").values_list("code", flat=True))
    for i in items:
        assert set(i) == ITEM_KEYS
        assert i["status"] in {"entitled", "maybe", "not"}
        assert has_chinese(i["name"]) and has_chinese(i["reason"])
        assert (i["status"] == "maybe") == bool(i["missing"])
    by = {i["benefit"]: i for i in items}
    assert by["advanced_age_allowance"] == {"benefit": "advanced_age_allowance", "name": "高龄津贴",
                                            "status": "entitled", "reason": "年满80周岁（现82岁）且为本地户籍",
                                            "missing": []}
    assert by["disability_care_subsidy"]["status"] == "maybe"
    assert by["disability_care_subsidy"]["missing"] == ["能力评估等级（尚未按GB/T 42195—2022评估）"]


def test_entitlements_as_of_a_date(api, mine):
    day = mine.birth_date.replace(year=mine.birth_date.year + 80)
    before = day.fromordinal(day.toordinal() - 1)
    got = api.get(f"/api/v1/elders/{mine.pk}/entitlements", {"on": before.isoformat()}).json()
    assert next(i for i in got if i["benefit"] == "advanced_age_allowance")["reason"] == "未满80周岁（现79岁）"
    got = api.get(f"/api/v1/elders/{mine.pk}/entitlements", {"on": day.isoformat()}).json()
    assert next(i for i in got if i["benefit"] == "advanced_age_allowance")["status"] == "entitled"


def test_outside_the_jurisdiction_is_404(api, theirs):
    assert_error(api.get(f"/api/v1/elders/{theirs.pk}/entitlements"), 404, "not_found")
    assert_error(api.get(f"/api/v1/elders/{uuid.uuid4()}/entitlements"), 404, "not_found")
    assert_error(api.post(f"/api/v1/elders/{theirs.pk}/entitlements/advanced_age_allowance/explained"),
                 404, "not_found")


def test_unauthenticated_is_401(mine):
    assert_error(Api().get(f"/api/v1/elders/{mine.pk}/entitlements"), 401, "unauthorized")


def test_roles_without_elder_access_get_404_or_403(tree, mine):
    factories.make_user("op", "operator", "440304000000")
    op = Api(token_for("op").json()["token"])
    assert op.get(f"/api/v1/elders/{mine.pk}/entitlements").status_code == 403
    assert_error(op.get("/api/v1/entitlements/changes"), 403, "forbidden")


def test_explained_writes_a_timeline_event(api, worker, mine):
    resp = api.post(f"/api/v1/elders/{mine.pk}/entitlements/advanced_age_allowance/explained", {"note": "已讲解"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["benefit"] == "advanced_age_allowance" and body["name"] == "高龄津贴"
    ev = Event.objects.get(pk=body["event_id"])
    assert ev.type == "entitlement.explained" and ev.actor == worker and ev.elder_id == mine.pk
    timeline = api.get(f"/api/v1/elders/{mine.pk}/timeline").json()
    assert timeline[0]["type"] == "entitlement.explained"
    assert timeline[0]["label"] == "已告知老人政策" and timeline[0]["payload"]["name"] == "高龄津贴"
    # No body at all is fine too.
    assert api.post(f"/api/v1/elders/{mine.pk}/entitlements/legal_aid/explained").status_code == 201
    assert_error(api.post(f"/api/v1/elders/{mine.pk}/entitlements/nothing/explained"), 404, "not_found")


def test_changes_newest_first_and_newly_entitled_filter(api, worker, superuser, mine, theirs):
    e = elder_aged(superuser, 70, living_situation="with_children")
    elder_update(actor=worker, elder=e, data={"categories": ["low_income"]})
    factories.run_worker()
    elder_update(actor=superuser, elder=theirs, data={"categories": ["low_income"]})
    resp = api.get("/api/v1/entitlements/changes")
    assert resp.status_code == 200
    page = resp.json()
    assert set(page) == {"items", "count", "page", "page_size"}
    assert page["count"] == EntitlementChange.objects.filter(elder=e).count() > 0
    item = page["items"][0]
    assert set(item) == {"id", "elder_id", "elder_name", "region_code", "region_name", "benefit", "name", "from", "to",
                         "reason", "cause", "at", "acknowledged_at", "acknowledged_by"}
    assert item["elder_id"] == str(e.pk) and item["cause"] == "elder"
    ats = [i["at"] for i in page["items"]]
    assert ats == sorted(ats, reverse=True)
    newly = api.get("/api/v1/entitlements/changes", {"newly_entitled": "true"}).json()["items"]
    assert newly and all(i["to"] == "entitled" and i["from"] != "entitled" for i in newly)
    assert {i["benefit"] for i in newly} >= {"elderly_service_subsidy"}
    # The other community's changes are not visible to this worker.
    assert all(i["elder_id"] != str(theirs.pk) for i in page["items"])


def test_acknowledge(api, worker, superuser, theirs):
    e = elder_aged(superuser, 70)
    elder_update(actor=worker, elder=e, data={"categories": ["subsistence"]})
    factories.run_worker()
    change = EntitlementChange.objects.filter(elder=e).first()
    resp = api.post(f"/api/v1/entitlements/changes/{change.pk}/acknowledge")
    assert resp.status_code == 200, resp.content
    assert resp.json()["acknowledged_by"] == worker.display_name and resp.json()["acknowledged_at"]
    assert_error(api.post(f"/api/v1/entitlements/changes/{change.pk}/acknowledge"), 400, "already_acknowledged")
    open_items = api.get("/api/v1/entitlements/changes", {"acknowledged": "false"}).json()["items"]
    assert change.pk not in [i["id"] for i in open_items]
    elder_update(actor=superuser, elder=theirs, data={"categories": ["subsistence"]})
    factories.run_worker()
    other = EntitlementChange.objects.filter(elder=theirs).first()
    assert_error(api.post(f"/api/v1/entitlements/changes/{other.pk}/acknowledge"), 404, "not_found")
    assert_error(api.post("/api/v1/entitlements/changes/999999/acknowledge"), 404, "not_found")


def test_benefit_list(api):
    items = api.get("/api/v1/benefits").json()
    by = {b["code"]: b for b in items}
    assert "ltc_insurance" not in by
    assert by["advanced_age_allowance"]["kind_name"] == "物质帮助"
    assert by["advanced_age_allowance"]["rules"][0]["description"] == "年满80周岁，且本地户籍"
    everything = api.get("/api/v1/benefits", {"include_inactive": "true"}).json()
    assert "ltc_insurance" in {b["code"] for b in everything}


def test_openapi_documents_the_endpoints(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/elders/{elder_id}/entitlements", "/api/v1/elders/{elder_id}/entitlements/{benefit}/explained",
              "/api/v1/entitlements/changes", "/api/v1/entitlements/changes/{change_id}/acknowledge",
              "/api/v1/benefits"):
        assert p in paths


def test_a_long_explained_note_is_refused_by_the_api_and_the_service(api, worker, mine):
    """Issue 7 A.8: the note has a maximum in the schema and in the service; nothing is written."""
    from yiyang.core.exceptions import FieldErrors
    from yiyang.entitlements.services import entitlement_explain

    resp = api.post(f"/api/v1/elders/{mine.pk}/entitlements/advanced_age_allowance/explained", {"note": "讲" * 501})
    body = assert_error(resp, 422, "validation_error")
    assert body["detail"]["fields"]["note"] == ["最长500字"]
    with pytest.raises(FieldErrors):
        entitlement_explain(actor=worker, elder=mine, benefit_code="advanced_age_allowance", note="讲" * 501)
    assert not Event.objects.filter(type="entitlement.explained").exists()
