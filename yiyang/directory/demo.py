"""Demo resources of 福田区, in the counts seed 002 gives (21 养老机构, 40 社区养老服务设施,
35 长者饭堂/助餐点, 15 居家定点服务机构) with invented names at plausible places, plus every
service point as a 养老顾问点 — written through the HSDS import, as a bureau's file would be.
One provider login, ``provider_demo`` (password of the other demo logins), keeps one
organisation's data; a few services are left unconfirmed for months, to show as stale."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from yiyang.accounts.demo import PASSWORD
from yiyang.accounts.models import Role, User
from yiyang.core.registry import DemoContext
from yiyang.directory.candidates import candidates_refresh
from yiyang.directory.hsds import (
    TAXONOMY_FEATURE,
    TAXONOMY_KIND,
    TAXONOMY_LEVEL,
    TAXONOMY_NEED,
    TAXONOMY_OWNERSHIP,
    TAXONOMY_RATING,
    TAXONOMY_REGION,
)
from yiyang.directory.models import OrganizationStaff, Service
from yiyang.directory.services import directory_import
from yiyang.regions.models import Region
from yiyang.stations.models import ServicePoint

FUTIAN_BOX = ((22.515, 22.580), (114.005, 114.090))
PROVIDER_USERNAME = "provider_demo"
ESTATES = ["景田", "香蜜湖", "梅林", "莲花", "园岭", "华富", "福田", "沙头", "华强", "南园", "香梅", "笋岗"]
WEEKDAYS_ALL = "MO,TU,WE,TH,FR,SA,SU"


def _attr(taxonomy: str, code: str) -> dict[str, Any]:
    return {"taxonomy_term": {"taxonomy": taxonomy, "code": code}}


def _service(rng: random.Random, *, n: int, kind: str, name: str, org: str, community: Region, needs: list[str],
             extra: list[dict[str, Any]], schedules: list[dict[str, Any]], costs: list[dict[str, Any]],
             capacities: list[dict[str, Any]], description: str, fees: str = "", eligibility: str = "",
             minimum_age: int | None = 60) -> dict[str, Any]:
    lat = rng.uniform(*FUTIAN_BOX[0])
    lon = rng.uniform(*FUTIAN_BOX[1])
    street = community.parent.name if community.parent else ""
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": name, "status": "active", "description": description,
        "fees_description": fees, "eligibility_description": eligibility, "minimum_age": minimum_age,
        "phones": [{"number": f"0755-8{rng.randrange(10**6, 10**7)}"}],
        "organization": {"name": org, "legal_status": rng.choice(["民办非企业单位", "企业", "事业单位"]),
                         "attributes": [_attr(TAXONOMY_REGION, community.code)]},
        "service_at_locations": [{"location": {
            "name": name, "latitude": round(lat, 6), "longitude": round(lon, 6),
            "addresses": [{"address_1": f"深圳市福田区{street}{rng.choice(ESTATES)}路{rng.randint(1, 300)}号"}],
            "attributes": [_attr(TAXONOMY_REGION, community.code)]}}],
        "schedules": schedules, "cost_options": costs, "capacities": capacities,
        "contacts": [{"name": rng.choice("王李张刘陈杨黄赵") + rng.choice(["主任", "站长", "院长", "社工"]),
                      "title": "负责人", "phones": [{"number": f"0755-8{rng.randrange(10**6, 10**7)}"}]}],
        "attributes": [_attr(TAXONOMY_KIND, kind), *(_attr(TAXONOMY_NEED, t) for t in needs), *extra],
    }


def demo_build(ctx: DemoContext) -> str:
    rng = random.Random(ctx.seed + 11)
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="440304")
                       .select_related("parent").order_by("code"))
    if not communities:
        return "服务资源：未生成（没有社区）"
    objs: list[dict[str, Any]] = []
    weekdays = [{"byday": "MO,TU,WE,TH,FR", "opens_at": "08:30", "closes_at": "17:30"}]
    for n in range(21):  # 养老机构
        c = rng.choice(communities)
        ownership = rng.choices(["public_guarantee", "inclusive", "market"], weights=[3, 8, 10])[0]
        beds = rng.choice([60, 90, 120, 150, 200, 300])
        nursing = int(beds * rng.uniform(0.5, 0.8))
        free = rng.randint(0, beds // 8)
        extra = [_attr(TAXONOMY_OWNERSHIP, ownership), _attr(TAXONOMY_RATING, str(rng.randint(1, 5)))]
        if rng.random() < 0.5:
            extra.append(_attr(TAXONOMY_FEATURE, "medical_integration"))
        monthly = {"public_guarantee": 2800, "inclusive": 4200, "market": 7800}[ownership] + rng.randrange(0, 1500, 100)
        objs.append(_service(
            rng, n=n, kind="institution", name=f"福田区{rng.choice(ESTATES)}{['颐康', '松鹤', '福寿', '康乐', '悦年'][n % 5]}养老院{n + 1}",
            org=f"深圳市{rng.choice(ESTATES)}养老服务有限公司{n + 1}", community=c,
            needs=["daily_care", "rehab_nursing", "medical", "meals"], extra=extra,
            schedules=[{"byday": WEEKDAYS_ALL, "opens_at": "00:00", "closes_at": "23:59", "description": "全天入住"}],
            costs=[{"option": "床位费（每月）", "amount": monthly, "amount_description": "每月"},
                   {"option": "护理费（每月，按能力等级）", "amount": rng.choice([800, 1500, 2500]), "amount_description": "每月起"}],
            capacities=[{"unit": "床位", "available": free, "maximum": beds},
                        {"unit": "护理型床位", "available": min(free, nursing), "maximum": nursing}],
            description="提供长期入住、生活照料、康复护理服务。", fees="按月收取床位费和护理费；特困人员由政府供养",
            eligibility="60周岁以上；入住前需进行能力评估"))
    for n in range(40):  # 社区日间照料中心
        c = communities[n % len(communities)]
        objs.append(_service(
            rng, n=n, kind="day_care", name=f"{c.name}日间照料中心" + (f"（{n // len(communities) + 1}）" if n >= len(communities) else ""),
            org=f"{c.parent.name if c.parent else ''}社区养老服务中心", community=c,
            needs=["daily_care", "companionship", "rehab_nursing", "meals"], extra=[_attr(TAXONOMY_LEVEL, "max:3")],
            schedules=weekdays, costs=[{"option": "日托（每天）", "amount": rng.choice([30, 40, 50])}],
            capacities=[{"unit": "日托位", "available": rng.randint(0, 12), "maximum": 30}],
            description="白天托养、文娱活动、康复训练，傍晚回家。", fees="低保、特困老人免费"))
    for n in range(35):  # 长者饭堂/助餐点
        c = rng.choice(communities)
        objs.append(_service(
            rng, n=n, kind="canteen", name=f"{c.name}长者饭堂{n + 1}", org=f"福田区长者饭堂运营中心{n % 5 + 1}",
            community=c, needs=["meals"], extra=[],
            schedules=[{"byday": WEEKDAYS_ALL, "opens_at": "11:00", "closes_at": "13:00", "description": "午餐"},
                       {"byday": "MO,TU,WE,TH,FR", "opens_at": "17:00", "closes_at": "18:30", "description": "晚餐"}],
            costs=[{"option": "午餐（每餐）", "amount": 15, "amount_description": "80岁以上及补贴对象每餐减免5元"},
                   {"option": "送餐上门（每次）", "amount": 3}],
            capacities=[{"unit": "餐位", "available": rng.randint(0, 40), "maximum": 80}],
            description="堂食和送餐上门。", fees="每餐15元，补贴对象减免"))
    for n in range(15):  # 居家定点服务机构
        c = rng.choice(communities)
        objs.append(_service(
            rng, n=n, kind="home_care", name=f"{rng.choice(ESTATES)}居家养老服务站{n + 1}",
            org=f"深圳市{rng.choice(ESTATES)}居家养老服务社{n + 1}", community=c,
            needs=rng.sample(["bathing", "cleaning", "mobility", "medical", "daily_care", "errands"], 4),
            extra=[], schedules=weekdays + [{"byday": "SA", "opens_at": "09:00", "closes_at": "12:00"}],
            costs=[{"option": "上门助浴（每次）", "amount": 80}, {"option": "上门助洁（每小时）", "amount": 45}],
            capacities=[], description="上门助浴、助洁、助行、陪同就医。", fees="补贴对象按补贴额度抵扣"))
    for p in ServicePoint.objects.select_related("region", "region__parent").order_by("region_id", "name"):
        c = p.region if p.region.level == Region.Level.COMMUNITY else communities[0]
        objs.append(_service(
            rng, n=0, kind="consultant_point", name=p.name, org=f"{p.region.name}养老顾问", community=c,
            needs=["policy_legal", "errands", "emergency"], extra=[],
            schedules=weekdays, costs=[{"option": "政策咨询", "amount": 0}], capacities=[],
            description="养老政策咨询、能力评估预约、服务转介。", fees="免费", minimum_age=None))
    result = directory_import(objs, source="demo")
    if not result.committed:
        raise RuntimeError(f"demo directory import failed: {result.errors[:5]}")
    # A few not confirmed for months: shown as possibly out of date.
    old = timezone.now() - dt.timedelta(days=200)
    stale = list(Service.objects.filter(kind=Service.Kind.CANTEEN).order_by("name").values_list("pk", flat=True)[:4])
    Service.objects.filter(pk__in=stale).update(confirmed_at=old)
    Service.objects.filter(pk__in=list(Service.objects.filter(kind=Service.Kind.DAY_CARE).order_by("name")
                                       .values_list("pk", flat=True)[:1])).update(status=Service.Status.TEMPORARILY_CLOSED)
    candidates_refresh(None)  # matching's rows follow the two changes above
    first = Service.objects.filter(kind=Service.Kind.INSTITUTION).select_related("organization").order_by("name").first()
    if first is not None:
        provider, _created = User.objects.get_or_create(username=PROVIDER_USERNAME, defaults={
            "full_name": f"{first.organization.name}信息员", "role": Role.PROVIDER_STAFF,
            "region_id": first.organization.region_id, "password": make_password(PASSWORD)})
        OrganizationStaff.objects.get_or_create(organization=first.organization, user=provider)
    lists, refs = _demo_lists_and_referrals(communities[0])
    return (f"服务资源：{result.created} 项（养老机构 21、日间照料 40、长者饭堂 35、居家服务 15、顾问点），"
            f"机构账号 {PROVIDER_USERNAME}；服务清单 {lists} 份，转介 {refs} 条（各种状态）")


def _demo_lists_and_referrals(community: Region) -> tuple[int, int]:
    """For elders of the first community with needs: service lists, and referrals in every
    state — written through the services, as a worker and a provider would."""
    from yiyang.directory import referrals, servicelists
    from yiyang.elders.models import Elder
    from yiyang.surveys.selectors import elders_current_needs

    worker = User.objects.filter(username=f"worker_{community.code}").first()
    if worker is None:
        return 0, 0
    ids = list(Elder.objects.filter(region=community, active=True).order_by("name").values_list("pk", flat=True))
    with_needs = elders_current_needs(ids)
    elders = list(Elder.objects.filter(pk__in=[i for i in ids if with_needs.get(i)]).order_by("name")[:8])
    lists = refs = 0
    for elder in elders[:3]:
        draft = servicelists.service_list_draft(actor=worker, elder=elder)
        servicelists.service_list_save(actor=worker, elder=elder, content=draft, note="已向老人和家属讲解")
        lists += 1
    steps = ["sent", "accepted", "declined", "delivered", "checked", "cancelled"]
    for elder, step in zip(elders, steps, strict=False):
        services = [s for s in servicelists.service_list_draft(actor=worker, elder=elder)["services"]]
        if not services:
            continue
        service = Service.objects.get(pk=services[0]["service_id"])
        r = referrals.referral_send(actor=worker, elder=elder, service=service, need=services[0]["need"],
                                    note="老人行动不便，请电话联系家属",
                                    consent=None if elder.consents.filter(purpose="share_with_provider",
                                                                          withdrawn_at__isnull=True).exists()
                                    else {"granted_by": elder.name, "method": "signed_paper", "evidence": "转介同意书"})
        if step in ("accepted", "delivered", "checked"):
            referrals.referral_answer(actor=None, referral=r, accept=True)
        if step == "declined":
            referrals.referral_answer(actor=None, referral=r, accept=False, note="暂无空余名额，下月再联系")
        if step in ("delivered", "checked"):
            referrals.referral_deliver(actor=None, referral=r, note="已开始服务")
        if step == "checked":
            referrals.referral_check(actor=worker, referral=r, note="老人说服务已到位，满意")
        if step == "cancelled":
            referrals.referral_cancel(actor=worker, referral=r, note="家属已自行安排")
        refs += 1
    return lists, refs
