"""Writes to the resource directory: the HSDS import (all or nothing), a provider's or an
administrator's edit of a service (hours, prices, free places, status), and the confirmation
that the data are still right. Every change writes an event."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import models, transaction
from django.utils import timezone

from yiyang.core.events import event_record
from yiyang.core.exceptions import FieldErrors
from yiyang.core.text import LINE_MAX
from yiyang.directory import candidates, events
from yiyang.directory.candidates import candidates_refresh
from yiyang.directory.hsds import CleanService, parse_service
from yiyang.directory.models import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    Contact,
    CostOption,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceNeed,
)
from yiyang.regions.models import Region

MAX_IMPORT = 100_000


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"committed": self.committed, "created": self.created, "updated": self.updated,
                "errors": self.errors[:1000], "error_count": len(self.errors)}


def _need_codes() -> set[str]:
    # The needs survey's tags are the directory's vocabulary (taxonomy yiyang-need).
    from yiyang.surveys.selectors import need_tag_names

    return set(need_tag_names())


# Kinds of service that come to the elder's door (matching.COMES_TO_HOME; here to avoid an import cycle).


def directory_import(objects: Any, *, actor: Any = None, dry_run: bool = False, source: str = "cli",
                     labels: list[str] | None = None) -> ImportResult:
    """Import a JSON array of HSDS 3.1 service objects. Every object is checked first; one
    problem anywhere and nothing is written. An object whose ``id`` exists updates it
    (with its nested lists replaced); otherwise a service is created (with that id if given)."""
    result = ImportResult()
    if not isinstance(objects, list):
        result.errors.append("文件应为 JSON 数组（[ {service…}, … ]）")
        return result
    if len(objects) > MAX_IMPORT:
        result.errors.append(f"一次最多导入{MAX_IMPORT:,}条，请拆分文件")
        return result
    if not objects:
        result.errors.append("文件中没有服务")
        return result
    regions = dict(Region.objects.filter(active=True).values_list("code", "level"))
    communities = {c for c, level in regions.items() if level == Region.Level.COMMUNITY}
    needs = _need_codes()
    cleaned: list[CleanService] = []
    seen: dict[Any, int] = {}
    for n, obj in enumerate(objects, start=1):
        clean, problems = parse_service(obj, n, communities=communities, regions=set(regions), need_codes=needs,
                                        label=labels[n - 1] if labels else "")
        result.errors.extend(problems)
        if clean is not None:
            if clean.id is not None:
                if clean.id in seen:
                    result.errors.append(f"{labels[n - 1] if labels else f'第{n}条'} id：与第{seen[clean.id]}条重复")
                    continue
                seen[clean.id] = n
            cleaned.append(clean)
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        existing = set(Service.objects.filter(pk__in=[c.id for c in cleaned if c.id]).values_list("pk", flat=True))
        now = timezone.now()
        written, places = [], []
        for clean in cleaned:
            service = _write_service(clean, now=now, existing=clean.id in existing)
            written.append(service.pk)
            places += [loc.id for loc in clean.locations if loc.id]
            if clean.id in existing:
                result.updated += 1
            else:
                result.created += 1
        # Matching's rows follow: these services, and the others at a place that may have moved.
        candidates_refresh([*written, *candidates.services_at_locations(places)])
        event_record(type=events.IMPORTED, actor=actor, payload={
            "source": source, "created": result.created, "updated": result.updated})
    result.committed = True
    return result


def _write_service(clean: CleanService, *, now: dt.datetime, existing: bool) -> Service:
    o = clean.organization
    org_region = o.get("region_code") or clean.region_code
    org_values = {k: o.get(k) or "" for k in ("name", "alternate_name", "description", "email", "website",
                                              "legal_status", "phone")}
    if o.get("id"):
        org, _created = Organization.objects.update_or_create(pk=o["id"], defaults=org_values | {"region_id": org_region})
    else:
        org = Organization.objects.filter(name=org_values["name"], region_id=org_region).first() \
            or Organization.objects.create(region_id=org_region, **org_values)
    values = {"organization": org, "name": clean.name, "kind": clean.kind, "status": clean.status,
              "region_id": clean.region_code, "confirmed_at": now,
              "ownership": "", "beds": None, "nursing_beds": None, "medical_integration": False, "star_rating": None,
              "minimum_age": None, "min_level": None, "max_level": None} | clean.fields
    if existing:
        service = Service.objects.select_for_update().get(pk=clean.id)  # type: ignore[misc]  # existing: has an id
        for k, v in values.items():
            setattr(service, k, v)
        service.version += 1
        service.save()
        for rel in (ServiceNeed, Schedule, CostOption, ServiceCapacity, Contact, ServiceArea):
            rel.objects.filter(service=service).delete()
    else:
        service = Service.objects.create(**({"id": clean.id} if clean.id else {}), **values)
    ServiceNeed.objects.bulk_create([ServiceNeed(service=service, need=n) for n in clean.needs])
    kept = []
    for loc in clean.locations:
        lv = {"organization": org, "name": loc.name, "address": loc.address, "region_id": loc.region_code,
              "latitude": loc.latitude, "longitude": loc.longitude}
        if loc.id:
            location, _c = Location.objects.update_or_create(pk=loc.id, defaults=lv)
        else:
            location = Location.objects.create(**lv)
        ServiceAtLocation.objects.get_or_create(service=service, location=location,
                                                defaults={"id": loc.sal_id} if loc.sal_id else {})
        kept.append(location.pk)
    ServiceAtLocation.objects.filter(service=service).exclude(location_id__in=kept).delete()
    Schedule.objects.bulk_create([Schedule(service=service, **s) for s in clean.schedules])
    CostOption.objects.bulk_create([CostOption(service=service, **c) for c in clean.cost_options])
    ServiceCapacity.objects.bulk_create([ServiceCapacity(service=service, updated=now, **c) for c in clean.capacities])
    Contact.objects.bulk_create([Contact(service=service, **c) for c in clean.contacts])
    ServiceArea.objects.bulk_create([ServiceArea(service=service, region_id=r) for r in clean.areas])
    if clean.fields.get("beds") is None:
        beds = next((c for c in clean.capacities if c["unit"] == "床位"), None)
        if beds and beds["maximum"] is not None:
            Service.objects.filter(pk=service.pk).update(beds=beds["maximum"])
    return service


# -- a provider's edit ------------------------------------------------------------------------------

_DAY = "一二三四五六日天"
_HOURS = re.compile(r"^\s*(?P<days>[^\d]+?)\s*(?P<open>\d{1,2}[:：]\d{2})\s*[-–—~～至到]\s*(?P<close>\d{1,2}[:：]\d{2})\s*$")


def _days_of(text: str) -> list[str] | None:
    """周一至周五 / 周一、三、五 / 每天 / 工作日 / 周末 → RRULE days."""
    t = text.replace("星期", "周").replace("礼拜", "周").replace(" ", "")
    if t in ("每天", "每日", "全天", "天天", "周一至周日", "周一到周日"):
        return list(WEEKDAYS)
    if t in ("工作日", "周一至周五", "周一到周五"):
        return WEEKDAYS[:5]
    if t in ("周末", "周六日", "周六、周日", "周六至周日"):
        return WEEKDAYS[5:]
    index = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6}
    m = re.fullmatch(r"周([一二三四五六日天])[至到\-–~～]周?([一二三四五六日天])", t)
    if m:
        a, b = index[m.group(1)], index[m.group(2)]
        return WEEKDAYS[a:b + 1] if a <= b else None
    parts = [p for p in re.split(r"[、，,/]", t.removeprefix("周")) if p]
    out = []
    for p in parts:
        p = p.removeprefix("周")
        if len(p) != 1 or p not in index:
            return None
        out.append(WEEKDAYS[index[p]])
    return out or None


def parse_hours(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Opening hours as a worker writes them, one line each: ``周一至周五 8:00-17:30``,
    ``周六、周日 9:00-12:00``, ``每天 11:00-13:00`` → schedules, or the lines not understood."""
    schedules, errors = [], []
    for n, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        m = _HOURS.match(line)
        days = _days_of(m.group("days")) if m else None
        if not m or not days:
            errors.append(f"第{n}行“{line.strip()[:30]}”看不懂，请写成“周一至周五 8:00-17:30”这样")
            continue
        try:
            opens = dt.time.fromisoformat(m.group("open").replace("：", ":").zfill(5))
            closes = dt.time.fromisoformat(m.group("close").replace("：", ":").zfill(5))
        except ValueError:
            errors.append(f"第{n}行的时间不对（应为 0:00–23:59）")
            continue
        if opens >= closes:
            errors.append(f"第{n}行：结束时间应晚于开始时间")
            continue
        schedules.append({"byday": ",".join(days), "opens_at": opens, "closes_at": closes, "description": ""})
    return schedules, errors


