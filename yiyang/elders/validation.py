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

from yiyang.core.identifiers import (
    IdentifierError,
    IdNumber,
    normalize_person_name,
    normalize_phone,
    parse_id_number,
)
from yiyang.core.text import LINE_MAX, NOTE_MAX, clip, too_long
from yiyang.elders.models import (
    ADVANCED_AGE_YEARS,
    ECONOMIC_CATEGORY_CODES,
    ECONOMIC_NONE,
    ECONOMIC_NONE_NAME,
    ECONOMIC_UNKNOWN,
    ECONOMIC_UNKNOWN_NAME,
    ELDER_AGE_YEARS,
    Category,
    CategoryAlias,
    LivingSituation,
)
from yiyang.regions.models import Region, registration_min_ages

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "region_code": "社区代码",
    "address": "居住地址",
    "living_situation": "居住情况",
    "categories": "人员类别",
    "economic_status": "经济状况",
    "confirm_under_age": "未满60周岁",
    "hukou_local": "本地户籍",
    "notes": "备注",
    "contact_name": "紧急联系人",
    "contact_phone": "紧急联系人电话",
}

_CATEGORY_SPLIT = re.compile(r"[、;；,，\s]+")
ECHO_MAX = 20  # an unknown value is quoted back in a message at most this long


_ALIAS_EXAMPLES = ["五保", "低保户", "失独", "重残", "独居老人"]


@dataclass
class Lookups:
    """Reference data loaded once per batch (the importer validates a million rows with one)."""

    communities: dict[str, Region]
    # A word of 人员类别 → a Category, or a living-situation code (独居 → "alone"): the
    # categories' codes and names, the living situations' names, and the admin's aliases.
    categories_by_key: dict[str, Category | str]
    today: dt.date = field(default_factory=timezone.localdate)
    accepted_words: str = ""  # for the message on an unknown word
    alias_words: list[str] = field(default_factory=list)
    # Regions where people under an age may not be registered: code → age (inherited down).
    min_ages: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lookups:
        communities = {r.code: r for r in Region.objects.filter(level=Region.Level.COMMUNITY, active=True)}
        by_key: dict[str, Category | str] = {}
        names: list[str] = []
        for c in Category.objects.all():
            by_key[c.code] = c
            by_key[c.name] = c
            names.append(c.name)
        living_names = [str(ls.label) for ls in LivingSituation if ls != LivingSituation.OTHER]
        for ls in LivingSituation:
            if ls != LivingSituation.OTHER:
                by_key[str(ls.label)] = ls.value
        aliases: list[str] = []
        for a in CategoryAlias.objects.select_related("category"):
            by_key.setdefault(a.word, a.category if a.category is not None else a.living_situation)
            aliases.append(a.word)
        accepted = f"可填：{'、'.join(names)}；居住情况：{'、'.join(living_names)}"
        if aliases:
            # A few examples, not all of them: the message is repeated on every such row. The
            # template's 填写说明 sheet and the admin list every one.
            examples = [w for w in _ALIAS_EXAMPLES if w in by_key] or aliases[:5]
            accepted += f"；也可用常见写法，如{'、'.join(examples)}等（全部写法见导入模板的“填写说明”）"
        return cls(communities=communities, categories_by_key=by_key, accepted_words=accepted, alias_words=aliases,
                   min_ages=registration_min_ages())


_LIVING = {c.value: c.value for c in LivingSituation} | {str(c.label): c.value for c in LivingSituation}


