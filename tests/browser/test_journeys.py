"""What a community worker and an admin do in a real browser, end to end.

Each journey runs against ``live_server`` (a real HTTP server in a thread, sharing the
test database) in headless Debian Chromium. A test also fails on any request to another
host and on any console error (see conftest.py) — so a CSP violation, a missing static
file or an htmx error fails it too. Screenshots of every page, phone and desktop width,
land in test-artifacts/.
"""

from __future__ import annotations

import importlib
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from yiyang.accounts.models import Role
from yiyang.core.models import AccessLog
from yiyang.elders.models import Elder

pytestmark = [
    pytest.mark.browser,
    # A transactional database: the server thread must see the test's rows.
    pytest.mark.django_db(transaction=True),
]

WORKER = "worker_meijing"
STREET_ADMIN = "street_meilin"


@pytest.fixture(autouse=True)
def categories(transactional_db):
    """The categories ship as a data migration, and a transactional test's flush empties
    the table: put them back the way the migration does."""
    from django.apps import apps

    importlib.import_module("yiyang.elders.migrations.0002_default_categories").forwards(apps, None)
    importlib.import_module("yiyang.elders.migrations.0005_default_category_aliases").forwards(apps, None)


@pytest.fixture
def worker_user():
    factories.load_tree()
    return factories.make_user(WORKER, Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")


@pytest.fixture
def street_admin_user():
    factories.load_tree()
    return factories.make_user(STREET_ADMIN, Role.STREET_ADMIN, "440304006000", full_name="陈管理员")


def log_in(page, username: str, *, shot: bool = False) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="颐养 · 工作人员登录")).to_be_visible()
    if shot:
        screenshot(page, "01-login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def name_box(page):
    return page.get_by_label(re.compile(r"^姓名"))  # not 联系人姓名


def wrong_check_digit(id_number: str) -> str:
    return id_number[:-1] + ("0" if id_number[-1] != "0" else "1")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_worker_registers_finds_by_id_number_and_opens_timeline(page_factory, worker_user, viewport):
    page = page_factory(viewport)
    id_number = factories.make_id_number()
    log_in(page, WORKER, shot=viewport == "phone")

    expect(page.get_by_role("heading", name="您好，李专员")).to_be_visible()
    if viewport == "phone":
        screenshot(page, "02-home")
    page.get_by_role("link", name="登记老年人").first.click()

    expect(page.get_by_role("heading", name="登记老年人")).to_be_visible()
    name_box(page).fill("张桂兰")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("所属社区").select_option(factories.COMMUNITY_A)
    page.get_by_label("联系电话", exact=True).fill("13912345678")
    page.get_by_label("居住地址").fill("深圳市福田区梅林一村8栋0602房")
    page.get_by_label("居住情况").select_option(label="独居")
    page.get_by_label("经济状况").select_option(label="低保")
    page.get_by_label("联系人姓名").fill("张伟")
    page.get_by_label("与老人关系").fill("儿子")
    page.get_by_label("联系人电话").fill("13800138000")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_contain_text("已为 张桂兰 建档")
    expect(page.get_by_role("heading", name="张桂兰")).to_be_visible()
    elder = Elder.objects.get(name="张桂兰")
    assert (elder.region_id, elder.contacts.count()) == (factories.COMMUNITY_A, 1)

    # The list, searched by ID number through htmx (POST): the results swap in, and the ID
    # number never goes into a URL (access logs, browser history).
    factories.make_elder(region_code=factories.COMMUNITY_A, name="赵玉珍")  # the search must hide her
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="老年人").click()
    expect(page.get_by_role("heading", name="老年人档案")).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("共 2 人")
    page.get_by_role("searchbox", name="搜索").press_sequentially(id_number, delay=5)
    expect(page.locator("#result-count")).to_have_text("共 1 人")
    assert id_number not in page.url
    results = page.locator("#results")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results).to_contain_text("张桂兰")
    expect(results).to_contain_text(id_number[:4] + "*" * 10 + id_number[-4:])  # masked in lists
    expect(results).not_to_contain_text(id_number)
    if viewport == "phone":
        screenshot(page, "03-elder-list")

    page.locator("#results").get_by_role("link", name=re.compile("张桂兰")).click()
    expect(page).to_have_url(re.compile(rf"/elders/{elder.pk}/$"))
    expect(page.get_by_role("heading", name="张桂兰")).to_be_visible()
    expect(page.locator("main")).to_contain_text("139****5678")
    if viewport == "phone":
        screenshot(page, "04-elder-detail")

    page.get_by_role("link", name="个案时间线").first.click()
    expect(page.get_by_role("heading", name="个案时间线：张桂兰")).to_be_visible()
    event = page.locator('#timeline li[data-type="elder.registered"]')
    expect(event).to_contain_text("登记建档")
    expect(event).to_contain_text("李专员")
    if viewport == "phone":
        screenshot(page, "05-timeline")


