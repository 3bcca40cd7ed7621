"""Personal names as people have them (issue 7 A.14) and bounded text (A.8): pure functions,
plus the event log's own guard against copying an unbounded text."""

from __future__ import annotations

import pytest

from yiyang.core.events import event_record
from yiyang.core.exceptions import FieldErrors
from yiyang.core.identifiers import IdentifierError, normalize_person_name
from yiyang.core.models import Event
from yiyang.core.text import EVENT_TEXT_MAX, clip_payload, purpose_clean, too_long


@pytest.mark.parametrize("name", [
    "王秀英", "王𬌗",  # U+2C317, CJK extension E
    "𠀀", "𪜀", "𫝀", "𫠠", "𬺰", "𰀀", "𱍐",  # the first character of extensions B, C, D, E, F, G, H
    "龘", "㐀",  # the end of the URO, extension A
    "\U0002f800",  # a compatibility ideograph of the supplement
    "王〇", "John Smith", "阿沛·阿旺晋美",
])
def test_han_characters_of_every_block_and_latin_names_are_names(name):
    assert normalize_person_name(name) == name


@pytest.mark.parametrize("typed,stored", [
    ("阿依古丽·买买提", "阿依古丽·买买提"),  # U+00B7, the standard separator
    ("阿依古丽•买买提", "阿依古丽·买买提"),  # U+2022 bullet
    ("阿依古丽・买买提", "阿依古丽·买买提"),  # U+30FB katakana middle dot (Japanese IMEs, copied text)
    ("阿依古丽‧买买提", "阿依古丽·买买提"),  # U+2027 hyphenation point
    ("阿依古丽･买买提", "阿依古丽·买买提"),  # U+FF65 half-width katakana middle dot
    ("阿依古丽 · 买买提", "阿依古丽·买买提"),  # spaces around it
    ("  王   秀英 ", "王 秀英"),
    ("爱新觉罗·溥•仪", "爱新觉罗·溥·仪"),
])
def test_separators_of_minority_names_are_normalised(typed, stored):
    assert normalize_person_name(typed) == stored


@pytest.mark.parametrize("raw,message", [
    ("", "不能为空"), ("   ", "不能为空"),
    ("·王", "间隔号“·”只能用在两部分姓名之间"), ("王·", "间隔号“·”只能用在两部分姓名之间"),
    ("王··秀", "间隔号“·”只能用在两部分姓名之间"),
    ("王2", "只能包含汉字、字母和间隔号“·”"), ("王😀", "只能包含汉字、字母和间隔号“·”"),
    ("王-秀", "只能包含汉字、字母和间隔号“·”"), ("ｗａｎｇ", "只能包含汉字、字母和间隔号“·”"),
    ("王" * 51, "最长50个字（现在51个）"),
])
def test_what_is_not_a_name_is_refused_in_plain_chinese(raw, message):
    with pytest.raises(IdentifierError) as exc:
        normalize_person_name(raw)
    assert str(exc.value) == message


def test_length_counts_characters_not_code_units():
    assert normalize_person_name("𬌗" * 50) == "𬌗" * 50  # 50 characters, 100 UTF-16 code units


def test_too_long_and_clip_payload():
    assert too_long("一二三", 3) is None and too_long("一二三四", 3) == "最长3字（现在4字）"
    clipped = clip_payload({"a": "x" * 10, "b": ["y" * 10, 3], "c": {"d": "z" * 2}}, 5)
    assert clipped == {"a": "xxxx…", "b": ["yyyy…", 3], "c": {"d": "zz"}}


def test_a_purpose_is_two_to_two_hundred_characters():
    assert purpose_clean("  电话回访 ") == "电话回访"
    for bad in ("", " ", "查", "由" * 201):
        with pytest.raises(FieldErrors):
            purpose_clean(bad)
    with pytest.raises(FieldErrors) as exc:
        purpose_clean("", action="导出", example="转交评估结果")
    assert exc.value.errors == {"purpose": ["请填写导出事由（例如：转交评估结果）"]}


def test_an_event_never_holds_an_unbounded_text(db):
    event = event_record(type="elder.updated", payload={"changes": {"备注": {"from": "", "to": "备" * 5_000_000}}})
    stored = Event.objects.get(pk=event.pk).payload["changes"]["备注"]["to"]
    assert len(stored) == EVENT_TEXT_MAX and stored.endswith("…")
