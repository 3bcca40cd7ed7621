"""The clerk's round trip in a real browser, on a 390-px phone (issue 7, B.4): download the
template, upload a bureau's own list, download the error report, fix it in "Excel"
(openpyxl here), upload it again, import, land on the batch, find the batch again later."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import STREET_ADMIN, categories, log_in, street_admin_user  # noqa: F401
from yiyang.elders.models import Elder, ImportBatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bureau_csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["序号", "老人姓名", "性别", "公民身份号码", "手机号码", "所属社区", "家庭住址", "人员类别"])
    w.writerows(rows)
    return buf.getvalue().encode("gb18030")  # what Excel on Chinese Windows saves


def test_template_error_report_fix_import_and_batch_list(page_factory, street_admin_user, tmp_path):  # noqa: F811
    page = page_factory("phone")
    log_in(page, STREET_ADMIN)
    page.goto("/elders/import/")
    expect(page.get_by_role("heading", name="批量导入老年人")).to_be_visible()

    with page.expect_download() as dl:
        page.get_by_role("link", name="下载导入模板（Excel）").click()
    template = load_workbook(io.BytesIO(dl.value.path().read_bytes()))
    assert [c.value for c in template.worksheets[0][1]][:4] == ["姓名", "身份证号", "联系电话", "所属社区"]
    assert template.worksheets[0]["B2"].number_format == "@"

    good = factories.make_id_number()
    typo = factories.make_id_number()
    rows = [
        ["1", "吴秀珍", "女", good, "13600001111", "梅京社区", "梅林一村3栋", "独居、低保户"],
        ["2", "郑桂芳", "女", typo[:-1] + ("0" if typo[-1] != "0" else "1"), "", "上梅林", "", "五保"],
        ["3", "孙玉梅", "女", factories.make_id_number(), "", "梅京", "", "三无老人"],
    ]
    (tmp_path / "梅林街道名单.csv").write_bytes(bureau_csv(rows))
    page.get_by_label("Excel 或 CSV 文件").set_input_files(tmp_path / "梅林街道名单.csv")
    page.get_by_role("button", name="检查文件").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("共 3 行，无误 1 行，发现 2 处问题")
    expect(report).to_contain_text("第3行 身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错")
    expect(report).to_contain_text("第4行 人员类别：未知的人员类别：三无老人")
    screenshot(page, "20-import-errors-phone")
    box = page.get_by_role("link", name="下载错误报告（Excel）").bounding_box()
    assert box and box["height"] >= 44 and box["x"] + box["width"] <= 390  # a thumb's tap, on screen

    with page.expect_download() as dl:
        page.get_by_role("link", name="下载错误报告（Excel）").click()
    assert dl.value.suggested_filename == "梅林街道名单-错误报告.xlsx"
    wb = load_workbook(io.BytesIO(dl.value.path().read_bytes()))
    ws = wb.worksheets[0]
    assert ws.cell(row=3, column=9).value == "身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错"
    assert ws.cell(row=4, column=9).value.startswith("人员类别：未知的人员类别：三无老人")
    ws.cell(row=3, column=4).value = typo  # the clerk types the right number…
    ws.cell(row=4, column=8).value = "特困"  # …and the bureau's word for 特困供养
    fixed = tmp_path / "梅林街道名单-改正.xlsx"
    wb.save(fixed)
    assert Elder.objects.count() == 0

    page.get_by_label("Excel 或 CSV 文件").set_input_files(fixed)
    page.get_by_role("button", name="检查文件").click()
    expect(report).to_contain_text("共 3 行，无误 3 行，可以导入")
    page.get_by_role("button", name="确认导入 3 人").click()

    expect(page.get_by_role("status")).to_contain_text("导入成功：3 位老年人已建档")
    expect(page.get_by_role("heading", name="导入批次：梅林街道名单-改正.xlsx")).to_be_visible()
    results = page.locator("#results")
    for name in ("吴秀珍", "郑桂芳", "孙玉梅"):
        expect(results).to_contain_text(name)
    screenshot(page, "21-import-batch-phone")
    assert Elder.objects.get(name="吴秀珍").living_situation == "alone"

    # Later: the batch is found from the import page.
    page.goto("/elders/import/")
    page.get_by_role("link", name="全部导入批次").click()
    batch = ImportBatch.objects.get()
    link = page.get_by_role("link", name=re.compile("梅林街道名单-改正.xlsx"))
    expect(link).to_have_attribute("href", f"/elders/import/batches/{batch.pk}/")
    screenshot(page, "22-import-batches-phone")
    page.watch.check()
