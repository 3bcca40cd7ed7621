"""Reads of the time bank: statements, lists for volunteers and point staff, statistics."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.core import geo
from yiyang.core.access import has_capability, in_jurisdiction, jurisdiction_filter
from yiyang.core.exceptions import ForbiddenError, NotFoundError
from yiyang.timebank.models import (
    Account,
    CatalogueItem,
    Entry,
    FraudFlag,
    Member,
    ServiceRequest,
    credits_text,
)


def statement(account: Account, limit: int = 200) -> list[Entry]:
    """The account's entries, newest first, each with its transaction."""
    return list(Entry.objects.filter(account=account).select_related("transaction").order_by("-seq")[:limit])


def nearest_first(member: Member, qs: QuerySet[ServiceRequest]) -> list[tuple[ServiceRequest, int | None]]:
    """Open requests with the distance from the volunteer's cell to the elder's home cell."""
    here = geo.cell_centre(member.home_cell) if member.home_cell else None
    rows: list[tuple[ServiceRequest, int | None]] = []
    for req in qs:
        dist = None
        if here is not None and req.elder.home_cell:
            d = geo.distance_to_cell_m(here, req.elder.home_cell)
            dist = round(d) if d is not None else None
        rows.append((req, dist))
    rows.sort(key=lambda r: (r[1] is None, r[1] or 0, r[0].wanted_at))
    return rows




def flags_open(user: Any) -> QuerySet[FraudFlag]:
    from yiyang.timebank.access import TB_CERTIFY

    if not has_capability(user, TB_CERTIFY):
        raise ForbiddenError()
    return (jurisdiction_filter(FraudFlag.objects.select_related("request", "request__elder",
                                                                 "request__volunteer"), user, "region_code")
            .filter(resolution=FraudFlag.Resolution.OPEN).order_by("raised_at"))


def access_account(user: Any, account_id: Any) -> Account:
    """An account: the member's own, or — for staff — one of their jurisdiction."""
    from yiyang.timebank.access import TB_VIEW, member_of

    try:
        acc = Account.objects.get(pk=account_id)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    me = member_of(user)
    if me is not None:
        if acc.member_id != me.pk and not (acc.team_id and acc.team and acc.team.leader_id == me.pk):
            raise NotFoundError()
        return acc
    if not in_jurisdiction(user, acc.region_code):
        raise NotFoundError()
    if not has_capability(user, TB_VIEW):
        raise ForbiddenError()
    return acc


def catalogue_for(user: Any) -> list[CatalogueItem]:
    """Active items, those of the caller's district first (在地兑换)."""
    from yiyang.timebank.access import member_of

    me = member_of(user)
    home = me.region_id if me is not None else (getattr(user, "region_id", None) or "")
    items = list(CatalogueItem.objects.filter(active=True).select_related("service_point"))
    items.sort(key=lambda i: (i.region_code[:6] != home[:6], i.region_code[:9] != home[:9], i.price))
    return items


def month_bounds(month: Any) -> tuple[Any, Any]:
    """Aware datetimes [first day of ``month`` 00:00, first day of the next month)."""
    import datetime as dt

    from django.utils import timezone

    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz), dt.datetime.combine(nxt, dt.time(), tzinfo=tz))


def stats_regions(user: Any) -> list[Any]:
    """The rows of the statistics: the children of the caller's node (its own node when it has
    none), as the per-region table of the overview."""
    from yiyang.regions.models import Region

    node = getattr(user, "region", None)
    if node is None:
        return list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"))
    children = list(Region.objects.filter(parent=node).order_by("code"))
    return children or [node]


def stats_for(user: Any, month: Any) -> list[dict[str, Any]]:
    """Per region of the caller's node, for ``month``: members (by age group, all and new),
    approved volunteers, certified services and hours, credits booked, redemptions, exchanges
    (in: spent here from elsewhere; out: earned here, spent elsewhere), donations. Grouped
    queries, summed per region prefix."""
    from django.db.models import Count, Sum

    from yiyang.timebank.models import (
        AgeGroup,
        Category,
        LedgerTransaction,
        RequestStatus,
        VolunteerStatus,
        age_group_of,
    )

    start, end = month_bounds(month)
    day = end.date()
    members = list(Member.objects.filter(created_at__lt=end).values_list("region_id", "birth_date",
                                                                         "volunteer_status", "created_at"))
    services = list(ServiceRequest.objects.filter(status=RequestStatus.CERTIFIED, certified_at__gte=start,
                                                  certified_at__lt=end)
                    .values_list("region_code").annotate(n=Count("id"), m=Sum("certified_minutes"))
                    .values_list("region_code", "n", "m"))
    txns = list(LedgerTransaction.objects.filter(created_at__gte=start, created_at__lt=end)
                .values_list("region_code", "other_region_code", "category").annotate(n=Count("id"))
                .values_list("region_code", "other_region_code", "category", "n"))
    credits = dict(Entry.objects.filter(transaction__category=Category.SERVICE, amount__gt=0,
                                        created_at__gte=start, created_at__lt=end)
                   .values_list("transaction__region_code").annotate(s=Sum("amount"))
                   .values_list("transaction__region_code", "s"))
    rows = []
    for region in stats_regions(user):
        p = region.prefix
        mine = [m for m in members if m[0].startswith(p)]
        ages = {g: 0 for g in AgeGroup.values}
        for m in mine:
            b = m[1]
            ages[age_group_of(day.year - b.year - ((day.month, day.day) < (b.month, b.day)))] += 1
        svc = [s for s in services if s[0].startswith(p)]
        cats = [t for t in txns if t[0].startswith(p)]
        rows.append({
            "region": region,
            "members": len(mine),
            "members_new": sum(1 for m in mine if m[3] >= start),
            "young": ages[AgeGroup.YOUNG], "middle": ages[AgeGroup.MIDDLE], "old": ages[AgeGroup.OLD],
            "volunteers": sum(1 for m in mine if m[2] == VolunteerStatus.APPROVED),
            "services": sum(s[1] for s in svc),
            "hours": round(sum(s[2] or 0 for s in svc) / 60, 1),
            "credits": credits_text(sum(v or 0 for c, v in credits.items() if c.startswith(p))),
            "redemptions": sum(t[3] for t in cats if t[2] == Category.REDEMPTION),
            "exchanges_in": sum(t[3] for t in cats if t[2] == Category.EXCHANGE),
            "exchanges_out": sum(t[3] for t in txns if t[2] == Category.EXCHANGE and t[1].startswith(p)
                                 and not t[0].startswith(p)),
            "donations": sum(t[3] for t in cats if t[2] in (Category.DONATION, Category.OVERFLOW)),
        })
    return rows


