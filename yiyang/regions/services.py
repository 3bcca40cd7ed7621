"""Writes to the region tree: loading a code list from CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.db import transaction

from yiyang.core.exceptions import ApplicationError
from yiyang.regions.codes import CODE_RE, level_of, parent_code
from yiyang.regions.models import CodeSet, Region


@transaction.atomic
def region_tree_load(*, rows: Iterable[dict[str, str]], version: str, source: str = "") -> CodeSet:
    """Load or update nodes from rows with ``code`` and ``name`` (level and parent are
    derived from the code). All or nothing: one bad row loads nothing.

    Parents must either exist already or come in the same file; rows may be in any order.
    """
    rows = list(rows)
    errors = []
    parsed: dict[str, str] = {}
    for n, row in enumerate(rows, start=2):
        code = (row.get("code") or row.get("区划代码") or "").strip()
        name = (row.get("name") or row.get("名称") or "").strip()
        if not CODE_RE.match(code):
            errors.append(f"第{n}行 区划代码：应为12位数字")
            continue
        if not name:
            errors.append(f"第{n}行 名称：不能为空")
            continue
        parsed[code] = name
    existing = set(Region.objects.values_list("code", flat=True))
    for code in parsed:
        parent = parent_code(code)
        if parent and parent not in parsed and parent not in existing:
            errors.append(f"区划代码 {code}：上级 {parent} 不存在")
    if errors:
        raise ApplicationError("区划代码文件有误，未导入任何内容", code="region_load_failed", detail={"errors": errors})

    code_set, _ = CodeSet.objects.get_or_create(version=version, defaults={"source": source})
    CodeSet.objects.exclude(pk=code_set.pk).update(is_current=False)
    CodeSet.objects.filter(pk=code_set.pk).update(is_current=True)
    # Parents before children: codes sort that way once ordered by level depth.
    order = ["province", "city", "district", "street", "community"]
    for code in sorted(parsed, key=lambda c: (order.index(level_of(c)), c)):
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": parsed[code],
                "level": level_of(code),
                "parent_id": parent_code(code) if level_of(code) != "province" else None,
                "code_set": code_set,
                "active": True,
            },
        )
    return code_set


def region_tree_load_csv(*, text: str, version: str, source: str = "") -> CodeSet:
    return region_tree_load(rows=csv.DictReader(io.StringIO(text.lstrip("\ufeff"))), version=version, source=source)
