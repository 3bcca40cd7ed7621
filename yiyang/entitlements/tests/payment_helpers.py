"""Builders shared by the payment-list and payment-round tests (test_payments_*.py)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests import factories
from yiyang.accounts.models import Role
from yiyang.elders.tests.test_api import Api, token_for
from yiyang.entitlements.tests.helpers import elder_aged

STREET = "440304006000"  # 梅林街道: COMMUNITY_A and COMMUNITY_A2
AGE = "advanced_age_allowance"
CARE = "disability_care_subsidy"


@pytest.fixture
def community_admin(tree):
    """A community's administrator (梅京社区): sees, exports and drafts their community's list."""
    return factories.make_user("community_a", Role.COMMUNITY_ADMIN, factories.COMMUNITY_A, full_name="梅京社区管理员")


@pytest.fixture
def point_lead(tree):
    return factories.make_user("lead_a", Role.POINT_LEAD, factories.COMMUNITY_A, full_name="梅京点负责人")


@pytest.fixture
def street_admin2(tree):
    """A second administrator of the same street: the four-eyes partner."""
    return factories.make_user("street_a2", Role.STREET_ADMIN, STREET, full_name="梅林复核员")


@pytest.fixture
def people(superuser) -> dict[str, Any]:
    """Elders of the small tree, by a short key. 高龄津贴 needs 80+ and 本地户籍. Names that sort
    the same under any collation (a prefix first)."""
    return {
        "a1": elder_aged(superuser, 82, name="王秀"),
        "a2": elder_aged(superuser, 91, name="王秀英"),
        "a_young": elder_aged(superuser, 70, name="王秀兰"),
        "a_hukou": elder_aged(superuser, 85, name="王秀芳", hukou_local=False),
        "a2_1": elder_aged(superuser, 84, region_code=factories.COMMUNITY_A2, name="李桂"),
        "b1": elder_aged(superuser, 88, region_code=factories.COMMUNITY_B, name="赵明"),
        "other": elder_aged(superuser, 90, region_code=factories.COMMUNITY_OTHER_DISTRICT, name="孙丽"),
    }


def api_for(user) -> Api:
    return Api(token_for(user.username).json()["token"])


def names(resp) -> list[str]:
    return [i["name"] for i in resp.json()["items"]]


def sheet_rows(content: bytes, sheet: int = 0) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]


def last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
