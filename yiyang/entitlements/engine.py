"""The entitlement rules engine: pure functions over a small dict of facts, no database.

A benefit's conditions are data (``BenefitRule.conditions``, a JSON object) in the small
language documented in ``docs/entitlements.md``::

    {"all": [ ... ]}  {"any": [ ... ]}  {"not": { ... }}           combinators
    {"age": {">=": 80}}  {"age": {"<=": 79}}                         age on the day, from the ID
    {"hukou_local": true}                                            本地户籍
    {"hukou_region": {"in": ["440304000000"]}}                       户籍在某区划
    {"region": {"in": ["440304006000"]}}                             居住在某区划
    {"categories": {"any": [...], "all": [...], "none": [...]}}      人员类别
    {"level": {">=": 2}}  {"level": {"<=": 1}}                       GB/T 42195 能力等级 0–4
    {"living_situation": {"in": ["alone", "empty_nest"]}}           居住情况
    {"economic": {"in": ["subsistence", "low_income"]}}             经济状况
    {"available": false}                                             本地区未开展

Three-valued (Kleene) logic: a condition over data the archive does not hold (no
assessment yet, living situation or economic status not recorded) is *unknown*. ``all``
is false as soon as one part is false, whatever the unknowns; ``any`` is true as soon as
one part is true. Only when the answer really depends on an unknown is the result
"maybe", and then the missing data is named.

Facts (built from an elder by ``selectors.elder_facts``)::

    birth_date        date            from the ID number: always known
    hukou_local       bool | None     本地户籍
    region            str             12-digit code of the community of residence
    categories        set[str]        recorded category codes (高龄 is derived here from the age)
    level             int | None      current ability level 0–4, None = never assessed
    living_situation  str | None      None (or '') = not recorded
    not_in_difficulty bool            a worker checked: 非经济困难 (economic is then false, not unknown)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yiyang.regions.codes import normalize_code, prefix_of

ENTITLED, MAYBE, NOT = "entitled", "maybe", "not"
STATUS_NAMES = {ENTITLED: "可享受", MAYBE: "可能符合", NOT: "不符合"}

# The category codes of elders/migrations/0002_default_categories.py (a test keeps them equal).
CATEGORY_NAMES: dict[str, str] = {
    "advanced_age": "高龄",
    "disabled": "失能",
    "dementia": "失智",
    "severe_disability": "重度残疾",
    "family_planning_special": "计划生育特殊家庭",
    "extreme_poverty": "特困供养",
    "subsistence": "低保",
    "near_subsistence": "低保边缘",
    "childless_widowed": "孤寡",
    "low_income": "经济困难",
    "veteran": "退役军人",
}
ADVANCED_AGE, ADVANCED_AGE_YEARS = "advanced_age", 80
# Economic status is read from these categories, most severe first.
ECONOMIC_STATUSES: tuple[str, ...] = ("extreme_poverty", "subsistence", "near_subsistence", "low_income")
ECONOMIC_NAMES = {"extreme_poverty": "特困", "subsistence": "低保", "near_subsistence": "低保边缘",
                  "low_income": "经济困难"}
# elders.models.LivingSituation (a test keeps them equal).
LIVING_NAMES: dict[str, str] = {
    "alone": "独居", "empty_nest": "空巢", "left_behind": "留守", "with_children": "与子女同住",
    "with_relatives": "与其他亲属同住", "in_institution": "入住养老机构", "other": "其他",
}
LEVEL_NAMES = {0: "能力完好", 1: "轻度失能", 2: "中度失能", 3: "重度失能", 4: "完全失能"}

MISSING_LEVEL = "能力评估等级（尚未按GB/T 42195—2022评估）"
MISSING_ECONOMIC = "经济状况（是否为特困、低保、低保边缘或经济困难老年人）"
MISSING_LIVING = "居住情况"
MISSING_HUKOU = "户籍"

NUMERIC_OPS = (">=", "<=")
LEAVES = ("age", "hukou_local", "hukou_region", "region", "categories", "level", "living_situation",
          "economic", "available")
COMBINATORS = ("all", "any", "not")
KEYS = COMBINATORS + LEAVES


class ConditionError(ValueError):
    """A condition that does not follow the language; ``errors`` are plain Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Vocabulary:
    """Names to put in sentences. Category and region names come from the database when the
    caller has them (``selectors.vocabulary``); the defaults cover the shipped categories."""

    categories: Mapping[str, str] = field(default_factory=lambda: dict(CATEGORY_NAMES))
    regions: Mapping[str, str] = field(default_factory=dict)

    def category(self, code: str) -> str:
        return self.categories.get(code) or CATEGORY_NAMES.get(code) or code

    def region(self, code: str) -> str:
        return self.regions.get(normalize_code(code)) or code


