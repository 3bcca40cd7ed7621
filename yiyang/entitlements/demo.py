"""Demo entitlements: the statuses of every demo elder, computed in bulk after the
assessments exist, and two payment rounds of 高龄津贴 in 梅林街道.

The baseline is computed as of 30 days ago, then the nightly refresh is run for today: the
elders who turned 60, 65 or 80 in the last month (and so became entitled to 高龄津贴, 健康
管理…) appear on the "新近可享受" page with real reasons, as they would in production.

Between the two, last month's round is drafted from the baseline (by the street's
administrator) and, once the background recompute has caught up, approved by the district's;
then one elder on it dies and one moves to another street, and this month's round is drafted:
its difference from last month shows who turned 80, who died (已故) and who moved away.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core import pii
from yiyang.core.identifiers import id_check_char
from yiyang.core.models import Event
from yiyang.core.registry import DemoContext
from yiyang.core.tasks import run_batch
from yiyang.elders.models import Elder
from yiyang.elders.services import elder_deactivate, elder_register, elder_update
from yiyang.entitlements import payments
from yiyang.entitlements.models import Benefit, EntitlementStatus, PaymentRound, PaymentRoundLine, Status
from yiyang.entitlements.services import entitlements_refresh
from yiyang.regions.models import Region

LOOKBACK_DAYS = 30
ROUND_BENEFIT = "advanced_age_allowance"
ROUND_STREET = "440304006000"  # 梅林街道
MOVE_TO_STREET = "440304007"  # 莲花街道: where the demo's moved elder goes
STREET_ADMIN = "street_admin_440304006"
DISTRICT_ADMIN = "district_admin"


@transaction.atomic
def demo_build(ctx: DemoContext) -> str:
    """The result is determined by the elders, their assessments and the rules."""
    today = timezone.localdate()
    _register_turning_80(today)
    elders = Elder.objects.filter(active=True)
    entitlements_refresh(elders=elders, cause="date", on=today - dt.timedelta(days=LOOKBACK_DAYS))
    last_round = _draft_last_month(today)
    now = entitlements_refresh(elders=elders, cause="date", on=today)
    c = dict(EntitlementStatus.objects.filter(elder__active=True).values_list("status").annotate(n=Count("id")))
    c = {s: c.get(s, 0) for s in Status}
    line = (f"政策享受：{now.elders} 位老年人 × {now.computed // max(now.elders, 1)} 项，"
            f"可享受 {c[Status.ENTITLED]}、可能符合 {c[Status.MAYBE]}、不符合 {c[Status.NOT]} 项次；"
            f"近{LOOKBACK_DAYS}天到龄等变化 {now.changes} 项（新增可享受 {now.newly_entitled} 项）")
    if last_round is not None:
        line += "\n" + _approve_and_draft_this_month(last_round, today)
    return line


def _actors() -> tuple[User, User] | None:
    street = User.objects.filter(username=STREET_ADMIN, is_active=True).first()
    district = User.objects.filter(username=DISTRICT_ADMIN, is_active=True).first()
    if street is None or district is None or not Region.objects.filter(code=ROUND_STREET).exists():
        return None  # a partial world (a test's tree): no rounds
    if not Benefit.objects.filter(code=ROUND_BENEFIT, active=True).exists():
        return None
    return street, district


# Two elders of 梅林街道 whose 80th birthday fell in the last month (days ago): whatever the
# date, this month's round has someone newly entitled to 高龄津贴.
TURNING_80 = (("周桂香", "F", 6), ("郑国华", "M", 19))


def _register_turning_80(today: dt.date) -> None:
    actors = _actors()
    if actors is None:
        return
    street, _ = actors
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith=ROUND_STREET[:9])
                       .order_by("code")[:2])
    for i, (name, sex, days_ago) in enumerate(TURNING_80):
        birthday = today - dt.timedelta(days=days_ago)
        try:
            birth = birthday.replace(year=birthday.year - 80)
        except ValueError:  # 29 February
            birth = birthday.replace(year=birthday.year - 80, day=28)
        for order in range(901, 999, 2):  # the sequence digit's parity is the sex: odd = male
            seq = order if sex == "M" else order - 1
            first17 = f"440304{birth:%Y%m%d}{seq:03d}"
            id_number = first17 + id_check_char(first17)
            if not Elder.objects.filter(id_number_bidx=pii.blind_index(id_number, "elder.id_number")).exists():
                break
        elder_register(actor=street, data={
            "name": name, "id_number": id_number, "region_code": communities[i % len(communities)].code,
            "hukou_local": True, "living_situation": "with_children", "address": "深圳市福田区梅林路88号",
        })


def _draft_last_month(today: dt.date) -> PaymentRound | None:
    """Last month's round, drafted and submitted from the statuses as they were a month ago."""
    actors = _actors()
    if actors is None:
        return None
    street, _ = actors
    last_month = (payments.month_start(today) - dt.timedelta(days=1)).replace(day=1)
    r = payments.round_draft(actor=street, benefit=ROUND_BENEFIT, region_code=ROUND_STREET, month=last_month)
    return payments.round_submit(actor=street, round=r)


