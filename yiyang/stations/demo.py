"""Demo service points: a 养老服务专员工作点 per street and a 养老顾问点 per community, each with
its lead (the street administrator, the community's worker)."""

from __future__ import annotations

from yiyang.accounts.models import User
from yiyang.core.registry import DemoContext
from yiyang.regions.models import Region
from yiyang.stations.models import ServicePoint
from yiyang.stations.services import PointSpec, service_point_staff, service_points_create


def demo_build(ctx: DemoContext) -> str:
    streets = list(Region.objects.filter(level=Region.Level.STREET, code__startswith="440304").order_by("code"))
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="440304")
                       .select_related("parent").order_by("code"))
    specs = [PointSpec(f"{s.name}养老服务专员工作点", ServicePoint.Kind.STREET_CONSULTANT, s.code,
                       f"深圳市福田区{s.name}党群服务中心", "周一至周五 9:00–12:00，14:00–18:00") for s in streets]
    specs += [PointSpec(f"{c.name}养老顾问点", ServicePoint.Kind.COMMUNITY_CONSULTANT, c.code,
                        f"深圳市福田区{c.parent.name if c.parent else ''}{c.name}党群服务中心一楼", "周一至周六 9:00–17:30") for c in communities]
    service_points_create(specs=specs)
    users = {u.username: u for u in User.objects.filter(username__regex=r"^(worker|street_admin)_")}
    for p in ServicePoint.objects.select_related("region"):
        if p.region.level == Region.Level.COMMUNITY:
            worker = users.get(f"worker_{p.region_id}")
            service_point_staff(point=p, lead=worker, members=[worker] if worker else [])
        else:
            service_point_staff(point=p, lead=users.get(f"street_admin_{p.region_id[:9]}"))
    return f"服务点：{len(specs)} 个（每个街道一个工作点，每个社区一个顾问点）"
