"""One set of rules for an elder's archive fields, shared by the form, the API, the
importer and the demo, so the same input gets the same answer everywhere.

``clean_elder_fields`` takes raw strings and returns clean values plus errors keyed by
field, each message plain Chinese without the field name (callers prefix the label).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from yiyang.core.identifiers import IdentifierError, IdNumber, normalize_phone, parse_id_number
from yiyang.elders.models import Category, LivingSituation
from yiyang.regions.models import Region

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "region_code": "社区代码",
    "address": "居住地址",
    "living_situation": "居住情况",
    "categories": "人员类别",
    "hukou_local": "本地户籍",
    "notes": "备注",
    "contact_name": "紧急联系人",
    "contact_phone": "紧急联系人电话",
}

_CATEGORY_SPLIT = re.compile(r"[、;；,，\s]+")
_NAME_RE = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z\s]{1,50}$")


@dataclass
class Lookups:
    """Reference data loaded once per batch (the importer validates a million rows with one)."""

    communities: dict[str, Region]
    categories_by_key: dict[str, Category]
    today: dt.date = field(default_factory=timezone.localdate)

    @classmethod
    def load(cls) -> Lookups:
        communities = {r.code: r for r in Region.objects.filter(level=Region.Level.COMMUNITY, active=True)}
        by_key: dict[str, Category] = {}
        for c in Category.objects.filter(derived=False):
            by_key[c.code] = c
            by_key[c.name] = c
        return cls(communities=communities, categories_by_key=by_key)


_LIVING = {c.value: c.value for c in LivingSituation} | {str(c.label): c.value for c in LivingSituation}


def parse_living_situation(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if value not in _LIVING:
        options = "、".join(str(c.label) for c in LivingSituation)
        raise IdentifierError(f"“{value}”不是可选的居住情况（可选：{options}）")
    return _LIVING[value]


def parse_categories(raw: Any, lookups: Lookups) -> list[Category]:
    if raw is None or raw == "":
        return []
    parts = raw if isinstance(raw, list | tuple) else _CATEGORY_SPLIT.split(str(raw))
    result: list[Category] = []
    unknown = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        cat = lookups.categories_by_key.get(part)
        if cat is None:
            unknown.append(part)
        elif cat not in result:
            result.append(cat)
    if unknown:
        raise IdentifierError(f"未知的人员类别：{'、'.join(unknown)}")
    return result


@dataclass
class CleanElder:
    name: str = ""
    id: IdNumber | None = None
    phone: str = ""
    region: Region | None = None
    address: str = ""
    living_situation: str = ""
    categories: list[Category] = field(default_factory=list)
    hukou_local: bool = True
    notes: str = ""


def clean_elder_fields(
    raw: dict[str, Any], lookups: Lookups, *, partial: bool = False
) -> tuple[CleanElder, dict[str, list[str]]]:
    """Validate the fields present in ``raw``. With ``partial`` (an edit) absent fields
    are left alone; otherwise 姓名, 身份证号 and 社区代码 are required."""
    clean = CleanElder()
    errors: dict[str, list[str]] = {}

    def err(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    def present(key: str) -> bool:
        return key in raw and raw[key] is not None

    if present("name") or not partial:
        name = str(raw.get("name") or "").strip()
        if not name:
            err("name", "不能为空")
        elif not _NAME_RE.match(name):
            err("name", "只能包含汉字、字母、间隔号，最长50字")
        clean.name = name
    if present("id_number") or not partial:
        try:
            clean.id = parse_id_number(str(raw.get("id_number") or ""), today=lookups.today)
        except IdentifierError as exc:
            err("id_number", str(exc))
    if present("phone"):
        value = str(raw["phone"]).strip()
        if value:
            try:
                clean.phone = normalize_phone(value)
            except IdentifierError as exc:
                err("phone", str(exc))
    if present("region_code") or not partial:
        code = str(raw.get("region_code") or "").strip()
        if not code:
            err("region_code", "不能为空")
        else:
            region = lookups.communities.get(code)
            if region is None:
                err("region_code", f"{code} 不是本系统区划中的社区代码（应为12位社区代码）")
            clean.region = region
    if present("address"):
        clean.address = str(raw["address"]).strip()
        if len(clean.address) > 200:
            err("address", "最长200字")
    if present("living_situation"):
        try:
            clean.living_situation = parse_living_situation(str(raw["living_situation"]))
        except IdentifierError as exc:
            err("living_situation", str(exc))
    if present("categories"):
        try:
            clean.categories = parse_categories(raw["categories"], lookups)
        except IdentifierError as exc:
            err("categories", str(exc))
    if present("hukou_local"):
        value = raw["hukou_local"]
        clean.hukou_local = value if isinstance(value, bool) else str(value).strip() not in ("否", "0", "false", "False")
    if present("notes"):
        clean.notes = str(raw["notes"]).strip()
    return clean, errors


def label_errors(errors: dict[str, list[str]]) -> list[str]:
    """``{"id_number": ["校验位错误"]}`` → ``["身份证号：校验位错误"]``."""
    return [f"{FIELD_LABELS.get(k, k)}：{m}" for k, msgs in errors.items() for m in msgs]
