"""Demo entitlements: the statuses of every demo elder, computed in bulk after the
assessments exist.

The baseline is computed as of 30 days ago, then the nightly refresh is run for today: the
elders who turned 60, 65 or 80 in the last month (and so became entitled to 高龄津贴, 健康
管理…) appear on the "新近可享受" page with real reasons, as they would in production.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yiyang.core.registry import DemoContext
from yiyang.elders.models import Elder
from yiyang.entitlements.models import Status
from yiyang.entitlements.services import entitlements_refresh

LOOKBACK_DAYS = 30


@transaction.atomic
def demo_build(ctx: DemoContext) -> str:
    """The result is determined by the elders, their assessments and the rules."""
    today = timezone.localdate()
    elders = Elder.objects.filter(active=True)
    entitlements_refresh(elders=elders, cause="date", on=today - dt.timedelta(days=LOOKBACK_DAYS))
    now = entitlements_refresh(elders=elders, cause="date", on=today)
    c = now.counts
    return (f"政策享受：{now.elders} 位老年人 × {now.computed // max(now.elders, 1)} 项，"
            f"可享受 {c[Status.ENTITLED]}、可能符合 {c[Status.MAYBE]}、不符合 {c[Status.NOT]} 项次；"
            f"近{LOOKBACK_DAYS}天到龄等变化 {now.changes} 项（新增可享受 {now.newly_entitled} 项）")
