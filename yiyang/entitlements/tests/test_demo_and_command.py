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


def test_demo_builds_last_months_approved_round_and_this_months_draft(superuser):
    from tests import factories
    from yiyang.entitlements.models import PaymentRound, PaymentRoundChange
    from yiyang.entitlements.payments import month_start

    factories.make_user("street_admin_440304006", "street_admin", "440304006000")
    factories.make_user("district_admin", "district_admin", "440304000000")
    for years in (81, 83, 86, 90):
        elder_aged(superuser, years, region_code=factories.COMMUNITY_A)
    elder_aged(superuser, 88, region_code=factories.COMMUNITY_B)  # 莲花街道: not in the round
    summary = demo_build(DemoContext(seed=2026, elders=0))
    assert "发放批次：梅林街道高龄津贴" in summary
    today = timezone.localdate()
    last, this = PaymentRound.objects.order_by("month")
    assert (last.status, last.drafted_by.username, last.approved_by.username) == (
        "approved", "street_admin_440304006", "district_admin")
    assert last.month == (month_start(today) - dt.timedelta(days=1)).replace(day=1) and last.count == 4
    assert last.approved_at < timezone.now() - dt.timedelta(days=1)  # approved last month
    assert (this.status, this.month, this.previous) == ("draft", month_start(today), last)
    left = {c.cause: c.reason for c in PaymentRoundChange.objects.filter(round=this, kind="left")}
    assert left["deactivated"] == "档案注销：已故" and left["moved_out"].startswith("迁出本区划")
    joined = PaymentRoundChange.objects.filter(round=this, kind="joined")
    assert joined.count() == 2 and all("年满80周岁" in c.reason for c in joined)
    assert this.count == 4  # 4 − 2 + 2
