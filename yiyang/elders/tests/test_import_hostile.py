"""Hostile and broken files (issue 7, A.6): every one is answered with one Chinese sentence,
quickly and in little memory — never a traceback, never a 500."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from yiyang.core.exceptions import ApplicationError
from yiyang.elders.importing import COLUMNS, elders_import
from yiyang.elders.models import Elder
from yiyang.elders.tests.test_importing import csv_bytes, row


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The same .xlsx with some members replaced (streamed in 1 MB pieces when an iterable)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                new = replace[info.filename]
                if new is None:
                    continue
                if isinstance(new, bytes):
                    dst.writestr(info.filename, new)
                else:
                    with dst.open(info.filename, "w") as f:
                        for piece in new:
                            f.write(piece)
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue()


def refused(data: bytes, file_name: str) -> str:
    with pytest.raises(ApplicationError) as exc:
        elders_import(actor=None, data=data, file_name=file_name, dry_run=True)
    message = exc.value.message
    assert message and "Error" not in message and "Traceback" not in message
    return message


def test_xlsx_whose_sheet_xml_is_cut_short(tree):
    good = xlsx_bytes([row() for _ in range(50)])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    cut = rezip(good, {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]})
    message = refused(cut, "名单.xlsx")
    assert "无法读取" in message and "不完整或已损坏" in message
    assert Elder.objects.count() == 0


def test_xlsx_that_is_not_a_zip_or_has_no_sheet(tree):
    assert "不是有效的Excel" in refused(b"PK\x03\x04 not really a zip", "名单.xlsx")
    assert "不是有效的Excel" in refused(csv_bytes([row()]), "名单.xlsx")  # a CSV renamed .xlsx
    truncated = xlsx_bytes([row()])[:-200]  # the zip's directory is lost
    assert "不是有效的Excel" in refused(truncated, "名单.xlsx")


def test_xlsx_bomb_with_one_huge_text_cell_is_refused_before_parsing(tree):
    """A small file that expands to a huge shared string (the review's: 600 KB holding 600 MB)
    is refused from the zip's directory alone: fast and in little memory."""
    good = xlsx_bytes([row()])
    chunk = b"A" * (1 << 20)
    huge = 64  # MB of one text cell; the review's was 600: the rule is the same, the test is faster

    def sheet():
        yield (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><sheetData><row r="1">')
        for i, c in enumerate(COLUMNS):
            yield f'<c r="{"ABCDEFGHI"[i]}1" t="inlineStr"><is><t>{c}</t></is></c>'.encode()
        yield b'</row><row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(huge):
            yield chunk
        yield b"</t></is></c></row></sheetData></worksheet>"

    bomb = rezip(good, {"xl/worksheets/sheet1.xml": sheet()})
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    message = refused(bomb, "名单.xlsx")
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "解压后过大" in message
    assert elapsed < 1.0 and peak < 10 * 1024 * 1024


def test_csv_cell_longer_than_the_csv_modules_limit(tree):
    data = csv_bytes([row(), row(居住地址="长" * 140_000), row()])
    message = refused(data, "名单.csv")
    assert "第3行" in message and "131,072" in message


def test_csv_with_an_unclosed_quote(tree):
    # An unclosed quote swallows the rest of the file into one cell: past the limit, refused.
    text = "\n".join([",".join(COLUMNS), ",".join(row()), '"' + ",".join(row())] + [",".join(row())] * 2_000)
    message = refused(text.encode(), "名单.csv")
    assert "第3行" in message and "缺少右引号" in message


def test_a_long_cell_in_a_read_column_is_one_error_not_an_echo(tree):
    report = elders_import(actor=None, data=csv_bytes([row(人员类别="低保" * 5_000)]), file_name="x.csv")
    assert not report.ok
    assert [(e.column, e.message) for e in report.errors] == [("人员类别", "单元格内容过长（10,000字），超出该列允许的长度")]


def test_too_many_columns_is_refused(tree):
    data = csv_bytes([row() + [""] * 1_200])
    assert "列" in refused(data, "名单.csv")


def test_too_many_rows_is_refused_while_streaming(tree, monkeypatch):
    from yiyang.elders import importing

    monkeypatch.setattr(importing, "MAX_ROWS", 5)
    message = refused(csv_bytes([row() for _ in range(10)]), "名单.csv")
    assert "超过5行" in message


# -- the upload page ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(street_admin) -> Client:
    c = Client()
    c.force_login(street_admin)
    return c


def test_upload_page_answers_a_broken_xlsx_with_a_sentence(admin_client):
    good = xlsx_bytes([row() for _ in range(20)])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    cut = rezip(good, {"xl/worksheets/sheet1.xml": sheet[:-300]})
    resp = admin_client.post(reverse("elders:import"), {"file": _upload("名单.xlsx", cut)})
    assert resp.status_code == 200
    assert "不完整或已损坏" in resp.content.decode()


def test_upload_page_refuses_a_file_over_the_limit(admin_client, settings):
    settings.YIYANG = {**settings.YIYANG, "IMPORT_MAX_UPLOAD_MB": 1}
    big = csv_bytes([row() for _ in range(12_000)])  # about 1.3 MB
    assert len(big) > 1024 * 1024
    resp = admin_client.post(reverse("elders:import"), {"file": _upload("名单.csv", big)})
    assert resp.status_code == 400
    assert "文件超过 1 MB" in resp.content.decode()
    assert Elder.objects.count() == 0


def test_upload_page_keeps_csrf_protection(street_admin):
    c = Client(enforce_csrf_checks=True)
    c.force_login(street_admin)
    resp = c.post(reverse("elders:import"), {"file": _upload("名单.csv", csv_bytes([row()]))})
    assert resp.status_code == 403


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_commissioner_cannot_reach_the_upload(worker):
    c = Client()
    c.force_login(worker)
    resp = c.post(reverse("elders:import"), {"file": _upload("名单.csv", csv_bytes([row()]))})
    assert resp.status_code == 403
    assert Elder.objects.count() == 0