def test_form_errors_inline_in_chinese_and_typed_values_kept(page_factory, worker_user):
    page = page_factory("phone")
    log_in(page, WORKER)
    page.watch.allow_status(400, "/elders/new/")  # the form comes back with its errors as a 400
    page.goto("/elders/new/")

    # Next to nothing filled in: every problem is listed at once, each at its field.
    page.get_by_label("身份证号").fill("44030419450308123")
    page.get_by_label("联系电话", exact=True).fill("1234")
    page.get_by_role("button", name="保存").click()
    summary = page.get_by_role("alert")
    for text in ("姓名：请填写姓名", "身份证号：应为18位（或旧式15位），现为17位", "所属社区：请选择所属社区",
                 "联系电话：不是有效的手机号"):
        expect(summary).to_contain_text(text)
    expect(page.locator(".field.has-error")).to_have_count(4)
    screenshot(page, "06-form-errors-empty")

    # Everything right but the ID number's check digit.
    bad = wrong_check_digit(factories.make_id_number())
    name_box(page).fill("刘淑芬")
    page.get_by_label("身份证号").fill(bad)
    page.get_by_label("所属社区").select_option(factories.COMMUNITY_A)
    page.get_by_label("联系电话", exact=True).fill("13712345678")
    page.get_by_label("居住情况").select_option(label="空巢")
    page.get_by_label("失能", exact=True).check()
    page.get_by_label("联系人姓名").fill("刘强")
    page.get_by_label("联系人电话").fill("13700001111")
    page.get_by_role("button", name="保存").click()

    field = page.locator(".field.has-error")
    expect(field).to_have_count(1)
    expect(field.locator(".error")).to_have_text("最后一位（校验位）与前17位对不上，请核对身份证号是否抄错")
    expect(page.get_by_role("alert")).to_contain_text("身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错")
    expect(field.get_by_label("身份证号")).to_have_value(bad)
    expect(name_box(page)).to_have_value("刘淑芬")
    expect(page.get_by_label("所属社区")).to_have_value(factories.COMMUNITY_A)
    expect(page.get_by_label("联系电话", exact=True)).to_have_value("13712345678")
    expect(page.get_by_label("居住情况")).to_have_value("empty_nest")
    expect(page.get_by_label("失能", exact=True)).to_be_checked()
    expect(page.get_by_label("联系人姓名")).to_have_value("刘强")
    expect(page.get_by_label("联系人电话")).to_have_value("13700001111")
    screenshot(page, "06-form-errors")
    assert not Elder.objects.filter(name="刘淑芬").exists()


