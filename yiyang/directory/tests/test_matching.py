"""Matching (issue 8): one elder's recommendations ranked by published factors only, each with
its explanation; two services identical but for their place ordered by distance alone; a
provider's edit moves another's rank only through the factors; inactive, defunct and
temporarily closed services never recommended; every list logged; the community centre used,
and said, when the home is not located."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core import geo
from yiyang.directory import matching, services
from yiyang.directory.models import RecommendationLog, Service
from yiyang.directory.services import directory_import
from yiyang.directory.tests.test_directory import hsds
from yiyang.elders.models import Elder
from yiyang.regions.models import Region

HOME = (22.5400, 114.0500)


def _born(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=30)


def _build():
    factories.load_tree()
    worker = factories.make_user("worker_match", "commissioner", factories.COMMUNITY_A)
    near_rich = hsds("近处饭堂", lat=HOME[0] + 0.003, lon=HOME[1])                 # ≈ 330 m, 12 free
    far = hsds("远处饭堂", lat=HOME[0] + 0.012, lon=HOME[1])                       # ≈ 1.3 km: 29 min walk
    too_far = hsds("太远饭堂", lat=HOME[0] + 0.040, lon=HOME[1])                   # ≈ 4.5 km: beyond reach
    full = hsds("满员饭堂", lat=HOME[0] + 0.0031, lon=HOME[1])
    full["capacities"] = [{"unit": "餐位", "available": 0, "maximum": 80}]
    closed = hsds("暂停饭堂", lat=HOME[0] + 0.001, lon=HOME[1], status="temporarily closed")
    defunct = hsds("撤销饭堂", lat=HOME[0] + 0.001, lon=HOME[1], status="defunct")
    young_only = hsds("青年食堂", lat=HOME[0] + 0.001, lon=HOME[1] + 0.001)
    young_only["minimum_age"] = 100
    result = directory_import([near_rich, far, too_far, full, closed, defunct, young_only], source="test")
    assert result.committed, result.errors
    elder = factories.make_elder(worker, name="王秀英", id_number=factories.make_id_number(_born(82)))
    Elder.objects.filter(pk=elder.pk).update(home_cell=geo.cell_of(*HOME))
    elder.refresh_from_db()
    return {"worker": worker, "elder": elder}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def _names(recs):
    return [r.service.name for r in recs]


def test_ranked_by_the_factors_with_explanations(world, db):
    pos, recs = matching.recommend(world["elder"], "meals", level=None, limit=10)
    assert pos.source == "home" and pos.note == "按住址位置计算距离"
    # Distances are from the centre of the home's ≈200 m cell (nothing decrypted). Free places
    # weigh more than the walk between 6 and 27 minutes here: the farther canteen with places
    # comes before the nearer full one.
    assert _names(recs) == ["近处饭堂", "远处饭堂", "满员饭堂"]
    top = recs[0]
    assert "在15分钟服务圈内" in top.explanation and "空余餐位12" in top.explanation
    assert "老人尚未做能力评估" in top.explanation
    assert {f["code"] for f in top.factors} == {"distance", "capacity", "quality", "level_fit", "cost", "freshness"}
    full = recs[2]
    assert next(f for f in full.factors if f["code"] == "capacity")["score"] == 0.2
    assert "目前没有空余餐位" in full.explanation
    assert "在15分钟服务圈外" in recs[1].explanation and "步行约27分钟" in recs[1].explanation
    # The score is the published weighted mean of the factors, nothing else.
    w = matching.weights()
    assert top.score == round(sum(w[f["code"]] * f["score"] for f in top.factors) / sum(w.values()), 3)


def test_never_closed_defunct_too_far_or_not_for_the_elder(world, db):
    _pos, recs = matching.recommend(world["elder"], "meals", level=None, limit=20)
    names = set(_names(recs))
    assert not names & {"暂停饭堂", "撤销饭堂", "太远饭堂", "青年食堂"}


def test_identical_but_for_their_place_are_ordered_by_distance(world, db):
    a, b = hsds("甲饭堂", lat=HOME[0] - 0.002, lon=HOME[1]), hsds("乙饭堂", lat=HOME[0] - 0.0025, lon=HOME[1])
    assert directory_import([b, a]).committed
    _pos, recs = matching.recommend(world["elder"], "meals", level=None, limit=20)
    ra, rb = (next(r for r in recs if r.service.name == n) for n in ("甲饭堂", "乙饭堂"))
    assert ra.score == rb.score and _names(recs).index("甲饭堂") < _names(recs).index("乙饭堂")


def test_one_providers_edit_changes_another_only_through_the_factors(world, db):
    _pos, before = matching.recommend(world["elder"], "meals", level=None, limit=20)
    score = {r.service.name: r.score for r in before}
    # 满员饭堂 gets free places: its capacity factor rises and it may pass others — whose own
    # scores do not move.
    full = Service.objects.get(name="满员饭堂")
    services.service_update(actor=None, service=full, data={"capacities": [{"unit": "餐位", "available": 30, "maximum": 80}]})
    _pos, after = matching.recommend(world["elder"], "meals", level=None, limit=20)
    again = {r.service.name: r.score for r in after}
    assert again["满员饭堂"] > score["满员饭堂"]
    assert {k: v for k, v in again.items() if k != "满员饭堂"} == {k: v for k, v in score.items() if k != "满员饭堂"}


def _cost(rec):
    return next(f for f in rec.factors if f["code"] == "cost")


def test_cost_against_the_elders_entitlements_and_means(world, db):
    elder = world["elder"]
    # The factories' elder holds 低保: in economic difficulty, read from her categories.
    factories.run_worker()  # the entitlements app stores her statuses on hearing of the registration
    means = matching.elder_means(elder)
    assert means.difficulty is True
    # Her benefits as the entitlements app keeps them (可享受 / 可能符合), by code.
    assert means.benefits and all(isinstance(name, str) for name, _entitled in means.benefits.values())
    assert "elderly_service_subsidy" in means.benefits
    free, paid = hsds("公益饭堂", lat=HOME[0] - 0.004, lon=HOME[1]), hsds("收费饭堂", lat=HOME[0] - 0.004, lon=HOME[1])
    free["cost_options"] = [{"option": "午餐（每餐）", "amount": 0, "amount_description": "每餐"}]
    assert directory_import([free, paid]).committed
    poor = matching.Means(difficulty=True)
    _pos, recs = matching.recommend(elder, "meals", level=None, limit=20, means=poor)
    by = {r.service.name: r for r in recs}
    assert _cost(by["公益饭堂"])["score"] == 1.0 and "免费" in by["公益饭堂"].explanation
    assert _cost(by["收费饭堂"])["score"] == 0.4 and "收费15元起，老人经济困难" in by["收费饭堂"].explanation
    # Identical but for the price: the free one first, and only the cost factor differs.
    assert _names(recs).index("公益饭堂") < _names(recs).index("收费饭堂")
    differing = {f["code"] for f, g in zip(by["公益饭堂"].factors, by["收费饭堂"].factors, strict=True) if f != g}
    assert differing == {"cost"}
    # Entitled to the meal subsidy: the paid canteen is paid for; "maybe" says so with less weight.
    subsidy = matching.Means(difficulty=True, benefits={"meal_subsidy": ("长者助餐补贴", True)})
    _pos, recs = matching.recommend(elder, "meals", level=None, limit=20, means=subsidy)
    paid_rec = next(r for r in recs if r.service.name == "收费饭堂")
    assert _cost(paid_rec)["score"] == 0.9 and "可使用“长者助餐补贴”" in paid_rec.explanation
    maybe = matching.Means(difficulty=None, benefits={"meal_subsidy": ("长者助餐补贴", False)})
    _pos, recs = matching.recommend(elder, "meals", level=None, limit=20, means=maybe)
    assert _cost(next(r for r in recs if r.service.name == "收费饭堂"))["score"] == 0.75
    # Not in difficulty and no subsidy: a price is a price.
    _pos, recs = matching.recommend(elder, "meals", level=None, limit=20, means=matching.Means(difficulty=False))
    assert _cost(next(r for r in recs if r.service.name == "收费饭堂"))["text"] == "收费15元起"
    Service.objects.filter(name__in=["公益饭堂", "收费饭堂"]).update(status=Service.Status.INACTIVE)


def test_the_community_centre_when_the_home_is_not_located(world, db):
    elder = factories.make_elder(world["worker"], name="李桂花", id_number=factories.make_id_number(_born(75)))
    pos, recs = matching.recommend(elder, "meals", level=None)
    assert pos.source == "none" and "只列出本街道的服务" in pos.note
    assert all(r.distance_m is None for r in recs) and recs
    Region.objects.filter(pk=elder.region_id).update(centre_latitude=HOME[0], centre_longitude=HOME[1])
    pos, recs = matching.recommend(elder, "meals", level=None)
    assert pos.source == "community" and "按所在社区（梅京社区）的中心计算距离" in pos.note
    assert _names(recs)[0] == "近处饭堂"


def test_the_api_logs_every_list_and_keeps_to_the_jurisdiction(world, db):
    c = Client()
    token = c.post("/api/v1/auth/token", {"username": "worker_match", "password": factories.PASSWORD},
                   content_type="application/json").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    elder = world["elder"]
    before = RecommendationLog.objects.count()
    resp = c.get(f"/api/v1/elders/{elder.pk}/recommendations", {"need": "meals", "limit": 2}, **auth)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["position"] == "home" and len(body["items"]) == 2
    first = body["items"][0]
    assert first["service"] == "近处饭堂" and first["need"] == "meals" and 200 < first["distance_m"] < 300
    assert first["explanation"] and {f["code"] for f in first["factors"]} >= {"distance", "capacity"}
    log = RecommendationLog.objects.order_by("-at").first()
    assert RecommendationLog.objects.count() == before + 1
    assert log.context == "api" and [i["rank"] for i in log.items] == [1, 2]
    assert log.items[0]["service_id"] == first["service_id"] and log.items[0]["factors"]
    other = factories.make_elder(None, region_code=factories.COMMUNITY_B, name="赵外区")
    assert c.get(f"/api/v1/elders/{other.pk}/recommendations", **auth).status_code == 404
    assert c.get(f"/api/v1/elders/{elder.pk}/recommendations", {"need": "massage"}, **auth).status_code == 400

    page = Client().get(reverse("directory:fairness")).content.decode()
    assert "权重" in page and "福田区长者饭堂运营中心" in page and "距离" in page


def test_the_elder_page_shows_recommendations_per_need_and_logs_them(world, db):
    from yiyang.surveys import services as survey_services
    from yiyang.surveys.selectors import questionnaire_published
    from yiyang.surveys.tests.helpers import SOME_NEEDS

    elder = world["elder"]
    survey_services.survey_submit(actor=world["worker"], elder=elder, questionnaire=questionnaire_published(),
                                  answers=SOME_NEEDS, surveyed_on=timezone.localdate())
    c = Client()
    c.force_login(world["worker"])
    before = RecommendationLog.objects.filter(context="elder_page").count()
    html = c.get(reverse("elders:detail", args=[elder.pk])).content.decode()
    assert 'id="recommendations"' in html and "推荐服务" in html and "近处饭堂" in html
    assert "按住址位置计算距离" in html and "排序规则公开" in html
    # One list per current need (助餐, 助急, 精神慰藉, 家庭适老化改造, 政策与法律咨询), each logged.
    assert RecommendationLog.objects.filter(context="elder_page").count() == before + 5


def test_a_service_list_is_made_printed_versioned_and_shared_with_the_family(world, db):
    from yiyang.core.models import Event
    from yiyang.directory.models import ServiceList
    from yiyang.surveys import services as survey_services
    from yiyang.surveys.selectors import questionnaire_published
    from yiyang.surveys.tests.helpers import SOME_NEEDS

    elder = world["elder"]
    from yiyang.surveys.models import SurveyResponse

    if not SurveyResponse.objects.filter(elder_id=elder.pk).exists():  # the page test may have run first
        survey_services.survey_submit(actor=world["worker"], elder=elder, questionnaire=questionnaire_published(),
                                      answers=SOME_NEEDS, surveyed_on=timezone.localdate())
    c = Client()
    c.force_login(world["worker"])
    url = reverse("directory:elder_list", args=[elder.pk])
    form = c.get(url).content.decode()
    assert "制定养老服务清单" in form and "近处饭堂" in form and "可以申请的政策" in form
    resp = c.post(url, {"service": ["0", "1"], "next_steps": "先电话确认\n带身份证", "note": "女儿陪同"})
    assert resp.status_code == 302
    v1 = ServiceList.objects.get(elder_id=elder.pk, version=1)
    assert len(v1.content["services"]) == 2 and v1.content["next_steps"] == ["先电话确认", "带身份证"]
    page = c.get(resp["Location"]).content.decode()
    assert "养老服务清单" in page and "王秀英" in page and "第1版" in page and "先电话确认" in page
    assert "打印" in page and "老人或家属签字" in page
    c.post(url, {"service": ["0"], "next_steps": "先电话确认"})
    assert list(ServiceList.objects.filter(elder_id=elder.pk).values_list("version", flat=True)) == [2, 1]
    assert len(ServiceList.objects.get(elder_id=elder.pk, version=1).content["services"]) == 2  # kept as it was

    shared = c.post(reverse("directory:list_share", args=[v1.pk])).content.decode()
    link = shared.split('value="')[1].split('"')[0]
    assert "/resources/shared/" in link
    family = Client().get(link[link.index("/resources/"):]).content.decode()
    assert "王**" in family and "王秀英" not in family and "近处饭堂" in family and "生成家属链接" not in family
    ServiceList.objects.filter(pk=v1.pk).update(share_expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert Client().get(link[link.index("/resources/"):]).status_code == 404
    assert Client().get("/resources/shared/not-a-token/").status_code == 404
    types = list(Event.objects.filter(elder_id=elder.pk, type__startswith="service_list.").values_list("type", flat=True))
    assert sorted(types) == ["service_list.created", "service_list.created", "service_list.shared"]
    # Another community's worker: not found.
    stranger = factories.make_user("worker_b_list", "commissioner", factories.COMMUNITY_B)
    other = Client()
    other.force_login(stranger)
    assert other.get(reverse("directory:list_print", args=[v1.pk])).status_code == 404
    assert other.get(url).status_code == 404


def test_coverage_gaps_on_a_crafted_district(world, db):
    from openpyxl import load_workbook

    from yiyang.directory import coverage
    from yiyang.surveys import services as survey_services
    from yiyang.surveys.models import SurveyResponse
    from yiyang.surveys.selectors import questionnaire_published
    from yiyang.surveys.tests.helpers import SOME_NEEDS

    elder = world["elder"]  # at HOME, canteens within the circle; her needs: SOME_NEEDS_TAGS
    if not SurveyResponse.objects.filter(elder_id=elder.pk).exists():
        survey_services.survey_submit(actor=world["worker"], elder=elder, questionnaire=questionnaire_published(),
                                      answers=SOME_NEEDS, surveyed_on=timezone.localdate())
    # Another community: an elder with the same needs whose home is not located, community no centre.
    away = factories.make_elder(None, region_code=factories.COMMUNITY_A2, name="孙无位",
                                id_number=factories.make_id_number(_born(70)))
    survey_services.survey_submit(actor=None, elder=away, questionnaire=questionnaire_published(), answers=SOME_NEEDS,
                                  surveyed_on=timezone.localdate())
    Region.objects.filter(pk=factories.COMMUNITY_A).update(centre_latitude=None, centre_longitude=None)
    gaps, names = coverage.coverage("440304")
    by = {g.code: g for g in gaps}
    a = by[factories.COMMUNITY_A]
    assert a.with_need["meals"] >= 1 and a.uncovered.get("meals", 0) == 0  # canteens within the circle
    assert a.uncovered["companionship"] == a.with_need["companionship"] >= 1  # nothing for it nearby
    assert by[factories.COMMUNITY_A2].unlocated == 1 and by[factories.COMMUNITY_A2].with_need == {}
    street = coverage.rollup(gaps, 9)["440304006"]
    assert street["unlocated"] == 1 and street["uncovered"]["companionship"] == a.uncovered["companionship"]

    admin = factories.make_user("district_cov", "district_admin", "440304000000")
    c = Client()
    c.force_login(admin)
    html = c.get(reverse("directory:coverage")).content.decode()
    assert "服务覆盖缺口" in html and "梅京社区" in html and "街道合计" in html and "精神慰藉" in html
    # The district's own total: every community of the district rolled up, in the page and the file.
    district = coverage.rollup(gaps, 6)["440304"]
    assert "全区合计" in html and district["uncovered"]["companionship"] >= a.uncovered["companionship"]
    total_row = html[html.index("全区合计"):]
    total_row = total_row[:total_row.index("</tr>")]
    assert f"{district['unlocated']}</td>" in total_row
    xlsx = c.get(reverse("directory:coverage"), {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.cell(row=2, column=1).value == "街道" and ws.max_row >= 4
    assert "全区合计" in [ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)]
    c.force_login(world["worker"])
    assert c.get(reverse("directory:coverage")).status_code == 403


def test_a_referral_goes_round_the_loop_with_consent_and_only_its_provider_sees_it(world, db):
    from yiyang.core.models import AccessLog, Event
    from yiyang.directory.models import Organization, OrganizationStaff, Referral
    from yiyang.elders.models import Consent

    elder = world["elder"]
    service = Service.objects.get(name="近处饭堂")
    worker = Client()
    worker.force_login(world["worker"])
    url = reverse("directory:refer", args=[elder.pk, service.pk]) + "?need=meals"
    Consent.objects.filter(elder_id=elder.pk, purpose=Consent.Purpose.SHARE_WITH_PROVIDER).delete()
    assert "老人同意向服务机构提供信息" in worker.get(url).content.decode()
    # No consent given: refused, nothing sent.
    resp = worker.post(url, {"need": "meals", "note": "每天午餐"})
    assert resp.status_code == 400 and "转介前须取得老人" in resp.content.decode()
    assert not Referral.objects.filter(elder_id=elder.pk).exists()
    resp = worker.post(url, {"need": "meals", "note": "每天午餐", "granted_by": "王秀英", "method": "signed_paper"})
    assert resp.status_code == 302
    r = Referral.objects.get(elder_id=elder.pk)
    assert r.status == "sent" and r.consent.purpose == Consent.Purpose.SHARE_WITH_PROVIDER
    assert "近处饭堂" in worker.get(reverse("elders:detail", args=[elder.pk])).content.decode()

    # The canteen's staff see it with the phone and address (logged); another provider does not.
    staff = factories.make_user("canteen_ref", "provider_staff", factories.COMMUNITY_A)
    OrganizationStaff.objects.create(organization=Organization.objects.get(pk=service.organization_id), user=staff)
    stranger = factories.make_user("other_ref", "provider_staff", factories.COMMUNITY_A)
    provider = Client()
    provider.force_login(staff)
    before = AccessLog.objects.filter(elder_id=elder.pk).count()
    page = provider.get(reverse("directory:provider_referrals")).content.decode()
    assert "王秀英" in page and "每天午餐" in page and elder.phone in page
    assert AccessLog.objects.filter(elder_id=elder.pk).count() == before + 1
    other = Client()
    other.force_login(stranger)
    assert "王秀英" not in other.get(reverse("directory:provider_referrals")).content.decode()
    assert other.post(reverse("directory:referral_step", args=[r.pk, "accept"])).status_code == 404
    # A worker cannot answer for the provider; the provider cannot check for the worker.
    assert worker.post(reverse("directory:referral_step", args=[r.pk, "accept"])).status_code == 403
    assert provider.post(reverse("directory:referral_step", args=[r.pk, "check"]), {"note": "x"}).status_code == 403

    provider.post(reverse("directory:referral_step", args=[r.pk, "accept"]))
    provider.post(reverse("directory:referral_step", args=[r.pk, "deliver"]), {"note": "已开始送餐"})
    assert Referral.objects.get(pk=r.pk).status == "delivered"
    worker.post(reverse("directory:referral_step", args=[r.pk, "check"]), {"note": "老人说午餐已送到，满意"})
    r.refresh_from_db()
    assert r.status == "checked" and r.check_note == "老人说午餐已送到，满意"
    types = list(Event.objects.filter(elder_id=elder.pk, type__startswith="referral.").order_by("occurred_at")
                 .values_list("type", flat=True))
    assert types == ["referral.sent", "referral.answered", "referral.delivered", "referral.checked"]
    # The public fairness page counts the referral against the canteen's organisation.
    page = Client().get(reverse("directory:fairness")).content.decode()
    org = Organization.objects.get(pk=service.organization_id).name
    row = page[page.index(f"<td>{org}</td>"):]
    row = row[:row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[4:] == ["1", "1", "100.0%"]  # 转介, 已接收, 转介占比
    assert "长者助餐补贴" in page and "长者饭堂/助餐点" in page  # which benefit pays for which kind


def test_referral_steps_out_of_order_are_refused(world, db):
    from yiyang.core.exceptions import ApplicationError, FieldErrors
    from yiyang.directory import referrals

    elder = factories.make_elder(world["worker"], name="周顺序", id_number=factories.make_id_number(_born(80)))
    r = referrals.referral_send(actor=world["worker"], elder=elder, service=Service.objects.get(name="远处饭堂"),
                                consent={"granted_by": "周顺序", "method": "verbal_witnessed"})
    with pytest.raises(ApplicationError):
        referrals.referral_deliver(actor=None, referral=r)  # not accepted yet
    with pytest.raises(ApplicationError):
        referrals.referral_send(actor=world["worker"], elder=elder, service=Service.objects.get(name="远处饭堂"))
    with pytest.raises(FieldErrors):
        referrals.referral_answer(actor=None, referral=r, accept=False)  # a refusal says why
    referrals.referral_answer(actor=None, referral=r, accept=False, note="暂无送餐名额")
    with pytest.raises(ApplicationError):
        referrals.referral_cancel(actor=None, referral=r, note="x")  # declined is final
    # Overdue: sent and unanswered past the respond-by date, on the worker's home.
    r2 = referrals.referral_send(actor=world["worker"], elder=elder, service=Service.objects.get(name="近处饭堂"))
    type(r2).objects.filter(pk=r2.pk).update(respond_by=timezone.localdate() - dt.timedelta(days=1))
    c = Client()
    c.force_login(world["worker"])
    home = c.get("/").content.decode()
    assert "转介未办结" in home and "周顺序" in home


def test_referrals_through_the_api(world, db):
    from yiyang.directory.models import Organization, OrganizationStaff

    def token(username):
        return {"HTTP_AUTHORIZATION": "Bearer " + Client().post(
            "/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
            content_type="application/json").json()["token"]}

    elder = factories.make_elder(world["worker"], name="吴接口", id_number=factories.make_id_number(_born(78)))
    service = Service.objects.get(name="满员饭堂")
    c = Client()
    w = token("worker_match")
    body = {"elder_id": str(elder.pk), "service_id": str(service.pk), "need": "meals"}
    resp = c.post("/api/v1/referrals", body, content_type="application/json", **w)
    assert resp.status_code == 400 and "consent" in str(resp.json())
    resp = c.post("/api/v1/referrals", body | {"consent": {"granted_by": "吴接口", "method": "in_app"}},
                  content_type="application/json", **w)
    assert resp.status_code == 201 and resp.json()["status"] == "sent"
    rid = resp.json()["id"]
    staff = factories.make_user("api_canteen", "provider_staff", factories.COMMUNITY_A)
    OrganizationStaff.objects.create(organization=Organization.objects.get(pk=service.organization_id), user=staff)
    p = token("api_canteen")
    assert [x["id"] for x in c.get("/api/v1/referrals", **p).json()] == [rid]
    resp = c.post(f"/api/v1/referrals/{rid}/decline", {"note": ""}, content_type="application/json", **p)
    assert resp.status_code == 400
    resp = c.post(f"/api/v1/referrals/{rid}/accept", {}, content_type="application/json", **p)
    assert resp.json()["status"] == "accepted"
    assert c.post(f"/api/v1/referrals/{rid}/accept", {}, content_type="application/json", **w).status_code == 403
    assert rid in [x["id"] for x in c.get("/api/v1/referrals", **w).json()]


def test_the_visit_form_asks_about_open_referrals_and_checks_them_there(world, db):
    from yiyang.directory import referrals
    from yiyang.directory.models import Referral

    elder = factories.make_elder(world["worker"], name="郑回访", id_number=factories.make_id_number(_born(78)))
    r = referrals.referral_send(actor=world["worker"], elder=elder, service=Service.objects.get(name="近处饭堂"),
                                consent={"granted_by": "郑回访", "method": "verbal_witnessed"})
    c = Client()
    c.force_login(world["worker"])
    visit_url = reverse("visits:record", args=[elder.pk])
    page = c.get(visit_url).content.decode()
    # Sent, not yet delivered: shown with where it stands, nothing to check yet.
    assert "顺便问问：转介的服务" in page and "近处饭堂" in page and "已转介，待机构答复" in page
    assert reverse("directory:referral_step", args=[r.pk, "check"]) not in page
    referrals.referral_answer(actor=None, referral=r, accept=True)
    referrals.referral_deliver(actor=None, referral=Referral.objects.get(pk=r.pk), note="已开始送餐")
    page = c.get(visit_url).content.decode()
    assert "已提供服务" in page and reverse("directory:referral_step", args=[r.pk, "check"]) in page
    resp = c.post(reverse("directory:referral_step", args=[r.pk, "check"]), {"note": "老人说饭菜可口", "next": visit_url})
    assert resp.status_code == 302 and resp.url == visit_url
    assert Referral.objects.get(pk=r.pk).status == "checked"
    assert "顺便问问" not in c.get(visit_url).content.decode()  # nothing open any more
    # A next pointing elsewhere is not followed.
    r2 = referrals.referral_send(actor=world["worker"], elder=elder, service=Service.objects.get(name="远处饭堂"))
    resp = c.post(reverse("directory:referral_step", args=[r2.pk, "cancel"]), {"note": "老人不需要了",
                                                                           "next": "https://evil.example/"})
    assert resp.url.startswith(reverse("elders:detail", args=[elder.pk]))


def test_every_place_keeps_its_square_for_the_tile_index(world, db):
    from yiyang.directory.models import Location, tile_of, tile_ranges

    loc = Location.objects.filter(name="近处饭堂").get()
    assert loc.tile == tile_of(HOME[0] + 0.003, HOME[1]) == 2254 * 100_000 + 11405
    assert not Location.objects.filter(tile__isnull=True).exists()
    # A provider moving its place moves its square too.
    loc.latitude = 22.6101
    loc.save(update_fields=["latitude"])
    assert Location.objects.get(pk=loc.pk).tile == 2261 * 100_000 + 11405
    loc.latitude = HOME[0] + 0.003
    loc.save()
    # Matching's door question reads its own rows: the service's kind and the place's square.
    from yiyang.directory.models import MatchCandidate, ServiceAtLocation

    door = hsds("梅林上门助浴", lat=HOME[0] + 0.02, lon=HOME[1], kind="home_care", needs=("bathing",))
    assert directory_import([door]).committed
    sal = ServiceAtLocation.objects.get(service__name="梅林上门助浴")
    row = MatchCandidate.objects.get(service_id=sal.service_id)
    assert row.door is True and row.tile == tile_of(HOME[0] + 0.02, HOME[1])
    assert {r.door for r in MatchCandidate.objects.filter(service__name="近处饭堂")} == {False}
    door["service_at_locations"][0]["location"]["id"] = str(sal.location_id)
    door["service_at_locations"][0]["location"]["latitude"] = HOME[0] + 0.035  # the office moved
    assert directory_import([door]).committed
    assert MatchCandidate.objects.get(service_id=sal.service_id).tile == tile_of(HOME[0] + 0.035, HOME[1])
    # ≈ 3.9 km away: beyond the walk, within the 5 km a home service is considered.
    _pos, recs = matching.recommend(world["elder"], "bathing", level=None, limit=5)
    assert "梅林上门助浴" in _names(recs)
    Service.objects.filter(name="梅林上门助浴").update(status=Service.Status.INACTIVE)
    # A box is one range per row of squares.
    assert tile_ranges(22.531, 22.549, 114.041, 114.059) == [(225311404, 225311405), (225411404, 225411405)]
