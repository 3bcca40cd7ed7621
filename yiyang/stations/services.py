"""Writes for service points (工作点 / 顾问点)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from yiyang.stations.models import ServicePoint


@dataclass(frozen=True)
class PointSpec:
    name: str
    kind: str
    region_code: str
    address: str = ""
    hours: str = ""


@transaction.atomic
def service_points_create(*, specs: list[PointSpec]) -> list[ServicePoint]:
    return ServicePoint.objects.bulk_create([
        ServicePoint(name=s.name, kind=s.kind, region_id=s.region_code, address=s.address, hours=s.hours)
        for s in specs])


@transaction.atomic
def service_point_staff(*, point: ServicePoint, lead: Any = None, members: list[Any] = ()) -> ServicePoint:  # type: ignore[assignment]
    """Name the point's lead and attach its staff."""
    if lead is not None:
        point.lead = lead
        point.save(update_fields=["lead"])
    for user in members:
        user.service_point = point
        user.save(update_fields=["service_point"])
    return point
