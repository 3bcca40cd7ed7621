"""The payment-round journey (发放名单 → 发放批次), on a phone: a street administrator opens the
payment list of 高龄津贴, narrows it to one community, drafts this month's round and submits
it; a district administrator opens the round, sees its difference from last month and
approves it."""

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
from yiyang.core.identifiers import id_check_char
from yiyang.elders.services import elder_deactivate
from yiyang.entitlements import payments
from yiyang.entitlements.models import PaymentRound

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]

STREET = "440304006000"


def id_number(years: int, n: int) -> str:
    today = timezone.localdate()
    birth = (today - dt.timedelta(days=40)).replace(year=today.year - years)
    first17 = f"440304{birth:%Y%m%d}{n:03d}"
    return first17 + id_check_char(first17)


def test_street_admin_drafts_a_round_and_district_admin_approves_it(page_factory):
    factories.load_tree()
    street = factories.make_user("street_meilin", Role.STREET_ADMIN, STREET, full_name="陈管理员")
    factories.make_user("district_futian", Role.DISTRICT_ADMIN, "440304000000", full_name="区民政局审核员")
    root = factories.make_user("root", Role.CITY_ADMIN, None, is_superuser=True)
    people = [("王桂英", 84, factories.COMMUNITY_A), ("李淑珍", 91, factories.COMMUNITY_A),
              ("张国强", 86, factories.COMMUNITY_A), ("刘玉兰", 82, factories.COMMUNITY_A2),
              ("赵德明", 75, factories.COMMUNITY_A)]
    elders = {name: factories.make_elder(root, region_code=code, name=name, id_number=id_number(age, i),
                                         categories=[])
              for i, (name, age, code) in enumerate(people, start=100)}
    factories.run_worker()
    # Last month's round of 梅京社区 was approved; since then 张国强 has died.
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    before = payments.round_draft(actor=street, benefit="advanced_age_allowance", region_code=factories.COMMUNITY_A,
                                  month=last)
    payments.round_submit(actor=street, round=before)
    payments.round_approve(actor=root, round=before)
    elder_deactivate(actor=street, elder=elders["张国强"], reason="deceased")
    factories.run_worker()

    page = page_factory("phone")
    log_in(page, "street_meilin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="发放名单").click()
    expect(page.get_by_role("heading", name="发放名单")).to_be_visible()
    benefit = page.locator("#benefit-advanced_age_allowance")
    expect(benefit.locator(".count-entitled")).to_have_text("3")
    screenshot(page, "31-payments-index")
    benefit.get_by_role("link", name="高龄津贴").click()

    expect(page.get_by_role("heading", name="高龄津贴")).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("共 3 人")
    page.get_by_label("社区", exact=True).select_option(factories.COMMUNITY_A)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#result-count")).to_have_text("共 2 人")
    expect(page.locator("#recipients")).to_contain_text("王桂英")
    expect(page.locator("#recipients")).not_to_contain_text("刘玉兰")
    expect(page.locator("#recipients")).not_to_contain_text(elders["王桂英"].id_number)  # masked
    expect(page.locator("#draft-title")).to_have_text("编制发放批次 · 梅京社区")
    screenshot(page, "32-payment-list")
    page.get_by_role("button", name="编制发放批次").click()

    expect(page.get_by_role("status")).to_contain_text("已编制高龄津贴")
    expect(page.locator("#round-status")).to_have_text("草稿")
    expect(page.locator("#round-count")).to_have_text("2")
    left = page.locator("#left")
    expect(left).to_contain_text("张国强")
    expect(left).to_contain_text("档案注销：已故")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#round-status")).to_have_text("待审核")
    expect(page.locator("#round-actions")).to_contain_text("需由另一位有审核权限的管理员审核")
    round_url = page.url

    reviewer = page_factory("phone")
    log_in(reviewer, "district_futian")
    reviewer.get_by_role("navigation", name="主导航").get_by_role("link", name="发放名单").click()
    reviewer.get_by_role("link", name=re.compile("发放批次")).first.click()
    expect(reviewer.get_by_role("heading", name="发放批次")).to_be_visible()
    draft = PaymentRound.objects.get(status="submitted")
    reviewer.locator(f'[data-round="{draft.pk}"] a').click()
    expect(reviewer).to_have_url(round_url)
    expect(reviewer.locator("#diff")).to_contain_text("减少 1 人")
    screenshot(reviewer, "33-round-to-approve")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.get_by_role("status")).to_contain_text("已审核通过")
    expect(reviewer.locator("#round-status")).to_have_text("已审核")
    expect(reviewer.get_by_role("button", name="导出 Excel")).to_be_visible()
    screenshot(reviewer, "34-round-approved")

    draft.refresh_from_db()
    assert (draft.status, draft.drafted_by.username, draft.approved_by.username) == (
        "approved", "street_meilin", "district_futian")
    assert draft.region_code == factories.COMMUNITY_A and draft.count == 2 and draft.previous == before
