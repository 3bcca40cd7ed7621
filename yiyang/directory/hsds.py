"""Open Referral HSDS 3.1 ``service`` objects in and out.

Out: ``service_to_hsds`` writes a service with its organization, service_at_locations (each
with its location), schedules, cost_options, capacities, contacts, service_areas and
attributes nested, as `yiyang directory export` and the API answer.

In: ``parse_service`` checks one object and returns the clean values or the problems, each
a Chinese sentence naming where (``第3条 service_at_locations[0].location.latitude：…``).
Taxonomies of our own, carried as attributes (``taxonomy_term.taxonomy`` / ``code``):

    yiyang-need       a need tag of the needs survey (meals, bathing, medical…)
    yiyang-kind       Service.Kind (institution, day_care, canteen…)
    yiyang-ownership  养老机构 type (public_guarantee, inclusive, market)
    yiyang-feature    medical_integration (医养结合)
    yiyang-rating     star rating: code "1"…"5"
    yiyang-region     on a location or an organization: the 12-digit community code
    yiyang-level      min_level / max_level of GB/T 42195 (codes "min:2", "max:4")
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from yiyang.core import geo
from yiyang.core.text import LINE_MAX, NAME_MAX, NOTE_MAX, clip
from yiyang.directory.models import (
    TITLE_MAX,
    WEEKDAYS,
    Service,
)

TAXONOMY_NEED = "yiyang-need"
TAXONOMY_KIND = "yiyang-kind"
TAXONOMY_OWNERSHIP = "yiyang-ownership"
TAXONOMY_FEATURE = "yiyang-feature"
TAXONOMY_RATING = "yiyang-rating"
TAXONOMY_REGION = "yiyang-region"
TAXONOMY_LEVEL = "yiyang-level"
STATUSES = {s.value for s in Service.Status}
KINDS = {k.value for k in Service.Kind}
OWNERSHIPS = {o.value for o in Service.Ownership}


def _attr(taxonomy: str, code: str, name: str = "", link_type: str = "service") -> dict[str, Any]:
    return {"link_type": link_type, "label": name or code,
            "taxonomy_term": {"code": code, "name": name or code, "taxonomy": taxonomy}}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def service_to_hsds(s: Service, need_names: dict[str, str] | None = None, *, summary: bool = False) -> dict[str, Any]:
    """One service as HSDS 3.1 JSON. Expects the relations prefetched (selectors.with_details,
    with the same ``summary``). A summary (search results) leaves out schedules, cost options,
    contacts and service areas: the full object is at /services/{id} and in the feed."""
    need_names = need_names or {}
    org = s.organization
    attributes = [_attr(TAXONOMY_KIND, s.kind, s.get_kind_display())]
    attributes += [_attr(TAXONOMY_NEED, n.need, need_names.get(n.need, n.need)) for n in s.needs.all()]
    if s.ownership:
        attributes.append(_attr(TAXONOMY_OWNERSHIP, s.ownership, s.get_ownership_display()))
    if s.medical_integration:
        attributes.append(_attr(TAXONOMY_FEATURE, "medical_integration", "医养结合"))
    if s.star_rating:
        attributes.append(_attr(TAXONOMY_RATING, str(s.star_rating), f"{s.star_rating}星"))
    if s.min_level is not None:
        attributes.append(_attr(TAXONOMY_LEVEL, f"min:{s.min_level}"))
    if s.max_level is not None:
        attributes.append(_attr(TAXONOMY_LEVEL, f"max:{s.max_level}"))
    capacities = [{"id": str(c.pk), "available": c.available, "maximum": c.maximum, "description": c.description,
                   "updated": _iso(c.updated), "unit": {"name": c.unit}} for c in s.capacities.all()]
    out: dict[str, Any] = {
        "id": str(s.pk),
        "organization_id": str(org.pk),
        "name": s.name,
        "alternate_name": s.alternate_name or None,
        "description": s.description or None,
        "url": s.url or None,
        "email": s.email or None,
        "status": s.status,
        "application_process": s.application_process or None,
        "fees_description": s.fees_description or None,
        "eligibility_description": s.eligibility_description or None,
        "minimum_age": s.minimum_age,
        "assured_date": _iso(s.confirmed_at.date()) if s.confirmed_at else None,
        "last_modified": _iso(s.updated_at),
        "phones": [{"number": s.phone}] if s.phone else [],
        "organization": {
            "id": str(org.pk), "name": org.name, "alternate_name": org.alternate_name or None,
            "description": org.description or None, "email": org.email or None, "website": org.website or None,
            "legal_status": org.legal_status or None, "phones": [{"number": org.phone}] if org.phone else [],
            "attributes": [_attr(TAXONOMY_REGION, org.region_id, link_type="organization")],
        },
        "service_at_locations": [{
            "id": str(sal.pk),
            "location": {
                "id": str(sal.location.pk), "location_type": "physical", "name": sal.location.name,
                "latitude": sal.location.latitude, "longitude": sal.location.longitude,
                "addresses": [{"address_1": sal.location.address, "address_type": "physical", "country": "CN"}],
                "attributes": [_attr(TAXONOMY_REGION, sal.location.region_id, link_type="location")],
            },
        } for sal in s.at_locations.all()],
        "capacities": capacities,
        "attributes": attributes,
    }
    if summary:
        return out
    return out | {
        "schedules": [{"id": str(sc.pk), "freq": sc.freq, "byday": sc.byday, "opens_at": sc.opens_at.strftime("%H:%M"),
                       "closes_at": sc.closes_at.strftime("%H:%M"), "description": sc.description or str(sc)}
                      for sc in s.schedules.all()],
        "cost_options": [{"id": str(c.pk), "option": c.option, "currency": c.currency,
                          "amount": float(c.amount) if c.amount is not None else None,
                          "amount_description": c.amount_description or None} for c in s.cost_options.all()],
        "contacts": [{"id": str(c.pk), "name": c.name, "title": c.title or None,
                      "phones": [{"number": c.phone}] if c.phone else []} for c in s.contacts.all()],
        "service_areas": [{"id": str(a.pk), "name": a.region.name, "extent_type": "yiyang-region",
                           "extent": a.region_id} for a in s.areas.all()],
    }


# -- in -------------------------------------------------------------------------------------------

@dataclass
class CleanLocation:
    id: uuid.UUID | None
    sal_id: uuid.UUID | None  # the service_at_location's own id
    name: str
    address: str
    region_code: str
    latitude: float
    longitude: float


@dataclass
class CleanService:
    id: uuid.UUID | None
    name: str
    kind: str
    status: str
    organization: dict[str, Any]
    locations: list[CleanLocation]
    region_code: str  # the first location's community (the organisation's when none)
    fields: dict[str, Any] = field(default_factory=dict)  # the Service's other columns
    needs: list[str] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    cost_options: list[dict[str, Any]] = field(default_factory=list)
    capacities: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


class Problems:
    def __init__(self, where: str):
        self.where = where
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{self.where} {path}：{message}" if path else f"{self.where}：{message}")


def _text(obj: dict[str, Any], key: str, limit: int, problems: Problems, path: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            problems.add(path + key, "不能为空")
        return ""
    if not isinstance(value, str):
        problems.add(path + key, "应为文字")
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.add(path + key, f"最长{limit}字（现在{len(value)}字）")
    return value


def _uuid(value: Any, problems: Problems, path: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        problems.add(path, f"“{clip(str(value), 40)}”不是有效的 UUID")
        return None


def _list(obj: dict[str, Any], key: str, problems: Problems, path: str) -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        problems.add(path + key, "应为数组")
        return []
    if len(value) > 100:
        problems.add(path + key, "最多100项")
        return []
    return value


def _time(value: Any, problems: Problems, path: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        problems.add(path, f"“{clip(str(value), 20)}”不是时间（应为 08:30 这样的格式）")
        return None


def _attributes(obj: dict[str, Any], problems: Problems, path: str) -> list[tuple[str, str, int]]:
    out = []
    for i, a in enumerate(_list(obj, "attributes", problems, path)):
        term = a.get("taxonomy_term") if isinstance(a, dict) else None
        if not isinstance(term, dict):
            problems.add(f"{path}attributes[{i}]", "缺少 taxonomy_term")
            continue
        out.append((str(term.get("taxonomy") or ""), str(term.get("code") or "").strip(), i))
    return out


def _region_of(obj: dict[str, Any], problems: Problems, path: str, communities: set[str]) -> str:
    codes = [code for tax, code, _i in _attributes(obj, problems, path) if tax == TAXONOMY_REGION]
    if not codes:
        return ""
    if codes[0] not in communities:
        problems.add(path + "attributes", f"“{clip(codes[0], 20)}”不是本系统区划中的社区代码（{TAXONOMY_REGION}）")
        return ""
    return codes[0]


def parse_service(obj: Any, n: int, *, communities: set[str], regions: set[str],
                  need_codes: set[str], label: str = "") -> tuple[CleanService | None, list[str]]:
    """Check the ``n``-th (1-based) service object of an import. ``communities``: the codes a
    location may be in; ``regions``: every code (a service area may be a street)."""
    p = Problems(label or f"第{n}条")
    if not isinstance(obj, dict):
        p.add("", "应为一个 service 对象")
        return None, p.items
    sid = _uuid(obj.get("id"), p, "id")
    name = _text(obj, "name", TITLE_MAX, p, "", required=True)
    status = str(obj.get("status") or "active")
    if status not in STATUSES:
        p.add("status", f"“{clip(status, 20)}”不是可选的状态（{'、'.join(sorted(STATUSES))}）")
    org_obj = obj.get("organization")
    organization: dict[str, Any] = {}
    if not isinstance(org_obj, dict):
        p.add("organization", "缺少所属机构（organization 对象）")
    else:
        organization = {
            "id": _uuid(org_obj.get("id"), p, "organization.id"),
            "name": _text(org_obj, "name", TITLE_MAX, p, "organization.", required=True),
            "alternate_name": _text(org_obj, "alternate_name", TITLE_MAX, p, "organization."),
            "description": _text(org_obj, "description", NOTE_MAX, p, "organization."),
            "email": _text(org_obj, "email", LINE_MAX, p, "organization."),
            "website": _text(org_obj, "website", LINE_MAX, p, "organization."),
            "legal_status": _text(org_obj, "legal_status", 40, p, "organization."),
            "phone": _first_phone(org_obj, p, "organization."),
            "region_code": _region_of(org_obj, p, "organization.", communities),
        }
    locations = []
    for i, sal in enumerate(_list(obj, "service_at_locations", p, "")):
        where = f"service_at_locations[{i}].location."
        loc = sal.get("location") if isinstance(sal, dict) else None
        if not isinstance(loc, dict):
            p.add(f"service_at_locations[{i}]", "缺少 location 对象")
            continue
        address = ""
        addresses = loc.get("addresses")
        if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
            address = _text(addresses[0], "address_1", LINE_MAX, p, where + "addresses[0].")
        address = address or _text(loc, "address", LINE_MAX, p, where)
        if not address:
            p.add(where + "addresses", "缺少地址")
        lat, lon = loc.get("latitude"), loc.get("longitude")
        if lat is None or lon is None:
            p.add(where + "latitude", "缺少经纬度（latitude、longitude）")
            continue
        try:
            lat, lon = geo.position_check(lat, lon)
        except geo.PositionError as exc:
            p.add(where + "latitude", str(exc))
            continue
        region = _region_of(loc, p, where, communities)
        if not region:
            region = organization.get("region_code", "")
        if not region:
            p.add(where + "attributes", f"缺少所在社区（{TAXONOMY_REGION} 属性）")
            continue
        locations.append(CleanLocation(_uuid(loc.get("id"), p, where + "id"),
                                       _uuid(sal.get("id"), p, f"service_at_locations[{i}].id"),
                                       _text(loc, "name", TITLE_MAX, p, where) or name, address, region, lat, lon))
    if not locations and not p.items:
        p.add("service_at_locations", "至少需要一个服务场所（含地址和经纬度）")
    kind, needs = "", []
    fields_: dict[str, Any] = {}
    for tax, code, i in _attributes(obj, p, ""):
        where = f"attributes[{i}].taxonomy_term.code"
        if tax == TAXONOMY_KIND:
            kind = code
            if code not in KINDS:
                p.add(where, f"“{clip(code, 20)}”不是可选的服务类型（{'、'.join(sorted(KINDS))}）")
        elif tax == TAXONOMY_NEED:
            if code not in need_codes:
                p.add(where, f"“{clip(code, 20)}”不是需求标签（可用：{'、'.join(sorted(need_codes))}）")
            elif code not in needs:
                needs.append(code)
        elif tax == TAXONOMY_OWNERSHIP:
            if code not in OWNERSHIPS:
                p.add(where, f"“{clip(code, 20)}”不是可选的机构类型（{'、'.join(sorted(OWNERSHIPS))}）")
            fields_["ownership"] = code
        elif tax == TAXONOMY_FEATURE and code == "medical_integration":
            fields_["medical_integration"] = True
        elif tax == TAXONOMY_RATING:
            if code not in {"1", "2", "3", "4", "5"}:
                p.add(where, "星级应为 1–5")
            else:
                fields_["star_rating"] = int(code)
        elif tax == TAXONOMY_LEVEL:
            bound, _sep, value = code.partition(":")
            if bound not in ("min", "max") or value not in {"0", "1", "2", "3", "4"}:
                p.add(where, "能力等级应写作 min:2 或 max:4（0–4）")
            else:
                fields_[f"{bound}_level"] = int(value)
    if not kind:
        p.add("attributes", f"缺少服务类型（{TAXONOMY_KIND} 属性）")
    if fields_.get("min_level") is not None and fields_.get("max_level") is not None \
            and fields_["min_level"] > fields_["max_level"]:
        p.add("attributes", "最低能力等级不能高于最高能力等级")
    for key, limit in (("alternate_name", TITLE_MAX), ("description", NOTE_MAX), ("url", LINE_MAX),
                       ("email", LINE_MAX), ("application_process", LINE_MAX * 2),
                       ("fees_description", LINE_MAX * 2), ("eligibility_description", LINE_MAX * 2)):
        fields_[key] = _text(obj, key, limit, p, "")
    fields_["phone"] = _first_phone(obj, p, "")
    age = obj.get("minimum_age")
    if age is not None:
        if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 120:
            p.add("minimum_age", "应为 0–120 的整数")
        else:
            fields_["minimum_age"] = age
    clean = CleanService(sid, name, kind, status, organization, locations,
                         locations[0].region_code if locations else organization.get("region_code", ""),
                         fields_, needs)
    for i, s in enumerate(_list(obj, "schedules", p, "")):
        where = f"schedules[{i}]."
        if not isinstance(s, dict):
            p.add(where, "应为对象")
            continue
        days = [d.strip().upper() for d in str(s.get("byday") or "").split(",") if d.strip()]
        if not days or any(d not in WEEKDAYS for d in days):
            p.add(where + "byday", "应为 MO,TU,WE,TH,FR,SA,SU 中的若干个，用逗号分隔")
        if str(s.get("freq") or "WEEKLY").upper() != "WEEKLY":
            p.add(where + "freq", "只支持 WEEKLY（每周）")
        opens, closes = _time(s.get("opens_at"), p, where + "opens_at"), _time(s.get("closes_at"), p, where + "closes_at")
        if opens and closes and opens >= closes:
            p.add(where + "closes_at", "结束时间应晚于开始时间")
        clean.schedules.append({"byday": ",".join(days), "opens_at": opens, "closes_at": closes,
                                "description": _text(s, "description", LINE_MAX, p, where)})
    for i, c in enumerate(_list(obj, "cost_options", p, "")):
        where = f"cost_options[{i}]."
        if not isinstance(c, dict):
            p.add(where, "应为对象")
            continue
        amount = c.get("amount")
        if amount is not None:
            try:
                amount = decimal.Decimal(str(amount)).quantize(decimal.Decimal("0.01"))
                if amount < 0 or amount >= 10**8:
                    raise decimal.InvalidOperation
            except (decimal.InvalidOperation, ValueError):
                p.add(where + "amount", "应为 0 以上的金额（元）")
                amount = None
        clean.cost_options.append({"option": _text(c, "option", TITLE_MAX, p, where, required=True), "amount": amount,
                                   "currency": str(c.get("currency") or "CNY")[:3],
                                   "amount_description": _text(c, "amount_description", LINE_MAX, p, where)})
    units: set[str] = set()
    for i, c in enumerate(_list(obj, "capacities", p, "")):
        where = f"capacities[{i}]."
        if not isinstance(c, dict):
            p.add(where, "应为对象")
            continue
        unit_obj = c.get("unit")
        unit = str(unit_obj.get("name") if isinstance(unit_obj, dict) else unit_obj or "").strip()
        if not unit or len(unit) > 20:
            p.add(where + "unit", "缺少单位（如 床位、餐位），最长20字")
        elif unit in units:
            p.add(where + "unit", f"“{unit}”重复")
        units.add(unit)
        available, maximum = c.get("available"), c.get("maximum")
        if not isinstance(available, int) or isinstance(available, bool) or available < 0:
            p.add(where + "available", "应为 0 以上的整数")
            continue
        if maximum is not None and (not isinstance(maximum, int) or isinstance(maximum, bool) or maximum < available):
            p.add(where + "maximum", "应为不小于可用数的整数")
            continue
        clean.capacities.append({"unit": unit, "available": available, "maximum": maximum,
                                 "description": _text(c, "description", LINE_MAX, p, where)})
    for i, c in enumerate(_list(obj, "contacts", p, "")):
        where = f"contacts[{i}]."
        if isinstance(c, dict):
            clean.contacts.append({"name": _text(c, "name", NAME_MAX, p, where, required=True),
                                   "title": _text(c, "title", NAME_MAX, p, where), "phone": _first_phone(c, p, where)})
    for i, a in enumerate(_list(obj, "service_areas", p, "")):
        code = str(a.get("extent") or "").strip() if isinstance(a, dict) else ""
        if code not in regions:
            p.add(f"service_areas[{i}].extent", "应为本系统区划代码")
        else:
            clean.areas.append(code)
    return (clean if not p.items else None), p.items


def _first_phone(obj: dict[str, Any], problems: Problems, path: str) -> str:
    phones = obj.get("phones")
    if isinstance(phones, list) and phones and isinstance(phones[0], dict):
        number = str(phones[0].get("number") or "").strip()
        if len(number) > 40:
            problems.add(path + "phones[0].number", "最长40字")
            return ""
        return number
    return ""
