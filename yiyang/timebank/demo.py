"""Demo time bank: a time-bank point per street of three streets, its lead, volunteers of all
three ages (老中青) reviewed in two stages, teams, family members linked to elders with the
elder's consent, requests in every state over the last three months — most served, rated and
certified — and redemptions, transfers to verified relatives, donations, a team's donation
and a pool grant. Everything goes through the services (the ledger's one write path), so
``yiyang verify-ledger`` accepts the demo's few hundred entries.

Logins (password ``yiyang-demo``): ``timebank_<9-digit street>`` (the point's lead),
``volunteer_demo`` (a young volunteer), ``family_demo`` (a daughter who posts for her father)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.core import synthetic
from yiyang.core.registry import DemoContext
from yiyang.elders.models import Consent, Elder
from yiyang.elders.services import consent_grant
from yiyang.regions.models import Region
from yiyang.stations.models import ServicePoint
from yiyang.timebank import services
from yiyang.timebank.access import MEMBER_ROLE
from yiyang.timebank.ledger import InsufficientCredits, member_account
from yiyang.timebank.models import (
    CatalogueItem,
    Estate,
    Member,
    Relation,
    ServiceKind,
    Team,
)

PASSWORD = "yiyang-demo"  # noqa: S105 - the published demo password
DESCRIPTIONS = {
    "meal": "帮忙从长者饭堂取午饭送到家", "cleaning": "打扫客厅和厨房", "escort": "陪同去社康中心复诊",
    "shopping": "代买米油和日用品", "company": "陪老人聊天、读报", "repair": "更换卫生间灯泡、修水龙头",
    "digital": "教老人用手机视频通话和扫码", "culture": "陪同参加社区合唱活动", "other": "帮忙整理药盒、记录服药时间",
}
CATALOGUE = [("上门理发", "service", "", 100), ("助浴服务一次", "service", "", 200), ("居家保洁两小时", "service", "", 200),
             ("长者饭堂午餐一周", "goods", "社区长者饭堂", 300), ("血压计", "goods", "合作药店", 500)]


def demo_build(ctx: DemoContext) -> str:
    rng = random.Random(ctx.seed + 31)
    now = timezone.now()
    streets = [s for s in Region.objects.filter(level=Region.Level.STREET, code__startswith="440304").order_by("code")
               if Elder.objects.filter(region__code__startswith=s.code[:9], active=True).exists()][:3]
    if not streets:
        return ""
    platform = User.objects.filter(username="district_admin").first() or User.objects.filter(is_superuser=True).first()
    password = make_password(PASSWORD)
    seq = 0

    def person(sex: str, birth: dt.date) -> tuple[str, str]:
        nonlocal seq
        seq += 1
        given = rng.choice(synthetic.GIVEN_M if sex == "M" else synthetic.GIVEN_F)
        return rng.choice(synthetic.SURNAMES) + given, synthetic.synthetic_id(rng, birth, sex, seq + 700)

    def login(username: str, name: str, region: str, role: str = MEMBER_ROLE) -> User:
        return User.objects.create(username=username, full_name=name, role=role, region_id=region, password=password)

    counts = {"volunteers": 0, "families": 0, "requests": 0, "certified": 0, "redemptions": 0, "transfers": 0,
              "donations": 0, "corrections": 0}
    for si, street in enumerate(streets):
        code9 = street.code[:9]
        communities = list(Region.objects.filter(parent=street).order_by("code"))
        point = ServicePoint.objects.create(name=f"{street.name}时间银行服务点", kind=ServicePoint.Kind.TIME_BANK,
                                            region=street, address=f"深圳市福田区{street.name}党群服务中心二楼",
                                            hours="周一至周六 9:00–17:30")
        lead = login(f"timebank_{code9}", f"{street.name}时间银行负责人", street.code, Role.POINT_LEAD)
        point.lead = lead
        point.save(update_fields=["lead"])
        for name, kind, partner, price in CATALOGUE:
            CatalogueItem.objects.create(name=name, kind=kind, partner=partner, service_point=point,
                                         region_code=street.code, price=price)
        # Volunteers: young, middle-aged and younger old people (低龄老人), reviewed twice.
        volunteers: list[tuple[Member, User]] = []
        for i in range(12):
            group = i % 3
            age = (rng.randint(20, 40), rng.randint(45, 58), rng.randint(60, 72))[group]
            sex = rng.choice("MF")
            birth = (now - dt.timedelta(days=age * 365 + rng.randint(0, 300))).date()
            name, ident = person(sex, birth)
            comm = rng.choice(communities)
            username = "volunteer_demo" if (si, i) == (0, 0) else f"tb_vol_{code9}_{i:02d}"
            user = login(username, name, comm.code)
            m = services.member_register(actor=lead, name=name, id_number=ident, region_code=comm.code,
                                         phone=f"1700000{seq:04d}", volunteer=True, service_point=point, user=user,
                                         skills=rng.choice(["陪伴聊天", "家电维修", "智能手机教学", "理发", "护理"]))
            if i == 11:  # one application waits for the point, one for the platform
                continue
            services.volunteer_review(actor=lead, member=m, approve=True)
            if i == 10:
                continue
            services.volunteer_review(actor=platform, member=m, approve=True)
            m.refresh_from_db()
            volunteers.append((m, user))
            counts["volunteers"] += 1
        team = Team.objects.create(name=f"{street.name}青年志愿服务队", region=street, service_point=point,
                                   leader=volunteers[0][0], approved=True)
        team.members.set([v for v, _ in volunteers[:4]])
        # The fourth level (物业小区): two estates in each community, the first with its own
        # time-bank desk at the property service centre; a third of the requests name one.
        estates: dict[str, list[Estate]] = {}
        for comm in communities:
            desk = ServicePoint.objects.create(name=f"{comm.name}花园物业服务中心时间银行点",
                                               kind=ServicePoint.Kind.TIME_BANK, region=comm,
                                               address=f"{comm.name}花园物业服务中心", hours="每天 8:30–18:00")
            estates[comm.code] = [
                Estate.objects.create(name=f"{comm.name}花园", region=comm, property_company="彩生活物业",
                                      service_point=desk),
                Estate.objects.create(name=f"{comm.name}一村", region=comm, property_company="万科物业"),
            ]
        # Families: elders of the street who consented to family proxy, each with a son or daughter.
        elders = list(Elder.objects.filter(region__code__startswith=code9, active=True).order_by("pk")[:10])
        families: list[tuple[Member, User, Elder]] = []
        for j, elder in enumerate(elders):
            if not elder.consents.filter(purpose=Consent.Purpose.FAMILY_PROXY, withdrawn_at__isnull=True).exists():
                consent_grant(actor=lead, elder=elder, purpose=Consent.Purpose.FAMILY_PROXY, granted_by=elder.name,
                              method=Consent.Method.SIGNED_PAPER, evidence=f"家属代办授权书 {code9}-{j + 1:03d}")
            sex = rng.choice("MF")
            birth = (now - dt.timedelta(days=rng.randint(38, 55) * 365)).date()
            name, ident = person(sex, birth)
            username = "family_demo" if (si, j) == (0, 0) else f"tb_family_{code9}_{j:02d}"
            user = login(username, name, elder.region_id)
            fam = services.member_register(actor=lead, name=name, id_number=ident, region_code=elder.region_id,
                                           phone=f"1700000{seq:04d}", user=user, service_point=point)
            services.family_link(actor=lead, member=fam, elder=elder,
                                 relation=Relation.CHILD)
            families.append((fam, user, elder))
            counts["families"] += 1
        # Requests over the last 90 days; each volunteer's services on distinct days.
        slots: dict[Any, set[int]] = {}
        for k in range(50):
            fam, fam_user, elder = families[k % len(families)]
            vol, vol_user = volunteers[(k * 7 + si) % len(volunteers)]
            days = rng.randint(2, 90)
            while days in slots.setdefault(vol.pk, set()):
                days = days % 89 + 2
            slots[vol.pk].add(days)
            kind = rng.choice(ServiceKind.values)
            start = (now - dt.timedelta(days=days)).replace(hour=9 + rng.randint(0, 6), minute=0, second=0,
                                                           microsecond=0)
            minutes = rng.choice([45, 60, 60, 90, 90, 120, 150])
            target = ("certified" if k < 40 else ["rated", "done", "in_service", "taken", "cancelled", "rejected",
                                                  "open", "open", "flagged", "open"][k - 40])
            if target in ("open", "taken", "in_service"):
                start = now + dt.timedelta(days=rng.randint(1, 7)) if target != "in_service" else \
                    now - dt.timedelta(minutes=40)
            estate = estates[elder.region_id][k % 2] if k % 3 == 0 and elder.region_id in estates else None
            req = services.request_post(actor=fam_user, elder=elder, kind=kind, description=DESCRIPTIONS[kind],
                                        wanted_at=start, expected_minutes=minutes, estate=estate,
                                        at=min(start, now) - dt.timedelta(days=2))
            counts["requests"] += 1
            if target == "open":
                continue
            if target == "cancelled":
                services.request_cancel(actor=fam_user, req=req, reason="老人临时住院，暂不需要")
                continue
            team_for = team if vol in team.members.all() and k % 5 == 0 else None
            req = services.request_take(actor=vol_user, req=req, team=team_for, at=min(start, now) - dt.timedelta(days=1))
            if target == "taken":
                continue
            where = _near(elder, rng, far=target == "flagged")
            req = services.request_checkin(actor=vol_user, req=req, latitude=where[0] if where else None,
                                           longitude=where[1] if where else None, at=start)
            if target == "in_service":
                continue
            req = services.request_checkout(actor=vol_user, req=req, at=start + dt.timedelta(minutes=minutes))
            if target == "done":
                continue
            after = start + dt.timedelta(minutes=minutes + 30)
            services.request_rate(actor=vol_user, req=req, rating=rng.choice([4, 5, 5]), comment="老人很热情", at=after)
            req = services.request_rate(actor=fam_user, req=req, rating=rng.choice([4, 5, 5, 5]),
                                        comment=rng.choice(["很耐心，谢谢", "准时，细心", "父亲很满意"]), at=after)
            if target in ("rated", "flagged"):
                continue
            if target == "rejected":
                services.request_reject(actor=lead, req=req, reason="老人表示当天未接受服务")
                continue
            req = services.request_certify(actor=lead, req=req, at=start + dt.timedelta(days=1))
            counts["certified"] += 1
            if si == 0 and counts["corrections"] == 0 and k >= 5 and req.booking is not None:
                # One correction: the point certified a service twice on paper and undoes one
                # booking with a compensating entry (the original stays on the ledger).
                services.booking_correct(actor=lead, booking=req.booking,
                                         reason="重复认证：该次服务已在纸质台账补记，冲回本次记入")
                counts["corrections"] += 1
        # Credits in use: the older volunteers redeem locally; the young transfer to a parent
        # (a verified relative) or donate; the team donates its hours; the pool helps an elder.
        items = list(CatalogueItem.objects.filter(service_point=point).order_by("price"))
        for m, _user in volunteers:
            acc = member_account(m)
            when = now - dt.timedelta(days=rng.randint(0, 1), hours=rng.randint(1, 8))
            try:
                if m.age >= 60 and acc.balance >= items[0].price:
                    item = max((i for i in items if i.price <= acc.balance), key=lambda i: i.price)
                    services.redeem(actor=lead, member=m, item=item, at=when)
                    counts["redemptions"] += 1
                elif m.age < 45 and acc.balance >= 100:
                    pname, pid = person("F", (now - dt.timedelta(days=max(62, m.age + 30) * 365)).date())
                    parent = services.member_register(actor=lead, name=pname, id_number=pid, region_code=m.region_id,
                                                      service_point=point)
                    services.kinship_verify(actor=lead, member=m, relative=parent, relation=Relation.PARENT,
                                            evidence="户口簿")
                    services.transfer(actor=lead, member=m, to=parent, amount=acc.balance // 2, at=when)
                    counts["transfers"] += 1
                    services.redeem(actor=lead, member=parent, item=items[0], at=when + dt.timedelta(hours=2))
                    counts["redemptions"] += 1
                elif acc.balance >= 50:
                    services.donate(actor=lead, member=m, amount=50, at=when)
                    counts["donations"] += 1
            except InsufficientCredits:
                pass
        team_acc = member_account(volunteers[0][0])  # touch: the leader's account exists
        del team_acc
        from yiyang.timebank.ledger import team_account

        if team_account(team).balance > 0:
            services.donate(actor=lead, team=team, amount=team_account(team).balance, at=now - dt.timedelta(hours=3))
            counts["donations"] += 1
        needy = families[-1][2]
        grantee = Member.objects.filter(elder=needy).first() or services.member_register(
            actor=lead, name=needy.name, id_number=needy.id_number, region_code=needy.region_id, elder=needy,
            service_point=point)
        from yiyang.timebank.ledger import pool_account

        pool = pool_account(street.code).balance
        if pool >= 100:
            services.pool_grant(actor=lead, member=grantee, amount=100, reason="独居困难老人，爱心池拨付理发一次")
    return ("时间银行：{volunteers} 名志愿者（老中青）、{families} 位家属、{requests} 项需求（认证 {certified} 项）、"
            "{redemptions} 次兑换、{transfers} 次转赠、{donations} 次捐赠、{corrections} 次冲正；演示账号 volunteer_demo、family_demo、"
            "timebank_<9位街道代码>").format(**counts)


def _near(elder: Elder, rng: random.Random, *, far: bool) -> tuple[float, float] | None:
    from yiyang.elders.location import elder_home_position

    home = elder_home_position(elder)
    if home is None:
        return None
    shift = 0.02 if far else 0.0004
    return home[0] + rng.uniform(-shift, shift), home[1] + rng.uniform(-shift, shift)
