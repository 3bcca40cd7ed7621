"""The demo builder and the nightly command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from yiyang.core.registry import DemoContext
from yiyang.entitlements.demo import demo_build
from yiyang.entitlements.models import EntitlementChange, EntitlementStatus
from yiyang.entitlements.tests.helpers import elder_aged


def test_demo_build_computes_everyone_and_finds_last_month_birthdays(superuser):
    turned_80 = elder_aged(superuser, 80, days_after_birthday=10)
    old = elder_aged(superuser, 85)
    EntitlementStatus.objects.all().delete()  # as after the demo's bulk import: nothing computed yet
    summary = demo_build(DemoContext(seed=2026, elders=0))
    assert summary.startswith("政策享受：2 位老年人 × 11 项")
    assert "新增可享受" in summary
    assert EntitlementStatus.objects.filter(elder=old).count() == 11
    assert EntitlementChange.objects.filter(elder=turned_80, benefit__code="advanced_age_allowance",
                                            from_status="not", to_status="entitled", cause="date").exists()
    assert not EntitlementChange.objects.filter(elder=old).exists()


def test_nightly_command(superuser):
    e = elder_aged(superuser, 80, days_after_birthday=-3)
    out = io.StringIO()
    call_command("entitlements_refresh", "--date", (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                 stdout=out)
    assert "已重新计算 1 位老年人" in out.getvalue()
    assert EntitlementChange.objects.filter(elder=e, benefit__code="advanced_age_allowance", cause="date").exists()
    with pytest.raises(CommandError, match="日期格式"):
        call_command("entitlements_refresh", "--date", "2026-13-01")