def _approve_and_draft_this_month(last: PaymentRound, today: dt.date) -> str:
    actors = _actors()
    assert actors is not None
    street, district = actors
    # The import's and the assessments' events wait for the worker to recompute what this builder
    # has just computed; approval rightly waits for that too. Run it now (it would run after the
    # builders anyway): the recompute changes nothing, and the round may be approved.
    run_batch()
    payments.round_approve(actor=district, round=last)
    _backdate(last, today)

    # A month passes: someone on the list dies, someone moves to another street.
    lines = list(PaymentRoundLine.objects.filter(round=last).order_by("region_code", "name", "elder_id")[:2])
    left = []
    if lines:
        deceased = Elder.objects.get(pk=lines[0].elder_id)
        worker = User.objects.filter(username=f"worker_{deceased.region_id}").first() or street
        elder_deactivate(actor=worker, elder=deceased, reason=Elder.DeactivationReason.DECEASED,
                         note="家属来电告知")
        entitlements_refresh(elders=[deceased.pk], cause="elder", actor=worker)
        left.append(f"{deceased.name}（已故）")
    if len(lines) > 1:
        mover = Elder.objects.get(pk=lines[1].elder_id)
        target = (Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith=MOVE_TO_STREET)
                  .order_by("code").first())
        if target is not None:
            elder_update(actor=district, elder=mover, data={"region_code": target.code})
            entitlements_refresh(elders=[mover.pk], cause="elder", actor=district)
            left.append(f"{mover.name}（迁往{target.name}）")
    this = payments.round_draft(actor=street, benefit=ROUND_BENEFIT, region_code=ROUND_STREET,
                                month=payments.month_start(today))
    return (f"发放批次：梅林街道高龄津贴 {payments.month_label(last.month)} {last.count} 人（已审核），"
            f"{payments.month_label(this.month)} {this.count} 人（草稿：新增 {this.joined_count}、"
            f"减少 {this.left_count}，如 {'、'.join(left) or '—'}）；"
            f"用 {STREET_ADMIN} 或 {DISTRICT_ADMIN} 登录，打开“发放名单”")


def _backdate(r: PaymentRound, today: dt.date) -> None:
    """Last month's round was drafted on the 25th of last month and approved on the 27th."""
    drafted = timezone.make_aware(dt.datetime.combine(r.month.replace(day=25), dt.time(9, 30)))
    submitted = drafted + dt.timedelta(hours=2)
    approved = drafted + dt.timedelta(days=2, hours=1)
    PaymentRound.objects.filter(pk=r.pk).update(drafted_at=drafted, submitted_at=submitted, approved_at=approved)
    subject = {"subject_type": r._meta.label_lower, "subject_id": str(r.pk)}
    for event_type, at in (("entitlement.round_drafted", drafted), ("entitlement.round_submitted", submitted),
                           ("entitlement.round_approved", approved)):
        Event.objects.filter(type=event_type, **subject).update(occurred_at=at)
