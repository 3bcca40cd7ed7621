"""Importing elders from Excel (.xlsx) or CSV — how bureaus hold their lists today.

Columns: 姓名,身份证号,联系电话,社区代码,居住地址,居住情况,人员类别,紧急联系人,紧急联系人电话
(姓名, 身份证号, 社区代码 required). Every problem is reported by spreadsheet row (the
header is row 1) and column in plain Chinese. **All or nothing**: a file with any error
writes no row. A valid file is written through the bulk path (``core.bulk``) in one
transaction — elders, categories, contacts and one ``elder.registered`` event per elder.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.bulk import bulk_insert
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError
from yiyang.core.identifiers import IdentifierError, normalize_phone
from yiyang.core.models import Event
from yiyang.elders import events
from yiyang.elders.models import Elder, ElderCategory, EmergencyContact, ImportBatch
from yiyang.elders.validation import Lookups, clean_elder_fields

COLUMNS = ["姓名", "身份证号", "联系电话", "社区代码", "居住地址", "居住情况", "人员类别", "紧急联系人", "紧急联系人电话"]
REQUIRED = ["姓名", "身份证号", "社区代码"]
FIELD_OF_COLUMN = {
    "姓名": "name", "身份证号": "id_number", "联系电话": "phone", "社区代码": "region_code",
    "居住地址": "address", "居住情况": "living_situation", "人员类别": "categories",
}
COLUMN_OF_FIELD = {v: k for k, v in FIELD_OF_COLUMN.items()}
MAX_REPORTED_ERRORS = 1000

ELDER_COLUMNS = [
    "id", "created_at", "updated_at", "version", "name", "id_number_enc", "id_number_bidx", "birth_date", "sex",
    "phone_enc", "phone_bidx", "address_enc", "region_id", "hukou_local", "living_situation", "notes", "active",
    "deactivation_reason", "deactivated_at", "registered_by_id", "import_batch_id",
]
EVENT_COLUMNS = ["id", "type", "occurred_at", "actor_id", "elder_id", "subject_type", "subject_id", "region_code", "payload"]


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}" if self.column else f"第{self.row}行：{self.message}"


@dataclass
class ImportReport:
    file_name: str
    rows: int = 0
    valid: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    committed: bool = False
    batch_id: int | None = None
    error_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.rows > 0

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        self.error_rows.add(row)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name, "rows": self.rows, "valid": self.valid,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
            "error_count": self.error_count, "committed": self.committed, "batch_id": self.batch_id,
        }


# -- reading --------------------------------------------------------------------------------


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and column == "身份证号":
        # Excel turned the ID into a number: the last digits are already gone.
        raise IdentifierError("单元格是数字格式，身份证号末几位已丢失，请把该列设为“文本”后重新录入")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, file_name: str) -> Iterator[tuple[int, list[Any]]]:
    """Yield (spreadsheet row number, cells) with the header as row 1."""
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ApplicationError(f"无法读取Excel文件：{exc}", code="bad_file") from exc
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(row)
        wb.close()
    elif suffix in (".csv", ".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel in Chinese Windows saves CSV as GBK/GB18030.
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ApplicationError("无法识别CSV文件的编码，请另存为UTF-8或GBK编码", code="bad_file") from exc
        for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            yield n, row
    elif suffix == ".xls":
        raise ApplicationError("不支持旧版 .xls 文件，请在Excel中另存为 .xlsx 或 CSV", code="bad_file")
    else:
        raise ApplicationError("只支持 .xlsx 或 .csv 文件", code="bad_file")


# -- validating and writing -----------------------------------------------------------------


@dataclass
class _Prepared:
    row: int
    elder: tuple[Any, ...]
    category_ids: list[int]
    contact: tuple[str, bytes] | None


def elders_import(
    *, actor: Any, data: bytes, file_name: str, dry_run: bool = False, source: str = "upload"
) -> ImportReport:
    """Validate every row; if there is no error and not ``dry_run``, write them all.

    ``actor`` None means the server's operator at the command line (full access).
    """
    if actor is not None:
        access.require_capability(actor, access.ELDER_IMPORT)
    report = ImportReport(file_name=file_name)
    lookups = Lookups.load()
    table = read_table(data, file_name)
    header_row = next(table, None)
    if header_row is None:
        report.add(1, "", "文件是空的")
        return report
    header = [str(h or "").strip() for h in header_row[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.add(1, "", f"缺少必填列：{'、'.join(missing)}（表头应为：{','.join(COLUMNS)}）")
        return report
    index = {c: header.index(c) for c in COLUMNS if c in header}
    prefix = access.jurisdiction_prefix(actor) if actor is not None else ""
    if prefix is None:
        prefix = "\x00"  # an account without a node may import nowhere
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    seen: dict[str, int] = {}
    prepared: list[_Prepared] = []

    for n, cells in table:
        if not any(c not in (None, "") for c in cells):
            continue  # blank line
        report.rows += 1
        raw: dict[str, Any] = {}
        row_ok = True
        for column, i in index.items():
            try:
                raw[column] = _cell(cells[i] if i < len(cells) else None, column)
            except IdentifierError as exc:
                report.add(n, column, str(exc))
                raw[column] = None
                row_ok = False
        values = {f: raw.get(c) or "" for c, f in FIELD_OF_COLUMN.items() if c in raw}
        if raw.get("身份证号") is None and "身份证号" in raw:
            values.pop("id_number", None)
        clean, errors = clean_elder_fields(values, lookups, partial=raw.get("身份证号") is None)
        for f, messages in errors.items():
            for m in messages:
                report.add(n, COLUMN_OF_FIELD.get(f, f), m)
            row_ok = False
        if clean.region is not None and not clean.region.code.startswith(prefix):
            report.add(n, "社区代码", "该社区不在您的管辖范围内")
            row_ok = False
        contact = None
        contact_name = raw.get("紧急联系人") or ""
        contact_phone = raw.get("紧急联系人电话") or ""
        if contact_name or contact_phone:
            if not contact_name:
                report.add(n, "紧急联系人", "填写了紧急联系人电话，但没有填写联系人姓名")
                row_ok = False
            try:
                contact = (contact_name, pii.encrypt(normalize_phone(contact_phone), "contact.phone"))
            except IdentifierError as exc:
                report.add(n, "紧急联系人电话", str(exc))
                row_ok = False
        bidx = None
        if clean.id is not None:
            bidx = pii.blind_index(clean.id.value, "elder.id_number")
            first = seen.get(bidx)
            if first is not None:
                report.add(n, "身份证号", f"与第{first}行重复")
                row_ok = False
            else:
                seen[bidx] = n
        if not row_ok or report.error_count:
            continue  # once the file has an error, only validate: nothing will be written
        assert clean.id is not None and clean.region is not None
        elder_id = uuid.uuid4()
        prepared.append(_Prepared(
            row=n,
            elder=(
                elder_id, now, now, 1, clean.name, pii.encrypt(clean.id.value, "elder.id_number"), bidx,
                clean.id.birth_date, clean.id.sex, pii.encrypt(clean.phone, "elder.phone"),
                pii.blind_index(clean.phone, "elder.phone") or "", pii.encrypt(clean.address, "elder.address"),
                clean.region.code, True, clean.living_situation, "", True, "", None, actor_id, None,
            ),
            category_ids=[c.pk for c in clean.categories],
            contact=contact,
        ))

    # Duplicates of elders already registered (anywhere: one person, one archive).
    if seen:
        keys = list(seen)
        for start in range(0, len(keys), 5000):
            chunk = keys[start:start + 5000]
            for b in Elder.objects.filter(id_number_bidx__in=chunk).values_list("id_number_bidx", flat=True):
                report.add(seen[b], "身份证号", "该身份证号已登记，请勿重复建档")
    report.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    report.valid = report.rows - len(report.error_rows - {1})
    if report.rows == 0:
        report.add(2, "", "文件中没有数据行")
    if dry_run or not report.ok:
        return report
    _write(report, prepared, actor=actor, now=now, source=source)
    return report


@transaction.atomic
def _write(report: ImportReport, prepared: list[_Prepared], *, actor: Any, now: Any, source: str) -> None:
    batch = ImportBatch.objects.create(
        file_name=report.file_name[:200], actor=actor if getattr(actor, "pk", None) else None,
        rows=len(prepared), source=source,
    )
    actor_id = getattr(actor, "pk", None)
    batch_col = ELDER_COLUMNS.index("import_batch_id")
    bulk_insert(Elder, ELDER_COLUMNS, (p.elder[:batch_col] + (batch.pk,) for p in prepared))
    bulk_insert(ElderCategory, ["elder_id", "category_id"],
                ((p.elder[0], c) for p in prepared for c in p.category_ids))
    bulk_insert(EmergencyContact, ["elder_id", "name", "relation", "phone_enc", "is_guardian", "sort_order"],
                ((p.elder[0], p.contact[0], "", p.contact[1], False, 0) for p in prepared if p.contact))
    payload = {"source": "import", "batch": batch.pk, "file": report.file_name[:100]}
    bulk_insert(Event, EVENT_COLUMNS, (
        (uuid.uuid4(), events.REGISTERED, now, actor_id, p.elder[0], "elders.elder", str(p.elder[0]),
         p.elder[12], payload | {"row": p.row})
        for p in prepared
    ))
    event_record(type=events.IMPORT_COMMITTED, actor=actor, subject=batch, payload={"file": report.file_name,
                 "rows": len(prepared)}, occurred_at=now)
    report.committed = True
    report.batch_id = batch.pk
    report.valid = len(prepared)
