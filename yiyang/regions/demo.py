"""Demo regions: 深圳市福田区, its ten real streets and invented communities (shipped CSV)."""

from __future__ import annotations

from pathlib import Path

from yiyang.core.registry import DemoContext
from yiyang.regions.models import Region
from yiyang.regions.services import region_tree_load_csv

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "futian_demo.csv"
DISTRICT = "440304000000"
CITY = "440300000000"


def demo_build(ctx: DemoContext) -> str:
    region_tree_load_csv(text=REGIONS_CSV.read_text(encoding="utf-8"), version="2023-demo",
                         source="福田区演示数据（社区为虚构）")
    n = Region.objects.filter(code__startswith="440304", level=Region.Level.COMMUNITY).count()
    return f"区划：福田区 10 个街道、{n} 个社区"
