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
import itertools
import multiprocessing
import os
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.bulk import JsonText, bulk_insert, bulk_load, json_text, sorted_uuid4_hex
from yiyang.core.events import event_record, events_record_bulk
from yiyang.core.exceptions import ApplicationError
from yiyang.core.identifiers import IdentifierError, normalize_person_name, normalize_phone
from yiyang.elders import access as elder_access
from yiyang.elders import events
from yiyang.elders.counts import region_counts_recount
from yiyang.elders.duplicates import NAME_BIRTH_CTX, NAME_PHONE_CTX, REASON_NAME_BIRTH, REASON_NAME_PHONE
from yiyang.elders.models import (
    ECONOMIC_NONE,
    ELDER_AGE_YEARS,
    Category,
    Elder,
    ElderCategory,
    EmergencyContact,
    ImportBatch,
)
from yiyang.elders.validation import Lookups, clean_elder_fields
from yiyang.regions.models import Region

COLUMNS = ["姓名", "身份证号", "联系电话", "社区代码", "居住地址", "居住情况", "人员类别", "紧急联系人", "紧急联系人电话"]
# Read when present (the template has it; older files do without: 经济状况 is then 未知 unless
# 人员类别 names a difficulty category).
ECONOMIC = "经济状况"
SHOWN_COLUMNS = [*COLUMNS[:7], ECONOMIC, *COLUMNS[7:]]  # as the upload page lists them
REQUIRED = ["姓名", "身份证号", "社区代码"]
COMMUNITY = "所属社区"  # a community's name (or its code): instead of, or beside, 社区代码
# The headers bureaus write, each meaning one of the columns above (or 所属社区). Compared
# after removing spaces, "*" and "（必填）". Two headers meaning the same column are an error.
HEADER_ALIASES = {
    "姓名": ["老人姓名", "老年人姓名", "名字"],
    "身份证号": ["身份证号码", "公民身份号码", "身份证", "身份证件号码", "证件号码", "证件号"],
    "联系电话": ["手机", "手机号", "手机号码", "电话", "电话号码", "联系方式", "本人电话", "联系电话（手机）"],
    "社区代码": ["社区编码", "区划代码", "统计用区划代码", "社区代码（12位）", "社区区划代码"],
    COMMUNITY: ["社区", "社区名称", "社区（居委会）", "居委会", "所属居委会", "社区居委会"],
    "居住地址": ["地址", "住址", "家庭住址", "现住址", "居住住址", "现居住地址", "家庭地址"],
    "居住情况": ["居住状况", "居住状态", "居住方式"],
    "人员类别": ["类别", "人员类型", "老人类别", "对象类别", "特殊类别"],
    "经济状况": ["经济情况", "经济条件", "家庭经济状况", "困难类型", "经济困难类型", "困难类别"],
    "紧急联系人": ["联系人", "紧急联系人姓名", "联系人姓名", "监护人", "监护人姓名"],
    "紧急联系人电话": ["联系人电话", "紧急联系电话", "紧急联系人手机", "监护人电话", "家属电话"],
}
_COLUMN_ORDER = {c: i for i, c in enumerate(COLUMNS)} | {COMMUNITY: 3, ECONOMIC: 6.5}
_HEADER_OF = {alias: canonical for canonical, aliases in HEADER_ALIASES.items() for alias in [canonical, *aliases]}
_HEADER_NOISE = re.compile(r"[\s\u3000*＊]|[（(]必填[）)]")
FIELD_OF_COLUMN = {
    "姓名": "name", "身份证号": "id_number", "联系电话": "phone", "社区代码": "region_code",
    "居住地址": "address", "居住情况": "living_situation", "人员类别": "categories", "经济状况": "economic_status",
}
COLUMN_OF_FIELD = {v: k for k, v in FIELD_OF_COLUMN.items()}
MAX_REPORTED_ERRORS = 1000
# The template's sample row (a valid number nobody has: born 1 January 1940 in 北京市东城区,
# order 002): refused if a clerk leaves it in.
SAMPLE_ID_NUMBER = "110101194001010020"