DEFAULT_VOCABULARY = Vocabulary()


@dataclass
class Outcome:
    """One condition's answer: True, False or None (unknown), the facts that decided it,
    and for an unknown the names of the missing data."""

    value: bool | None
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years (周岁) on ``day``: the birthday itself counts (80 on the 80th birthday)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _join(names: Iterable[str], last: str = "、") -> str:
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + last + items[-1]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --------------------------------------------------------------------------- validation

def validate_condition(
    cond: Any, *, category_codes: Iterable[str] | None = None, path: str = "条件"
) -> list[str]:
    """Every problem of a condition, each a plain Chinese sentence naming where it is.
    An empty list means the condition is valid."""
    cats = set(category_codes) if category_codes is not None else set(CATEGORY_NAMES)
    cats.add(ADVANCED_AGE)
    errors: list[str] = []
    _validate(cond, cats, path, errors)
    return errors


def _validate(cond: Any, cats: set[str], path: str, errors: list[str]) -> None:
    if not isinstance(cond, dict):
        errors.append(f"{path}：应为一个对象，例如 {{\"age\": {{\">=\": 80}}}}")
        return
    if not cond:
        return  # {} = no condition: every elder
    if len(cond) > 1:
        errors.append(f"{path}：一个对象只能写一个条件（现有 {_join(cond, '、')}），多个条件请用 all 或 any 组合")
        return
    key, arg = next(iter(cond.items()))
    here = f"{path} › {key}"
    if key not in KEYS:
        errors.append(f"{path}：不认识的条件“{key}”，可用的有：{'、'.join(KEYS)}")
    elif key in ("all", "any"):
        if not isinstance(arg, list):
            errors.append(f"{here}：应为条件列表，例如 [{{\"age\": {{\">=\": 80}}}}, {{\"hukou_local\": true}}]")
            return
        for i, child in enumerate(arg, start=1):
            _validate(child, cats, f"{here} 第{i}项", errors)
    elif key == "not":
        _validate(arg, cats, here, errors)
    elif key in ("age", "level"):
        lo, hi = (0, 150) if key == "age" else (0, 4)
        if not isinstance(arg, dict) or not arg:
            errors.append(f"{here}：应写成 {{\">=\": 数字}} 或 {{\"<=\": 数字}}")
            return
        for op, value in arg.items():
            if op not in NUMERIC_OPS:
                errors.append(f"{here}：不认识的比较“{op}”，只能用 >=（不低于）或 <=（不高于）")
            elif isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                what = "年龄" if key == "age" else "能力等级"
                errors.append(f"{here} {op}：{what}应为 {lo} 到 {hi} 之间的整数（现为 {value!r}）")
    elif key in ("hukou_local", "available"):
        if not isinstance(arg, bool):
            errors.append(f"{here}：应为 true 或 false（现为 {arg!r}）")
    elif key in ("hukou_region", "region"):
        values = _in_list(arg, here, errors)
        for code in values:
            norm = normalize_code(str(code))
            if not (isinstance(code, str) and norm.isdigit() and len(norm) == 12):
                errors.append(f"{here}：“{code}”不是区划代码（应为12位数字，例如 440304000000）")
    elif key == "categories":
        if not isinstance(arg, dict) or not arg:
            errors.append(f"{here}：应写成 {{\"any\": [...]}}、{{\"all\": [...]}} 或 {{\"none\": [...]}}")
            return
        for op, values in arg.items():
            if op not in ("any", "all", "none"):
                errors.append(f"{here}：不认识的“{op}”，只能用 any（属于其一）、all（同时属于）或 none（都不属于）")
                continue
            for code in _in_list(values, f"{here} › {op}", errors, wrapped=False):
                if code not in cats:
                    errors.append(f"{here} › {op}：不认识的人员类别代码“{code}”，可用的有：{'、'.join(sorted(cats))}")
    elif key == "living_situation":
        for code in _in_list(arg, here, errors):
            if code not in LIVING_NAMES:
                errors.append(f"{here}：不认识的居住情况代码“{code}”，可用的有：{'、'.join(LIVING_NAMES)}")
    elif key == "economic":
        for code in _in_list(arg, here, errors):
            if code not in ECONOMIC_STATUSES:
                errors.append(f"{here}：不认识的经济状况“{code}”，可用的有：{'、'.join(ECONOMIC_STATUSES)}")


