"""养老服务清单 (seed 000: 制定养老服务清单): generate a list for an elder from what she may apply
for (the entitlements, through the elder page's benefit sources) and the services matching
recommends for each of her needs; the worker edits it and hands it over — printed, or shared
with the family by a link that expires. Every version is kept; each save and share is on the
elder's timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError
from yiyang.directory import events, matching, services
from yiyang.directory.models import ServiceList

CREATED = events.SERVICE_LIST_CREATED
SHARED = events.SERVICE_LIST_SHARED
PER_NEED = 2
DEFAULT_STEPS = [
    "带上身份证、户口簿，到社区养老顾问点办理清单中“可享受”的项目",
    "“可能符合”的项目，请先补齐所缺的材料或评估",
    "选用的服务，请先电话确认时间和空余",
]


def share_days() -> int:
    return int(settings.YIYANG.get("SERVICE_LIST_SHARE_DAYS", 30))


def service_list_draft(*, actor: Any, elder: Any) -> dict[str, Any]:
    """What a new list would hold today (nothing saved)."""
    from yiyang.assessments.selectors import current_level
    from yiyang.elders.registry import elder_benefits_plain
    from yiyang.surveys.selectors import elder_current_needs

    level = current_level(elder)
    recs = []
    needs = elder_current_needs(elder)
    position, lists = matching.recommend_many(elder, [code for code, _name in needs], level=level, limit=PER_NEED)
    matching.log_many(elder=elder, actor=actor, position=position, lists=lists, context="service_list")
    for code, name in needs:
        for r in lists.get(code, []):
            sal = next(iter(r.service.at_locations.all()), None)
            recs.append({"need": code, "need_name": name, "service_id": str(r.service.pk), "name": r.service.name,
                         "kind": r.service.get_kind_display(), "address": sal.location.address if sal else "",
                         "phone": r.service.phone, "hours": services.hours_text(r.service).replace("\n", "；"),
                         "why": r.explanation})
    contact = {"name": getattr(actor, "full_name", "") or getattr(actor, "username", ""), "role": "养老服务专员",
               "phone": ""}
    return {"benefits": [{k: b.get(k) for k in ("name", "status", "how_to_apply", "missing")}
                         for b in elder_benefits_plain(elder)],
            "services": recs, "next_steps": list(DEFAULT_STEPS), "contacts": [contact]}


@transaction.atomic
def service_list_save(*, actor: Any, elder: Any, content: dict[str, Any], note: str = "") -> ServiceList:
    if len(note) > 1000:
        raise ApplicationError("说明最长1000字", code="too_long")
    version = (ServiceList.objects.select_for_update().filter(elder_id=elder.pk).aggregate(v=Max("version"))["v"]
               or 0) + 1
    sl = ServiceList.objects.create(elder_id=elder.pk, region_code=elder.region_id, version=version, content=content,
                                    note=note, created_by=actor if getattr(actor, "pk", None) else None)
    event_record(type=CREATED, actor=actor, elder_id=elder.pk, subject=sl, region_code=elder.region_id, payload={
        "version": version, "services": len(content.get("services", [])), "benefits": len(content.get("benefits", [])),
        "summary": f"第{version}版，{len(content.get('services', []))}项服务"})
    return sl


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def service_list_share(*, actor: Any, service_list: ServiceList, days: int | None = None) -> str:
    """A new link for the family (an earlier one stops working); returns the token, shown once."""
    token = secrets.token_urlsafe(24)
    service_list.share_token_hash = _hash(token)
    service_list.share_expires_at = timezone.now() + dt.timedelta(days=days or share_days())
    service_list.save(update_fields=["share_token_hash", "share_expires_at"])
    event_record(type=SHARED, actor=actor, elder_id=service_list.elder_id, subject=service_list,
                 region_code=service_list.region_code, payload={
                     "version": service_list.version, "expires": service_list.share_expires_at.date().isoformat(),
                     "summary": f"第{service_list.version}版，链接有效至{service_list.share_expires_at:%Y-%m-%d}"})
    return token


def service_list_by_token(token: str) -> ServiceList | None:
    if not token or len(token) > 64:
        return None
    sl = ServiceList.objects.select_related("elder").filter(share_token_hash=_hash(token)).first()
    if sl is None or sl.share_expires_at is None or sl.share_expires_at < timezone.now():
        return None
    return sl


def masked_name(name: str) -> str:
    """王秀英 → 王** (a shared link may travel further than meant)."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""
