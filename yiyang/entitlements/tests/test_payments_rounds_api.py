"""The public contract of /api/v1/payment-rounds (发放批次)."""

from __future__ import annotations

from django.utils import timezone

from tests import factories
from yiyang.core.models import AccessLog
from yiyang.elders.services import elder_deactivate
from yiyang.elders.tests.test_api import assert_error
from yiyang.entitlements.exports import XLSX_CONTENT_TYPE
from yiyang.entitlements.tasks import entitlements_refresh_nightly
from yiyang.entitlements.tests.payment_helpers import AGE, STREET, api_for, last_month, sheet_rows

ROUND_KEYS = {"id", "benefit", "benefit_name", "region_code", "region_name", "month", "status", "status_name", "count",
              "joined_count", "left_count", "previous_id", "drafted_by", "drafted_at", "submitted_by", "submitted_at",
              "approved_by", "approved_at", "exported_by", "exported_at", "cancelled_by", "cancelled_at", "note"}


def create(api, **body):
    return api.post("/api/v1/payment-rounds", {"benefit": AGE, "region_code": STREET, **body})


def test_the_whole_round_through_the_api(street_admin, street_admin2, people):
    drafter, approver = api_for(street_admin), api_for(street_admin2)
    month = last_month(timezone.localdate())
    resp = create(drafter, month=f"{month:%Y-%m}")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) == ROUND_KEYS | {"joined", "left", "changes_since_draft"}
    assert (body["status"], body["status_name"], body["count"], body["month"]) == ("draft", "草稿", 3, str(month))
    assert (body["region_name"], body["benefit_name"], body["drafted_by"]) == ("梅林街道", "高龄津贴", "street_a")
    assert body["joined"] == [] and body["left"] == [] and body["previous_id"] is None
    rid = body["id"]
    assert_error(create(drafter, month=f"{month:%Y-%m}"), 409, "round_exists")

    lines = drafter.get(f"/api/v1/payment-rounds/{rid}/lines", {"page_size": 2}).json()
    assert lines["count"] == 3 and [i["name"] for i in lines["items"]] == ["王秀", "王秀英"]
    assert set(lines["items"][0]) == {"elder_id", "name", "id_number", "region_code", "status", "since"}
    assert "*" in lines["items"][0]["id_number"]
    page2 = drafter.get(f"/api/v1/payment-rounds/{rid}/lines", {"page_size": 2, "page": 2}).json()
    assert [i["name"] for i in page2["items"]] == ["李桂"]

    assert_error(approver.post(f"/api/v1/payment-rounds/{rid}/approve"), 409, "round_not_submitted")
    assert drafter.post(f"/api/v1/payment-rounds/{rid}/submit").json()["status"] == "submitted"
    body = assert_error(drafter.post(f"/api/v1/payment-rounds/{rid}/approve"), 403, "forbidden")
    assert "自己编制" in body["message"]
    entitlements_refresh_nightly.enqueue()
    assert_error(approver.post(f"/api/v1/payment-rounds/{rid}/approve"), 409, "recompute_pending")
    factories.run_worker()
    body = approver.post(f"/api/v1/payment-rounds/{rid}/approve").json()
    assert (body["status"], body["approved_by"]) == ("approved", "梅林复核员")
    assert_error(drafter.post(f"/api/v1/payment-rounds/{rid}/cancel"), 409, "round_frozen")

    resp = drafter.post(f"/api/v1/payment-rounds/{rid}/export", {"purpose": "银行代发"})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX_CONTENT_TYPE
    assert sheet_rows(resp.content)[1][2] == people["a1"].id_number
    assert AccessLog.objects.get().purpose == "银行代发"
    assert drafter.get(f"/api/v1/payment-rounds/{rid}").json()["status"] == "exported"

    # This month: someone died; the difference says so.
    elder_deactivate(actor=street_admin, elder=people["a1"], reason="deceased")
    factories.run_worker()
    body = create(drafter).json()
    assert body["previous_id"] == rid and body["count"] == 2 and body["left_count"] == 1
    assert body["left"] == [{"elder_id": str(people["a1"].pk), "name": "王秀", "region_code": factories.COMMUNITY_A,
                             "cause": "deactivated", "reason": "档案注销：已故"}]
    got = drafter.get(f"/api/v1/payment-rounds/{body['id']}").json()
    assert got["left"] == body["left"] and got["joined"] == []

    listed = drafter.get("/api/v1/payment-rounds").json()
    assert listed["count"] == 2 and [r["id"] for r in listed["items"]] == [body["id"], rid]  # newest month first
    assert set(listed["items"][0]) == ROUND_KEYS
    assert drafter.get("/api/v1/payment-rounds", {"status": "exported"}).json()["count"] == 1
    assert drafter.get("/api/v1/payment-rounds", {"benefit": "legal_aid"}).json()["count"] == 0


def test_round_jurisdiction_and_roles(street_admin, community_admin, worker, people):
    rid = create(api_for(street_admin)).json()["id"]
    lianhua = factories.make_user("lianhua", "street_admin", "440304007000")
    assert_error(api_for(lianhua).get(f"/api/v1/payment-rounds/{rid}"), 404, "not_found")
    assert_error(api_for(community_admin).get(f"/api/v1/payment-rounds/{rid}"), 404, "not_found")
    assert api_for(lianhua).get("/api/v1/payment-rounds").json()["count"] == 0
    assert_error(api_for(worker).get("/api/v1/payment-rounds"), 403, "forbidden")
    assert_error(create(api_for(worker), region_code=factories.COMMUNITY_A), 403, "forbidden")
    assert_error(create(api_for(community_admin)), 404, "not_found")  # the street is above their node
    assert_error(api_for(street_admin).get("/api/v1/payment-rounds/999999"), 404, "not_found")
    assert_error(api_for(street_admin).get("/api/v1/payment-rounds/abc"), 422, "validation_error")
    body = assert_error(create(api_for(street_admin), month="2026-13"), 400, "validation_error")
    assert body["detail"]["fields"]["month"] == ["月份格式应为 YYYY-MM，例如 2026-12"]
    point = factories.make_user("lead", "point_lead", factories.COMMUNITY_A)
    community_round = create(api_for(community_admin), region_code=factories.COMMUNITY_A,
                             month=f"{last_month(timezone.localdate()):%Y-%m}").json()["id"]
    assert api_for(point).get(f"/api/v1/payment-rounds/{community_round}").status_code == 200
    assert_error(api_for(point).post(f"/api/v1/payment-rounds/{community_round}/submit"), 403, "forbidden")
    assert_error(api_for(point).post(f"/api/v1/payment-rounds/{community_round}/export"), 403, "forbidden")


def test_cancel_through_the_api(street_admin, people):
    api = api_for(street_admin)
    rid = create(api).json()["id"]
    body = api.post(f"/api/v1/payment-rounds/{rid}/cancel", {"note": "名单有误"}).json()
    assert (body["status"], body["note"], body["cancelled_by"]) == ("cancelled", "名单有误", "street_a")
    assert create(api).status_code == 201
