"""The clerk's round trip (issue 7, B.4): the template to fill in, and the error report — the
uploaded rows as they were, with an added column saying what is wrong in each — that the
clerk corrects in Excel and uploads again."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from yiyang.elders.importing import (
    _HEADER_NOISE,
    _HEADER_OF,
    COLUMNS,
    COMMUNITY,
    HEADER_ALIASES,
    SAMPLE_ID_NUMBER,
    elders_import,
    read_table,
)
from yiyang.elders.models import LivingSituation
from yiyang.elders.validation import Lookups

TEXT = "@"  # Excel's "文本" number format: what is typed stays as typed (no 4.40304E+17)
ERROR_COLUMN = "错误说明（改正后可保留或删去此列）"
TEMPLATE_COLUMNS = ["姓名", "身份证号", "联系电话", COMMUNITY, "居住地址", "居住情况", "人员类别", "经济状况", "紧急联系人",
                    "紧急联系人电话"]
TEXT_COLUMNS = {"身份证号", "联系电话", "社区代码", COMMUNITY, "紧急联系人电话"}
_HEAD_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="E2F0D9")
_ERROR_FILL = PatternFill("solid", fgColor="FDE2E1")
_ERROR_FONT = Font(color="9C0006")


def import_template_xlsx(*, community_name: str) -> bytes:
    """Sheet 1: the header and one sample row, the ID and phone columns formatted as text
    down to row 2000. Sheet 2: how to fill it in, with the accepted words."""
    wb = Workbook()
    ws = wb.active
    ws.title = "老年人名单"
    ws.append(TEMPLATE_COLUMNS)
    ws.append(["张桂兰", SAMPLE_ID_NUMBER, "13812345678", community_name, "梅林一村3栋501", "独居", "失能", "低保",
               "李明", "13900001111"])
    widths = {"姓名": 10, "身份证号": 22, "联系电话": 15, COMMUNITY: 16, "居住地址": 28, "居住情况": 12,
              "人员类别": 18, "经济状况": 12, "紧急联系人": 10, "紧急联系人电话": 16}
    for i, name in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        head = ws.cell(row=1, column=i)
        head.font = _HEAD_FONT
        if name in ("姓名", "身份证号", COMMUNITY):
            head.fill = _REQUIRED_FILL
        ws.column_dimensions[letter].width = widths[name]
        if name in TEXT_COLUMNS:
            # The column's own format covers rows typed later; the cells below the sample are
            # formatted too because Excel applies a column format only to cells it creates.
            ws.column_dimensions[letter].number_format = TEXT
            for r in range(2, 2001):
                ws.cell(row=r, column=i).number_format = TEXT
    ws.freeze_panes = "A2"

    help_ = wb.create_sheet("填写说明")
    lookups = Lookups.load()
    lines = [
        ("如何填写", ""),
        ("第一行", "表头，请勿修改；列的顺序可以调整，多出的列（如序号、性别）会被忽略。"),
        ("必填", "姓名、身份证号、所属社区（绿色表头）。"),
        ("示例行", "第2行是示例，请删除后再填写（示例行会被拒绝导入）。"),
        ("身份证号", "18位；本列已设为“文本”格式，请不要改成数字格式，否则末几位会丢失。"),
        ("所属社区", "填写社区名称（如“梅京社区”，重名时写“街道名+社区名”）或12位社区代码。"),
        ("居住情况", "、".join(str(c.label) for c in LivingSituation)),
        ("人员类别", "可填多个，用顿号、逗号或分号分隔。" + lookups.accepted_words.split("；也可用")[0] + "。"
                     "“高龄”按身份证号自动判定，可不填；独居、空巢等词也可写在这一列。"),
        ("人员类别的常见写法", "、".join(lookups.alias_words)),
        ("经济状况", "填一种：特困供养、低保、低保边缘、经济困难（以民政认定为准），核实不属于的填“非经济困难”，"
                     "不清楚的留空或填“未知”。特困、低保等也可以写在人员类别中，两列不能矛盾。"),
        ("表头的其他写法", "；".join(f"{k}：{'、'.join(v)}" for k, v in HEADER_ALIASES.items())),
        ("导入规则", "先“检查文件”，有错误时可下载错误报告（Excel），在原表中改正后重新上传；"
                     "文件中只要有一处错误，就不会导入任何一行。"),
    ]
    for title, text in lines:
        help_.append([title, text])
    help_.column_dimensions["A"].width = 16
    help_.column_dimensions["B"].width = 100
    for row in help_.iter_rows():
        row[0].font = _HEAD_FONT
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_error_report_xlsx(*, actor: Any, data: bytes, file_name: str) -> tuple[bytes, int]:
    """The uploaded rows as they were, each with the problems found in it (all of them, not
    only the first 1,000 the page lists) in an added last column. Returns (xlsx, problems)."""
    report = elders_import(actor=actor, data=data, file_name=file_name, dry_run=True, max_errors=10**9)
    by_row: dict[int, list[str]] = defaultdict(list)
    for e in report.errors:
        by_row[e.row].append(f"{e.column}：{e.message}" if e.column else e.message)
    for w in report.warnings:
        by_row[w.row].append(f"提示：{w.message}")

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    text_cols: set[int] = set()
    width = 0
    for n, cells in read_table(data, file_name):
        if n == 1:
            width = len(cells)
            for i, h in enumerate(cells):
                if _HEADER_OF.get(_HEADER_NOISE.sub("", str(h or "").strip())) in TEXT_COLUMNS:
                    text_cols.add(i)
            head = [_cell(ws, h, bold=True) for h in cells]
            # A problem of the header itself goes in the header's own error cell.
            title = f"{ERROR_COLUMN}：{'；'.join(by_row[1])}" if by_row.get(1) else ERROR_COLUMN
            head.append(_cell(ws, title, bold=True, error=True))
            ws.append(head)
            continue
        out = [_cell(ws, v, text=i in text_cols) for i, v in enumerate(cells)]
        out += [None] * (width - len(out))
        problems = by_row.get(n)
        if problems:
            out.append(_cell(ws, "；".join(problems), error=True))
        ws.append(out)
    if report.rows == 0 and not by_row.get(1):
        ws.append([_cell(ws, "；".join(m for ms in by_row.values() for m in ms), error=True)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), report.error_count


def _cell(ws: Any, value: Any, *, bold: bool = False, error: bool = False, text: bool = False) -> WriteOnlyCell:
    if text and value is not None and not isinstance(value, str):
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    cell = WriteOnlyCell(ws, value=value)
    if bold:
        cell.font = _HEAD_FONT
    if error:
        cell.fill = _ERROR_FILL
        if not bold:
            cell.font = _ERROR_FONT
    if text:
        cell.number_format = TEXT
    return cell


__all__ = ["COLUMNS", "ERROR_COLUMN", "import_error_report_xlsx", "import_template_xlsx"]