def test_reveal_asks_why_then_shows_plain_phone_and_logs_it(page_factory, worker_user):
    elder = factories.make_elder(worker_user, name="黄美华", phone="13698765432")
    page = page_factory("phone")
    log_in(page, WORKER)
    page.watch.allow_status(422, f"/elders/{elder.pk}/reveal/")  # the fragment with the error
    page.goto(f"/elders/{elder.pk}/")

    main = page.locator("main")
    expect(main).to_contain_text("136****5432")
    expect(main).not_to_contain_text("13698765432")
    page.get_by_text("查看完整信息").click()
    page.get_by_label("或填写其他事由").fill("看")  # too short: the server says what it needs
    page.get_by_role("button", name="按填写的事由查看").click()
    expect(page.locator("#reveal .error")).to_contain_text("请填写查看事由")
    expect(page.get_by_label("或填写其他事由")).to_have_value("看")  # what was typed stays
    expect(main).not_to_contain_text("13698765432")
    assert not AccessLog.objects.exists()
    screenshot(page, "07-reveal-needs-purpose")

    # The usual reasons are one tap each (C.6).
    page.locator("#reveal").get_by_role("button", name="电话联系").click()
    revealed = page.locator("#reveal .revealed")
    expect(revealed).to_contain_text("本次查看已记录")
    expect(revealed.locator('[data-field="phone"]')).to_have_text("13698765432")
    expect(revealed.locator('[data-field="id_number"]')).to_have_text(elder.id_number)
    screenshot(page, "07-revealed")
    log = AccessLog.objects.get()
    assert (log.actor_id, log.elder_id, log.purpose) == (worker_user.pk, elder.pk, "电话联系")


def _csv(rows: list[list[str]]) -> bytes:
    header = "姓名,身份证号,联系电话,社区代码,居住地址,居住情况,人员类别,紧急联系人,紧急联系人电话"
    return ("\n".join([header] + [",".join(r) for r in rows]) + "\n").encode("utf-8-sig")


def test_admin_imports_csv_all_or_nothing(page_factory, street_admin_user, tmp_path):
    page = page_factory("desktop")
    rows = [
        ["吴秀珍", factories.make_id_number(), "13600001111", factories.COMMUNITY_A, "梅林一村3栋", "独居", "低保",
         "吴刚", "13600002222"],
        ["郑桂芳", wrong_check_digit(factories.make_id_number()), "", factories.COMMUNITY_A2, "", "", "", "", ""],
        ["孙玉梅", factories.make_id_number(), "", factories.COMMUNITY_A2, "", "空巢", "失能、低保", "", ""],
    ]
    (tmp_path / "elders.csv").write_bytes(_csv(rows))

    log_in(page, STREET_ADMIN)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="批量导入").click()
    expect(page.get_by_role("heading", name="批量导入老年人")).to_be_visible()
    page.get_by_label("Excel 或 CSV 文件").set_input_files(tmp_path / "elders.csv")
    page.get_by_role("button", name="检查文件").click()

    report = page.locator("#import-report")
    expect(report).to_contain_text("共 3 行，无误 2 行，发现 1 处问题")
    expect(report).to_contain_text("第3行 身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错")
    expect(report).to_contain_text("本次没有导入任何数据")
    expect(report.get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
    screenshot(page, "08-import-report")
    assert Elder.objects.count() == 0

    rows[1][1] = factories.make_id_number()
    (tmp_path / "elders-fixed.csv").write_bytes(_csv(rows))
    page.get_by_label("Excel 或 CSV 文件").set_input_files(tmp_path / "elders-fixed.csv")
    page.get_by_role("button", name="检查文件").click()
    expect(report).to_contain_text("共 3 行，无误 3 行")
    screenshot(page, "09-import-ready")
    assert Elder.objects.count() == 0  # checking writes nothing
    page.get_by_role("button", name="确认导入 3 人").click()

    expect(page.get_by_role("status")).to_contain_text("导入成功：3 位老年人已建档")
    expect(page.get_by_role("heading", name="导入批次：elders-fixed.csv")).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("共 3 人")
    results = page.locator("#results")
    for name in ("吴秀珍", "郑桂芳", "孙玉梅"):
        expect(results).to_contain_text(name)
    screenshot(page, "10-list-after-import")
    assert Elder.objects.filter(region_id=factories.COMMUNITY_A2).count() == 2