STATS_COLUMNS = [
    ("members", "成员"), ("members_new", "本月新增"), ("young", "青年"), ("middle", "中年"), ("old", "老年"),
    ("volunteers", "审核通过的志愿者"), ("services", "认证服务次数"), ("hours", "认证服务时长（小时）"),
    ("credits", "记入积分"), ("redemptions", "在地兑换"), ("exchanges_in", "通存通兑（外地积分在此兑换）"),
    ("exchanges_out", "通存通兑（本地积分在外地兑换）"), ("donations", "捐赠（含超上限转入）"),
]


def stats_xlsx(rows: list[dict[str, Any]], month: Any, estates: list[dict[str, Any]] | None = None) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"时间银行 {month:%Y-%m}")
    ws.append(["区域", "区划代码", *[label for _, label in STATS_COLUMNS]])
    for r in rows:
        ws.append([r["region"].name, r["region"].code, *[r[key] for key, _ in STATS_COLUMNS]])
    if estates:
        sheet = wb.create_sheet("物业小区")
        sheet.append(["物业小区", "所属社区", "区划代码", "本月发布需求", "本月认证服务", "认证服务时长（小时）"])
        for e in estates:
            sheet.append([e["estate"].name, e["estate"].region.name, e["estate"].region_id, e["posted"],
                          e["certified"], e["hours"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def member_by_id_number(id_number: str) -> Member | None:
    """The member registered with ``id_number`` (through its blind index), or None — also for
    a number that fails the check character."""
    from yiyang.core import pii
    from yiyang.core.identifiers import IdentifierError, parse_id_number
    from yiyang.timebank.services import ID_CTX

    try:
        ident = parse_id_number(id_number)
    except IdentifierError:
        return None
    return Member.objects.filter(id_number_bidx=pii.blind_index(ident.value, ID_CTX) or "").first()


def relatives_of(member: Member) -> list[tuple[Member, Any]]:
    """Verified relatives of ``member`` (either side of the kinship) with the kinship."""
    from django.db.models import Q

    from yiyang.timebank.models import Kinship

    rows = Kinship.objects.filter(Q(member=member) | Q(relative=member), verified_at__isnull=False).select_related(
        "member", "relative").order_by("verified_at")
    return [(k.relative if k.member_id == member.pk else k.member, k) for k in rows]


def bookings_for(user: Any, limit: int = 50) -> QuerySet[Any]:
    """Recent bookings of the caller's jurisdiction, newest first (for the corrections page)."""
    from yiyang.timebank.models import LedgerTransaction

    return (jurisdiction_filter(LedgerTransaction.objects.select_related("actor", "corrects"), user, "region_code")
            .order_by("-created_at")[:limit])


def place_of(req: ServiceRequest) -> str:
    """The request's place in the five levels as people say it: 街道 社区 · 物业小区 (the fifth,
    the family's home, is the elder's address and not repeated here)."""
    from yiyang.regions.models import Region

    names = dict(Region.objects.filter(code__in=[req.region_code[:9] + "000", req.region_code])
                 .values_list("code", "name"))
    parts = [names.get(req.region_code[:9] + "000", ""), names.get(req.region_code, req.region_code)]
    text = " ".join(p for p in parts if p)
    return f"{text} · {req.estate.name}" if req.estate_id and req.estate else text


def estate_stats_for(user: Any, month: Any) -> list[dict[str, Any]]:
    """The fourth level (物业小区) in the statistics: per estate of the caller's jurisdiction,
    the month's requests posted there and the services certified there, with their hours."""
    from django.db.models import Count, Sum

    from yiyang.timebank.models import Estate, RequestStatus

    start, end = month_bounds(month)
    estates = list(jurisdiction_filter(Estate.objects.select_related("region"), user, "region_id")
                   .order_by("region_id", "name"))
    ids = [e.pk for e in estates]
    posted = dict(ServiceRequest.objects.filter(estate_id__in=ids, created_at__gte=start, created_at__lt=end)
                  .values_list("estate_id").annotate(n=Count("id")).values_list("estate_id", "n"))
    done = {r[0]: r[1:] for r in ServiceRequest.objects.filter(
        estate_id__in=ids, status=RequestStatus.CERTIFIED, certified_at__gte=start, certified_at__lt=end)
        .values_list("estate_id").annotate(n=Count("id"), m=Sum("certified_minutes"))
        .values_list("estate_id", "n", "m")}
    return [{"estate": e, "posted": posted.get(e.pk, 0), "certified": done.get(e.pk, (0, 0))[0],
             "hours": round((done.get(e.pk, (0, 0))[1] or 0) / 60, 1)} for e in estates]
