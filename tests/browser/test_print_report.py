"""The large-type assessment report (issue 7 C.5): a way back and a print button on screen; a
part in plain words for the elder (what the level means, what they may apply for) with
signature and date lines; and on A4 exactly two pages — the elder's page and the standard's
detail — with no orphan page, counted in the PDF that Chromium prints."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.assessments import services as assessment_services
from yiyang.assessments.scoring import ITEMS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_report_prints_on_two_a4_pages_with_a_plain_part_for_the_elder(page_factory):
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    co = factories.make_user("worker_meijing2", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="陈评估员")
    # The longest elder's page: 85, 低保, alone, severely dependent — nearly every benefit applies.
    elder = factories.make_elder(worker, name="王秀英", categories=["subsistence"], living_situation="alone",
                                 id_number=factories.make_id_number(birth=factories.dt.date(1941, 1, 5)))
    a = assessment_services.assessment_start(actor=worker, elder=elder, co_assessor=co)
    assessment_services.assessment_record(
        actor=worker, assessment=a, items={i.code: (0 if i.dimension in ("B.1", "B.2") else 1) for i in ITEMS})
    assessment_services.assessment_submit(actor=worker, assessment=a)
    assessment_services.assessment_confirm(actor=co, assessment=a)
    factories.run_worker()

    page = page_factory("phone")
    log_in(page, "worker_meijing")
    page.goto(f"/assessments/{a.pk}/print/")
    plain = page.locator("#plain")
    expect(plain).to_contain_text("这个等级是什么意思")
    expect(plain).to_contain_text("需要")  # the level in words
    expect(plain).to_contain_text("您可以申请的帮助")
    expect(plain).to_contain_text("高龄津贴")
    expect(page.locator(".signatures")).to_contain_text("老人或家属签字")
    expect(page.locator(".signatures")).to_contain_text("日期")
    screenshot(page, "15-assessment-report-screen")

    # The print button calls the browser's print (stubbed here: headless has no dialog).
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("() => window.__printed") == 1
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "15-assessment-report.pdf").write_bytes(pdf)  # for a human to look at
    assert _pdf_pages(pdf) == 2, f"{_pdf_pages(pdf)} pages"

    page.get_by_role("link", name=re.compile("返回评估记录")).click()
    expect(page).to_have_url(re.compile(rf"/assessments/{a.pk}/$"))
