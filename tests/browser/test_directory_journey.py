"""Issue 8's directory on a phone: a daughter, not logged in, looks for a canteen near her
mother's home and opens it; the canteen's staff log in, see their service flagged as not
confirmed for months, update the free places, and the public page shows the new number."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_casework_journey import assert_fits_phone
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.directory.models import Organization, OrganizationStaff, Service
from yiyang.directory.services import directory_import
from yiyang.directory.tests.test_directory import HOME, hsds

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]


def test_family_finds_a_canteen_and_its_staff_update_the_free_places(page_factory):
    factories.load_tree()
    result = directory_import([
        hsds("梅林长者饭堂", lat=HOME[0] + 0.002, lon=HOME[1]),
        hsds("景田长者饭堂", lat=HOME[0] + 0.010, lon=HOME[1]),
        hsds("梅林日间照料中心", lat=HOME[0] - 0.003, lon=HOME[1], kind="day_care", needs=("daily_care",),
             org="梅林社区养老服务中心"),
    ])
    assert result.committed, result.errors
    Service.objects.filter(name="梅林长者饭堂").update(confirmed_at=timezone.now() - dt.timedelta(days=120))
    staff = factories.make_user("canteen_staff", Role.PROVIDER_STAFF, factories.COMMUNITY_A, full_name="陈站长")
    OrganizationStaff.objects.create(organization=Organization.objects.get(name="福田区长者饭堂运营中心"), user=staff)

    page = page_factory("phone")
    # The phone's position, as the "离我最近" button would add it.
    page.goto(f"/resources/?need=meals&lat={HOME[0]}&lon={HOME[1]}")
    expect(page.get_by_role("heading", name="找养老服务")).to_be_visible()
    items = page.locator("ol.resource-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("梅林长者饭堂")
    expect(items.nth(0)).to_contain_text("220 米")
    expect(items.nth(0)).to_contain_text("信息可能过时")
    expect(items.nth(1)).to_contain_text("景田长者饭堂")
    assert_fits_phone(page)
    screenshot(page, "50-directory-search")
    items.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", name="梅林长者饭堂")).to_be_visible()
    expect(page.locator("main")).to_contain_text("空余 12")
    expect(page.locator("main")).to_contain_text("请先电话确认")
    screenshot(page, "51-directory-detail")

    log_in(page, "canteen_staff")
    page.goto("/resources/mine/")
    expect(page.locator("main")).to_contain_text("1 项服务超过90天未确认信息")
    page.locator("li", has_text="梅林长者饭堂").get_by_role("link", name="修改").click()
    expect(page.get_by_role("heading", name="修改服务信息")).to_be_visible()
    page.get_by_label("可用餐位").fill("4")
    page.get_by_label("服务时间").fill("每天 11:00-13:30")
    screenshot(page, "52-directory-edit")
    page.get_by_role("button", name=re.compile("保存")).click()
    expect(page.locator("main")).to_contain_text("空余 4")
    expect(page.locator("main")).to_contain_text("每天 11:00-13:30")
    expect(page.locator("main")).not_to_contain_text("请先电话确认")


def test_worker_makes_a_service_list_and_the_family_opens_the_link(page_factory):
    from yiyang.core import geo
    from yiyang.elders.models import Elder
    from yiyang.surveys import services as survey_services
    from yiyang.surveys.selectors import questionnaire_published
    from yiyang.surveys.tests.helpers import SOME_NEEDS

    factories.load_tree()
    assert directory_import([hsds("梅林长者饭堂", lat=HOME[0] + 0.002, lon=HOME[1])]).committed
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李晓梅")
    elder = factories.make_elder(worker, name="王秀英")
    Elder.objects.filter(pk=elder.pk).update(home_cell=geo.cell_of(*HOME))
    survey_services.survey_submit(actor=worker, elder=elder, questionnaire=questionnaire_published(),
                                  answers=SOME_NEEDS, surveyed_on=timezone.localdate())

    page = page_factory("phone")
    log_in(page, "worker_meijing")
    page.goto(f"/elders/{elder.pk}/")
    section = page.locator("#recommendations")
    expect(section).to_contain_text("梅林长者饭堂")
    expect(section).to_contain_text("在15分钟服务圈内")
    section.get_by_role("link", name="制定养老服务清单").click()
    expect(page.get_by_role("heading", name="制定养老服务清单")).to_be_visible()
    page.get_by_label("后续步骤（每行一条）").fill("先电话确认午餐名额\n带身份证到顾问点办理")
    screenshot(page, "53-service-list-form")
    page.get_by_role("button", name="保存并打印").click()
    expect(page.get_by_role("heading", name="养老服务清单")).to_be_visible()
    expect(page.locator("body")).to_contain_text("王秀英")
    expect(page.locator("body")).to_contain_text("先电话确认午餐名额")
    screenshot(page, "54-service-list-print")
    page.get_by_role("button", name="生成家属链接").click()
    link = page.get_by_label("家属链接").input_value()
    assert "/resources/shared/" in link

    family = page_factory("phone")
    family.goto(link[link.index("/resources/"):])
    expect(family.get_by_role("heading", name="养老服务清单")).to_be_visible()
    expect(family.locator("body")).to_contain_text("王**")
    expect(family.locator("body")).not_to_contain_text("王秀英")
    expect(family.locator("body")).to_contain_text("梅林长者饭堂")


def test_a_referral_goes_round_the_loop_and_a_street_makes_everyones_lists(page_factory):
    """The worker refers 王秀英 to the canteen with her consent; the canteen accepts and serves
    her; at the next visit the visit form asks about it and the worker checks it there. Then the
    street's administrator makes every elder's list in the background and watches it finish."""
    from yiyang.core import geo
    from yiyang.directory.models import Referral, ServiceList
    from yiyang.elders.models import Elder
    from yiyang.surveys import services as survey_services
    from yiyang.surveys.selectors import questionnaire_published
    from yiyang.surveys.tests.helpers import SOME_NEEDS

    factories.load_tree()
    assert directory_import([hsds("梅林长者饭堂", lat=HOME[0] + 0.002, lon=HOME[1])]).committed
    worker = factories.make_user("worker_ref", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李晓梅")
    staff = factories.make_user("canteen_ref", Role.PROVIDER_STAFF, factories.COMMUNITY_A, full_name="陈站长")
    OrganizationStaff.objects.create(organization=Organization.objects.get(name="福田区长者饭堂运营中心"), user=staff)
    factories.make_user("street_meilin", Role.STREET_ADMIN, "440304006000", full_name="梅林街道民政")
    elder = factories.make_elder(worker, name="王秀英")
    Elder.objects.filter(pk=elder.pk).update(home_cell=geo.cell_of(*HOME))
    survey_services.survey_submit(actor=worker, elder=elder, questionnaire=questionnaire_published(),
                                  answers=SOME_NEEDS, surveyed_on=timezone.localdate())

    page = page_factory("phone")
    log_in(page, "worker_ref")
    page.goto(f"/elders/{elder.pk}/")
    page.locator("#recommendations li", has_text="梅林长者饭堂").get_by_role("link", name="转介").click()
    page.get_by_label("表示同意的人").fill("王秀英")
    page.get_by_label("转介说明").fill("每天午餐，需送餐上门")
    page.get_by_role("button", name="发送转介").click()
    expect(page.locator("#recommendations")).to_contain_text("已转介，待机构答复")

    provider = page_factory("phone")
    log_in(provider, "canteen_ref")
    provider.goto("/resources/referrals/")
    expect(provider.locator("main")).to_contain_text("每天午餐，需送餐上门")
    provider.get_by_role("button", name="接收", exact=True).click()
    provider.get_by_role("button", name="已提供服务").click()
    expect(provider.locator("main")).to_contain_text("已提供服务")

    page.goto(f"/visits/record/{elder.pk}/")
    section = page.locator("#visit-referrals")
    expect(section).to_contain_text("梅林长者饭堂")
    expect(section).to_contain_text("已提供服务")
    assert_fits_phone(page)
    screenshot(page, "55-visit-asks-about-referral")
    section.get_by_label("核实情况").fill("老人说午餐按时送到，满意")
    section.get_by_role("button", name="回访核实").click()
    expect(page).to_have_url(re.compile(rf"/visits/record/{elder.pk}/$"))
    expect(page.locator("#visit-referrals")).to_have_count(0)
    assert Referral.objects.get(elder_id=elder.pk).status == "checked"

    admin = page_factory("phone")
    log_in(admin, "street_meilin")
    admin.goto("/resources/lists/batch/")
    admin.get_by_label("区域").select_option(label="梅林街道")
    admin.get_by_role("button", name="开始生成").click()
    expect(admin.locator("#batches")).to_contain_text("排队中")
    factories.run_worker()  # the platform's worker makes the lists; the page polls every 2 s
    expect(admin.locator("#batches")).to_contain_text("已完成", timeout=10_000)
    expect(admin.locator("#batches")).to_contain_text("已处理 1 / 1 位老人")
    assert_fits_phone(admin)
    screenshot(admin, "56-service-list-batch")
    assert ServiceList.objects.filter(elder_id=elder.pk, batch__isnull=False).count() == 1