ELDER_COLUMNS = [
    "id", "created_at", "updated_at", "version", "name", "id_number_enc", "id_number_bidx", "birth_date", "sex",
    "phone_enc", "phone_bidx", "address_enc", "region_id", "hukou_local", "living_situation", "notes", "active",
    "deactivation_reason", "deactivated_at", "registered_by_id", "import_batch_id",
    "match_name_birth_bidx", "match_name_phone_bidx", "not_in_difficulty",
]


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
    max_errors: int = MAX_REPORTED_ERRORS
    # Not errors: suspected duplicates (same street, same name and birth date or phone). The
    # import goes ahead; each elder's page asks a person to judge the pair once.
    warnings: list[RowError] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, row: int, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.max_errors:
            self.warnings.append(RowError(row, "", message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.rows > 0

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        self.error_rows.add(row)
        if len(self.errors) < self.max_errors:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name, "rows": self.rows, "valid": self.valid,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
            "error_count": self.error_count, "committed": self.committed, "batch_id": self.batch_id,
            "warnings": [{"row": w.row, "message": w.message} for w in self.warnings],
            "warning_count": self.warning_count,
        }


# -- reading --------------------------------------------------------------------------------


def _cell(value: Any, column: str) -> str:
    if value.__class__ is str:  # every CSV cell, most Excel ones
        if len(value) > MAX_CELL_CHARS:
            raise IdentifierError(f"单元格内容过长（{len(value):,}字），超出该列允许的长度")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and column == "身份证号":
        # Excel turned the ID into a number: the last digits are already gone.
        raise IdentifierError("单元格是数字格式，身份证号末几位已丢失，请把该列设为“文本”后重新录入")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Limits checked while reading, so that a hostile or broken file costs a sentence, not the
# server's memory. A real list stays far below every one of them.
MAX_ROWS = 1_048_576  # Excel's own rows per sheet
MAX_COLUMNS = 1_000  # a bureau's widest sheet has a few dozen
MAX_CELL_CHARS = 2_000  # a read column's cell (the longest field, 居住地址, allows 200)
# An .xlsx is a zip of XML. Real sheets expand about 10×; a "zip bomb" (600 KB holding one
# 600 MB cell) expands 1000×. zipfile never hands out more than a member's declared size,
# so checking the declared sizes first bounds what openpyxl will ever read.
XLSX_MAX_EXPANSION = 100
XLSX_EXPANSION_ALLOWANCE = 20 * 1024 * 1024  # styles, themes: a tiny file may expand more
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024

MSG_XLSX_BROKEN = "该文件不是有效的Excel（.xlsx）文件，可能已损坏或设置了打开密码；请在Excel中打开后另存为 .xlsx 再上传"
MSG_XLSX_TOO_BIG = ("Excel文件解压后过大（可能含有超长的单元格或大量无关内容），无法读取；"
                    "请只保留老年人名单，另存为新的 .xlsx 后再上传")
MSG_XLSX_NO_SHEET = "Excel文件中没有工作表"


def _xlsx_check(data: bytes) -> None:
    """Refuse a broken or bomb-like .xlsx before openpyxl parses a byte of it."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ApplicationError(MSG_XLSX_BROKEN, code="bad_file") from exc
    total = sum(i.file_size for i in infos)
    if total > min(XLSX_MAX_UNCOMPRESSED, len(data) * XLSX_MAX_EXPANSION + XLSX_EXPANSION_ALLOWANCE):
        raise ApplicationError(MSG_XLSX_TOO_BIG, code="file_too_large")


def read_table(data: bytes, file_name: str) -> Iterator[tuple[int, list[Any]]]:
    """Yield (spreadsheet row number, cells) with the header as row 1.

    Every way a file can be unreadable ends in an ``ApplicationError`` with one Chinese
    sentence — raised before the first row or in the middle of the file."""
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        _xlsx_check(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
        except IndexError as exc:
            raise ApplicationError(MSG_XLSX_NO_SHEET, code="bad_file") from exc
        except Exception as exc:  # openpyxl raises whatever its XML and zip readers raise
            raise ApplicationError(MSG_XLSX_BROKEN, code="bad_file") from exc
        n = 0
        try:
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if n > MAX_ROWS or len(row) > MAX_COLUMNS:
                    _too_big(n, len(row))
                yield n, list(row)
        except ApplicationError:
            raise
        except Exception as exc:  # a sheet cut short, a bad CRC, a malformed cell
            raise ApplicationError(
                f"Excel文件从第{n + 1}行起无法读取（文件不完整或已损坏），请在Excel中打开并重新保存后再上传",
                code="bad_file",
            ) from exc
        finally:
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
        reader = csv.reader(_lines(text))
        n = 0
        try:
            for n, row in enumerate(reader, start=1):
                if n > MAX_ROWS or len(row) > MAX_COLUMNS:
                    _too_big(n, len(row))
                yield n, row
        except csv.Error as exc:
            # The csv module refuses a cell over csv.field_size_limit() (131,072 characters):
            # nothing a list of elders holds. Its limit stays as it is: it is process-wide.
            line = n + 1  # the record being read: Excel's row number, even across multi-line cells
            if "field larger than field limit" in str(exc):
                raise ApplicationError(
                    f"CSV文件第{line}行有一个超过{csv.field_size_limit():,}个字符的单元格（可能是缺少右引号），无法读取",
                    code="bad_file",
                ) from exc
            raise ApplicationError(
                f"CSV文件第{line}行格式有误（例如引号不成对或含有不可见的空字符），无法读取", code="bad_file"
            ) from exc
    elif suffix == ".xls":
        raise ApplicationError("不支持旧版 .xls 文件，请在Excel中另存为 .xlsx 或 CSV", code="bad_file")
    else:
        raise ApplicationError("只支持 .xlsx 或 .csv 文件", code="bad_file")


def _too_big(n: int, columns: int) -> None:
    if n > MAX_ROWS:
        raise ApplicationError(f"文件超过{MAX_ROWS:,}行，请拆分为几个文件分别导入", code="file_too_large")
    raise ApplicationError(f"第{n}行有{columns:,}列，超过{MAX_COLUMNS:,}列，不像是老年人名单，请删去多余的列", code="bad_file")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as ``io.StringIO(text)`` gives them, without
    its copy of the whole file (4 bytes a character: 400 MB for a million rows)."""
    start, find = 0, text.find
    while (end := find("\n", start)) >= 0:
        yield text[start:end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


# -- validating and writing -----------------------------------------------------------------


# A valid row, ready to write: a plain tuple (a million rows: no object per row), its values
# already encrypted — by the worker processes for a large file (``_check_parallel``), so both
# cores share the encryption. Positions:
P_ROW, P_NAME, P_ID_ENC, P_ID_BIDX, P_BIRTH, P_SEX, P_PHONE_ENC, P_PHONE_BIDX, P_ADDRESS_ENC, P_REGION, \
    P_LIVING, P_CATEGORIES, P_CONTACT_NAME, P_CONTACT_PHONE_ENC, P_KEY_BIRTH, P_KEY_PHONE, P_NOT_IN_DIFFICULTY = range(17)
# What checking one row gives (``_check_rows``), replayed in file order by ``elders_import``:
# (row, [(column, message)], ID blind index or None, is the template's sample, valid apart from
# duplicates, name+birth key, name+phone key, age when under 60, the prepared tuple or None).

# A file of at least this many rows is checked and encrypted by worker processes, one per core
# (``_check_parallel``); a smaller one in this process. Chunks of CHUNK_ROWS rows.
PARALLEL_MIN_ROWS = 20_000
CHUNK_ROWS = 5_000


@dataclass
class _RowContext:
    """Everything checking a row needs, built once per file. Worker processes inherit it (they
    are forked with it set in ``_CONTEXT``), with the settings and the field keys."""

    lookups: Lookups
    columns: list[tuple[str, int]]
    fields: list[tuple[str, str]]
    community_col: int | None
    has_code_col: bool
    by_name: dict[str, list[Region]]
    prefix: str
    region_column: str
    column_of_field: dict[str, str]


_CONTEXT: _RowContext | None = None


def _check_rows(rows: list[tuple[int, list[Any]]], ctx: _RowContext | None = None) -> list[tuple[Any, ...]]:
    """Check each of ``rows`` alone (everything but the duplicates between rows, which
    ``elders_import`` decides in file order) and encrypt the valid ones. Pure: no database."""
    ctx = ctx or _CONTEXT
    assert ctx is not None
    lookups, columns, fields, community_col = ctx.lookups, ctx.columns, ctx.fields, ctx.community_col
    has_code_col, by_name, prefix, region_column = ctx.has_code_col, ctx.by_name, ctx.prefix, ctx.region_column
    column_of_field = ctx.column_of_field
    blind_index, encrypt = pii.blind_index, pii.encrypt
    out: list[tuple[Any, ...]] = []
    keep = out.append
    for n, cells in rows:
        errors: list[tuple[str, str]] = []
        add = errors.append
        raw: dict[str, Any] = {}
        row_ok = True
        ncells = len(cells)
        for column, i in columns:
            try:
                raw[column] = _cell(cells[i] if i < ncells else None, column)
            except IdentifierError as exc:
                add((column, str(exc)))
                raw[column] = None
                row_ok = False
        if row_ok:
            values = {f: raw[c] or "" for c, f in fields}
        else:  # a cell that could not be read is reported once, not validated again
            values = {f: raw[c] for c, f in fields if raw[c] is not None}
        if community_col is not None:
            message = _community_cell(values, cells, community_col, has_code_col, by_name)
            if message:
                add((COMMUNITY, message))
                values.pop("region_code", None)
                row_ok = False
        clean, field_errors = clean_elder_fields(values, lookups, partial=not row_ok)
        if field_errors:
            for f, messages in field_errors.items():
                for m in messages:
                    add((column_of_field.get(f, f), m))
            row_ok = False
        region = clean.region
        if region is not None and not region.code.startswith(prefix):
            add((region_column, "该社区不在您的管辖范围内"))
            row_ok = False
        contact_name = raw.get("紧急联系人") or ""
        contact_phone = raw.get("紧急联系人电话") or ""
        if contact_name or contact_phone:
            if not contact_name:
                add(("紧急联系人", "填写了紧急联系人电话，但没有填写联系人姓名"))
                row_ok = False
            else:
                try:
                    contact_name = normalize_person_name(contact_name)
                except IdentifierError as exc:
                    add(("紧急联系人", str(exc)))
                    row_ok = False
            try:
                contact_phone = normalize_phone(contact_phone)
            except IdentifierError as exc:
                add(("紧急联系人电话", str(exc)))
                row_ok = False
        idn = clean.id
        sample = idn is not None and idn.value == SAMPLE_ID_NUMBER
        bidx = blind_index(idn.value, "elder.id_number") or "" if idn is not None and not sample else None
        if not row_ok or sample or idn is None or region is None:
            keep((n, errors, bidx, sample, False, "", "", None, None))
            continue
        # Suspected duplicates: the keys of duplicates.match_keys, written out (a million rows);
        # the 18-digit ID's characters 7–14 are the birth date as YYYYMMDD.
        head = f"{region.code[:9]}|{''.join(clean.name.split())}|"
        phone = clean.phone
        key_birth = blind_index(head + idn.value[6:14], NAME_BIRTH_CTX) or ""
        key_phone = (blind_index(head + phone, NAME_PHONE_CTX) or "") if phone else ""
        econ = clean.economic
        categories = clean.categories if not isinstance(econ, Category) or econ in clean.categories \
            else [*clean.categories, econ]
        keep((n, errors, bidx, False, True, key_birth, key_phone, clean.under_age, (
            n, clean.name, encrypt(idn.value, "elder.id_number"), bidx, idn.birth_date, idn.sex,
            encrypt(phone, "elder.phone"), blind_index(phone, "elder.phone") or "", encrypt(clean.address, "elder.address"),
            region.code, clean.living_situation, [c.pk for c in categories], contact_name,
            encrypt(contact_phone, "contact.phone") if contact_phone else None, key_birth, key_phone,
            econ == ECONOMIC_NONE,
        )))
    return out


def _chunks(table: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    """The data rows in chunks of ``size``, blank lines left out."""
    chunk: list[tuple[int, list[Any]]] = []
    for n, cells in table:
        for c in cells:
            if c is not None and c != "":
                break
        else:
            continue  # blank line
        chunk.append((n, cells))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _checked(table: Iterator[tuple[int, list[Any]]], ctx: _RowContext) -> tuple[bool, Iterator[tuple[Any, ...]]]:
    """(in worker processes?, the checked rows in file order): in this process for a small
    file, else by one worker process per core, the first chunks read deciding which."""
    chunks = _chunks(table, CHUNK_ROWS)
    head: list[list[tuple[int, list[Any]]]] = []
    rows = 0
    for chunk in chunks:
        head.append(chunk)
        rows += len(chunk)
        if rows >= PARALLEL_MIN_ROWS:
            break
    workers = min(os.cpu_count() or 1, IMPORT_WORKERS)
    if rows < PARALLEL_MIN_ROWS or workers < 2:
        return False, (r for chunk in itertools.chain(head, chunks) for r in _check_rows(chunk, ctx))
    return True, _check_parallel(itertools.chain(head, chunks), ctx, workers)


# At most this many worker processes (and never more than the cores).
IMPORT_WORKERS = 2


def _check_parallel(chunks: Iterator[list[tuple[int, list[Any]]]], ctx: _RowContext,
                    workers: int) -> Iterator[tuple[Any, ...]]:
    """``_check_rows`` over ``chunks`` in ``workers`` forked processes, results in file order.
    Forked: the workers start with this process's settings, field keys and ``ctx`` (never sent
    over a pipe), and never touch its database connection (``_check_rows`` reads no table)."""
    global _CONTEXT
    _CONTEXT = ctx
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pending: deque[Any] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_check_rows, chunk))
                # Chunks ahead, not the whole file in the pipes: enough to keep the workers busy
                # while this process writes a chunk of rows (``_StreamWriter``).
                if len(pending) >= max(2 * workers, WRITE_CHUNK // CHUNK_ROWS + 2):
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
    finally:
        _CONTEXT = None


def elders_import(
    *, actor: Any, data: bytes, file_name: str, dry_run: bool = False, source: str = "upload",
    max_errors: int = MAX_REPORTED_ERRORS,
) -> ImportReport:
    """Validate every row; if there is no error and not ``dry_run``, write them all.

    ``actor`` None means the server's operator at the command line (full access).
    """
    if actor is not None:
        access.require_capability(actor, elder_access.ELDER_IMPORT)
    report = ImportReport(file_name=file_name, max_errors=max_errors)
    lookups = Lookups.load()
    table = read_table(data, file_name)
    header_row = next(table, None)
    if header_row is None:
        report.add(1, "", "文件是空的")
        return report
    index = _read_header(header_row[1], report)
    if index is None:
        return report
    prefix = access.jurisdiction_prefix(actor) if actor is not None else ""
    if prefix is None:
        prefix = "\x00"  # an account without a node may import nowhere
    community_col = index.pop(COMMUNITY, None)
    by_name = _communities_by_name(lookups, prefix) if community_col is not None else {}
    has_code_col = "社区代码" in index
    if not has_code_col:
        index["社区代码"] = community_col  # type: ignore[assignment]  # read as a name or a code below
    region_column = "社区代码" if has_code_col else COMMUNITY
    ctx = _RowContext(
        lookups=lookups, columns=list(index.items()), fields=[(c, f) for c, f in FIELD_OF_COLUMN.items() if c in index],
        community_col=community_col, has_code_col=has_code_col, by_name=by_name, prefix=prefix,
        region_column=region_column, column_of_field=COLUMN_OF_FIELD | {"region_code": region_column},
    )
    now = timezone.now()
    seen: dict[str, int] = {}
    match_seen: dict[str, int] = {}  # suspected-duplicate key → first row
    match_get = match_seen.get
    prepared: list[tuple[Any, ...]] = []
    add, seen_get, keep = report.add, seen.get, prepared.append

    # Each row was checked alone (``_check_rows``, maybe in another process); here, in file
    # order, what depends on the rows before it: duplicates in the file, suspected duplicates.
    parallel, checked = _checked(table, ctx)
    with ExitStack() as stack:
        writer: _StreamWriter | None = None
        if parallel and not dry_run:
            # A large file is written as it is checked, in one transaction: while this process
            # writes a chunk the workers check the next ones. The first error undoes what was
            # written (a savepoint) and the rest of the file is only checked.
            stack.enter_context(bulk_load())  # left after the transaction (a rollback included)
            stack.enter_context(transaction.atomic())
            writer = _StreamWriter(report, actor=actor, now=now, source=source, rows_hint=_rows_hint(data, file_name))
        for n, errors, bidx, sample, row_ok, key_birth, key_phone, under_age, row in checked:
            report.rows += 1
            for column, message in errors:
                add(n, column, message)
            if sample:
                add(n, "身份证号", "这是模板中的示例行，请删除后再导入")
                row_ok = False
            elif bidx is not None:
                first = seen_get(bidx)
                if first is not None:
                    add(n, "身份证号", f"与第{first}行重复")
                    row_ok = False
                else:
                    seen[bidx] = n
            if not row_ok:
                if writer is not None:
                    writer.abandon()
                    writer = None
                    prepared.clear()
                continue
            first = match_get(key_birth)
            if first is None:
                match_seen[key_birth] = n
                if key_phone:
                    first = match_get(key_phone)
                    if first is None:
                        match_seen[key_phone] = n
                    else:
                        report.warn(n, f"疑似重复：与第{first}行的老人{REASON_NAME_PHONE}，请核实身份证号是否填错")
            else:
                report.warn(n, f"疑似重复：与第{first}行的老人{REASON_NAME_BIRTH}，请核实身份证号是否填错")
            if under_age is not None:
                report.warn(n, f"按身份证号，此人现年{under_age}岁，未满{ELDER_AGE_YEARS}周岁，请核实是否应登记为老年人")
            if report.error_count:
                continue  # once the file has an error, only validate: nothing will be written
            keep(row)
            if writer is not None and len(prepared) >= WRITE_CHUNK:
                if not writer.write(prepared):
                    writer.abandon()  # a registered ID number: reported below
                    writer = None
                prepared.clear()
        if writer is not None and prepared and not writer.write(prepared):
            writer.abandon()
            writer = None
        if writer is not None:
            writer.indexes_back()  # before the queries below, which read them
        # Duplicates of elders already registered (anywhere: one person, one archive). The
        # stream writer checked each chunk before writing it (a row it wrote is no duplicate).
        if seen and writer is None:
            for b in _registered_bidx(list(seen)):
                report.add(seen[b], "身份证号", "该身份证号已登记，请勿重复建档")
        # Suspected duplicates of registered elders: a warning, judged on the elder's page later.
        if match_seen and not (writer is not None and writer.table_was_empty):
            _warn_registered_matches(report, match_seen, actor, batch_written=writer.batch.pk if writer else None)
        report.errors.sort(key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, -1)))
        report.valid = report.rows - len(report.error_rows - {1})
        if report.rows == 0:
            report.add(2, "", "文件中没有数据行")
        if dry_run or not report.ok:
            if parallel and not dry_run:
                transaction.set_rollback(True)
            return report
        if writer is not None:
            writer.finish()
            return report
    _write(report, prepared, actor=actor, now=now, source=source)
    return report


