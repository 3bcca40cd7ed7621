"""The pages of teams, family (relatives, transfers, a parent's view with consent), the
redemption catalogue, corrections and the estate level (物业小区) — each through the Django test
client, each failing if the page broke or showed what it must not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.elders.models import Consent
from yiyang.elders.services import consent_grant, consent_withdraw
from yiyang.timebank import ledger, services
from yiyang.timebank.ledger import ledger_book, ledger_verify
from yiyang.timebank.models import (
    CatalogueItem,
    Category,
    Estate,
    Kinship,
    LedgerTransaction,
    Redemption,
    Relation,
    ServiceRequest,
    Team,
)
from yiyang.timebank.tests.helpers import make_member, make_point, rolled_back
from yiyang.timebank.tests.test_flow import build as build_flow
from yiyang.timebank.tests.test_flow import member_user, post, serve


def build():
    w = build_flow()
    lead, root = w["lead"], w["root"]
    point = ledger.point_account(w["point"])
    # A team led by the volunteer, with hours booked to it.
    team = Team.objects.create(name="梅林青年志愿服务队", region_id=factories.COMMUNITY_A, service_point=w["point"],
                               leader=w["vol"], approved=True)
    team.members.add(w["vol"])
    ledger_book(category=Category.SERVICE, legs=[(point, -500), (ledger.team_account(team), 500)], actor=lead,
                region_code=factories.COMMUNITY_A, reason="团队服务")
    # The daughter has credits; her brother is a member whose ID number staff will check.
    ledger_book(category=Category.SERVICE, legs=[(point, -1000), (ledger.member_account(w["daughter"]), 1000)],
                actor=lead, region_code=factories.COMMUNITY_A, reason="志愿服务")
    son_id = factories.make_id_number(dt.date(1972, 8, 1), "M")
    son_user = member_user("son")
    son = services.member_register(actor=lead, name="刘晓东", id_number=son_id, region_code=factories.COMMUNITY_A,
                                   user=son_user)
    # An older member with credits redeems; an item of the district and one of another district.
    old_user = member_user("old_member")
    old = make_member(lead, name="黄桂英", born=dt.date(1950, 3, 3), sex="F", user=old_user)
    ledger_book(category=Category.SERVICE, legs=[(point, -800), (ledger.member_account(old), 800)], actor=lead,
                region_code=factories.COMMUNITY_A, reason="志愿服务")
    item = CatalogueItem.objects.create(name="上门理发一次", service_point=w["point"], region_code=factories.COMMUNITY_A,
                                        price=300)
    # A mother whose consent the test withdraws (the father's stays for the other tests).
    mother = factories.make_elder(root, name="陈淑芬", categories=[])
    mconsent = consent_grant(actor=root, elder=mother, purpose=Consent.Purpose.FAMILY_PROXY, granted_by="陈淑芬",
                             method="signed_paper")
    services.family_link(actor=lead, member=w["daughter"], elder=mother, relation=Relation.CHILD)
    # The fourth level: an estate with its own point, and one without.
    estate_point = make_point(factories.COMMUNITY_A, "梅林一村物业服务中心时间银行点")
    estate = Estate.objects.create(name="梅林一村", region_id=factories.COMMUNITY_A, property_company="万科物业",
                                   service_point=estate_point)
    plain = Estate.objects.create(name="梅京花园", region_id=factories.COMMUNITY_A)
    # Staff of another district, and a commissioner (no timebank.correct).
    other = factories.make_user("other_district", "district_admin", factories.COMMUNITY_OTHER_DISTRICT[:6] + "000000")
    commissioner = factories.make_user("tb_commissioner", "commissioner", factories.COMMUNITY_A)
    w.update(team=team, son=son, son_id=son_id, son_user=son_user, old=old, old_user=old_user, item=item,
             mother=mother, mconsent=mconsent, estate=estate, estate_point=estate_point, plain=plain, other=other,
             commissioner=commissioner)
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(build, django_db_blocker) as built:
        yield built


@pytest.fixture
def w(world, db):
    return world


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_teams_page_shows_the_teams_hours_and_only_donates_them(w):
    vol, team = client(w["vol_user"]), w["team"]
    listing = vol.get(reverse("timebank:teams")).content.decode()
    assert team.name in listing and "5.00" in listing
    page = vol.get(reverse("timebank:team", args=[team.pk]))
    assert page.status_code == 200 and "只能捐赠" in page.content.decode() and "陈思远" in page.content.decode()
    pool_before = ledger.pool_account(factories.COMMUNITY_A).balance
    r = vol.post(reverse("timebank:team", args=[team.pk]), {"amount": "2.00"})
    assert r.status_code == 302
    assert ledger.team_account(team).balance == 300
    assert ledger.pool_account(factories.COMMUNITY_A).balance == pool_before + 200
    # Not a member of the team: 404; staff of the community: 200; of another district: 404.
    assert client(w["far_user"]).get(reverse("timebank:team", args=[team.pk])).status_code == 404
    assert client(w["lead"]).get(reverse("timebank:team", args=[team.pk])).status_code == 200
    assert client(w["other"]).get(reverse("timebank:team", args=[team.pk])).status_code == 404
    # A member who is not the leader cannot donate the team's hours.
    assert client(w["daughter_user"]).post(reverse("timebank:team", args=[team.pk]), {"amount": "1"}).status_code == 404


def test_staff_verify_a_relative_and_the_member_transfers_from_the_family_page(w):
    lead, daughter = client(w["lead"]), client(w["daughter_user"])
    url = reverse("timebank:member_relatives", args=[w["daughter"].pk])
    assert lead.get(url).status_code == 200
    # An unknown ID number is named, nothing recorded.
    r = lead.post(url, {"id_number": factories.make_id_number(), "relation": Relation.SIBLING, "evidence": "户口簿"})
    assert r.status_code == 200 and "未找到" in r.content.decode()
    r = lead.post(url, {"id_number": w["son_id"], "relation": Relation.SIBLING, "evidence": "户口簿"})
    assert r.status_code == 302
    assert Kinship.objects.filter(member=w["daughter"], relative=w["son"], verified_at__isnull=False).exists()
    # Members and staff elsewhere do not reach the staff page.
    assert daughter.get(url).status_code == 404
    assert client(w["other"]).get(url).status_code == 404
    page = daughter.get(reverse("timebank:family")).content.decode()
    assert "刘晓东" in page and "刘德明" in page and "转赠时间币" in page
    r = daughter.post(reverse("timebank:family"), {"to": str(w["son"].pk), "amount": "3.50"})
    assert r.status_code == 302
    assert ledger.member_account(w["son"]).balance == 350
    assert ledger.member_account(w["daughter"]).balance == 650
    # More than she has: refused on the page, nothing booked.
    r = daughter.post(reverse("timebank:family"), {"to": str(w["son"].pk), "amount": "100"})
    assert r.status_code == 200 and "积分不足" in r.content.decode()
    assert ledger.member_account(w["son"]).balance == 350


def test_a_family_member_sees_a_parent_only_while_the_consent_holds(w):
    daughter = client(w["daughter_user"])
    req = post(w, description="陪同复诊")
    page = daughter.get(reverse("timebank:family_elder", args=[w["father"].pk]))
    assert page.status_code == 200
    assert reverse("timebank:request", args=[req.pk]) in page.content.decode()
    # Another member, a volunteer of the street, a staff member: 404 on the family view.
    for user in (w["far_user"], w["vol_user"], w["lead"]):
        assert client(user).get(reverse("timebank:family_elder", args=[w["father"].pk])).status_code == 404
    mother_url = reverse("timebank:family_elder", args=[w["mother"].pk])
    assert daughter.get(mother_url).status_code == 200
    consent_withdraw(actor=w["root"], elder=w["mother"], consent_id=w["mconsent"].pk)
    assert daughter.get(mother_url).status_code == 404
    assert "已撤回" in daughter.get(reverse("timebank:family")).content.decode()


def test_members_browse_and_redeem_from_the_catalogue(w):
    old = client(w["old_user"])
    page = old.get(reverse("timebank:catalogue")).content.decode()
    assert "上门理发一次" in page and "在地兑换" in page and "8.00" in page
    r = old.post(reverse("timebank:redeem", args=[w["item"].pk]))
    assert r.status_code == 302
    assert Redemption.objects.filter(member=w["old"], item=w["item"]).exists()
    assert ledger.member_account(w["old"]).balance == 500
    assert "我的兑换" in old.get(reverse("timebank:catalogue")).content.decode()
    # Too young to redeem (the rule, 60): refused with the rule's words, nothing booked.
    vol = client(w["vol_user"])
    before = Redemption.objects.count()
    r = vol.post(reverse("timebank:redeem", args=[w["item"].pk]), follow=True)
    assert "年满60周岁" in r.content.decode() and Redemption.objects.count() == before
    # Staff browse it; a member who is no one's gets 403 from the member-only redeem.
    assert client(w["lead"]).get(reverse("timebank:catalogue")).status_code == 200
    assert client(w["lead"]).post(reverse("timebank:redeem", args=[w["item"].pk])).status_code == 403


def test_a_point_corrects_a_booking_from_a_page_showing_the_corrected_service(w):
    req = serve(w, post(w, description="帮忙换灯泡"))
    req = services.request_certify(actor=w["lead"], req=req)
    lead = client(w["lead"])
    listing = lead.get(reverse("timebank:corrections")).content.decode()
    assert reverse("timebank:booking", args=[req.booking_id]) in listing
    url = reverse("timebank:booking", args=[req.booking_id])
    page = lead.get(url).content.decode()
    assert "刘德明" in page and "陈思远" in page and "冲正这笔记账" in page
    # A reason is required.
    assert lead.post(url, {"reason": ""}).status_code == 200
    assert not LedgerTransaction.objects.filter(corrects_id=req.booking_id).exists()
    # Who may not: a member (404), staff of another district (404), a commissioner (403).
    assert client(w["vol_user"]).get(url).status_code == 404
    assert client(w["other"]).post(url, {"reason": "x"}).status_code == 404
    assert client(w["commissioner"]).post(url, {"reason": "误记"}).status_code == 403
    r = lead.post(url, {"reason": "重复认证：同一次服务记了两次"})
    assert r.status_code == 302
    fix = LedgerTransaction.objects.get(corrects_id=req.booking_id)
    assert fix.category == Category.CORRECTION and r["Location"] == reverse("timebank:booking", args=[fix.pk])
    shown = lead.get(r["Location"]).content.decode()
    assert "重复认证" in shown and "刘德明" in shown and "冲正的记账" in shown
    assert "已冲正" in lead.get(url).content.decode()
    assert ledger_verify().ok


def test_a_request_posted_for_an_estate_is_certified_by_its_point_and_counted(w):
    daughter = client(w["daughter_user"])
    form = daughter.get(reverse("timebank:request_new")).content.decode()
    assert "梅林一村" in form and "梅京花园" in form
    wanted = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = daughter.post(reverse("timebank:request_new"), {
        "elder": str(w["father"].pk), "kind": "company", "description": "小区里陪老人散步", "wanted_at": wanted,
        "expected_minutes": 60, "estate": str(w["estate"].pk)})
    assert r.status_code == 302
    req = ServiceRequest.objects.get(description="小区里陪老人散步")
    assert req.estate == w["estate"] and req.service_point == w["estate_point"]
    page = daughter.get(reverse("timebank:request", args=[req.pk])).content.decode()
    assert "梅京社区 · 梅林一村" in page
    # Without its own point the estate's requests go to the community's point.
    plain = services.request_post(actor=w["daughter_user"], elder=w["father"], kind="company",
                                  description="读报", wanted_at=timezone.now() + dt.timedelta(days=1),
                                  estate=w["plain"])
    assert plain.service_point == w["point"]
    stats = client(w["district"]).get(reverse("timebank:stats")).content.decode()
    assert "按物业小区" in stats and "梅林一村" in stats
