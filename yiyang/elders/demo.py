"""Demo elders: N invented elders written through the real import path (validation,
encryption, blind index, events — so every subscriber reacts as to a bureau's file), and a
few consent records written through the service like a worker would."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.registry import DemoContext
from yiyang.core.synthetic import HEADER, synthetic_elder_rows
from yiyang.elders import services
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Consent, Elder
from yiyang.regions.models import Region


def demo_build(ctx: DemoContext) -> str:
    if ctx.elders <= 0:
        return "老年人：未生成"
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="440304")
                       .select_related("parent").order_by("code"))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    writer.writerows(synthetic_elder_rows(
        ctx.elders, seed=ctx.seed, communities=[(c.code, c.parent.name if c.parent else "") for c in communities],
        today=timezone.localdate()))
    report = elders_import(actor=None, data=buf.getvalue().encode(), file_name="福田区演示老年人.csv", source="demo")
    if not report.committed:
        raise RuntimeError(f"demo import failed: {[str(e) for e in report.errors[:5]]}")
    worker = User.objects.get(username=f"worker_{communities[0].code}")
    for elder in Elder.objects.filter(region=communities[0]).order_by("name")[:10]:
        services.consent_grant(actor=worker, elder=elder, purpose=Consent.Purpose.REGISTRATION,
                               granted_by=elder.name, evidence="纸质签字单")
    return f"老年人：{report.valid} 位（经导入流程写入），10 份授权同意"
