"""身份证号 and phone rules (domain/reference.md §1), edge by edge."""

import datetime as dt

import pytest

from yiyang.core.identifiers import IdentifierError, id_check_char, normalize_phone, parse_id_number

TODAY = dt.date(2026, 11, 23)


def valid(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_check_character_matches_the_standard_example():
    # GB 11643 worked example: 11010519491231002 → X
    assert id_check_char("11010519491231002") == "X"
    assert parse_id_number("11010519491231002X", today=TODAY).value == "11010519491231002X"


def test_lower_case_x_is_accepted_and_stored_upper_case():
    assert parse_id_number("11010519491231002x", today=TODAY).value == "11010519491231002X"


def test_birth_date_and_sex_are_derived():
    man = parse_id_number(valid("44030419450308001"), today=TODAY)
    woman = parse_id_number(valid("44030419450308002"), today=TODAY)
    assert man.birth_date == dt.date(1945, 3, 8) and man.sex == "M"
    assert woman.sex == "F"
    assert man.age_on(dt.date(2025, 3, 7)) == 79
    assert man.age_on(dt.date(2025, 3, 8)) == 80


def test_wrong_check_digit_is_rejected_in_plain_chinese():
    good = valid("44030419450308001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(IdentifierError, match="最后一位（校验位）与前17位对不上"):
        parse_id_number(bad, today=TODAY)


@pytest.mark.parametrize("first17", ["44030419450230001", "44030419451301001", "44030419450000001"])
def test_impossible_dates_are_rejected(first17):
    with pytest.raises(IdentifierError, match="不是真实日期"):
        parse_id_number(valid(first17), today=TODAY)


def test_leap_day_is_a_real_date():
    assert parse_id_number(valid("44030419480229001"), today=TODAY).birth_date == dt.date(1948, 2, 29)


def test_future_birth_date_is_rejected():
    with pytest.raises(IdentifierError, match="晚于今天"):
        parse_id_number(valid("44030420270101001"), today=TODAY)


def test_fifteen_digit_numbers_are_converted():
    result = parse_id_number("440304450308001", today=TODAY)
    assert result.value == valid("44030419450308001")
    assert result.birth_date == dt.date(1945, 3, 8)
    assert result.sex == "M"


@pytest.mark.parametrize("raw,message", [
    ("", "不能为空"),
    ("4403041945", "应为18位"),
    ("44030419450308001A", "最后一位可以是X"),
    ("4403041945X308001X", "只能由数字组成"),
    ("44030445030800A", "15位身份证号只能由数字组成"),
])
def test_malformed_numbers(raw, message):
    with pytest.raises(IdentifierError, match=message):
        parse_id_number(raw, today=TODAY)


def test_unknown_address_code_is_not_rejected():
    assert parse_id_number(valid("99999919450308001"), today=TODAY)


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("0755-83331234", "0755-83331234"),
    ("075583331234", "0755-83331234"),
    ("01062345678", "010-62345678"),
])
def test_valid_phones(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "abc", "0755-123"])
def test_invalid_phones(raw):
    with pytest.raises(IdentifierError):
        normalize_phone(raw)


def test_service_numbers_only_for_organisations():
    with pytest.raises(IdentifierError, match="只能用于机构"):
        normalize_phone("12349")
    assert normalize_phone("12349", organisation=True) == "12349"
