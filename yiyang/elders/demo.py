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
    located = _demo_home_positions(communities, seed=ctx.seed)
    worker = User.objects.get(username=f"worker_{communities[0].code}")
    for elder in Elder.objects.filter(region=communities[0]).order_by("name")[:10]:
        services.consent_grant(actor=worker, elder=elder, purpose=Consent.Purpose.REGISTRATION,
                               granted_by=elder.name, evidence="纸质签字单")
    return f"老年人：{report.valid} 位（经导入流程写入），{located} 位已定位住址，10 份授权同意"


# 福田区 lies within about 22.51–22.59 N, 114.00–114.10 E. Each invented community gets an
# invented centre there, and its elders homes within ≈ 500 m of it (9 in 10 located: the
# rest are for the "not located yet" case).
FUTIAN_BOX = ((22.515, 22.580), (114.005, 114.090))


def _demo_home_positions(communities: list[Region], *, seed: int) -> int:
    import random

    from yiyang.core import geo, pii
    from yiyang.elders.location import POSITION_CTX

    rng = random.Random(seed + 7)
    now = timezone.now()
    rows = []
    for community in communities:
        c_lat = rng.uniform(*FUTIAN_BOX[0])
        c_lon = rng.uniform(*FUTIAN_BOX[1])
        # The invented centre is the community's too (matching's fallback for the unlocated).
        Region.objects.filter(pk=community.pk).update(centre_latitude=round(c_lat, 6), centre_longitude=round(c_lon, 6))
        for elder in Elder.objects.filter(region=community).only("pk").order_by("pk"):
            if rng.random() < 0.1:
                continue
            lat, lon = c_lat + rng.gauss(0, 0.0022), c_lon + rng.gauss(0, 0.0024)
            elder.home_position_enc = pii.encrypt(f"{lat:.6f},{lon:.6f}", POSITION_CTX)
            elder.home_cell = geo.cell_of(lat, lon)
            elder.home_located_at = now
            rows.append(elder)
    Elder.objects.bulk_update(rows, ["home_position_enc", "home_cell", "home_located_at"], batch_size=500)
    return len(rows)
