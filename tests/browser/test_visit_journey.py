"""The worker's morning on a phone: today's list, nearest first from the phone's position;
record a visit with a risk and a follow-up; the timeline shows it; the street's rate moves."""

from __future__ import annotations

import importlib
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.elders.location import elder_location_set
from yiyang.visits.models import PlanStatus, Visit, VisitPlan
from yiyang.visits.services import visit_plans_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HERE = {"latitude": 22.5600, "longitude": 114.0600}


@pytest.fixture(autouse=True)
def shipped_data(transactional_db):
    """The categories, need tags and visit rules ship as data migrations; a transactional
    test's flush empties them: put them back the way the migrations do."""
    from django.apps import apps

    importlib.import_module("yiyang.elders.migrations.0002_default_categories").forwards(apps, None)
    importlib.import_module("yiyang.visits.migrations.0002_default_rules").load(apps, None)


@pytest.fixture
def morning():
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    factories.make_user("street_meilin", Role.STREET_ADMIN, "440304006000", full_name="陈管理员")
    root = factories.make_user("root", Role.CITY_ADMIN, None, is_superuser=True)
    far = factories.make_elder(root, name="李大爷", living_situation="empty_nest", categories=[])
    near = factories.make_elder(root, name="王阿姨", living_situation="alone", categories=[])
    elder_location_set(actor=root, elder=far, latitude=22.5750, longitude=114.0600)
    elder_location_set(actor=root, elder=near, latitude=22.5605, longitude=114.0602)
    visit_plans_sync(elder_ids=[far.pk, near.pk])
    return {"worker": worker, "near": near, "far": far}


def test_worker_records_a_visit_nearest_first_and_the_rate_moves(page_factory, morning):
    page = page_factory("phone")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(HERE)
    log_in(page, "worker_meijing")

    # 8:30: the first screen says what to do today.
    todo = page.locator("#todo-visits")
    expect(todo).to_contain_text("今日探访")
    expect(todo.locator(".count")).to_have_text("2")
    screenshot(page, "visits-01-home")

    page.get_by_role("link", name=re.compile("探访")).first.click()
    expect(page.get_by_role("heading", name="今日探访")).to_be_visible()
    page.get_by_role("link", name="按距离排序（用手机定位）").click()
    expect(page).to_have_url(re.compile(r"lat=22\.56"))
    rows = page.locator("ol.visit-list li")
    expect(rows.first).to_contain_text("王阿姨")
    expect(rows.first).to_contain_text("米")
    expect(rows.nth(1)).to_contain_text("李大爷")
    screenshot(page, "visits-02-today-nearest")

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="记录探访 · 王阿姨")).to_be_visible()
    expect(page.locator("[data-geo-status]").first).to_contain_text("已取得定位")
    page.get_by_label("跌倒或跌倒风险").check()
    page.get_by_label("一般").check()
    page.get_by_label("探访情况").fill("卫生间地面湿滑，老人说上周差点滑倒")
    page.locator("#id_fu_title_0").fill("联系物业在卫生间加装扶手")
    screenshot(page, "visits-03-record")
    page.get_by_role("button", name="保存探访记录").click()

    expect(page.get_by_role("status")).to_contain_text("已记录王阿姨的探访")
    expect(page.locator("ol.visit-list")).not_to_contain_text("王阿姨")
    visit = Visit.objects.get(elder=morning["near"])
    assert visit.risks == ["fall"] and visit.checkin_distance_m is not None and not visit.checkin_far
    assert VisitPlan.objects.filter(elder=morning["near"], status=PlanStatus.DONE).count() == 1

    page.goto(f"/elders/{morning['near'].pk}/timeline/")
    expect(page.locator("main")).to_contain_text("探访")
    screenshot(page, "visits-04-timeline")

    # The street administrator sees 梅京 at 1 of 2 this month, and who is missing.
    admin = page_factory("desktop")
    log_in(admin, "street_meilin")
    expect(admin.locator("table.overview")).to_contain_text("50%（1/2）")
    admin.get_by_role("link", name="50%（1/2）").first.click()
    expect(admin.get_by_role("heading", name=re.compile("月探访率"))).to_be_visible()
    admin.get_by_role("link", name="50%").first.click()
    expect(admin.locator("main")).to_contain_text("李大爷")
    expect(admin.locator("main")).not_to_contain_text("王阿姨")
    screenshot(admin, "visits-05-rate-missing")