def hours_text(service: Service) -> str:
    def days(byday: str) -> str:
        d = byday.split(",")
        if d == WEEKDAYS:
            return "每天"
        if len(d) > 2 and WEEKDAYS.index(d[-1]) - WEEKDAYS.index(d[0]) == len(d) - 1:
            return f"周{WEEKDAY_NAMES[d[0]]}至周{WEEKDAY_NAMES[d[-1]]}"
        return "、".join("周" + WEEKDAY_NAMES[x] for x in d)
    return "\n".join(f"{days(s.byday)} {s.opens_at:%H:%M}-{s.closes_at:%H:%M}" for s in service.schedules.all())


EDITABLE = ("status", "phone", "description", "fees_description", "application_process", "eligibility_description")


@transaction.atomic
def service_update(*, actor: Any, service: Service, data: dict[str, Any], expected_version: int | None = None) -> Service:
    """Change what is given: the plain fields of ``EDITABLE``, ``hours`` (text, see parse_hours)
    or ``schedules``, ``cost_options`` [{option, amount, amount_description}], ``capacities``
    [{unit, available, maximum}], ``needs``. Saving confirms the data (confirmed_at = now)."""
    from yiyang.core.exceptions import ApplicationError

    service = Service.objects.select_for_update().get(pk=service.pk)
    if expected_version is not None and expected_version != service.version:
        raise ApplicationError("服务信息已被他人修改，请刷新后重新编辑", code="version_conflict", status=409,
                               detail={"current_version": service.version})
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for f in EDITABLE:
        if f in data and data[f] is not None:
            value = str(data[f]).strip()
            field_ = cast(models.Field, Service._meta.get_field(f))
            if f == "status" and value not in Service.Status.values:
                errors.setdefault(f, []).append("不是可选的状态")
                continue
            if field_.max_length and len(value) > field_.max_length:
                errors.setdefault(f, []).append(f"最长{field_.max_length}字（现在{len(value)}字）")
                continue
            if value != getattr(service, f):
                changes[str(field_.verbose_name)] = {"from": getattr(service, f), "to": value}
                setattr(service, f, value)
    schedules = None
    if data.get("hours") is not None:
        schedules, problems = parse_hours(str(data["hours"]))
        if problems:
            errors["hours"] = problems
    elif data.get("schedules") is not None:
        schedules = list(data["schedules"])
    costs = _clean_costs(data.get("cost_options"), errors)
    capacities = _clean_capacities(data.get("capacities"), errors)
    needs = None
    if data.get("needs") is not None:
        needs = [str(n) for n in data["needs"]]
        unknown = [n for n in needs if n not in _need_codes()]
        if unknown:
            errors["needs"] = [f"不认识的需求标签：{'、'.join(unknown)[:60]}"]
    if errors:
        raise FieldErrors(errors)
    now = timezone.now()
    if schedules is not None:
        before = hours_text(service)
        Schedule.objects.filter(service=service).delete()
        Schedule.objects.bulk_create([Schedule(service=service, **s) for s in schedules])
        after = hours_text(Service.objects.prefetch_related("schedules").get(pk=service.pk))
        if before != after:
            changes["服务时间"] = {"from": before, "to": after}
    if costs is not None:
        priced = [(c.option, str(c.amount)) for c in service.cost_options.all()]
        CostOption.objects.filter(service=service).delete()
        CostOption.objects.bulk_create([CostOption(service=service, **c) for c in costs])
        if priced != [(c["option"], str(c["amount"])) for c in costs]:
            changes["收费标准"] = {"to": [f"{c['option']} {c['amount'] if c['amount'] is not None else ''}".strip()
                                        for c in costs]}
    if capacities is not None:
        old = {c.unit: c for c in service.capacities.all()}
        for c in capacities:
            prev = old.pop(c["unit"], None)
            if prev is None:
                ServiceCapacity.objects.create(service=service, updated=now, **c)
            elif (prev.available, prev.maximum) != (c["available"], c["maximum"]):
                ServiceCapacity.objects.filter(pk=prev.pk).update(updated=now, **c)
            else:
                continue
            changes[f"可用{c['unit']}"] = {"from": prev.available if prev else None, "to": c["available"]}
        for gone in old.values():
            gone.delete()
            changes[f"可用{gone.unit}"] = {"from": gone.available, "to": None}
    if needs is not None:
        before_needs = sorted(service.needs.values_list("need", flat=True))
        if before_needs != sorted(set(needs)):
            ServiceNeed.objects.filter(service=service).delete()
            ServiceNeed.objects.bulk_create([ServiceNeed(service=service, need=n) for n in dict.fromkeys(needs)])
            changes["对应需求"] = {"from": before_needs, "to": sorted(set(needs))}
    service.confirmed_at, service.confirmed_by = now, actor if getattr(actor, "pk", None) else None
    if changes:
        service.version += 1
    service.save()
    candidates_refresh([service.pk])
    event_record(type=events.SERVICE_UPDATED if changes else events.SERVICE_CONFIRMED, actor=actor, subject=service,
                 region_code=service.region_id, payload={"service": service.name, "changes": changes,
                                                         "version": service.version})
    return service