def _in_list(arg: Any, here: str, errors: list[str], *, wrapped: bool = True) -> list[Any]:
    values = arg.get("in") if wrapped and isinstance(arg, dict) and set(arg) == {"in"} else (None if wrapped else arg)
    if not isinstance(values, list) or not values:
        example = '{"in": ["…", "…"]}' if wrapped else '["…", "…"]'
        errors.append(f"{here}：应写成非空列表 {example}")
        return []
    return values


def check_condition(cond: Any, *, category_codes: Iterable[str] | None = None) -> None:
    errors = validate_condition(cond, category_codes=category_codes)
    if errors:
        raise ConditionError(errors)


# --------------------------------------------------------------------------- evaluation

def evaluate(cond: Mapping[str, Any], facts: Mapping[str, Any], *, on: dt.date,
             vocab: Vocabulary = DEFAULT_VOCABULARY) -> Outcome:
    """Evaluate one (valid) condition for the facts of one elder on the day ``on``."""
    if not cond:
        return Outcome(True)
    (key, arg), = cond.items()
    if key == "all":
        parts = [evaluate(c, facts, on=on, vocab=vocab) for c in arg]
        false = [p for p in parts if p.value is False]
        if false:
            return Outcome(False, _dedupe(r for p in false for r in p.reasons))
        unknown = [p for p in parts if p.value is None]
        reasons = _dedupe(r for p in parts for r in p.reasons)
        if unknown:
            return Outcome(None, reasons, _dedupe(m for p in unknown for m in p.missing))
        return Outcome(True, reasons)
    if key == "any":
        parts = [evaluate(c, facts, on=on, vocab=vocab) for c in arg]
        true = [p for p in parts if p.value is True]
        if true:
            return Outcome(True, _dedupe(r for p in true for r in p.reasons))
        unknown = [p for p in parts if p.value is None]
        if unknown:
            return Outcome(None, _dedupe(r for p in unknown for r in p.reasons),
                           _dedupe(m for p in unknown for m in p.missing))
        return Outcome(False, _dedupe(r for p in parts for r in p.reasons))
    if key == "not":
        inner = evaluate(arg, facts, on=on, vocab=vocab)
        # The reasons state facts ("未满80周岁"), so they read right under a negation too.
        return Outcome(None if inner.value is None else not inner.value, inner.reasons, inner.missing)
    return _LEAF[key](arg, facts, on, vocab)


