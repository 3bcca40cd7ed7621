"""Demo casework: six months of consultations at the community points of two streets (walk-in,
phone, online, hotline; some anonymous), their follow-ups — most done, some still open and a
few overdue —, two case conferences on hard cases, and delegated errands in every state, one of
them overdue. Written through the services (with the ``now`` of the past they happened in), so
the timeline, the to-do lists and the supervisor's overdue columns show real rows."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.casework import services
from yiyang.casework.models import Consultation, FollowUp
from yiyang.core.access import prefix_q
from yiyang.core.registry import DemoContext
from yiyang.elders.models import Elder

STREETS = ("440304006", "440304007")  # 梅林, 莲花

REASONS = [
    ("subsidy", "询问高龄津贴的申请条件和发放时间", "80 周岁以上户籍老人每月发放，带身份证、户口本到社区办理"),
    ("subsidy", "家属咨询经济困难老年人养老服务补贴", "先申请低保边缘认定，再申请补贴；已告知所需材料"),
    ("assessment", "想了解老年人能力评估怎么做", "可预约上门评估，评估结果用于护理补贴和机构入住"),
    ("institution", "子女想为父亲找附近的护理型养老机构", "介绍了区内三家护理型床位较多的机构及收费区间"),
    ("home_care", "独居老人询问助洁、助浴上门服务", "推荐居家定点服务机构，可用养老服务补贴抵扣"),
    ("meals", "询问长者饭堂的位置和就餐补贴", "社区长者饭堂午餐 12 元，80 岁以上有补贴"),
    ("adaptation", "家里卫生间地滑，想申请适老化改造", "符合条件可申请家庭适老化改造补贴，先做入户评估"),
    ("legal", "老人咨询房产赠与子女的法律问题", "转介法律援助站，预约律师面谈"),
    ("emotional", "老伴去世后情绪低落，邻居陪同来访", "安排社工上门探访，推荐社区老年活动室"),
    ("medical", "出院后需要康复护理，询问家庭病床", "联系社康中心家庭医生，申请家庭病床"),
    ("policy", "热线来电询问老年人意外伤害保险", "60 岁以上由政府统一投保，出险后到社区登记"),
    ("other", "询问老年人优待证如何办理", "带身份证和照片到街道政务服务中心办理"),
]
FOLLOWUPS = ["电话回访办理进度", "上门送达申请材料", "确认评估预约时间", "回访服务满意度", "协助准备申请材料"]
ERRANDS = [
    ("medical_escort", "陪同到市第二人民医院心内科复诊、取药"),
    ("admission", "协助办理养老机构入住手续"),
    ("documents", "代为补办第三代社保卡"),
    ("payment", "代缴本季度水电燃气费"),
    ("shopping", "代购降压药和成人护理用品"),
    ("other", "协助联系物业维修热水器"),
]


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """That time of that day — never later than now (a demo built at 5 a.m. must not record a
    consent "given" at 9:30 today: the service refuses a time in the future)."""
    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute))), timezone.now())


def demo_build(ctx: DemoContext) -> str:
    rng = random.Random(ctx.seed + 9)
    today = timezone.localdate()
    workers = {str(u.region_id): u for u in User.objects.filter(prefix_q(STREETS[0][:6], "region_id"),
                                                                role=Role.COMMISSIONER)}
    admins = {str(u.region_id)[:9]: u for u in User.objects.filter(role=Role.STREET_ADMIN)}
    n_consult = n_follow = 0
    open_followups: list[FollowUp] = []
    for code, worker in sorted(workers.items()):
        if code[:9] not in STREETS:
            continue
        elders = list(Elder.objects.filter(region_id=code, active=True).order_by("name")[:40])
        if not elders:
            continue
        for week in range(26, 0, -1):  # about one or two a week for half a year
            for _ in range(rng.choice((0, 1, 1, 2))):
                day = today - dt.timedelta(days=week * 7 - rng.randint(0, 6))
                if day > today:
                    continue
                when = _at(day, rng.randint(9, 16), rng.choice((0, 10, 20, 30, 40, 50)))
                item, reason, advice = rng.choice(REASONS)
                channel = rng.choices(list(Consultation.Channel.values), weights=(5, 4, 1, 2))[0]
                anonymous = rng.random() < 0.2
                elder = None if anonymous else rng.choice(elders)
                data: dict[str, Any] = {
                    "channel": channel, "visitor_type": rng.choice(("elder", "family", "elder_and_family")),
                    "visitor_count": 1, "family_count": 0, "visited_at": when, "elder": elder,
                    "community": None, "service_item": item, "reason": reason, "advice": advice,
                    "result": "answered",
                }
                if data["visitor_type"] != "elder":
                    data.update(visitor_count=2 if data["visitor_type"] == "elder_and_family" else 1, family_count=1)
                if anonymous:
                    data.update(visitor_type="neighbour", visitor_name=rng.choice("刘陈杨黄周") + "阿姨",
                                visitor_phone=f"1700{rng.randint(1000000, 9999999)}", visitor_age=rng.randint(55, 80))
                followup = None
                if rng.random() < 0.45:
                    data["result"] = "follow_up"
                    followup = {"title": rng.choice(FOLLOWUPS), "due_date": day + dt.timedelta(days=rng.choice((3, 7, 14)))}
                elif rng.random() < 0.2:
                    data["result"] = "referred"
                c = services.consultation_record(actor=worker, data=data, followup=followup, now=when)
                n_consult += 1
                if followup:
                    n_follow += 1
                    f = FollowUp.objects.get(source="consultation", source_id=str(c.pk))
                    done_on = f.due_date - dt.timedelta(days=rng.randint(0, 2))
                    # Older ones were done; recent ones still open (some of them past due).
                    if done_on < today - dt.timedelta(days=10) or rng.random() < 0.3 and done_on < today:
                        services.followup_complete(actor=worker, followup=f, note="已回访，老人表示满意",
                                                   now=_at(done_on, 15, 0))
                    else:
                        open_followups.append(f)
    conferences = _conferences(rng, workers, admins, today)
    errands = _errands(rng, workers, admins, today)
    overdue = sum(1 for f in open_followups if f.due_date < today)
    return (f"个案服务：{n_consult} 次咨询，{n_follow + conferences * 2} 项跟踪事项（{overdue} 项逾期），"
            f"{conferences} 次集体会诊，{errands} 项委托代办")


def _conferences(rng: random.Random, workers: dict[str, User], admins: dict[str, User], today: dt.date) -> int:
    cases = [
        ("独居，三个月内跌倒两次，拒绝入住养老机构，子女在外地", "申请家庭养老床位并安装一键呼叫", "联系子女商定每周视频探访"),
        ("失能老人照护者（配偶）突发住院，家中无人照料", "临时安排机构喘息服务", "为配偶出院后申请居家护理服务"),
    ]
    held = 0
    for (problem, d1, d2), code in zip(cases, sorted(c for c in workers if c[:9] in STREETS), strict=False):
        worker, admin = workers[code], admins.get(code[:9])
        elder = Elder.objects.filter(region_id=code, active=True, living_situation="alone").order_by("name").first()
        if admin is None or elder is None:
            continue
        day = today - dt.timedelta(days=20 + held * 30)
        services.conference_hold(
            actor=admin, elder=elder, held_on=day, problem=problem, participants=[worker],
            minutes="社区专员介绍情况；街道管理员、社康中心家庭医生、社工参加讨论，一致认为需尽快落实照护安排。",
            decisions=[{"text": d1, "due_date": day + dt.timedelta(days=14), "assignee": worker},
                       {"text": d2, "due_date": day + dt.timedelta(days=40), "assignee": worker},
                       {"text": "下次巡访时评估落实情况"}],
            now=_at(day, 14, 30))
        held += 1
    return held


def _errands(rng: random.Random, workers: dict[str, User], admins: dict[str, User], today: dt.date) -> int:
    made = 0
    plan = ["closed", "closed", "done", "in_progress", "in_progress_overdue", "requested", "requested_overdue",
            "cancelled"]
    codes = sorted(c for c in workers if c[:9] in STREETS)
    for i, state in enumerate(plan):
        code = codes[i % len(codes)]
        worker, admin = workers[code], admins.get(code[:9])
        candidates = list(Elder.objects.filter(region_id=code, active=True, living_situation__in=("alone", "empty_nest"))
                          .order_by("-name")[:4])
        elder = candidates[i // len(codes)] if len(candidates) > i // len(codes) else None
        if elder is None or admin is None:
            continue
        kind, description = ERRANDS[i % len(ERRANDS)]
        start = today - dt.timedelta(days=rng.randint(3, 40) if "overdue" in state or state in ("closed", "done")
                                     else rng.randint(0, 2))
        due = start + dt.timedelta(days=2 if "overdue" in state else 7)
        consent = None
        if services.errand_consent_in_force(elder) is None:
            consent = {"granted_by": f"{elder.name}（本人）", "method": rng.choice(("signed_paper", "verbal_witnessed")),
                       "evidence": f"委托书 {today.year}-{i + 1:03d}", "granted_at": _at(start, 9, 30)}
        e = services.errand_request(actor=worker, elder=elder, kind=kind, description=description, due_date=due,
                                    consent=consent, now=_at(start, 10, 0))
        if state.startswith("in_progress") or state in ("done", "closed"):
            e = services.errand_start(actor=worker, errand=e, now=_at(start, 14, 0))
        if state in ("done", "closed"):
            e = services.errand_complete(actor=worker, errand=e, note="已办理完毕，票据交老人本人保管",
                                         now=_at(start + dt.timedelta(days=2), 16, 0))
        if state == "closed":
            services.errand_close(actor=admin, errand=e, note="核对票据无误", now=_at(start + dt.timedelta(days=3), 10, 0))
        if state == "cancelled":
            services.errand_cancel(actor=worker, errand=e, reason="家属已回来自行办理", now=_at(start, 17, 0))
        made += 1
    return made