def _rows_hint(data: bytes, file_name: str) -> int:
    """About how many rows a file holds (a CSV's lines; 0 when it cannot tell cheaply)."""
    return data.count(b"\n") if Path(file_name).suffix.lower() in (".csv", ".txt") else 0


def _read_header(cells: list[Any], report: ImportReport) -> dict[str, int] | None:
    """Column → index by header name, bureaus' variants included. ``None`` (with the problem
    in ``report``) when a required column is missing or a column is given twice."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    problems = []
    for i, h in enumerate(cells):
        text = str(h or "").strip()
        canonical = _HEADER_OF.get(_HEADER_NOISE.sub("", text))
        if canonical is None:
            continue  # a column the importer does not read (序号, 性别, 备注…)
        if canonical in index:
            first = index[canonical]
            problems.append(f"“{written[canonical]}”（{_letter(first)}列）和“{text}”（{_letter(i)}列）是同一列，"
                            f"请删去其中一列")
            continue
        index[canonical], written[canonical] = i, text
    missing = [c for c in REQUIRED if c not in index and not (c == "社区代码" and COMMUNITY in index)]
    if missing:
        names = "、".join("社区代码（或所属社区）" if c == "社区代码" else c for c in missing)
        problems.append(f"缺少必填列：{names}（表头应为：{','.join(COLUMNS)}）")
    for p in problems:
        report.add(1, "", p)
    return None if problems else index


def _letter(i: int) -> str:
    """0 → A, 26 → AA: the column letters Excel shows."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_COMMUNITY_SUFFIX = re.compile(r"(社区居民委员会|社区居委会|居民委员会|居委会|社区)$")


