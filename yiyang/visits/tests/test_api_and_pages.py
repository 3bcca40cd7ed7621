"""The public contract (/api/v1/visits, /api/v1/indicators/visit-rate, the elder's location)
and the pages a worker and a supervisor use."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories
from yiyang.core.models import Event
from yiyang.elders.location import elder_location_set
from yiyang.elders.models import Elder
from yiyang.visits import services
from yiyang.visits.models import PlanStatus, Visit, VisitPlan


@pytest.fixture
def elders(superuser):
    """Three elders of 梅京 living alone (monthly home visits), homes 100 m, 1 km and unknown
    from where the worker stands; one of 景田北 (another street)."""
    near = factories.make_elder(superuser, name="近处", living_situation="alone", categories=[])
    far = factories.make_elder(superuser, name="远处", living_situation="alone", categories=[])
    unknown = factories.make_elder(superuser, name="赵大妈", living_situation="alone", categories=[])
    other = factories.make_elder(superuser, factories.COMMUNITY_B, name="外街", living_situation="alone", categories=[])
    elder_location_set(actor=superuser, elder=near, latitude=22.5609, longitude=114.0600)
    elder_location_set(actor=superuser, elder=far, latitude=22.5700, longitude=114.0600)
    services.visit_plans_sync(elder_ids=[near.pk, far.pk, unknown.pk, other.pk])
    return {"near": near, "far": far, "unknown": unknown, "other": other}


def test_due_list_is_the_callers_elders_nearest_first(client, worker, elders):
    client.force_login(worker)
    body = client.get("/api/v1/visits/due", {"lat": "22.5600", "lon": "114.0600"}).json()
    assert [i["name"] for i in body["items"]] == ["近处", "远处", "赵大妈"]
    first = body["items"][0]
    assert set(first) >= {"elder_id", "name", "window_start", "due_date", "window_end", "overdue", "way"}
    assert first["distance_m"] < 200 and first["way"] == "home" and first["overdue"] is False
    later = client.get("/api/v1/visits/due", {"date": (timezone.localdate().replace(day=28)).isoformat()}).json()
    assert all(i["overdue"] for i in later["items"]) == (timezone.localdate().replace(day=28) > dt.date(
        timezone.localdate().year, timezone.localdate().month, 20))


def test_recording_a_visit_through_the_api(client, worker, elders):
    client.force_login(worker)
    elder = elders["near"]
    resp = client.post("/api/v1/visits", json.dumps({
        "elder_id": str(elder.pk), "visited_at": timezone.now().isoformat(), "way": "home",
        "findings": "老人精神好，冰箱里有菜", "risks": ["unsafe_home"], "latitude": 22.5609, "longitude": 114.06,
    }), content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["plan_done"] and body["checkin_far"] is False and body["next_due_date"] > body["visited_at"][:10]
    assert client.get(f"/api/v1/visits/{body['id']}").json()["risks"] == ["unsafe_home"]
    bad = client.post("/api/v1/visits", json.dumps({
        "elder_id": str(elder.pk), "visited_at": timezone.now().isoformat(), "way": "home", "outcome": "refused",
    }), content_type="application/json")
    assert bad.status_code == 400 and "原因" in json.dumps(bad.json(), ensure_ascii=False)


def test_a_worker_reaches_only_her_elders_and_a_provider_records_nothing(client, worker, elders):
    client.force_login(worker)
    outside = client.post("/api/v1/visits", json.dumps({
        "elder_id": str(elders["other"].pk), "visited_at": timezone.now().isoformat(), "way": "home"}),
        content_type="application/json")
    assert outside.status_code == 404
    assert "外街" not in json.dumps(client.get("/api/v1/visits/due").json(), ensure_ascii=False)
    provider = factories.make_user("provider_a", "provider_staff", factories.COMMUNITY_A)
    client.force_login(provider)
    assert client.get("/api/v1/visits/due").status_code == 403
    assert client.get("/visits/").status_code == 403


def test_the_rate_and_the_lists_behind_it(client, worker, street_admin, district_admin, elders):
    services.visit_record(actor=worker, elder=elders["near"], visited_at=timezone.now(), way="home")
    client.force_login(street_admin)
    month = timezone.localdate().strftime("%Y-%m")
    rate = client.get("/api/v1/indicators/visit-rate", {"region": "440304006000", "month": month}).json()
    assert (rate["due"], rate["done"], rate["rate"]) == (3, 1, pytest.approx(1 / 3, abs=1e-4))
    assert rate["month"] == month and rate["region"] == "440304006000"
    done = client.get("/api/v1/indicators/visit-rate/elders",
                      {"region": "440304006001", "month": month, "kind": "done"}).json()
    assert [i["name"] for i in done["items"]] == ["近处"]
    missing = client.get("/api/v1/indicators/visit-rate/elders",
                         {"region": "440304006001", "month": month, "kind": "missing"}).json()
    assert sorted(i["name"] for i in missing["items"]) == ["赵大妈", "远处"]
    # Outside the street: 404; a bad month: a Chinese 400; nothing due: rate null.
    assert client.get("/api/v1/indicators/visit-rate", {"region": "440304007000"}).status_code == 404
    assert client.get("/api/v1/indicators/visit-rate", {"month": "2026-13"}).status_code == 400
    assert client.get("/api/v1/indicators/visit-rate", {"month": "2001-01"}).json()["rate"] is None
    # The page's numbers link to the same lists; the list downloads.
    page = client.get("/visits/rate/", {"region": "440304006000", "month": month}).content.decode()
    assert "梅京社区" in page and "33%" in page
    # A community row opens no further page; a district's street rows drill down to their communities.
    assert 'href="/visits/rate/?region=440304006001' not in page
    client.force_login(district_admin)
    page = client.get("/visits/rate/", {"region": "440304000000", "month": month}).content.decode()
    assert f'href="/visits/rate/?region=440304006000&amp;month={month}"' in page
    client.force_login(street_admin)
    sheet = load_workbook(io.BytesIO(client.get("/visits/rate/elders/", {
        "region": "440304006001", "month": month, "kind": "missing", "format": "xlsx"}).content)).active
    assert sorted(r[0] for r in list(sheet.values)[1:]) == ["赵大妈", "远处"]


def test_setting_the_home_position_keeps_only_the_cell_in_plain(client, worker, elders):
    client.force_login(worker)
    elder = elders["unknown"]
    resp = client.put(f"/api/v1/elders/{elder.pk}/location", json.dumps({"latitude": 22.541234, "longitude": 114.051234}),
                      content_type="application/json")
    assert resp.status_code == 200 and resp.json()["cell"] == "11270:57025"
    row = Elder.objects.filter(pk=elder.pk).values().get()
    assert "22.541234" not in json.dumps({k: str(v) for k, v in row.items()})
    event = Event.objects.filter(type="elder.located", elder_id=elder.pk).get()
    assert "22.54" not in json.dumps(event.payload)
    swapped = client.put(f"/api/v1/elders/{elder.pk}/location", json.dumps({"latitude": 114.05, "longitude": 22.54}),
                         content_type="application/json")
    assert swapped.status_code == 400 and "填反" in swapped.json()["message"]


def test_the_workers_day_and_recording_from_the_page(client, worker, elders):
    client.force_login(worker)
    home = client.get("/").content.decode()
    assert "今日探访" in home and "近处" in home
    assert "系统" not in home or "最近动态" not in home
    today = client.get("/visits/", {"lat": "22.5600", "lon": "114.0600"}).content.decode()
    assert today.index("近处") < today.index("远处") < today.index("赵大妈")
    calls = client.get("/visits/", {"way": "remote"}).content.decode()
    assert "近处" not in calls  # every elder here gets a home visit
    elder = elders["far"]
    page = client.get(f"/visits/record/{elder.pk}/")
    assert page.status_code == 200
    resp = client.post(f"/visits/record/{elder.pk}/", {
        "way": "home", "outcome": "met", "elder_state": "fair", "risks": ["fall"], "findings": "地面湿滑",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "fu_title_0": "联系物业加装扶手",
        "fu_due_0": "",
    })
    if resp.status_code != 302:
        pytest.fail(resp.content.decode()[:2000])
    assert VisitPlan.objects.filter(elder=elder, status=PlanStatus.DONE).exists()
    timeline = client.get(f"/elders/{elder.pk}/timeline/").content.decode()
    assert "探访" in timeline
    # A missed visit without a reason is refused in Chinese and nothing is saved.
    before = Visit.objects.count()
    bad = client.post(f"/visits/record/{elders['unknown'].pk}/", {
        "way": "home", "outcome": "not_home", "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 422 and "请写明原因" in bad.content.decode() and Visit.objects.count() == before