def _age(arg: Mapping[str, int], facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    age = age_on(facts["birth_date"], on)
    checks = []
    for op, n in arg.items():
        ok = _cmp(op, age, n)
        if op == ">=":
            checks.append((ok, f"年满{n}周岁（现{age}岁）" if ok else f"未满{n}周岁（现{age}岁）"))
        else:
            checks.append((ok, f"不超过{n}周岁（现{age}岁）" if ok else f"已超过{n}周岁（现{age}岁）"))
    value = all(ok for ok, _ in checks)
    return Outcome(value, [r for ok, r in checks if ok == value])


def _cmp(op: str, x: int, n: int) -> bool:
    return x >= n if op == ">=" else x <= n


def _hukou_local(arg: bool, facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    local = facts.get("hukou_local")
    if local is None:
        return Outcome(None, ["户籍情况未登记"], [MISSING_HUKOU])
    return Outcome(local == arg, ["为本地户籍" if local else "非本地户籍"])


def _in_region(code: str, prefixes: Sequence[str]) -> str | None:
    for p in prefixes:
        norm = normalize_code(p)
        if code.startswith(prefix_of(norm)):
            return norm
    return None


def _hukou_region(arg: Mapping[str, list[str]], facts: Mapping[str, Any], on: dt.date,
                  vocab: Vocabulary) -> Outcome:
    # The archive records 户籍 as 本地 / 非本地; a local 户籍 is taken to be where the elder lives.
    local = facts.get("hukou_local")
    if local is None:
        return Outcome(None, ["户籍情况未登记"], [MISSING_HUKOU])
    if not local:
        return Outcome(False, ["非本地户籍"])
    hit = _in_region(facts["region"], arg["in"])
    if hit:
        return Outcome(True, [f"户籍在{vocab.region(hit)}"])
    return Outcome(False, [f"户籍不在{_join((vocab.region(c) for c in arg['in']), '或')}"])


def _region(arg: Mapping[str, list[str]], facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    hit = _in_region(facts["region"], arg["in"])
    if hit:
        return Outcome(True, [f"居住在{vocab.region(hit)}"])
    return Outcome(False, [f"不居住在{_join((vocab.region(c) for c in arg['in']), '或')}"])


def categories_on(facts: Mapping[str, Any], on: dt.date) -> set[str]:
    """Recorded categories plus the derived 高龄 when 80 or older on ``on``."""
    cats = set(facts.get("categories") or ())
    cats.discard(ADVANCED_AGE)  # derived, never trusted from storage
    if age_on(facts["birth_date"], on) >= ADVANCED_AGE_YEARS:
        cats.add(ADVANCED_AGE)
    return cats


def _categories(arg: Mapping[str, list[str]], facts: Mapping[str, Any], on: dt.date,
                vocab: Vocabulary) -> Outcome:
    cats = categories_on(facts, on)

    def names(codes: Iterable[str]) -> str:
        return "、".join(vocab.category(c) for c in codes)

    value = True
    true_r: list[str] = []
    false_r: list[str] = []
    for op, codes in arg.items():
        present = [c for c in codes if c in cats]
        absent = [c for c in codes if c not in cats]
        if op == "any":
            (true_r if present else false_r).append(f"已登记为{names(present)}" if present else f"未登记为{names(codes)}")
            value = value and bool(present)
        elif op == "all":
            (false_r if absent else true_r).append(f"未登记为{names(absent)}" if absent else f"已登记为{names(codes)}")
            value = value and not absent
        else:  # none
            (false_r if present else true_r).append(f"已登记为{names(present)}" if present else f"未登记为{names(codes)}")
            value = value and not present
    return Outcome(value, true_r if value else false_r)


def _level(arg: Mapping[str, int], facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    level = facts.get("level")
    if level is None:
        return Outcome(None, ["尚未按GB/T 42195—2022评估能力等级"], [MISSING_LEVEL])
    now = f"能力评估为{level}级（{LEVEL_NAMES.get(level, '')}）"
    value = True
    parts_true: list[str] = []
    parts_false: list[str] = []
    for op, n in arg.items():
        ok = _cmp(op, level, n)
        if op == ">=":
            (parts_true if ok else parts_false).append(
                f"达到{n}级（{LEVEL_NAMES[n]}）及以上" if ok else f"未达到{n}级（{LEVEL_NAMES[n]}）")
        else:
            (parts_true if ok else parts_false).append(
                f"不高于{n}级（{LEVEL_NAMES[n]}）" if ok else f"高于{n}级（{LEVEL_NAMES[n]}）")
        value = value and ok
    return Outcome(value, [now + "，" + "，".join(parts_true if value else parts_false)])


def _living(arg: Mapping[str, list[str]], facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    living = facts.get("living_situation") or None
    if living is None:
        return Outcome(None, ["居住情况未登记"], [MISSING_LIVING])
    name = LIVING_NAMES.get(living, living)
    if living in arg["in"]:
        return Outcome(True, [f"居住情况为{name}"])
    return Outcome(False, [f"居住情况为{name}，不属于{_join((LIVING_NAMES.get(c, c) for c in arg['in']), '或')}"])


def economic_statuses(facts: Mapping[str, Any]) -> list[str]:
    cats = set(facts.get("categories") or ())
    return [s for s in ECONOMIC_STATUSES if s in cats]


def _economic(arg: Mapping[str, list[str]], facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    statuses = economic_statuses(facts)
    if not statuses:
        if facts.get("not_in_difficulty"):
            # A worker checked and recorded 非经济困难: a definite no.
            return Outcome(False, [f"经济状况为非经济困难，不属于{_join((ECONOMIC_NAMES[s] for s in arg['in']), '或')}"])
        # No 特困/低保/低保边缘/经济困难 recorded and not checked either: the archive does not
        # say the elder is not hard up, only that nobody has recorded it. (A region that wants
        # "not recorded = no" writes {"categories": {"any": [...]}} instead.)
        return Outcome(None, ["经济状况未知：尚未登记特困、低保、低保边缘或经济困难认定，也未核实为非经济困难"],
                       [MISSING_ECONOMIC])
    hit = [s for s in statuses if s in arg["in"]]
    if hit:
        return Outcome(True, [f"经济状况为{'、'.join(ECONOMIC_NAMES[s] for s in hit)}"])
    return Outcome(False, [f"经济状况为{'、'.join(ECONOMIC_NAMES[s] for s in statuses)}，"
                           f"不属于{_join((ECONOMIC_NAMES[s] for s in arg['in']), '或')}"])


def _available(arg: bool, facts: Mapping[str, Any], on: dt.date, vocab: Vocabulary) -> Outcome:
    return Outcome(True) if arg else Outcome(False, ["本地区暂未开展此项目"])


Leaf = Callable[[Any, Mapping[str, Any], dt.date, Vocabulary], Outcome]
_LEAF: dict[str, Leaf] = {
    "age": _age, "hukou_local": _hukou_local, "hukou_region": _hukou_region, "region": _region,
    "categories": _categories, "level": _level, "living_situation": _living, "economic": _economic,
    "available": _available,
}


# --------------------------------------------------------------------------- rules and benefits

def rule_in_effect(rule: Any, on: dt.date) -> bool:
    """``effective_from`` and ``effective_to`` are both inclusive; empty = open-ended."""
    return (rule.effective_from is None or rule.effective_from <= on) and (
        rule.effective_to is None or on <= rule.effective_to)


def scope_prefix(region_code: str) -> str:
    """'' (everywhere) or the significant prefix of a region node's code."""
    return prefix_of(normalize_code(region_code)) if region_code else ""


def rule_covers(rule: Any, region_code: str) -> bool:
    return region_code.startswith(scope_prefix(rule.region_code))


def select_rule(rules: Iterable[Any], region_code: str, on: dt.date) -> Any | None:
    """The rule that governs a benefit for an elder living in ``region_code`` on ``on``:
    among the rules in effect whose scope covers the region, the most specific scope wins
    (社区 over 街道 over 区 over 市 over everywhere); then the higher ``priority``; then
    the later ``effective_from``."""
    candidates = [r for r in rules if rule_covers(r, region_code) and rule_in_effect(r, on)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (len(scope_prefix(r.region_code)), r.priority,
                                          r.effective_from or dt.date.min))


def _no_rule_reason(rules: Sequence[Any], region_code: str, on: dt.date) -> str:
    local = [r for r in rules if rule_covers(r, region_code)]
    future = sorted(r.effective_from for r in local if r.effective_from and r.effective_from > on)
    if future:
        d = future[0]
        return f"本地区自{d.year}年{d.month}月{d.day}日起实施"
    if local:
        return "本地区该项目已停止实施"
    return "本地区暂未开展此项目"


_SELECT: Any = object()


def benefit_entitlement(benefit: Any, rules: Sequence[Any], facts: Mapping[str, Any], *, on: dt.date,
                        vocab: Vocabulary = DEFAULT_VOCABULARY, rule: Any = _SELECT) -> dict[str, Any]:
    """One benefit for one elder: ``{"benefit", "name", "status", "reason", "missing"}``
    (plus ``rule_id``, the governing rule, for the change log). ``rule`` may be given when
    the caller has already selected it for the elder's region."""
    out: dict[str, Any] = {"benefit": benefit.code, "name": benefit.name}
    if rule is _SELECT:
        rule = select_rule(rules, facts["region"], on)
    if rule is None:
        out.update(status=NOT, reason=_no_rule_reason(rules, facts["region"], on), missing=[])
        return out
    result = evaluate(rule.conditions or {}, facts, on=on, vocab=vocab)
    if result.value is True:
        out.update(status=ENTITLED, reason="且".join(result.reasons) or "所有老年人均可享受", missing=[])
    elif result.value is False:
        out.update(status=NOT, reason="；".join(result.reasons) or "不符合条件", missing=[])
    else:
        out.update(status=MAYBE, reason="；".join(result.reasons), missing=result.missing)
    out["rule_id"] = getattr(rule, "pk", None)
    return out


def entitlements_for(benefits: Sequence[Any], rules_by_benefit: Mapping[Any, Sequence[Any]],
                     facts: Mapping[str, Any], *, on: dt.date, vocab: Vocabulary = DEFAULT_VOCABULARY,
                     selected: dict[tuple[str, str], Any] | None = None) -> list[dict[str, Any]]:
    """Every benefit for one elder, in the benefits' order. ``rules_by_benefit`` is keyed by
    the benefit's code. ``selected``, when given, memoises the governing rule per (benefit,
    community) across the elders of one computation (all on the same day)."""
    out = []
    region = facts["region"]
    for b in benefits:
        rules = rules_by_benefit.get(b.code, ())
        if selected is None:
            out.append(benefit_entitlement(b, rules, facts, on=on, vocab=vocab))
            continue
        key = (b.code, region)
        if key not in selected:
            selected[key] = select_rule(rules, region, on)
        out.append(benefit_entitlement(b, rules, facts, on=on, vocab=vocab, rule=selected[key]))
    return out


# --------------------------------------------------------------------------- description

def describe(cond: Any, vocab: Vocabulary = DEFAULT_VOCABULARY) -> str:
    """The condition in plain Chinese, for the policy list and the admin."""
    if not cond:
        return "所有老年人"
    (key, arg), = cond.items()
    if key in ("all", "any"):
        if not arg:
            return "所有老年人" if key == "all" else "无人符合"
        parts = [describe(c, vocab) for c in arg]
        parts = [f"（{p}）" if len(c) == 1 and next(iter(c)) in ("all", "any") and len(arg) > 1 else p
                 for p, c in zip(parts, arg, strict=True)]
        return "，且".join(parts) if key == "all" else "，或".join(parts)
    if key == "not":
        return f"不满足：{describe(arg, vocab)}"
    if key == "age":
        lo, hi = arg.get(">="), arg.get("<=")
        if lo is not None and hi is not None:
            return f"{lo}至{hi}周岁"
        return f"年满{lo}周岁" if lo is not None else f"不超过{hi}周岁"
    if key == "level":
        lo, hi = arg.get(">="), arg.get("<=")
        if lo is not None and hi is not None:
            return f"能力评估为{lo}至{hi}级"
        if lo is not None:
            return f"能力评估为{lo}级（{LEVEL_NAMES[lo]}）及以上"
        return f"能力评估为{hi}级（{LEVEL_NAMES[hi]}）及以下"
    if key == "hukou_local":
        return "本地户籍" if arg else "非本地户籍"
    if key == "hukou_region":
        return f"户籍在{_join((vocab.region(c) for c in arg['in']), '或')}"
    if key == "region":
        return f"居住在{_join((vocab.region(c) for c in arg['in']), '或')}"
    if key == "categories":
        parts = []
        for op, codes in arg.items():
            names = [vocab.category(c) for c in codes]
            if op == "any":
                parts.append(f"属于{_join(names, '或')}" if len(names) > 1 else f"属于{names[0]}")
            elif op == "all":
                parts.append(f"同时属于{_join(names, '和')}")
            else:
                parts.append(f"不属于{_join(names, '或')}")
        return "，且".join(parts)
    if key == "living_situation":
        return f"{_join((LIVING_NAMES[c] for c in arg['in']), '或')}"
    if key == "economic":
        return f"{_join((ECONOMIC_NAMES[c] for c in arg['in']), '或')}老年人"
    if key == "available":
        return "所有老年人" if arg else "本地区暂未开展"
    return str(cond)