def parse_living_situation(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if value not in _LIVING:
        options = "、".join(str(c.label) for c in LivingSituation)
        raise IdentifierError(f"“{clip(value, ECHO_MAX)}”不是可选的居住情况（可选：{options}）")
    return _LIVING[value]


# 经济状况 as clerks write it: besides the difficulty categories (their codes, names, aliases).
ECONOMIC_NONE_WORDS = frozenset({ECONOMIC_NONE, ECONOMIC_NONE_NAME, "none", "非困难", "不困难", "非经济困难老年人",
                                 "否", "无", "一般", "正常"})
ECONOMIC_UNKNOWN_WORDS = frozenset({ECONOMIC_UNKNOWN, ECONOMIC_UNKNOWN_NAME, "不详", "不清楚", "待核实"})


def parse_economic(raw: Any, lookups: Lookups) -> str | Category | None:
    """经济状况: a difficulty category, ``ECONOMIC_NONE`` (非经济困难) or ``ECONOMIC_UNKNOWN`` (未知);
    None when nothing is written (nothing to change)."""
    value = str(raw or "").strip()
    if not value:
        return None
    if value in ECONOMIC_NONE_WORDS:
        return ECONOMIC_NONE
    if value in ECONOMIC_UNKNOWN_WORDS:
        return ECONOMIC_UNKNOWN
    meaning = lookups.categories_by_key.get(value)
    if isinstance(meaning, Category) and meaning.code in ECONOMIC_CATEGORY_CODES:
        return meaning
    names = [c.name for c in lookups.categories_by_key.values()
             if isinstance(c, Category) and c.code in ECONOMIC_CATEGORY_CODES]
    options = "、".join([ECONOMIC_UNKNOWN_NAME, ECONOMIC_NONE_NAME, *dict.fromkeys(names)])
    raise IdentifierError(f"“{clip(value, ECHO_MAX)}”不是可选的经济状况（可填：{options}）")


def economic_name(value: str | Category) -> str:
    if isinstance(value, Category):
        return value.name
    return ECONOMIC_NONE_NAME if value == ECONOMIC_NONE else ECONOMIC_UNKNOWN_NAME


@dataclass
class CategoryWords:
    """What the words of 人员类别 say: categories, living situations (独居…), 高龄."""

    categories: list[Category] = field(default_factory=list)
    living: dict[str, str] = field(default_factory=dict)  # living-situation code → the word written
    advanced_age_word: str = ""  # the word that claimed 高龄 (checked against the ID's age)
    unknown: list[str] = field(default_factory=list)


def parse_category_words(raw: Any, lookups: Lookups) -> CategoryWords:
    words = CategoryWords()
    if raw is None or raw == "":
        return words
    parts = raw if isinstance(raw, list | tuple) else _CATEGORY_SPLIT.split(str(raw))
    get = lookups.categories_by_key.get
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        meaning = get(part)
        if meaning is None:
            words.unknown.append(part)
        elif isinstance(meaning, str):
            words.living.setdefault(meaning, part)
        elif meaning.derived:
            words.advanced_age_word = part
        elif meaning not in words.categories:
            words.categories.append(meaning)
    return words


def parse_categories(raw: Any, lookups: Lookups) -> list[Category]:
    """Only the categories (an unknown word is an error); see ``parse_category_words``."""
    words = parse_category_words(raw, lookups)
    if words.unknown:
        raise IdentifierError(f"未知的人员类别：{clip('、'.join(words.unknown), ECHO_MAX * 3)}（{lookups.accepted_words}）")
    return words.categories


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_category_words(
    words: CategoryWords, clean: CleanElder, raw_living: Any, birth_date: dt.date | None, lookups: Lookups,
    errors: dict[str, list[str]],
) -> None:
    """高龄 against the age from the ID number; living words against the 居住情况 field."""
    messages = errors.setdefault("categories", [])
    if words.unknown:
        messages.append(f"未知的人员类别：{clip('、'.join(words.unknown), ECHO_MAX * 3)}（{lookups.accepted_words}）")
    if words.advanced_age_word and birth_date is not None:
        age = _age_on(birth_date, lookups.today)
        if age < ADVANCED_AGE_YEARS:
            messages.append(
                f"填写了“{words.advanced_age_word}”，但按身份证号该老人{birth_date.year}年{birth_date.month}月出生、"
                f"现年{age}岁，不满{ADVANCED_AGE_YEARS}岁（高龄按身份证号自动判定，可不填）"
            )
    if words.living:
        labels = {c.value: str(c.label) for c in LivingSituation}
        if len(words.living) > 1:
            messages.append(f"{'与'.join(f'“{w}”' for w in words.living.values())}是不同的居住情况，只能填一种")
        else:
            (code, word), = words.living.items()
            given = str(raw_living or "").strip()
            if given and clean.living_situation and clean.living_situation != code:
                messages.append(f"“{word}”与居住情况“{labels[clean.living_situation]}”不一致")
            elif not given:
                clean.living_situation = code
                clean.living_from_categories = True
    if not messages:
        errors.pop("categories")


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
    living_from_categories: bool = False  # 居住情况 set by a word of 人员类别 (独居…)
    # 经济状况 as given: a difficulty Category, ECONOMIC_NONE, ECONOMIC_UNKNOWN, or None (not given).
    economic: str | Category | None = None
    # The age from the ID number when under 60 and the region does not refuse it: the caller
    # warns (the form and the API ask to confirm; the importer lists a warning).
    under_age: int | None = None


def clean_elder_fields(
    raw: dict[str, Any], lookups: Lookups, *, partial: bool = False, birth_date: dt.date | None = None,
    region_code: str | None = None,
) -> tuple[CleanElder, dict[str, list[str]]]:
    """Validate the fields present in ``raw``. With ``partial`` (an edit) absent fields
    are left alone; otherwise 姓名, 身份证号 and 社区代码 are required. ``birth_date`` and
    ``region_code`` are the elder's when an edit gives no ID number or community (a 高龄 word
    and the minimum age are checked against them)."""
    clean = CleanElder()
    errors: dict[str, list[str]] = {}
    get = raw.get  # a value of None counts as absent
    # Written out rather than through small helpers: the importer calls this once per row
    # of a million-row file.

    if not partial or get("name") is not None:
        try:
            clean.name = normalize_person_name(str(get("name") or ""))
        except IdentifierError as exc:
            errors.setdefault("name", []).append(str(exc))
    if not partial or get("id_number") is not None:
        try:
            clean.id = parse_id_number(str(get("id_number") or ""), today=lookups.today)
        except IdentifierError as exc:
            errors.setdefault("id_number", []).append(str(exc))
    value = get("phone")
    if value is not None:
        value = str(value).strip()
        if value:
            try:
                clean.phone = normalize_phone(value)
            except IdentifierError as exc:
                errors.setdefault("phone", []).append(str(exc))
    if not partial or get("region_code") is not None:
        code = str(get("region_code") or "").strip()
        if not code:
            errors.setdefault("region_code", []).append("不能为空")
        else:
            region = lookups.communities.get(code)
            if region is None:
                errors.setdefault("region_code", []).append(
                    f"{clip(code, ECHO_MAX)} 不是本系统区划中的社区代码（应为12位社区代码）")
            clean.region = region
    value = get("address")
    if value is not None:
        clean.address = str(value).strip()
        if message := too_long(clean.address, LINE_MAX):
            errors.setdefault("address", []).append(message)
    value = get("living_situation")
    if value is not None:
        try:
            clean.living_situation = parse_living_situation(str(value))
        except IdentifierError as exc:
            errors.setdefault("living_situation", []).append(str(exc))
    value = get("categories")
    if value is not None and value != "":
        words = parse_category_words(value, lookups)
        clean.categories = words.categories
        if words.unknown or words.living or words.advanced_age_word:
            _check_category_words(words, clean, get("living_situation"),
                                  clean.id.birth_date if clean.id is not None else birth_date, lookups, errors)
    value = get("economic_status")
    if value is not None and value != "":
        try:
            clean.economic = parse_economic(value, lookups)
        except IdentifierError as exc:
            errors.setdefault("economic_status", []).append(str(exc))
        else:
            if get("categories") is not None:
                _check_economic(clean, errors)
    if clean.id is not None:  # at registration, or an edit that gives the ID number
        _check_age(clean, lookups, errors, birth_date, region_code)
    value = get("hukou_local")
    if value is not None:
        clean.hukou_local = value if isinstance(value, bool) else str(value).strip() not in ("否", "0", "false", "False")
    value = get("notes")
    if value is not None:
        clean.notes = str(value).strip()
        if message := too_long(clean.notes, NOTE_MAX):
            errors.setdefault("notes", []).append(message)
    return clean, errors


def _check_economic(clean: CleanElder, errors: dict[str, list[str]]) -> None:
    """经济状况 beside 人员类别 in one input: they must say the same. A difficulty status joins
    the categories (the rules and lists read it there)."""
    held = [c for c in clean.categories if c.code in ECONOMIC_CATEGORY_CODES]
    econ = clean.economic
    if isinstance(econ, Category):
        others = [c.name for c in held if c != econ]
        if others:
            errors.setdefault("economic_status", []).append(
                f"经济状况填了“{econ.name}”，人员类别中却有“{'、'.join(others)}”，只能是其中一种")
        elif econ not in clean.categories:
            clean.categories.append(econ)
    elif econ is not None and held:
        errors.setdefault("economic_status", []).append(
            f"人员类别中有“{'、'.join(c.name for c in held)}”，经济状况不能填“{economic_name(econ)}”")


def _check_age(clean: CleanElder, lookups: Lookups, errors: dict[str, list[str]],
               birth_date: dt.date | None, region_code: str | None) -> None:
    """Under 60 (by the ID number): refused where the region sets a minimum age, otherwise
    ``clean.under_age`` tells the caller to warn."""
    birth = clean.id.birth_date if clean.id is not None else birth_date
    code = clean.region.code if clean.region is not None else region_code
    if birth is None:
        return
    age = _age_on(birth, lookups.today)
    if age >= ELDER_AGE_YEARS:
        return
    minimum = lookups.min_ages.get(code or "")
    if minimum is not None and age < minimum:
        errors.setdefault("id_number", []).append(
            f"按身份证号，此人{birth.year}年{birth.month}月出生、现年{age}岁；本地区规定未满{minimum}周岁的人员不能登记")
        return
    clean.under_age = age


def under_age_message(age: int) -> str:
    return (f"按身份证号，此人现年{age}岁，未满{ELDER_AGE_YEARS}周岁（老年人指{ELDER_AGE_YEARS}周岁及以上），"
            "登记后会看到老年人政策的判断。确需登记（如重度残疾、失能人员）请勾选确认；否则请核对身份证号")


def label_errors(errors: dict[str, list[str]]) -> list[str]:
    """``{"id_number": ["应为18位…"]}`` → ``["身份证号：应为18位…"]``."""
    return [f"{FIELD_LABELS.get(k, k)}：{m}" for k, msgs in errors.items() for m in msgs]
