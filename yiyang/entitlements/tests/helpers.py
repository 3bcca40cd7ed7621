"""Builders shared by the entitlement tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from tests import factories
from yiyang.assessments.models import Assessment
from yiyang.core.identifiers import id_check_char

_seq = itertools.count(1)


def born(years: int, *, days_after_birthday: int = 31, today: dt.date | None = None) -> dt.date:
    """A birth date that makes someone ``years`` old today, the birthday ``days_after_birthday`` ago
    (negative: the birthday is still ahead, so they are ``years`` - 1)."""
    today = today or timezone.localdate()
    anchor = today - dt.timedelta(days=days_after_birthday)
    try:
        return anchor.replace(year=anchor.year - years)
    except ValueError:  # 29 February
        return anchor.replace(year=anchor.year - years, day=28)


def id_number_born(birth: dt.date) -> str:
    """A valid ID number with exactly this birth date (tests.factories shifts the date after
    500 numbers; the birthday tests need it exact). Unique within a test run."""
    n = next(_seq)
    first17 = f"44{n // 1000 % 100:02d}04{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def elder_aged(actor, years: int, *, region_code: str = factories.COMMUNITY_A, days_after_birthday: int = 31,
               **overrides):
    birth = born(years, days_after_birthday=days_after_birthday)
    overrides.setdefault("categories", [])
    elder = factories.make_elder(actor, region_code=region_code, id_number=id_number_born(birth), **overrides)
    factories.run_worker()  # the registration's event reaches entitlements through the worker
    return elder


def confirm_level(elder, level: int, *, assessed_on: dt.date | None = None) -> Assessment:
    """A confirmed GB/T 42195 result written directly (the assessment workflow has its own tests)."""
    return Assessment.objects.create(
        elder=elder, region_code=elder.region_id, number=f"T-{next(_seq):06d}", status=Assessment.Status.CONFIRMED,
        assessed_on=assessed_on or timezone.localdate(), level=level, preliminary_level=level,
        confirmed_at=timezone.now(),
    )