def _communities_by_name(lookups: Lookups, prefix: str) -> dict[str, list[Region]]:
    """The names a clerk may write for a community of the importer's jurisdiction: its name,
    without 社区/居委会, and either after the street's name (梅林街道梅京社区)."""
    streets = dict(Region.objects.filter(level=Region.Level.STREET).values_list("code", "name"))
    names: dict[str, list[Region]] = {}
    for code, r in lookups.communities.items():
        if not code.startswith(prefix):
            continue
        short = _COMMUNITY_SUFFIX.sub("", r.name)
        keys = {r.name, short} if short else {r.name}
        street = streets.get(str(r.parent_id), "")
        keys |= {street + k for k in keys} if street else set()
        for k in keys:
            names.setdefault(k, []).append(r)
    return names


def _community_cell(
    values: dict[str, Any], cells: list[Any], col: int, has_code_col: bool, by_name: dict[str, list[Region]],
) -> str:
    """Put the community named in 所属社区 into ``values["region_code"]``; the problem, if any."""
    if has_code_col:  # both given: the code decides, a name that says otherwise is an error
        cell = cells[col] if col < len(cells) else None
        name = re.sub(r"\s", "", str(cell)) if cell is not None else ""
        code = values.get("region_code") or ""
        if not name or name == code:
            return ""
        found = by_name.get(name, [])
        if len(found) == 1 and code and found[0].code != code:
            return f"“{name}”与社区代码 {code} 不是同一个社区"
        return ""
    value = re.sub(r"\s", "", values.get("region_code") or "")
    if not value or (len(value) == 12 and value.isdigit()):
        return ""  # empty (required: said by the field's rule) or a code
    found = by_name.get(value, [])
    if len(found) == 1:
        values["region_code"] = found[0].code
        return ""
    if not found:
        return f"“{value}”不是您管辖范围内的社区名称（可以填写社区名称或12位社区代码）"
    streets = "、".join(sorted({str(r.parent) for r in found}))
    return f"您管辖范围内有{len(found)}个社区叫“{value}”（{streets}），请写成“街道名+社区名”或填写12位社区代码"


