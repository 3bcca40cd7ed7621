"""Checking answers against one questionnaire version: pure functions, no writes.

``clean_answers`` is the one place that decides whether answers are acceptable; the
service, the form page and the demo's tests all use it. Messages are plain Chinese, keyed
by question code, for the worker holding the phone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yiyang.core.text import clip
from yiyang.surveys.models import TEXT_MAX_LENGTH, NeedTag, Question, Questionnaire

ECHO_MAX = 20  # an unknown option is quoted back in a message at most this long

YES_VALUES = {True, "yes", "是", "true", "1"}
NO_VALUES = {False, "no", "否", "false", "0"}


@dataclass
class CleanAnswers:
    answers: dict[str, Any] = field(default_factory=dict)  # question code → normalised value
    need_tags: list[str] = field(default_factory=list)  # tag codes, in the tags' display order
    errors: dict[str, list[str]] = field(default_factory=dict)


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    """The questions with options and tags, from the prefetch when present (see
    ``selectors.questionnaire_detail``)."""
    return list(questionnaire.questions.all())


def clean_answers(questionnaire: Questionnaire, answers: Any) -> CleanAnswers:
    """Validate ``answers`` ({question code: value}) against ``questionnaire``.

    Values: single choice → an option code; multiple choice → a list of option codes (one
    code alone is accepted); yes/no → ``true``/``false`` or ``"yes"``/``"no"`` (stored as
    the option code); free text → a string. Empty values of optional questions are dropped.
    """
    result = CleanAnswers()
    if not isinstance(answers, dict):
        result.errors["answers"] = ["回答的格式有误，应为“问题代码: 回答”的对应表"]
        return result
    questions = questions_of(questionnaire)
    by_code = {q.code: q for q in questions}
    for code in answers:
        if code not in by_code:
            result.errors.setdefault(str(code), []).append("问卷中没有这个问题")
    tag_codes: set[str] = set()
    for q in questions:
        value = answers.get(q.code)
        clean, tags, error = _clean_one(q, value)
        if error:
            result.errors.setdefault(q.code, []).append(error)
        elif clean is not None:
            result.answers[q.code] = clean
            tag_codes |= tags
    if not result.errors:
        result.need_tags = sort_tag_codes(tag_codes)
    return result


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list | tuple) and len(value) == 0)


def _clean_one(q: Question, value: Any) -> tuple[Any, set[str], str]:
    """(clean value or None when unanswered, tag codes, error message or "")."""
    if _is_empty(value):
        if not q.required:
            return None, set(), ""
        return None, set(), "请至少选一项" if q.kind == Question.Kind.MULTIPLE else (
            "请填写这个问题" if q.kind == Question.Kind.TEXT else "请回答这个问题")
    options = {o.code: o for o in q.options.all()}
    if q.kind == Question.Kind.TEXT:
        if not isinstance(value, str):
            return None, set(), "请填写文字"
        text = value.strip()
        if len(text) > TEXT_MAX_LENGTH:
            return None, set(), f"请控制在{TEXT_MAX_LENGTH}字以内（现在{len(text)}字）"
        return text, set(), ""
    if q.kind == Question.Kind.YES_NO:
        key = value.strip().lower() if isinstance(value, str) else value
        if not isinstance(key, bool | str) or (key not in YES_VALUES and key not in NO_VALUES):
            return None, set(), "请选择“是”或“否”"
        code = "yes" if key in YES_VALUES else "no"
        return code, _tags(options.get(code)), ""
    if q.kind == Question.Kind.SINGLE:
        if not isinstance(value, str):
            return None, set(), "请选择一个选项"
        option = options.get(value.strip())
        if option is None:
            return None, set(), f"没有“{clip(value, ECHO_MAX)}”这个选项"
        return option.code, _tags(option), ""
    # multiple choice
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        return None, set(), "请选择选项"
    chosen = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not chosen:
        return (None, set(), "") if not q.required else (None, set(), "请至少选一项")
    unknown = [v for v in chosen if v not in options]
    if unknown:
        return None, set(), clip("没有" + "、".join(f"“{clip(v, ECHO_MAX)}”" for v in unknown[:5]), ECHO_MAX * 6) + "这个选项"
    exclusive = [options[v] for v in chosen if options[v].exclusive]
    if exclusive and len(chosen) > 1:
        return None, set(), f"“{exclusive[0].text}”不能和其他选项同时选"
    order = {code: n for n, code in enumerate(options)}
    chosen.sort(key=order.__getitem__)
    tags: set[str] = set()
    for v in chosen:
        tags |= _tags(options[v])
    return chosen, tags, ""


def _tags(option: Any) -> set[str]:
    return {t.code for t in option.need_tags.all()} if option is not None else set()


def sort_tag_codes(codes: set[str] | list[str]) -> list[str]:
    """Tag codes in their display order (``NeedTag.sort_order``); unknown codes last."""
    order = {code: n for n, code in enumerate(NeedTag.objects.order_by("sort_order", "code")
                                              .values_list("code", flat=True))}
    return sorted(set(codes), key=lambda c: (order.get(c, len(order)), c))


def check_structure(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """Problems that keep a version from being published, keyed by question code
    ("问卷" for the whole). Empty when it can be published."""
    problems: dict[str, list[str]] = {}
    questions = questions_of(questionnaire)
    if not questions:
        problems.setdefault("问卷", []).append("问卷还没有任何问题")
    for q in questions:
        options = list(q.options.all())
        codes = {o.code for o in options}
        if q.kind == Question.Kind.TEXT and options:
            problems.setdefault(q.code, []).append(f"“{q.text}”是文字题，不应有选项")
        elif q.kind == Question.Kind.YES_NO and codes != {"yes", "no"}:
            problems.setdefault(q.code, []).append(f"“{q.text}”是是否题，须有且只有代码为 yes 和 no 的两个选项")
        elif q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and len(options) < 2:
            problems.setdefault(q.code, []).append(f"“{q.text}”至少需要两个选项")
        if q.kind == Question.Kind.SINGLE and any(o.exclusive for o in options):
            problems.setdefault(q.code, []).append(f"“{q.text}”是单选题，不需要标记互斥选项")
        if q.kind == Question.Kind.MULTIPLE and q.required and all(o.exclusive for o in options):
            problems.setdefault(q.code, []).append(f"“{q.text}”的选项不能全部互斥")
        if not q.section.strip():
            problems.setdefault(q.code, []).append(f"“{q.text}”没有填写分组")
        inactive = sorted({t.name for o in options for t in o.need_tags.all() if not t.active})
        if inactive:
            problems.setdefault(q.code, []).append(f"“{q.text}”引用了已停用的需求标签：{'、'.join(inactive)}")
    return problems
