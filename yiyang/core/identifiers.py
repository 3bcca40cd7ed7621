"""Chinese identifiers (domain/reference.md §1): 居民身份证号 and phone numbers.

Pure functions, no database: used by forms, the API, the importer and the demo alike,
so a number is judged the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from operator import mul

from django.utils import timezone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class IdentifierError(ValueError):
    """Its message is plain Chinese, ready to show a user."""


def id_check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError(f"id_check_char needs the first 17 characters, got {len(first17)}")
    # The importer computes this for every row of a million-row file: for ASCII digits,
    # weigh the bytes themselves (code point - 48 is the digit) instead of calling int()
    # on each character — the same sum, a fraction of the time.
    if first17.isascii() and first17.isdigit():
        return _CHECK[(sum(map(mul, first17.encode(), _WEIGHTS)) - _ASCII_ZERO_SUM) % 11]
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


_ASCII_ZERO_SUM = 48 * sum(_WEIGHTS)


@dataclass(frozen=True)
class IdNumber:
    value: str  # 18 characters, upper-case X
    birth_date: dt.date
    sex: str  # "M" / "F"

    def age_on(self, day: dt.date) -> int:
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate a 居民身份证号 (GB 11643—1999); convert 15-digit numbers to 18.

    Raises IdentifierError with the reason in plain Chinese.
    """
    value = (raw or "").strip().replace(" ", "").upper()
    if not value:
        raise IdentifierError("不能为空")
    if len(value) == 15:
        if not value.isdigit():
            raise IdentifierError("15位身份证号只能由数字组成")
        first17 = value[:6] + "19" + value[6:]
        value = first17 + id_check_char(first17)
        converted = True
    elif len(value) == 18:
        if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
            raise IdentifierError("只能由数字组成，最后一位可以是X")
        converted = False
    else:
        raise IdentifierError(f"应为18位（或旧式15位），现为{len(value)}位")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdentifierError(f"出生日期{value[6:10]}-{value[10:12]}-{value[12:14]}不是真实日期") from None
    today = today or timezone.localdate()
    if birth > today:
        raise IdentifierError("出生日期晚于今天")
    if birth.year < 1880:
        raise IdentifierError("出生年份早于1880年")
    if not converted and id_check_char(value[:17]) != value[17]:
        raise IdentifierError("最后一位（校验位）与前17位对不上，请核对身份证号是否抄错")
    return IdNumber(value=value, birth_date=birth, sex="M" if int(value[16]) % 2 else "F")


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_SERVICE = re.compile(r"^(12349|12345|110|120|119|95\d{3,6}|96\d{3,6}|400-?\d{3}-?\d{4}|800-?\d{3}-?\d{4})$")


def normalize_phone(raw: str, *, organisation: bool = False) -> str:
    """Return the phone in canonical form (mobile 11 digits; landline ``0755-12345678``).

    Short service numbers (12349, 95xxx, 400…) are valid for organisations only.
    """
    value = (raw or "").strip().replace(" ", "").replace("—", "-").replace("－", "-")
    if value.startswith("+86"):
        value = value[3:]
    if _MOBILE.match(value):
        return value
    if _LANDLINE.match(value):
        if "-" in value:
            return value
        # 010/02x are 3-digit area codes; the rest have 4.
        area = 3 if value[1] in "12" else 4
        return value[:area] + "-" + value[area:]
    if _SERVICE.match(value):
        if organisation:
            return value
        raise IdentifierError("服务热线号码只能用于机构，不能作为个人电话")
    raise IdentifierError("不是有效的手机号（11位，以13–19开头）或固定电话（区号-号码）")


# -- personal names --------------------------------------------------------------------------

# Han characters of every block Unicode (and so GB 18030—2022) has: the URO, extension A, the
# compatibility ideographs and extensions B–I in the supplementary planes. A name such as 王𬌗
# (U+2C317, extension E) is a real person's name; refusing it refuses the person.
_HAN = (
    "\u3007"  # 〇, a numeral used as a character in some names
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002ebf0-\U0002ee5f"
    "\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
# The separator of minority and foreign names (阿沛·阿旺晋美). The standard one is U+00B7;
# input methods and copied text give the others.
NAME_SEPARATOR = "·"
_SEPARATORS = "·•・‧･∙⋅●"
_SEPARATOR_RE = re.compile(rf"\s*[{_SEPARATORS}]\s*")
_SPACES_RE = re.compile(r"\s+")
_NAME_RE = re.compile(rf"^[{_HAN}A-Za-z](?:[{_HAN}A-Za-z ]|·(?=[{_HAN}A-Za-z]))*$")
PERSON_NAME_MAX = 50


def normalize_person_name(raw: str, *, max_length: int = PERSON_NAME_MAX) -> str:
    """A person's name as stored: surrounding space trimmed, runs of space made one, and every
    middle-dot separator (``·`` ``•`` ``・`` …, with any space around it) made ``·``.

    Accepts Han characters of every block (extensions B–I included), Latin letters, spaces
    and separators between parts. Raises IdentifierError with the reason in plain Chinese.
    """
    value = _SPACES_RE.sub(" ", (raw or "").strip())
    value = _SEPARATOR_RE.sub(NAME_SEPARATOR, value)
    if not value:
        raise IdentifierError("不能为空")
    if len(value) > max_length:
        raise IdentifierError(f"最长{max_length}个字（现在{len(value)}个）")
    if not _NAME_RE.match(value):
        if value[0] == NAME_SEPARATOR or value[-1] == NAME_SEPARATOR or NAME_SEPARATOR * 2 in value:
            raise IdentifierError("间隔号“·”只能用在两部分姓名之间")
        raise IdentifierError("只能包含汉字、字母和间隔号“·”")
    return value
