"""Import of old MZ/T 039—2013 results (read only history) from CSV or Excel.

Columns: 身份证号,评估日期,评估等级,日常生活活动,精神状态,感知觉与沟通,社会参与,评估机构
(身份证号, 评估日期 and 评估等级 required; 评估等级 one of 能力完好/轻度失能/中度失能/重度失能;
日常生活活动 = Barthel 0–100; the three others graded 0–3). The elder must be registered.
All or nothing, errors by row and column in plain Chinese — like the elder import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from yiyang.assessments.services import LEGACY_LEVELS, assessment_import_legacy
from yiyang.core import pii
from yiyang.core.exceptions import FieldErrors
from yiyang.core.identifiers import IdentifierError, parse_id_number
from yiyang.elders.importing import ImportReport, _cell, read_table
from yiyang.elders.models import Elder

COLUMNS = ["身份证号", "评估日期", "评估等级", "日常生活活动", "精神状态", "感知觉与沟通", "社会参与", "评估机构"]
REQUIRED = ["身份证号", "评估日期", "评估等级"]
SCORES = {"日常生活活动": ("adl_score", 100), "精神状态": ("mental", 3), "感知觉与沟通": ("perception", 3),
          "社会参与": ("social", 3)}


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parts = str(value or "").strip().replace("/", "-").replace(".", "-").replace("年", "-").replace(
        "月", "-").rstrip("日").split("-")
    try:
        year, month, day = (int(p) for p in parts)
        return dt.date(year, month, day)
    except ValueError:
        raise IdentifierError("应为日期，例如 2019-05-01") from None


def legacy_assessments_import(*, actor: Any, data: bytes, file_name: str, dry_run: bool = False) -> ImportReport:
    report = ImportReport(file_name=file_name)
    table = read_table(data, file_name)
    header_row = next(table, None)
    header = [str(h or "").strip() for h in (header_row[1] if header_row else [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.add(1, "", f"缺少必填列：{'、'.join(missing)}（表头应为：{','.join(COLUMNS)}）")
        return report
    index = {c: header.index(c) for c in COLUMNS if c in header}
    pending = []
    for n, cells in table:
        if not any(c not in (None, "") for c in cells):
            continue
        report.rows += 1
        raw = {c: (cells[i] if i < len(cells) else None) for c, i in index.items()}
        row: dict[str, Any] = {"origin": _cell(raw.get("评估机构"), "评估机构")}
        try:
            id_number = parse_id_number(_cell(raw["身份证号"], "身份证号")).value
            elder = Elder.objects.filter(id_number_bidx=pii.blind_index(id_number, "elder.id_number")).first()
            if elder is None:
                report.add(n, "身份证号", "该老年人尚未登记，请先导入或登记档案")
            row["elder"] = elder
        except IdentifierError as exc:
            report.add(n, "身份证号", str(exc))
        try:
            row["assessed_on"] = _date(raw["评估日期"])
            if row["assessed_on"] > dt.date.today():  # noqa: DTZ011 - a calendar day from a file
                report.add(n, "评估日期", "晚于今天")
        except IdentifierError as exc:
            report.add(n, "评估日期", str(exc))
        level = _cell(raw["评估等级"], "评估等级")
        if level not in LEGACY_LEVELS:
            report.add(n, "评估等级", f"应为：{'、'.join(LEGACY_LEVELS)}")
        row["level_name"] = level
        for column, (key, top) in SCORES.items():
            value = _cell(raw.get(column), column)
            if value == "":
                row[key] = None
            elif not value.isdigit() or not 0 <= int(value) <= top:
                report.add(n, column, f"应为 0–{top} 的整数")
            else:
                row[key] = int(value)
        pending.append(row)
    report.valid = report.rows - len(report.error_rows)
    if report.rows == 0:
        report.add(2, "", "文件中没有数据行")
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        for row in pending:
            try:
                assessment_import_legacy(actor=actor, **row)
            except FieldErrors as exc:  # pragma: no cover - validated above
                raise AssertionError(exc.errors) from exc
    report.committed = True
    return report