def _clean_costs(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    out = []
    for i, c in enumerate(raw, start=1):
        option = str(c.get("option") or "").strip()
        if not option:
            continue
        if len(option) > 120:
            errors.setdefault("cost_options", []).append(f"第{i}项：名称最长120字")
            continue
        amount = c.get("amount")
        if amount not in (None, ""):
            try:
                amount = Decimal(str(amount)).quantize(Decimal("0.01"))
                if amount < 0 or amount >= 10**8:
                    raise ValueError
            except (ArithmeticError, ValueError):
                errors.setdefault("cost_options", []).append(f"第{i}项“{option}”：金额应为0以上的数字（元）")
                continue
        else:
            amount = None
        out.append({"option": option, "amount": amount, "currency": "CNY",
                    "amount_description": str(c.get("amount_description") or "").strip()[:LINE_MAX]})
    return out


def _clean_capacities(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    out, units = [], set()
    for c in raw:
        unit = str(c.get("unit") or "").strip()
        if not unit:
            continue
        if len(unit) > 20 or unit in units:
            errors.setdefault("capacities", []).append(f"“{unit[:20]}”：单位最长20字，且不能重复")
            continue
        units.add(unit)
        try:
            available = int(c.get("available"))
            maximum = None if c.get("maximum") in (None, "") else int(c.get("maximum"))
        except (TypeError, ValueError):
            errors.setdefault("capacities", []).append(f"{unit}：可用数和总数应为整数")
            continue
        if available < 0 or (maximum is not None and (maximum < available or maximum > 10**6)):
            errors.setdefault("capacities", []).append(f"{unit}：可用数应在 0 到总数之间")
            continue
        out.append({"unit": unit, "available": available, "maximum": maximum,
                    "description": str(c.get("description") or "").strip()[:LINE_MAX]})
    return out


def service_confirm(*, actor: Any, service: Service) -> Service:
    """The provider says the data are still right: nothing changes but the confirmation."""
    return service_update(actor=actor, service=service, data={})
