"""Issue 3's journey: a worker assesses an elder with a second assessor (who co-signs on the
same phone), and the elder's page shows the new ability level and what it entitles to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import ITEMS
from yiyang.core.models import AccessLog

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]


def test_worker_assesses_with_two_assessors_and_sees_level_and_entitlements(page_factory):
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    factories.make_user("worker_meijing2", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="陈评估员")
    elder = factories.make_elder(worker, name="王秀英", categories=["subsistence"])
    page = page_factory("phone")
    log_in(page, "worker_meijing")

    page.goto(f"/elders/{elder.pk}/")
    ability = page.locator("#ability")
    expect(ability).to_contain_text("尚未按 GB/T 42195—2022 评估")
    care = page.locator("#ent-disability_care_subsidy")
    expect(care).to_have_attribute("data-status", "maybe")  # the level is what is missing
    ability.get_by_role("link", name="开始评估").click()

    expect(page.get_by_role("heading", name=re.compile("开始能力评估"))).to_be_visible()
    co = page.get_by_label("第二评估员")
    co.select_option(co.locator("option", has_text="陈评估员").get_attribute("value"))
    page.locator("main").get_by_role("button", name="开始").click()

    expect(page.get_by_role("heading", name=re.compile("老年人能力评估"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("陈评估员")
    page.get_by_label("信息提供者姓名").fill("王明")
    # Self-care fully dependent (B.1 = 0), everything else able: total 58 → level 2.
    for item in ITEMS:
        score = 0 if item.dimension == "B.1" else item.max_score
        page.locator(f"input[name='{item.code}'][value='{score}']").check()
    screenshot(page, "11-assessment-form")
    page.get_by_role("button", name="提交评估").click()

    expect(page.locator("#status")).to_have_text("已提交")
    expect(page.locator("#result")).to_contain_text("2级 · 能力中度受损（中度失能）")
    expect(page.locator("#result")).to_contain_text("58")
    # The second assessor signs on the same phone; a wrong password is refused first.
    page.get_by_label("第二评估员密码").fill("not-the-password")
    page.get_by_role("button", name="签字确认").click()
    expect(page.locator(".messages")).to_contain_text("签字失败")
    page.get_by_label("第二评估员密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="签字确认").click()

    expect(page).to_have_url(re.compile(rf"/elders/{elder.pk}/$"))
    expect(page.locator("#ability")).to_contain_text("2级 · 能力中度受损（中度失能）")
    expect(page.locator("#ability")).to_contain_text("58/90")
    care = page.locator("#ent-disability_care_subsidy")
    expect(care).to_have_attribute("data-status", "entitled")
    expect(care).to_contain_text("经济困难失能老年人护理补贴")
    # Mark it explained to the elder (htmx): the timeline will carry it.
    care.get_by_role("button", name="标记为已告知").click()
    expect(page.locator("#ent-disability_care_subsidy")).to_contain_text("已告知老人（刚刚记录）")
    screenshot(page, "12-elder-after-assessment")

    a = Assessment.objects.get(elder=elder)
    assert a.status == "confirmed" and a.level == 2 and a.total == 58
    assert sorted(x.name for x in a.assessor_links.all()) == ["李专员", "陈评估员"]
    page.goto(f"/elders/{elder.pk}/timeline/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("能力评估确认")
    expect(timeline).to_contain_text("经济困难失能老年人护理补贴")

    # 互认: the elder moves away and the result goes with them as a file. It carries the full
    # ID number, so the page asks why first (like every reveal) and the access log keeps it.
    page.goto(f"/assessments/{a.pk}/")
    export = page.locator("#export")
    export.get_by_label("导出事由").fill("老人迁往外地，转交评估结果")
    with page.expect_download() as download:
        export.get_by_role("button", name="导出").click()
    doc = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert doc["number"] == a.number and doc["subject"]["id_number"] == elder.id_number
    log = AccessLog.objects.get(elder_id=elder.pk, action="export")
    assert log.purpose == "老人迁往外地，转交评估结果" and log.actor == worker


def test_phone_form_shows_progress_lists_what_is_missing_and_resumes_the_draft(page_factory):
    """Issue 7 C.1 on a 390-px phone: answered/26 and per section, live while tapping; section
    jumps; every missing item at the top after an incomplete submit; the draft resumed rather
    than a second one started; a 专员 of the neighbouring community as second assessor, who
    confirms with their own login."""
    factories.load_tree()
    factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    factories.make_user("worker_shangmeilin", Role.COMMISSIONER, factories.COMMUNITY_A2, full_name="周专员")
    elder = factories.make_elder(None, name="赵桂芝", categories=["subsistence"])
    page = page_factory("phone")
    log_in(page, "worker_meijing")

    page.goto(f"/elders/{elder.pk}/")
    page.locator("#ability").get_by_role("link", name="开始评估").click()
    co = page.get_by_label("第二评估员")
    co.select_option(co.locator("option", has_text="周专员").get_attribute("value"))  # another community
    page.locator("main").get_by_role("button", name="开始").click()

    expect(page.locator("#answered-count")).to_have_text("0")
    expect(page.locator("#missing-line")).to_have_text("尚有 26 项未评")
    for item in ITEMS[:3]:
        page.locator(f"input[name='{item.code}'][value='{item.max_score}']").check()
    # Live, before anything is saved.
    expect(page.locator("#answered-count")).to_have_text("3")
    expect(page.locator("#missing-line")).to_have_text("尚有 23 项未评")
    expect(page.locator('[data-count-for="B.1"]')).to_have_text("3/8")
    page.locator(".assess-nav").get_by_role("link", name=re.compile("精神状态")).click()
    expect(page).to_have_url(re.compile(r"#sec-B3$"))
    expect(page.locator("#sec-B3 h2")).to_be_in_viewport()

    page.watch.allow_status(400, f"/assessments/{Assessment.objects.get().pk}/edit/")
    page.get_by_role("button", name="提交评估").click()
    summary = page.locator("#missing-summary")
    expect(summary).to_contain_text("还有 23 项未评，评完才能提交（草稿已保存）")
    expect(summary.get_by_role("link")).to_have_count(23)
    screenshot(page, "13-assessment-missing-summary")
    summary.get_by_role("link", name="B.4.5 社会交往能力").click()
    expect(page).to_have_url(re.compile(r"#item-B\.4\.5$"))
    expect(page.locator("#item-B\\.4\\.5")).to_be_in_viewport()

    # Leave and come back: the draft is resumed, not started again.
    page.goto(f"/elders/{elder.pk}/")
    page.locator("#ability").get_by_role("link", name="继续评估").click()
    expect(page.locator("#answered-count")).to_have_text("3")
    page.goto(f"/assessments/elder/{elder.pk}/new/")
    expect(page.locator(".messages")).to_contain_text("未完成的评估草稿")
    assert Assessment.objects.filter(elder=elder).count() == 1

    for item in ITEMS:
        page.locator(f"input[name='{item.code}'][value='{item.max_score}']").check()
    expect(page.locator("#missing-line")).to_have_text("26 项已全部评定，可以提交")
    screenshot(page, "14-assessment-form-complete")
    page.get_by_role("button", name="提交评估").click()
    expect(page.locator("#status")).to_have_text("已提交")

    # The neighbour confirms on their own phone.
    other = page_factory("phone")
    log_in(other, "worker_shangmeilin")
    other.goto(f"/assessments/{Assessment.objects.get().pk}/")
    other.locator("#confirm").get_by_role("button", name="确认", exact=True).click()
    expect(other.locator("#status")).to_have_text("已确认")
    a = Assessment.objects.get()
    assert a.status == "confirmed" and a.confirmed_by.username == "worker_shangmeilin"
