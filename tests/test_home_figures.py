"""The worker's to-do lists and the supervisor's columns, across the apps that register them:
on a crafted street each number is what a person counting by hand gets, and each links to the
records behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from yiyang.assessments.models import Assessment
from yiyang.core.overview import month_parse, overview_for
from yiyang.entitlements.models import Benefit, EntitlementChange
from yiyang.surveys.models import Questionnaire, SurveyResponse
from yiyang.visits import services as visit_services
from yiyang.visits.models import VisitPlan, VisitRule


@pytest.fixture
def street(superuser):
    """梅京: 3 elders — one with a valid assessment and a survey, one whose assessment expired,
    one never assessed; a newly entitled, untold benefit for the first. 上梅林: 1 elder, surveyed."""
    today = timezone.localdate()
    a1 = factories.make_elder(superuser, name="张一", living_situation="alone", categories=[])
    a2 = factories.make_elder(superuser, name="张二", living_situation="with_children", categories=[])
    a3 = factories.make_elder(superuser, name="张三", living_situation="with_children", categories=[])
    b1 = factories.make_elder(superuser, factories.COMMUNITY_A2, name="李一", living_situation="with_children",
                              categories=[])
    for n, (elder, until) in enumerate([(a1, today + dt.timedelta(days=200)), (a2, today - dt.timedelta(days=3))]):
        Assessment.objects.create(elder=elder, region_code=elder.region_id, number=f"T{n}", assessed_on=today,
                                  status=Assessment.Status.CONFIRMED, level=1, valid_until=until)
    q = Questionnaire.objects.filter(status="published").first() or Questionnaire.objects.first()
    for elder in (a1, b1):
        SurveyResponse.objects.create(elder=elder, region_code=elder.region_id, questionnaire=q, answers_enc=b"x",
                                      surveyed_on=today)
    benefit = Benefit.objects.first()
    EntitlementChange.objects.create(elder=a1, benefit=benefit, from_status="maybe", to_status="entitled",
                                     at=timezone.now(), cause="elder")
    visit_services.visit_plans_sync(elder_ids=[a1.pk, a2.pk, a3.pk, b1.pk])
    return {"a1": a1, "a2": a2, "a3": a3, "b1": b1, "benefit": benefit}


def test_the_street_overview_counts_by_hand(street, street_admin):
    table = overview_for(street_admin, month_parse(None))
    keys = [f.key for f in table.figures]
    assert keys[:2] == ["elders_registered", "visit_rate"]
    cells = {row.region.name: dict(zip(keys, row.cells, strict=True)) for row in table.rows}
    meijing, shangmeilin, street_total = cells["梅京社区"], cells["上梅林社区"], cells["梅林街道"]
    assert meijing["elders_registered"].value == 3 and street_total["elders_registered"].value == 4
    assert meijing["assessment_coverage"].value == pytest.approx(1 / 3, abs=1e-4)
    assert street_total["assessment_coverage"].value == pytest.approx(1 / 4, abs=1e-4)
    assert meijing["survey_coverage"].value == pytest.approx(1 / 3, abs=1e-4)
    assert shangmeilin["survey_coverage"].value == 1
    assert (meijing["entitlements_untold"].value, shangmeilin["entitlements_untold"].value) == (1, 0)
    # 张一 lives alone (monthly, due this month); 张二 and 张三 get the quarterly call, due this
    # month only in a quarter's last month. Nobody has been visited yet.
    today = timezone.localdate()
    quarterly_due_now = VisitRule.objects.get(code="registered_quarterly_call").period_of(today)[1].month == today.month
    due = 1 + (2 if quarterly_due_now else 0)
    assert (meijing["visit_rate"].value, meijing["visit_rate"].text) == (0, f"0%（0/{due}）")
    assert "region=440304006001" in meijing["survey_coverage"].url


def test_the_gap_behind_the_survey_figure_lists_who_was_not_surveyed(client, street, street_admin):
    client.force_login(street_admin)
    html = client.get("/surveys/missing/", {"region": "440304006001"}).content.decode()
    assert "张二" in html and "张三" in html and "张一" not in html and "李一" not in html


def test_the_workers_first_screen_is_what_to_do_today(client, street, worker):
    client.force_login(worker)
    response = client.get("/")
    todos = {t["key"]: t for t in response.context["todos"]}
    assert set(todos) >= {"visits", "assessments", "entitlements_untold"}
    # 张一's monthly visit and the quarterly calls of 张二 and 张三: all three windows are open.
    assert {r.title for r in todos["visits"]["rows"]} == {"张一", "张二", "张三"} and todos["visits"]["count"] == 3
    # 张二's assessment expired; 张三 was never assessed (the due list is of expiring results and
    # requested 即时评估 — first assessments are the coverage figure's gap).
    assert [(r.title, r.overdue) for r in todos["assessments"]["rows"]] == [("张二", True)]
    assert todos["entitlements_untold"]["rows"][0].detail == f"可享受{street['benefit'].name}"
    html = response.content.decode()
    assert html.index("今天要做的事") < html.index("在册老年人")  # the to-do list comes first
    assert response.context["overview"] is None  # a community worker has no children to supervise
    nav = {str(i["label"]): i["badge"] for i in response.context["nav_items"]}
    # The badge counts visits due by today (张一's is due on the 20th).
    plan = VisitPlan.objects.get(elder=street["a1"])
    assert nav["探访"] == (1 if plan.due_date <= timezone.localdate() else None)
    assert nav["待评估"] == 1
