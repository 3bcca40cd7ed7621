"""The flow: a family member posts for her father (consent recorded) → a volunteer of the
street takes it → check-in/out → both rate → the point certifies → credits booked → the
elder's timeline shows it. The two-stage review, relationship-based access, the fraud flags
and the rules of reference.md §6 (age, cap, transfers, donations, team hours, local-first
exchange)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import Event
from yiyang.elders.location import elder_location_set
from yiyang.elders.models import Consent
from yiyang.elders.services import consent_grant, consent_withdraw
from yiyang.timebank import access, events, ledger, selectors, services
from yiyang.timebank.ledger import ledger_verify
from yiyang.timebank.models import (
    CatalogueItem,
    Category,
    FraudFlag,
    RegionRule,
    Relation,
    RequestStatus,
    Team,
    VolunteerStatus,
)
from yiyang.timebank.tests.helpers import make_member, make_point, rolled_back

HOME = (22.5712, 114.0560)  # the father's home in 梅京
NEAR = (22.5714, 114.0562)
FAR = (22.5400, 114.0200)
NOW = timezone.now()


def member_user(username: str, region: str = factories.COMMUNITY_A):
    return factories.make_user(username, "timebank_member", region)


def approved_volunteer(actor_point, actor_platform, username, name, born, region=factories.COMMUNITY_A):
    user = member_user(username, region)
    vol = make_member(actor_point, name=name, born=born, region_code=region, volunteer=True, user=user)
    services.volunteer_review(actor=actor_point, member=vol, approve=True)
    services.volunteer_review(actor=actor_platform, member=vol, approve=True)
    vol.refresh_from_db()
    return user, vol


def build():
    factories.load_tree()
    root = factories.make_user("root", "city_admin", None, is_superuser=True, is_staff=True)
    point = make_point()
    make_point(factories.COMMUNITY_B, "景田北社区时间银行服务点")
    other_point = make_point(factories.COMMUNITY_OTHER_DISTRICT, "松园社区时间银行服务点")
    lead = factories.make_user("lead", "point_lead", factories.COMMUNITY_A)
    district = factories.make_user("district", "district_admin", "440304000000")
    father = factories.make_elder(root, name="刘德明", living_situation="empty_nest", categories=[])
    elder_location_set(actor=root, elder=father, latitude=HOME[0], longitude=HOME[1])
    consent = consent_grant(actor=root, elder=father, purpose=Consent.Purpose.FAMILY_PROXY, granted_by="刘德明",
                            method="signed_paper")
    daughter_user = member_user("daughter")
    daughter = make_member(lead, name="刘晓燕", born=dt.date(1975, 4, 2), sex="F", user=daughter_user)
    services.family_link(actor=lead, member=daughter, elder=father, relation=Relation.CHILD)
    vol_user, vol = approved_volunteer(lead, district, "vol", "陈思远", dt.date(1998, 7, 9))
    far_user = member_user("far_vol", factories.COMMUNITY_B)
    far_vol = make_member(lead, name="周敏", born=dt.date(1960, 1, 1), sex="F", region_code=factories.COMMUNITY_B,
                          volunteer=True, user=far_user)
    return {"root": root, "point": point, "other_point": other_point, "lead": lead, "district": district,
            "father": father, "consent": consent, "daughter_user": daughter_user, "daughter": daughter,
            "vol_user": vol_user, "vol": vol, "far_user": far_user, "far_vol": far_vol}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(build, django_db_blocker) as built:
        yield built


@pytest.fixture
def w(world, db):
    return world


def post(w, **kw):
    data = {"kind": "company", "description": "陪父亲聊聊天，读读报", "wanted_at": NOW + dt.timedelta(days=1),
            "expected_minutes": 90}
    data.update(kw)
    return services.request_post(actor=w["daughter_user"], elder=w["father"], **data)


def serve(w, req, minutes=90, where=NEAR, start=None):
    start = start or NOW - dt.timedelta(minutes=minutes + 5)
    req = services.request_take(actor=w["vol_user"], req=req)
    req = services.request_checkin(actor=w["vol_user"], req=req, latitude=where[0], longitude=where[1], at=start)
    req = services.request_checkout(actor=w["vol_user"], req=req, latitude=where[0], longitude=where[1],
                                    at=start + dt.timedelta(minutes=minutes))
    services.request_rate(actor=w["vol_user"], req=req, rating=5, comment="老人很健谈")
    return services.request_rate(actor=w["daughter_user"], req=req, rating=5, comment="小陈很耐心")


def test_the_whole_flow_books_the_credit_and_the_elder_sees_it(w):
    req = post(w)
    assert req.posted_as == "family" and req.service_point == w["point"] and req.status == RequestStatus.OPEN
    # The volunteer of the street sees it; the one of another street does not.
    assert req in access.open_requests_for(w["vol"])
    with pytest.raises(NotFoundError):
        access.access_request(w["far_user"], req.pk)
    req = serve(w, req)
    assert req.status == RequestStatus.RATED and req.minutes == 90 and req.checkin_distance_m < 100
    assert not req.flags.exists()
    before = w["vol"].account.balance
    req = services.request_certify(actor=w["lead"], req=req)
    assert req.status == RequestStatus.CERTIFIED and req.booking.category == Category.SERVICE
    acc = ledger.member_account(w["vol"])
    assert acc.balance - before == 150 == ledger.balance_of(acc) - before
    statement = selectors.statement(acc)
    assert statement[0].amount == 150 and statement[0].transaction.service_kind == "company"
    # On the father's timeline, as a contact for the visits app too.
    assert Event.objects.filter(elder_id=w["father"].pk, type=events.SERVICE_CONFIRMED).exists()
    assert ledger_verify().ok
    # The daughter sees the request; the volunteer sees it; a stranger does not.
    assert access.access_request(w["daughter_user"], req.pk) == req
    assert access.access_request(w["vol_user"], req.pk) == req


def test_two_stage_review_by_different_people(w):
    user = member_user("applicant")
    m = make_member(w["lead"], name="孙浩", born=dt.date(2000, 2, 2), volunteer=True, user=user)
    assert m.volunteer_status == VolunteerStatus.APPLIED
    with pytest.raises(ForbiddenError):
        services.request_take(actor=user, req=post(w))
    with pytest.raises(ForbiddenError):  # the platform cannot skip the point
        services.volunteer_review(actor=factories.make_user("street", "street_admin", "440304006000"), member=m,
                                  approve=True)
    services.volunteer_review(actor=w["lead"], member=m, approve=True)
    with pytest.raises(ApplicationError):  # the same person cannot confirm twice
        services.volunteer_review(actor=w["lead"], member=m, approve=True)
    with pytest.raises(FieldErrors):  # a refusal gives its reason
        services.volunteer_review(actor=w["district"], member=m, approve=False)
    m = services.volunteer_review(actor=w["district"], member=m, approve=True)
    assert m.volunteer_status == VolunteerStatus.APPROVED and m.is_volunteer


def test_registration_checks_the_id_number_and_the_volunteer_age(w):
    with pytest.raises(FieldErrors) as bad:
        services.member_register(actor=w["lead"], name="王五", id_number="440304199001011234",
                                 region_code=factories.COMMUNITY_A)
    assert "校验位" in bad.value.errors["id_number"][0]
    young = factories.make_id_number(timezone.localdate() - dt.timedelta(days=365 * 16), "M")
    with pytest.raises(FieldErrors) as minor:
        services.member_register(actor=w["lead"], name="王小五", id_number=young, region_code=factories.COMMUNITY_A,
                                 volunteer=True)
    assert "18" in minor.value.errors["id_number"][0]
    m = make_member(w["lead"], name="老张", born=dt.date(1958, 1, 1))
    assert m.age_group == "old" and make_member(w["lead"], born=dt.date(1970, 1, 1)).age_group == "middle"


def test_family_access_needs_the_consent_in_force(w):
    req = post(w)
    consent_withdraw(actor=w["root"], elder=w["father"], consent_id=w["consent"].pk)
    try:
        with pytest.raises(NotFoundError):
            access.access_request(w["daughter_user"], req.pk)
        with pytest.raises(NotFoundError):
            post(w)
    finally:
        Consent.objects.filter(pk=w["consent"].pk).update(withdrawn_at=None)
    assert access.access_request(w["daughter_user"], req.pk) == req
    # A member without any link reaches nothing.
    assert not access.requests_for(w["far_user"]).filter(pk=req.pk).exists()


def test_flags_hold_the_certification_until_staff_look(w):
    req = serve(w, post(w), minutes=600, where=FAR, start=NOW - dt.timedelta(days=3, minutes=600))
    kinds = set(req.flags.values_list("kind", flat=True))
    assert {FraudFlag.Kind.FAR_CHECKIN, FraudFlag.Kind.IMPLAUSIBLE} <= kinds
    with pytest.raises(ApplicationError) as held:
        services.request_certify(actor=w["lead"], req=req)
    assert held.value.code == "open_flags"
    for flag in req.flags.all():
        services.flag_resolve(actor=w["lead"], flag=flag, confirmed=False, note="电话核实，老人确认")
    req = services.request_certify(actor=w["lead"], req=req, minutes=240)
    assert req.certified_minutes == 240 and req.booking.entries.get(amount__gt=0).amount == 400


def test_overlapping_sessions_and_self_dealing_are_flagged(w):
    start = NOW - dt.timedelta(days=5)
    serve(w, post(w), minutes=60, start=start)
    second = serve(w, post(w), minutes=60, start=start + dt.timedelta(minutes=30))
    assert second.flags.filter(kind=FraudFlag.Kind.OVERLAP).exists()
    # The volunteer turns out to be the father's grandson.
    father_member = make_member(w["lead"], name="刘德明", born=dt.date(1945, 3, 8), elder=w["father"])
    services.kinship_verify(actor=w["lead"], member=w["vol"], relative=father_member, relation=Relation.GRANDPARENT)
    third = serve(w, post(w), minutes=60, start=NOW - dt.timedelta(days=7))
    assert third.flags.filter(kind=FraudFlag.Kind.SELF_DEALING).exists()
    flag = third.flags.get(kind=FraudFlag.Kind.SELF_DEALING)
    services.flag_resolve(actor=w["lead"], flag=flag, confirmed=True, note="为祖父服务，不予记入")
    with pytest.raises(ApplicationError):
        services.request_certify(actor=w["lead"], req=third)


def test_rules_age_cap_transfer_donation_team_and_local_exchange(w):
    lead, point = w["lead"], w["point"]
    young = make_member(lead, name="小王", born=dt.date(1995, 1, 1))
    mother = make_member(lead, name="王母", born=dt.date(1955, 6, 1), sex="F")
    stranger = make_member(lead, name="路人", born=dt.date(1950, 1, 1))
    ledger.ledger_book(category=Category.SERVICE, legs=[(ledger.point_account(point), -1000),
                                                        (ledger.member_account(young), 1000)], region_code="x")
    item = CatalogueItem.objects.create(name="上门理发", service_point=point, region_code=point.region_id, price=200)
    # Age: 60+ to redeem (default); the young volunteer transfers to a verified relative instead.
    with pytest.raises(ApplicationError) as age:
        services.redeem(actor=lead, member=young, item=item)
    assert age.value.code == "too_young"
    with pytest.raises(ApplicationError):
        services.transfer(actor=lead, member=young, to=stranger, amount=100)
    services.kinship_verify(actor=lead, member=young, relative=mother, relation=Relation.PARENT, evidence="户口簿")
    services.transfer(actor=lead, member=young, to=mother, amount=500)
    red = services.redeem(actor=lead, member=mother, item=item)
    assert red.booking.category == Category.REDEMPTION and not red.exchanged
    assert ledger.member_account(mother).balance == 300
    # Donation to the district's pool.
    pool_before = ledger.pool_account(point.region_id).balance
    services.donate(actor=lead, member=young, amount=100)
    assert ledger.pool_account(point.region_id).balance == pool_before + 100
    # The storage cap: the excess goes to the pool.
    RegionRule.objects.create(region_id=factories.COMMUNITY_A, storage_cap=1000)
    try:
        ledger.ledger_book(category=Category.SERVICE, legs=[(ledger.point_account(point), -900),
                                                            (ledger.member_account(young), 900)], region_code="x")
        over = services.overflow_to_pool(actor=lead, account=ledger.member_account(young),
                                         region_code=young.region_id)
        assert over.category == Category.OVERFLOW and ledger.member_account(young).balance == 1000
    finally:
        RegionRule.objects.filter(region_id=factories.COMMUNITY_A).delete()
    # A team's hours: donated only (a team has no transfer or redemption path).
    team = Team.objects.create(name="梅京青年志愿队", region_id=factories.COMMUNITY_A, leader=young, approved=True)
    ledger.ledger_book(category=Category.SERVICE, legs=[(ledger.point_account(point), -300),
                                                        (ledger.team_account(team), 300)], region_code="x")
    services.donate(actor=lead, team=team, amount=300)
    assert ledger.team_account(team).balance == 0
    # Local first: an item in another district is refused under the default (district) scope …
    far_item = CatalogueItem.objects.create(name="罗湖助浴", service_point=w["other_point"],
                                            region_code=w["other_point"].region_id, price=100)
    with pytest.raises(ApplicationError) as local:
        services.redeem(actor=lead, member=mother, item=far_item)
    assert local.value.code == "outside_exchange_scope"
    # … allowed as an exchange (通存通兑) where the home region opens it and the other accepts.
    RegionRule.objects.create(region_id="440304000000", exchange_scope=RegionRule.Scope.ANY)
    RegionRule.objects.create(region_id="440303000000", accept_exchange=False)
    with pytest.raises(ApplicationError) as refused:
        services.redeem(actor=lead, member=mother, item=far_item)
    assert refused.value.code == "exchange_not_accepted"
    RegionRule.objects.filter(region_id="440303000000").update(accept_exchange=True)
    ex = services.redeem(actor=lead, member=mother, item=far_item)
    assert ex.exchanged and ex.booking.category == Category.EXCHANGE
    assert ex.booking.other_region_code == mother.region_id and ex.booking.region_code == far_item.region_code
    # The same member row served both regions: nothing was copied.
    assert ex.member_id == red.member_id
    assert ledger_verify().ok