def _warn_registered_matches(report: ImportReport, match_seen: dict[str, int], actor: Any, chunk: int = 5000,
                             batch_written: int | None = None) -> None:
    """Warn about rows whose keys match an active registered elder. Where that elder lives is
    said only inside the importer's jurisdiction. ``batch_written``: the batch this file's rows
    are being written under (``_StreamWriter``), whose elders are not "registered" ones."""
    qn = connection.ops.quote_name
    meta = Elder._meta
    table = qn(meta.db_table)
    id_enc, region, active, batch = (qn(str(cast(Any, meta.get_field(f)).column))
                                     for f in ("id_number_enc", "region", "active", "import_batch"))
    keys = list(match_seen)
    found: dict[int, tuple[str, str, Any]] = {}
    for field_name, reason in (("match_name_birth_bidx", REASON_NAME_BIRTH), ("match_name_phone_bidx", REASON_NAME_PHONE)):
        column = qn(str(cast(Any, meta.get_field(field_name)).column))
        with connection.cursor() as cursor:
            for start in range(0, len(keys), chunk):
                part = keys[start:start + chunk]
                # "active" is read, not filtered on: SQLite without statistics would otherwise
                # walk the list index (active, …) instead of the key's own (test_index_plans).
                not_written = f" AND ({batch} IS NULL OR {batch} <> %s)" if batch_written is not None else ""
                cursor.execute(
                    f"SELECT {column}, {region}, {id_enc}, {active} FROM {table} "  # noqa: S608
                    f"WHERE {column} IN ({', '.join(['%s'] * len(part))}){not_written}",
                    [*part, batch_written] if not_written else part,
                )
                for key, code, enc, is_active in cursor.fetchall():
                    if is_active:
                        found.setdefault(match_seen[key], (reason, code, enc))
    if not found:
        return
    from yiyang.regions.models import Region

    names = dict(Region.objects.filter(code__in={code for _r, code, _e in found.values()}).values_list("code", "name"))
    for row, (reason, code, enc) in sorted(found.items()):
        if actor is None or access.in_jurisdiction(actor, code):
            masked = pii.mask_id_number(pii.decrypt(enc, "elder.id_number"))
            who = f"已登记的老人（{names.get(code, code)}，身份证号 {masked}）"
        else:
            who = "本街道已登记的一位老人"
        report.warn(row, f"疑似重复：与{who}{reason}，请核实身份证号是否填错；导入后可在档案页判定是否同一人")
    report.warnings.sort(key=lambda w: w.row)


