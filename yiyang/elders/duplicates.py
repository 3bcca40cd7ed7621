"""Suspected duplicates (issue 7, B.3): the same person registered twice under a mistyped ID
number. Two archives are suspects when, in the same street, they have the same name and birth
date, or the same name and phone. Compared through keyed hashes (blind indexes, like
``id_number_bidx``): the keys hold no plain value, and phones are never compared in plain."""

from __future__ import annotations

import datetime as dt

from yiyang.core import pii

NAME_BIRTH_CTX = "elder.match_name_birth"
NAME_PHONE_CTX = "elder.match_name_phone"
REASON_NAME_BIRTH = "同名且出生日期相同"
REASON_NAME_PHONE = "同名且联系电话相同"


def street_of(region_code: str) -> str:
    return region_code[:9]


def match_keys(*, name: str, birth_date: dt.date | None, phone: str, region_code: str) -> tuple[str, str]:
    """(name + birth date key, name + phone key) within the street; "" where a part is missing."""
    name = "".join(name.split())
    if not name or not region_code:
        return "", ""
    street = street_of(region_code)
    by_birth = pii.blind_index(f"{street}|{name}|{birth_date:%Y%m%d}", NAME_BIRTH_CTX) if birth_date else None
    by_phone = pii.blind_index(f"{street}|{name}|{phone}", NAME_PHONE_CTX) if phone else None
    return by_birth or "", by_phone or ""
