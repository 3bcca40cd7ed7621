"""Payment rounds (发放批次): the frozen list, the state machine with its four-eyes rule and
its wait for a pending recompute, immutability once approved, one round per node and month,
and the difference from the previous round with the reason of each change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import Event
from yiyang.elders.models import Elder
from yiyang.elders.services import elder_deactivate, elder_update
from yiyang.entitlements import payments
from yiyang.entitlements.access import access_round
from yiyang.entitlements.models import (
    Benefit,
    BenefitRule,
    PaymentRound,
    PaymentRoundChange,
    PaymentRoundLine,
)
from yiyang.entitlements.services import benefit_rule_save
from yiyang.entitlements.tasks import entitlements_refresh_nightly
from yiyang.entitlements.tests.helpers import born, elder_aged, id_number_born
from yiyang.entitlements.tests.payment_helpers import AGE, STREET, last_month

State = PaymentRound.State


def draft(actor, region=STREET, month=None, benefit=AGE) -> PaymentRound:
    return payments.round_draft(actor=actor, benefit=benefit, region_code=region, month=month)


def approved(drafter, approver, **kw) -> PaymentRound:
    r = draft(drafter, **kw)
    payments.round_submit(actor=drafter, round=r)
    return payments.round_approve(actor=approver, round=r)


def lines(r) -> list[str]:
    return list(PaymentRoundLine.objects.filter(round=r).order_by("region_code", "name", "elder_id")
                .values_list("name", flat=True))


def test_draft_freezes_the_entitled_list_of_the_node(street_admin, people):
    r = draft(street_admin)
    assert (r.status, r.region_code, r.month, r.count) == ("draft", STREET, timezone.localdate().replace(day=1), 3)
    assert r.drafted_by == street_admin and r.drafted_at is not None and r.previous is None
    assert lines(r) == ["王秀", "王秀英", "李桂"]
    line = PaymentRoundLine.objects.get(round=r, elder_id=people["a1"].pk)
    assert line.id_number_masked == people["a1"].id_number_masked
    assert bytes(line.id_number_enc) == bytes(people["a1"].id_number_enc)  # a snapshot, still encrypted
    assert line.status == "entitled" and line.region_code == factories.COMMUNITY_A
    assert line.birth_date == people["a1"].birth_date
    # Frozen: what happens later does not change the lines.
    elder_deactivate(actor=street_admin, elder=people["a1"], reason="deceased")
    factories.run_worker()
    assert lines(r) == ["王秀", "王秀英", "李桂"] and PaymentRound.objects.get(pk=r.pk).count == 3
    ev = Event.objects.get(type="entitlement.round_drafted")
    assert ev.actor == street_admin and ev.region_code == STREET and ev.subject_id == str(r.pk)
    assert ev.payload["count"] == 3 and ev.payload["name"] == "高龄津贴"


def test_month_is_the_first_day_and_not_beyond_next_month(street_admin, people):
    today = timezone.localdate()
    r = draft(street_admin, month=today.replace(day=17))
    assert r.month == today.replace(day=1)
    far = (today.replace(day=1) + dt.timedelta(days=70)).replace(day=1)
    with pytest.raises(FieldErrors) as exc:
        draft(street_admin, month=far, region=factories.COMMUNITY_A)
    assert "下个月" in exc.value.errors["month"][0]


def test_who_may_draft_where(community_admin, point_lead, street_admin, people):
    assert draft(community_admin, region=factories.COMMUNITY_A).count == 2
    with pytest.raises(NotFoundError):
        draft(community_admin, region=factories.COMMUNITY_A2)  # beside their node
    with pytest.raises(NotFoundError):
        draft(community_admin, region=STREET)  # above their node
    with pytest.raises(NotFoundError):
        draft(street_admin, region="440304999000")  # no such node
    with pytest.raises(ForbiddenError):
        draft(point_lead, region=factories.COMMUNITY_A)  # reads lists, drafts nothing
    with pytest.raises(NotFoundError):
        draft(street_admin, benefit="ltc_insurance")  # switched off


def test_one_live_round_per_node_and_month_overlaps_refused(street_admin, street_admin2, community_admin, people):
    r = draft(street_admin)
    with pytest.raises(ApplicationError) as exc:
        draft(street_admin2)
    assert exc.value.code == "round_exists" and exc.value.status == 409 and "已存在" in exc.value.message
    # A community inside the street, the same month: the same people twice.
    with pytest.raises(ApplicationError) as exc:
        draft(community_admin, region=factories.COMMUNITY_A)
    assert exc.value.code == "round_exists"
    # Another month, another benefit, another street: fine.
    draft(street_admin, month=last_month(timezone.localdate()))
    draft(street_admin, benefit="accident_insurance")
    # Cancelled: the month may be drafted again.
    payments.round_cancel(actor=street_admin, round=r, note="重新编制")
    again = draft(street_admin2)
    assert again.pk != r.pk and again.status == "draft"
    assert PaymentRound.objects.get(pk=r.pk).status == "cancelled"


def test_state_machine_with_four_eyes(street_admin, street_admin2, district_admin, people):
    r = draft(street_admin)
    with pytest.raises(ApplicationError) as exc:
        payments.round_approve(actor=district_admin, round=r)  # not submitted yet
    assert exc.value.code == "round_not_submitted"
    payments.round_submit(actor=street_admin, round=r)
    r.refresh_from_db()
    assert (r.status, r.submitted_by) == ("submitted", street_admin)
    with pytest.raises(ApplicationError):
        payments.round_submit(actor=street_admin, round=r)
    with pytest.raises(ForbiddenError) as exc:
        payments.round_approve(actor=street_admin, round=r)
    assert "自己编制" in exc.value.message
    assert PaymentRound.objects.get(pk=r.pk).status == "submitted"
    payments.round_approve(actor=street_admin2, round=r)
    r.refresh_from_db()
    assert (r.status, r.approved_by) == ("approved", street_admin2) and r.approved_at is not None
    types = list(Event.objects.filter(subject_id=str(r.pk), subject_type="entitlements.paymentround")
                 .order_by("occurred_at").values_list("type", "actor__username"))
    assert types == [("entitlement.round_drafted", "street_a"), ("entitlement.round_submitted", "street_a"),
                     ("entitlement.round_approved", "street_a2")]


def test_a_community_admin_drafts_but_may_not_approve(community_admin, street_admin, people):
    r = draft(community_admin, region=factories.COMMUNITY_A)
    payments.round_submit(actor=community_admin, round=r)
    with pytest.raises(ForbiddenError):
        payments.round_approve(actor=community_admin, round=r)  # the role, not only the person
    payments.round_approve(actor=street_admin, round=r)
    assert PaymentRound.objects.get(pk=r.pk).status == "approved"


def test_approval_waits_for_a_pending_recompute(street_admin, district_admin, people):
    r = draft(street_admin)
    payments.round_submit(actor=street_admin, round=r)
    entitlements_refresh_nightly.enqueue()
    with pytest.raises(ApplicationError) as exc:
        payments.round_approve(actor=district_admin, round=r)
    assert exc.value.code == "recompute_pending" and "重新计算" in exc.value.message
    assert PaymentRound.objects.get(pk=r.pk).status == "submitted"
    factories.run_worker()
    payments.round_approve(actor=district_admin, round=r)
    assert PaymentRound.objects.get(pk=r.pk).status == "approved"


def test_an_elder_event_waiting_for_the_worker_also_blocks_approval(street_admin, district_admin, people):
    r = draft(street_admin)
    payments.round_submit(actor=street_admin, round=r)
    elder_deactivate(actor=street_admin, elder=people["a2"], reason="moved_away")  # → entitlements_on_events
    with pytest.raises(ApplicationError, match="重新计算"):
        payments.round_approve(actor=district_admin, round=r)


def test_an_approved_round_never_changes(street_admin, district_admin, people):
    r = approved(street_admin, district_admin)
    for action in (payments.round_submit, payments.round_approve, payments.round_cancel):
        with pytest.raises(ApplicationError) as exc:
            action(actor=district_admin, round=r)
        assert exc.value.code == "round_frozen"
    with pytest.raises(ApplicationError):
        draft(street_admin)  # its month is taken for good
    payments.round_export(actor=district_admin, round=r)
    r.refresh_from_db()
    assert r.status == "exported" and r.frozen
    with pytest.raises(ApplicationError) as exc:
        payments.round_cancel(actor=street_admin, round=r)
    assert exc.value.code == "round_frozen"


def test_cancel_needs_a_drafting_or_approving_role(street_admin, point_lead, community_admin, people):
    r = draft(community_admin, region=factories.COMMUNITY_A)
    with pytest.raises(ForbiddenError):
        payments.round_cancel(actor=point_lead, round=r)
    with pytest.raises(NotFoundError):  # another community's admin does not see it
        other = factories.make_user("community_a2", "community_admin", factories.COMMUNITY_A2)
        payments.round_cancel(actor=other, round=r)
    payments.round_cancel(actor=street_admin, round=r, note="名单有误")
    r.refresh_from_db()
    assert (r.status, r.cancelled_by, r.note) == ("cancelled", street_admin, "名单有误")
    with pytest.raises(ApplicationError) as exc:
        payments.round_submit(actor=street_admin, round=r)
    assert exc.value.code == "round_cancelled"
    assert Event.objects.filter(type="entitlement.round_cancelled", subject_id=str(r.pk)).exists()


def test_access_round_by_jurisdiction_and_role(community_admin, street_admin, district_admin, worker, people):
    r = draft(street_admin)
    assert access_round(district_admin, r.pk) == r
    assert access_round(street_admin, r.pk) == r
    with pytest.raises(NotFoundError):
        access_round(community_admin, r.pk)  # a street's round is above a community's node
    with pytest.raises(NotFoundError):
        access_round(factories.make_user("lianhua", "street_admin", "440304007000"), r.pk)
    with pytest.raises(NotFoundError):
        access_round(worker, r.pk)  # a commissioner of 梅京: the street's round is above their node
    mine = draft(community_admin, region=factories.COMMUNITY_A, month=last_month(timezone.localdate()))
    assert access_round(community_admin, mine.pk) == mine
    with pytest.raises(ForbiddenError):
        access_round(worker, mine.pk)  # inside, but a commissioner reads no payment lists
    with pytest.raises(NotFoundError):
        access_round(street_admin, "nonsense")
    with pytest.raises(NotFoundError):
        access_round(street_admin, r.pk + 999)


def test_the_difference_from_last_month_says_who_and_why(street_admin, street_admin2, district_admin, superuser,
                                                          people):
    today = timezone.localdate()
    before = approved(street_admin, street_admin2, month=last_month(today))
    assert before.previous is None and PaymentRoundChange.objects.filter(round=before).count() == 0
    # During the month: one dies, one moves to 莲花街道, one loses the entitlement by a rule,
    # one is newly 80 (a birthday), one registers, one moves in from 莲花.
    elder_deactivate(actor=street_admin, elder=people["a1"], reason=Elder.DeactivationReason.DECEASED)
    elder_update(actor=district_admin, elder=people["a2"], data={"region_code": factories.COMMUNITY_B})
    benefit_rule_save(actor=superuser, rule=BenefitRule(
        benefit=Benefit.objects.get(code=AGE), region_code=factories.COMMUNITY_A2, source="测试",
        conditions={"all": [{"age": {">=": 85}}, {"hukou_local": True}]}))
    birthday = elder_aged(superuser, 80, days_after_birthday=-3, region_code=factories.COMMUNITY_A, name="孙寿")
    newcomer = elder_aged(superuser, 81, region_code=factories.COMMUNITY_A, name="周新")
    mover = people["b1"]
    elder_update(actor=district_admin, elder=mover, data={"region_code": factories.COMMUNITY_A2})
    factories.run_worker()
    from yiyang.entitlements.services import entitlements_refresh

    entitlements_refresh(elders=[birthday.pk], cause="date", on=today + dt.timedelta(days=3))
    # The previous round was drafted before all this; the newcomer was registered after it.
    PaymentRound.objects.filter(pk=before.pk).update(drafted_at=timezone.now() - dt.timedelta(days=28))
    Elder.objects.filter(pk__in=[people["b1"].pk, birthday.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=60))

    r = draft(street_admin)
    assert r.previous == before
    changes = {(c.kind, c.name): c for c in PaymentRoundChange.objects.filter(round=r)}
    left = {name: c for (kind, name), c in changes.items() if kind == "left"}
    joined = {name: c for (kind, name), c in changes.items() if kind == "joined"}
    assert set(left) == {"王秀", "王秀英", "李桂"}
    assert (left["王秀"].cause, left["王秀"].reason) == ("deactivated", "档案注销：已故")
    assert left["王秀英"].cause == "moved_out" and "迁出" in left["王秀英"].reason
    assert "景田北社区" in left["王秀英"].reason
    assert left["李桂"].cause == "status" and left["李桂"].reason.startswith("不符合：")
    assert "85" in left["李桂"].reason and "政策规则变更" in left["李桂"].reason
    assert set(joined) == {"孙寿", "周新", "赵明"}
    assert joined["孙寿"].cause == "status" and "年满80周岁" in joined["孙寿"].reason
    assert joined["周新"].cause == "registered" and joined["周新"].reason == "上期批次后新登记"
    assert joined["赵明"].cause == "moved_in"
    assert (r.count, r.joined_count, r.left_count) == (3, 3, 3)
    assert newcomer.pk and mover.pk


def test_the_previous_round_is_the_last_approved_one(street_admin, district_admin, people):
    today = timezone.localdate()
    two_ago = (last_month(today) - dt.timedelta(days=1)).replace(day=1)
    old = approved(street_admin, district_admin, month=two_ago)
    draft(street_admin, month=last_month(today))  # never approved: not what was paid
    r = draft(street_admin, region=STREET, month=today)
    assert r.previous == old


def test_drafting_a_district_is_bulk(district_admin, superuser, django_assert_max_num_queries):
    for i in range(30):
        birth = born(80 + i % 15)
        factories.make_elder(superuser, region_code=[factories.COMMUNITY_A, factories.COMMUNITY_B][i % 2],
                             id_number=id_number_born(birth), categories=[], name=f"批量{'甲乙丙丁戊己庚辛壬癸'[i % 10]}")
    factories.run_worker()
    with django_assert_max_num_queries(25):
        r = draft(district_admin, region="440304000000")
    assert r.count == 30 == PaymentRoundLine.objects.filter(round=r).count()


def test_a_long_cancel_note_or_export_reason_is_refused_not_cut(street_admin, district_admin, people):
    """Issue 7 A.8: a text over its maximum is refused with the limit, never silently cut."""
    r = draft(street_admin)
    with pytest.raises(FieldErrors) as exc:
        payments.round_cancel(actor=street_admin, round=r, note="说" * 201)
    assert exc.value.message == "说明最长200字（现在201字）"
    r.refresh_from_db()
    assert r.status == "draft"
    with pytest.raises(FieldErrors) as exc:
        payments.recipients_export(actor=district_admin, benefit=r.benefit, purpose="由" * 201)
    assert exc.value.errors == {"purpose": ["最长200字（现在201字）"]}
