"""The clerk's round trip (issue 7, B.4): template → upload → error report (.xlsx) → fix in
Excel → upload again → import → the batch, found again later."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from yiyang.elders.import_files import ERROR_COLUMN
from yiyang.elders.importing import COLUMNS, SAMPLE_ID_NUMBER, elders_import
from yiyang.elders.models import Elder, ImportBatch
from yiyang.elders.tests.test_importing import bad_check_digit, csv_bytes, row


@pytest.fixture
def admin_client(street_admin) -> Client:
    c = Client()
    c.force_login(street_admin)
    return c


def upload(client: Client, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("elders:import"), {"file": SimpleUploadedFile(name, data)})


def workbook_of(resp):
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content))


def test_template_has_a_header_a_sample_row_and_a_text_id_column(admin_client):
    resp = admin_client.get(reverse("elders:import_template"))
    assert "attachment" in resp["Content-Disposition"]
    wb = workbook_of(resp)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == ["姓名", "身份证号", "联系电话", "所属社区", "居住地址", "居住情况", "人员类别", "经济状况", "紧急联系人", "紧急联系人电话"]
    sample = [c.value for c in ws[2]]
    assert sample[1] == SAMPLE_ID_NUMBER and isinstance(sample[1], str)
    assert sample[3] == "梅京社区"  # the first community of the street admin's jurisdiction
    id_col = header.index("身份证号") + 1
    assert ws.cell(row=2, column=id_col).number_format == "@"
    assert ws.cell(row=500, column=id_col).number_format == "@"  # rows the clerk types later, too
    assert ws.column_dimensions["B"].number_format == "@"
    assert "填写说明" in wb.sheetnames and "五保" in str([c.value for c in wb["填写说明"]["B"]])

    # Uploaded unchanged, the sample row is refused (nobody imports 张桂兰 by accident).
    buf = io.BytesIO()
    wb.save(buf)
    report = elders_import(actor=None, data=buf.getvalue(), file_name="模板.xlsx", dry_run=True)
    assert [str(e) for e in report.errors] == ["第2行 身份证号：这是模板中的示例行，请删除后再导入"]


def test_error_report_fix_in_excel_and_upload_again(admin_client, street_admin):
    ids = [factories.make_id_number() for _ in range(3)]
    data = csv_bytes([row(身份证号=ids[0]), row(身份证号=bad_check_digit(ids[1]), 姓名="张建国"),
                      row(身份证号=ids[2], 人员类别="外星人", 姓名="赵丽")])
    resp = upload(admin_client, "梅林名单.csv", data)
    html = resp.content.decode()
    assert "发现 2 处问题" in html
    link = re.search(r'href="(/elders/import/[0-9a-f-]+/errors\.xlsx)"', html).group(1)

    wb = workbook_of(admin_client.get(link))
    ws = wb.worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == [*COLUMNS, ERROR_COLUMN]
    assert len(rows) == 4  # every original row, in order
    assert rows[1][1] == ids[0] and rows[1][9] is None
    assert rows[2][9] == "身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错"
    assert rows[3][9].startswith("人员类别：未知的人员类别：外星人")
    assert ws.cell(row=2, column=2).number_format == "@"  # the ID stays text in the report

    # The clerk fixes both rows in Excel and uploads the report itself.
    ws.cell(row=3, column=2).value = ids[1]
    ws.cell(row=4, column=7).value = "五保"
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(admin_client, "梅林名单-错误报告.xlsx", buf.getvalue())
    html = resp.content.decode()
    assert "可以导入" in html, html
    token = re.search(r'name="token" value="([0-9a-f-]+)"', html).group(1)

    resp = admin_client.post(reverse("elders:import"), {"token": token})
    batch = ImportBatch.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("elders:import_batch", args=[batch.pk])
    assert batch.rows == 3 and batch.actor == street_admin and batch.region_code == factories.COMMUNITY_A
    page = admin_client.get(resp["Location"]).content.decode()
    assert "导入成功：3 位老年人已建档" in page
    for name in ("李桂兰", "张建国", "赵丽"):
        assert name in page
    assert Elder.objects.get(name="赵丽").categories.get().name == "特困供养"

    # Found again later: the import page's recent list and the batch list.
    assert reverse("elders:import_batch", args=[batch.pk]) in admin_client.get(reverse("elders:import")).content.decode()
    assert "梅林名单-错误报告.xlsx" in admin_client.get(reverse("elders:import_batches")).content.decode()


def test_staged_files_and_batches_are_their_owners(admin_client, tree):
    resp = upload(admin_client, "x.csv", csv_bytes([row(身份证号="1")]))
    link = re.search(r'href="(/elders/import/[0-9a-f-]+/errors\.xlsx)"', resp.content.decode()).group(1)
    other = Client()
    other.force_login(factories.make_user("sa_lianhua", "street_admin", "440304007000"))
    assert other.get(link).status_code == 404  # another user's staged upload does not exist for them

    report = elders_import(actor=None, data=csv_bytes([row()]), file_name="梅林.csv")
    batch_url = reverse("elders:import_batch", args=[report.batch_id])
    assert admin_client.get(batch_url).status_code == 200  # inside 梅林街道
    assert other.get(batch_url).status_code == 404  # 莲花街道 cannot find it
    assert "梅林.csv" not in other.get(reverse("elders:import_batches")).content.decode()


def test_unreadable_upload_has_no_report_link(admin_client):
    resp = upload(admin_client, "x.xlsx", b"not a zip")
    html = resp.content.decode()
    assert "不是有效的Excel" in html and "errors.xlsx" not in html


def test_worker_cannot_download_template_or_batches(worker):
    c = Client()
    c.force_login(worker)
    assert c.get(reverse("elders:import_template")).status_code == 403
    assert c.get(reverse("elders:import_batches")).status_code == 403
