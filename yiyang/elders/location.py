"""Where an elder lives (DESIGN §5 "home location"): the exact position is encrypted like
the address; the ≈200 m cell (core.geo) is kept in plain for nearest-first lists, matching and
statistics. A worker on a home visit sets it from the phone's position ("家就在这里"); an
import or the API may set it from known coordinates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core import access, geo, pii
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, ForbiddenError
from yiyang.elders import access as elder_access
from yiyang.elders import events
from yiyang.elders.models import Elder

POSITION_CTX = "elder.home_position"
SOURCES = {"phone": "上门时手机定位", "manual": "手工填写", "import": "批量导入"}


@transaction.atomic
def elder_location_set(*, actor: Any, elder: Elder, latitude: float, longitude: float, source: str = "manual") -> Elder:
    if not access.has_capability(actor, elder_access.ELDER_UPDATE):
        raise ForbiddenError()
    if source not in SOURCES:
        raise ApplicationError("定位来源无效", code="bad_source", detail={"fields": {"source": [", ".join(SOURCES)]}})
    try:
        lat, lon = geo.position_check(latitude, longitude)
    except geo.PositionError as exc:
        raise ApplicationError(str(exc), code="bad_position", detail={"fields": {"latitude": [str(exc)]}}) from exc
    elder.home_position_enc = pii.encrypt(f"{lat:.6f},{lon:.6f}", POSITION_CTX)
    elder.home_cell = geo.cell_of(lat, lon)
    elder.home_located_at = timezone.now()
    elder.save(update_fields=["home_position_enc", "home_cell", "home_located_at", "updated_at"])
    # The event carries the cell and the source, never the exact position.
    event_record(type=events.LOCATED, actor=actor, elder_id=elder.pk, subject=elder, region_code=elder.region_id,
                 payload={"cell": elder.home_cell, "source": source, "source_label": SOURCES[source]})
    return elder


def elder_home_position(elder: Elder) -> tuple[float, float] | None:
    """The exact position, decrypted (for the elder's own page and the visit check-in)."""
    if not elder.home_position_enc:
        return None
    lat, lon = pii.decrypt(elder.home_position_enc, POSITION_CTX).split(",")
    return float(lat), float(lon)