def _common_node(codes: set[str]) -> str:
    """The narrowest region node (community, street, district, city, province) holding all ``codes``."""
    for length in (12, 9, 6, 4, 2):
        heads = {c[:length] for c in codes}
        if len(heads) == 1:
            return next(iter(heads)).ljust(12, "0")
    return ""


def _registered_bidx(keys: list[str], chunk: int = 5000) -> Iterator[str]:
    """Which of these ID-number blind indexes are already registered. Plain SQL on the
    unique index: the ORM's per-parameter work on a million keys costs seconds."""
    qn = connection.ops.quote_name
    meta = Elder._meta
    column = qn(str(meta.get_field("id_number_bidx").column))
    with connection.cursor() as cursor:
        for start in range(0, len(keys), chunk):
            part = keys[start:start + chunk]
            cursor.execute(
                f"SELECT {column} FROM {qn(meta.db_table)} WHERE {column} IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                part,
            )
            for (b,) in cursor.fetchall():
                yield b


# A load of at least REBUILD_MIN_ROWS rows into an elder table holding no more rows than the load
# drops the table's secondary indexes first and builds them again after the rows, in the same
# transaction (``_indexes_rebuilt``): building an index from sorted keys costs a fraction of a
# million inserts at random places in it. Below that, or into a larger table, the rows go into
# the indexes as they are.
REBUILD_MIN_ROWS = 50_000
# PostgreSQL: how long to wait for the lock a dropped index needs (readers of the elder table
# hold it in turn) before loading with the indexes in place instead.
REBUILD_LOCK_TIMEOUT = "2s"


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, the statement that creates it) of each index of the elder table that no
    constraint owns — everything but the primary key and the unique ID blind index."""
    table = Elder._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL ORDER BY name", [table])
        else:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname", [table])
        return [(name, sql) for name, sql in cursor.fetchall()]


def _indexes_dropped(rows: int) -> list[tuple[str, str]] | None:
    """For a load of ``rows`` rows into a small elder table: its secondary indexes dropped (in the
    caller's transaction), to be made again by ``_indexes_made``; the dropped ones, or None.

    Readers meanwhile: on SQLite they keep reading the committed table, indexes included (WAL);
    on PostgreSQL a dropped index locks the elder table until the commit, so a reader waits for
    the load (a first load of a district, when nobody reads its elders yet). The lock is waited
    for ``REBUILD_LOCK_TIMEOUT`` at most; if readers hold it longer the load keeps the indexes."""
    if rows < REBUILD_MIN_ROWS:
        return None
    qn = connection.ops.quote_name
    table = qn(Elder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) t", [rows + 1])  # noqa: S608
        if cursor.fetchone()[0] > rows:
            return None
    indexes = _secondary_indexes()
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a lock not had undoes nothing else
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [REBUILD_LOCK_TIMEOUT])
                cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                cursor.execute("SELECT set_config('lock_timeout', '0', true)")
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")
    except OperationalError:  # the lock not had in time (the savepoint's rollback undid the setting)
        return None
    return indexes


def _indexes_made(indexes: list[tuple[str, str]]) -> None:
    """The dropped indexes made again, by the statements that made them (the migrations')."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
            # The rows' deferred foreign-key checks run now: PostgreSQL builds no index on a
            # table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, sql in indexes:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def _indexes_rebuilt(rows: int) -> Iterator[bool]:
    """``_indexes_dropped`` for the block, ``_indexes_made`` after it, before the transaction
    commits — all or nothing with the rows (both databases' DDL is transactional; on a failure
    the rollback brings the indexes back untouched). Yields whether it dropped them."""
    indexes = _indexes_dropped(rows)
    yield indexes is not None
    if indexes:
        _indexes_made(indexes)


# A large file's rows are written in chunks of this many as they are checked (``_StreamWriter``).
WRITE_CHUNK = 50_000


class _StreamWriter:
    """Writes a large file's valid rows chunk by chunk while the worker processes check the
    rest, inside the caller's transaction. The secondary indexes are dropped at the first chunk
    when the load is large against the table (``_indexes_dropped``, guessed from ``rows_hint``)
    and made again by ``indexes_back``. ``abandon`` undoes everything written (the file has an
    error: it is only checked from there on)."""

    def __init__(self, report: ImportReport, *, actor: Any, now: Any, source: str, rows_hint: int) -> None:
        self.report, self.actor, self.now, self.rows_hint = report, actor, now, rows_hint
        self.batch = ImportBatch.objects.create(
            file_name=report.file_name[:200], actor=actor if getattr(actor, "pk", None) else None, rows=0,
            source=source, region_code="")
        self.savepoint = transaction.savepoint()
        # Nobody registered before (a first load): no suspected duplicate of a registered elder
        # to look for afterwards, among a million rows that are all this file's.
        self.table_was_empty = not Elder.objects.exists()
        self.indexes: list[tuple[str, str]] | None = None  # decided at the first chunk
        self.codes: set[str] = set()
        self.written = 0

    def write(self, rows: list[tuple[Any, ...]]) -> bool:
        """Write ``rows``; False (nothing written) when one's ID number is registered already."""
        for _ in _registered_bidx([p[P_ID_BIDX] for p in rows]):
            return False
        if self.indexes is None:
            self.indexes = _indexes_dropped(max(self.rows_hint, len(rows))) or []
        _write_rows(rows, batch_id=self.batch.pk, actor_id=getattr(self.actor, "pk", None), now=self.now,
                    file_name=self.report.file_name)
        self.codes |= {p[P_REGION] for p in rows}
        self.written += len(rows)
        return True

    def abandon(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    def indexes_back(self) -> None:
        if self.indexes:
            _indexes_made(self.indexes)
        self.indexes = []

    def finish(self) -> None:
        ImportBatch.objects.filter(pk=self.batch.pk).update(rows=self.written, region_code=_common_node(self.codes))
        self.batch.rows = self.written
        _finish(self.report, self.batch, self.codes, self.written, actor=self.actor, now=self.now)


def _write_rows(prepared: list[tuple[Any, ...]], *, batch_id: int, actor_id: Any, now: Any, file_name: str,
                indexes: Any = None) -> None:
    """Elders, their categories, contacts and ``elder.registered`` events for ``prepared``."""
    # New keys in ascending order: the elder table's primary key and every index on an
    # elder_id (categories, contacts, events) then grow at their end (core.bulk.sorted_uuid4_hex).
    elder_ids = sorted_uuid4_hex(len(prepared))

    def elder_rows() -> Iterator[tuple[Any, ...]]:  # in the order of ELDER_COLUMNS; encrypted already
        for i, p in zip(elder_ids, prepared, strict=True):
            yield (
                i, now, now, 1, p[P_NAME], p[P_ID_ENC], p[P_ID_BIDX], p[P_BIRTH], p[P_SEX], p[P_PHONE_ENC],
                p[P_PHONE_BIDX], p[P_ADDRESS_ENC], p[P_REGION], True, p[P_LIVING], "", True, "", None,
                actor_id, batch_id, p[P_KEY_BIRTH], p[P_KEY_PHONE], p[P_NOT_IN_DIFFICULTY],
            )

    with indexes if indexes is not None else nullcontext():
        bulk_insert(Elder, ELDER_COLUMNS, elder_rows())
    bulk_insert(ElderCategory, ["elder_id", "category_id"],
                ((i, c) for i, p in zip(elder_ids, prepared, strict=True) for c in p[P_CATEGORIES]))
    bulk_insert(EmergencyContact, ["elder_id", "name", "relation", "phone_enc", "is_guardian", "sort_order"],
                ((i, p[P_CONTACT_NAME], "", p[P_CONTACT_PHONE_ENC], False, 0)
                 for i, p in zip(elder_ids, prepared, strict=True) if p[P_CONTACT_PHONE_ENC] is not None))
    # The payload {source, batch, file, row} encoded once; each event adds its row number.
    head = json_text({"source": "import", "batch": batch_id, "file": file_name[:100]})[:-1]
    event_ids = sorted_uuid4_hex(len(prepared))
    events_record_bulk((
        # subject_id is str(uuid.UUID(i)), the form event_record() writes
        (e, events.REGISTERED, now, actor_id, i, "elders.elder", f"{i[:8]}-{i[8:12]}-{i[12:16]}-{i[16:20]}-{i[20:]}",
         p[P_REGION], JsonText(f'{head}, "row": {p[P_ROW]}}}'))
        for e, i, p in zip(event_ids, elder_ids, prepared, strict=True)
    ))


def _finish(report: ImportReport, batch: ImportBatch, codes: set[str], rows: int, *, actor: Any, now: Any) -> None:
    region_counts_recount(codes)  # the communities' 在册 counts
    event_record(type=events.IMPORT_COMMITTED, actor=actor, subject=batch, payload={"file": report.file_name,
                 "rows": rows}, occurred_at=now)
    report.committed = True
    report.batch_id = batch.pk
    report.valid = rows


@transaction.atomic
def _write(report: ImportReport, prepared: list[tuple[Any, ...]], *, actor: Any, now: Any, source: str) -> None:
    codes = {p[P_REGION] for p in prepared}
    batch = ImportBatch.objects.create(
        file_name=report.file_name[:200], actor=actor if getattr(actor, "pk", None) else None,
        rows=len(prepared), source=source, region_code=_common_node(codes),
    )
    with bulk_load():
        _write_rows(prepared, batch_id=batch.pk, actor_id=getattr(actor, "pk", None), now=now,
                    file_name=report.file_name, indexes=_indexes_rebuilt(len(prepared)))
    _finish(report, batch, codes, len(prepared), actor=actor, now=now)
