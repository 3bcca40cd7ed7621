"""The time bank on phones: a daughter posts a request for her father (his consent to family
proxy is recorded), a volunteer of the street takes it, checks in at the door and out after
the service, both rate, the point certifies on a desktop, and the volunteer's statement shows
the credit — and the ledger verifies."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.elders.location import elder_location_set
from yiyang.elders.models import Consent
from yiyang.elders.services import consent_grant
from yiyang.stations.models import ServicePoint
from yiyang.timebank import services
from yiyang.timebank.ledger import ledger_verify
from yiyang.timebank.models import Relation, RequestStatus, ServiceRequest
from yiyang.timebank.tests.helpers import ledger_wipe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = {"latitude": 22.5712, "longitude": 114.0560}
DOOR = {"latitude": 22.5713, "longitude": 114.0561}


@pytest.fixture
def bank(transactional_db):
    factories.load_tree()
    root = factories.make_user("root", Role.CITY_ADMIN, None, is_superuser=True)
    ServicePoint.objects.create(name="梅京社区时间银行服务点", kind=ServicePoint.Kind.TIME_BANK,
                                region_id=factories.COMMUNITY_A)
    lead = factories.make_user("tb_lead", Role.POINT_LEAD, factories.COMMUNITY_A, full_name="赵站长")
    district = factories.make_user("district", Role.DISTRICT_ADMIN, "440304000000")
    father = factories.make_elder(root, name="刘德明", living_situation="empty_nest", categories=[])
    elder_location_set(actor=root, elder=father, latitude=HOME["latitude"], longitude=HOME["longitude"])
    consent_grant(actor=root, elder=father, purpose=Consent.Purpose.FAMILY_PROXY, granted_by="刘德明",
                  method=Consent.Method.SIGNED_PAPER)
    daughter_user = factories.make_user("daughter", "timebank_member", factories.COMMUNITY_A, full_name="刘晓燕")
    daughter = services.member_register(actor=lead, name="刘晓燕", region_code=factories.COMMUNITY_A,
                                        id_number=factories.make_id_number(dt.date(1975, 4, 2), "F"),
                                        user=daughter_user)
    services.family_link(actor=lead, member=daughter, elder=father, relation=Relation.CHILD)
    vol_user = factories.make_user("volunteer", "timebank_member", factories.COMMUNITY_A, full_name="陈思远")
    vol = services.member_register(actor=lead, name="陈思远", region_code=factories.COMMUNITY_A, volunteer=True,
                                   id_number=factories.make_id_number(dt.date(1998, 7, 9), "M"), user=vol_user)
    services.volunteer_review(actor=lead, member=vol, approve=True)
    services.volunteer_review(actor=district, member=vol, approve=True)
    yield {"father": father}
    ledger_wipe()


def test_family_posts_volunteer_serves_point_certifies_statement_shows_the_credit(page_factory, bank):
    # The daughter, on her phone, posts for her father.
    family = page_factory("phone")
    log_in(family, "daughter")
    family.get_by_role("link", name="我的时间银行").first.click()
    expect(family.get_by_role("heading", name="我的时间银行")).to_be_visible()
    family.get_by_role("link", name="发布服务需求").click()
    family.get_by_label("服务类型").select_option(label="陪同就医")
    family.get_by_label("需要什么帮助").fill("周四上午陪父亲去社康中心复查血压")
    wanted = timezone.localtime() + dt.timedelta(days=1)
    family.get_by_label("期望服务时间").fill(wanted.strftime("%Y-%m-%dT09:00"))
    family.get_by_label("预计时长（分钟）").fill("90")
    screenshot(family, "timebank-01-post")
    family.get_by_role("button", name="发布").click()
    expect(family.get_by_role("heading", name="陪同就医 · 刘德明")).to_be_visible()
    expect(family.get_by_test_id("status")).to_have_text("待接单")

    # The volunteer sees it nearby and takes it.
    volunteer = page_factory("phone")
    volunteer.context.grant_permissions(["geolocation"])
    volunteer.context.set_geolocation(DOOR)
    log_in(volunteer, "volunteer")
    volunteer.get_by_role("link", name="我的时间银行").first.click()
    volunteer.get_by_role("link", name=re.compile("陪同就医 · 刘德明")).click()
    volunteer.get_by_role("button", name="接单").click()
    expect(volunteer.get_by_test_id("status")).to_have_text("已接单")
    # At the door: the page takes the phone's position for the check-in.
    expect(volunteer.locator("[data-geo-status]").first).to_contain_text("已取得定位")
    volunteer.get_by_role("button", name="到达，签到").click()
    expect(volunteer.get_by_test_id("status")).to_have_text("服务中")
    expect(volunteer.locator(".kv")).to_contain_text("距住址约")
    # The visit to the clinic takes an hour and a half (the clock is moved, not waited for).
    req = ServiceRequest.objects.get()
    ServiceRequest.objects.filter(pk=req.pk).update(checkin_at=timezone.now() - dt.timedelta(minutes=90))
    volunteer.reload()
    expect(volunteer.locator("[data-geo-status]").first).to_contain_text("已取得定位")
    volunteer.get_by_role("button", name="服务结束，签退").click()
    expect(volunteer.get_by_test_id("status")).to_have_text("待评价")
    volunteer.get_by_label("★★★★★").check()
    volunteer.get_by_label("评价").fill("刘伯伯很健谈，复查结果正常")
    volunteer.get_by_role("button", name="提交评价").click()
    expect(volunteer.locator(".messages")).to_contain_text("评价已提交")

    # The daughter rates the volunteer.
    family.reload()
    family.get_by_label("★★★★★").check()
    family.get_by_label("评价").fill("小陈准时、细心，谢谢")
    family.get_by_role("button", name="提交评价").click()
    expect(family.get_by_test_id("status")).to_have_text("待认证")

    # The point, on a desktop, certifies.
    desk = page_factory("desktop")
    log_in(desk, "tb_lead")
    desk.get_by_role("link", name=re.compile("^时间银行")).first.click()
    expect(desk.get_by_role("heading", name="时间银行服务点")).to_be_visible()
    desk.get_by_role("link", name="陪同就医 · 刘德明").first.click()
    desk.get_by_role("button", name="认证并记入积分").click()
    expect(desk.get_by_test_id("status")).to_have_text("已认证")
    expect(desk.locator(".kv")).to_contain_text("记入 1.50 时间币")

    # The volunteer's statement shows the credit.
    volunteer.goto("/timebank/statement/")
    expect(volunteer.get_by_test_id("balance")).to_have_text("1.50")
    first = volunteer.locator(".tb-statement li").first
    expect(first).to_contain_text("服务记入 · 陪同就医")
    expect(first).to_contain_text("+1.50")
    screenshot(volunteer, "timebank-02-statement")
    volunteer.goto(f"/timebank/requests/{req.pk}/")
    screenshot(volunteer, "timebank-03-request")
    assert ServiceRequest.objects.get().status == RequestStatus.CERTIFIED
    assert ledger_verify().ok
    for p in (family, volunteer, desk):
        p.watch.check()
