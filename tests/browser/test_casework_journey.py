"""Issue 9's casework journey on a phone: a worker records a phone consultation with a
follow-up from the elder's page, finds it in "my follow-ups", completes it there (htmx), and
the elder's timeline shows both the consultation and the completed follow-up."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.casework.models import Consultation, FollowUp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]


def assert_fits_phone(page) -> None:
    """Nothing wider than the 390-px screen, and every visible button of the form ≥ 44 px tall."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in page.locator("main button:visible, main .pill:visible, main a.button:visible").all():
        bb = box.bounding_box()
        assert bb is not None and bb["height"] >= 44, (box.inner_text(), bb)


def test_worker_records_a_consultation_with_a_follow_up_and_completes_it(page_factory):
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李晓梅")
    elder = factories.make_elder(worker, name="王秀英", categories=["subsistence"])
    page = page_factory("phone")
    log_in(page, "worker_meijing")

    page.goto(f"/elders/{elder.pk}/")
    section = page.locator("#casework")
    expect(section).to_contain_text("没有待跟踪事项")
    section.get_by_role("link", name="＋ 咨询").click()

    expect(page.get_by_role("heading", name="记录咨询服务")).to_be_visible()
    expect(page.locator("main")).to_contain_text("老年人：王秀英")
    assert_fits_phone(page)
    page.locator("label.pill", has_text="电话").first.click()
    page.get_by_label("服务事项").select_option("subsidy")
    page.get_by_label("来访事由").fill("女儿来电询问护理补贴怎么申请")
    page.get_by_label("顾问建议").fill("先预约能力评估，评估后按等级申请")
    page.locator("label.pill", has_text="需后续跟踪").click()
    page.get_by_text("需要跟踪？新建跟踪事项").click()
    page.get_by_label("跟踪事项").fill("回电告知评估预约时间")
    page.get_by_label("完成期限").fill(str(timezone.localdate()))  # today: it counts in the badge
    screenshot(page, "40-consultation-form")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", name=re.compile("咨询服务 · 电话"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("跟踪事项已加入“我的跟踪”")
    expect(page.locator("main")).to_contain_text("回电告知评估预约时间")
    screenshot(page, "41-consultation-detail")
    c = Consultation.objects.get()
    assert c.elder_id == elder.pk and c.channel == "phone" and c.recorded_by_id == worker.pk

    nav = page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("跟踪与代办"))
    expect(nav.locator(".badge")).to_have_text("1")  # what is due today or late
    nav.click()
    row = page.locator("#followups li", has_text="回电告知评估预约时间")
    expect(row).to_contain_text("王秀英")
    assert_fits_phone(page)
    screenshot(page, "42-my-followups")
    row.get_by_label("跟踪结果").fill("已告知下周二上午上门评估")
    row.get_by_role("button", name="完成").click()
    done = page.locator("#followups li", has_text="回电告知评估预约时间")
    expect(done).to_contain_text("已完成")
    expect(done).to_contain_text("已告知下周二上午上门评估")
    assert FollowUp.objects.get().status == "done"

    page.goto(f"/elders/{elder.pk}/timeline/")
    timeline = page.locator("main")
    expect(timeline).to_contain_text("咨询服务")
    expect(timeline).to_contain_text("新建跟踪事项")
    expect(timeline).to_contain_text("完成跟踪事项")
    screenshot(page, "43-timeline")
