"""The time-bank pages: a member's phone pages, the point's desk, statistics (and their
.xlsx), the rules form; the same flow as the API, through forms."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.timebank.models import RegionRule, RequestStatus, ServiceRequest
from yiyang.timebank.tests.helpers import rolled_back
from yiyang.timebank.tests.test_flow import HOME, build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(build, django_db_blocker) as built:
        yield built


@pytest.fixture
def page(world, db):
    def as_(username: str) -> Client:
        c = Client()
        c.force_login(world[username] if username in world else
                      __import__("yiyang.accounts.models", fromlist=["User"]).User.objects.get(username=username))
        return c
    return as_


def test_the_flow_through_the_pages(world, page):
    daughter, vol, lead = page("daughter_user"), page("vol_user"), page("lead")
    home = daughter.get(reverse("timebank:me"))
    assert home.status_code == 200 and "发布服务需求" in home.content.decode()
    wanted = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = daughter.post(reverse("timebank:request_new"), {"elder": str(world["father"].pk), "kind": "shopping",
                                                        "description": "代买降压药", "wanted_at": wanted,
                                                        "expected_minutes": 60})
    assert r.status_code == 302, r.content.decode()[:2000]
    req = ServiceRequest.objects.filter(description="代买降压药").get()
    assert reverse("timebank:request", args=[req.pk]) in vol.get(reverse("timebank:me")).content.decode()

    def act(client, action, data=None):
        resp = client.post(reverse("timebank:request_action", args=[req.pk, action]), data or {})
        assert resp.status_code == 302
        return ServiceRequest.objects.get(pk=req.pk)

    assert act(vol, "take").status == RequestStatus.TAKEN
    assert act(vol, "checkin", {"latitude": HOME[0], "longitude": HOME[1]}).status == RequestStatus.IN_SERVICE
    assert act(vol, "checkout", {"latitude": HOME[0], "longitude": HOME[1]}).status == RequestStatus.DONE
    act(vol, "rate", {"rating": "5", "comment": "顺利"})
    assert act(daughter, "rate", {"rating": "4"}).status == RequestStatus.RATED
    desk = lead.get(reverse("timebank:point")).content.decode()
    assert "代买" in desk or "代购代办" in desk
    assert vol.post(reverse("timebank:request_action", args=[req.pk, "certify"])).status_code == 403
    assert act(lead, "certify").status == RequestStatus.CERTIFIED
    statement = vol.get(reverse("timebank:statement")).content.decode()
    assert "服务记入" in statement and "代购代办" in statement
    # Nobody else's pages: a member of another street gets 404 on this request.
    assert page("far_user").get(reverse("timebank:request", args=[req.pk])).status_code == 404


def test_staff_pages_statistics_export_and_rules(world, page):
    district = page("district")
    stats = district.get(reverse("timebank:stats"))
    assert stats.status_code == 200 and "梅林街道" in stats.content.decode()
    xlsx = district.get(reverse("timebank:stats") + "?format=xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb.active.values)
    assert rows[0][:3] == ("区域", "区划代码", "成员") and len(rows) > 1
    form = district.get(reverse("timebank:rules"))
    assert form.status_code == 200 and "现金" in form.content.decode()
    data = {"credits_per_hour": 100, "volunteer_min_age": 18, "redeem_min_age": 65, "storage_cap": 150000,
            "allow_transfer": "on", "allow_donation": "on", "team_only_donate": "on", "exchange_scope": "district",
            "accept_exchange": "on", "max_session_minutes": 480, "max_daily_minutes": 720, "far_checkin_m": 500}
    assert district.post(reverse("timebank:rules"), data).status_code == 302
    assert RegionRule.objects.get(region_id="440304000000").redeem_min_age == 65
    # A member has no staff page; a worker has no rules page.
    assert page("vol_user").get(reverse("timebank:point")).status_code == 403
    assert page("lead").get(reverse("timebank:rules")).status_code == 403
    assert factories.COMMUNITY_A
