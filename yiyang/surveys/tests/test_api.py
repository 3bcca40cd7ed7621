"""The public contract of the survey endpoints: shapes, status codes, the error format,
newest first, and 404 outside the caller's jurisdiction (403 inside for a role without
the capability)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from yiyang.core.models import AccessLog
from yiyang.surveys import services
from yiyang.surveys.models import SurveyResponse
from yiyang.surveys.tests.helpers import NO_NEEDS, SOME_NEEDS, SOME_NEEDS_NAMES, SOME_NEEDS_TAGS, answers

QUESTIONNAIRE_KEYS = {"id", "name", "version", "status", "description", "published_at", "questions", "need_tags"}
RESPONSE_KEYS = {"id", "elder_id", "region_code", "questionnaire_version", "surveyed_on", "surveyed_by", "source",
                 "need_tags", "created_at"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(client, elder_id, body):
    return client.post(f"/api/v1/elders/{elder_id}/surveys", json.dumps(body), content_type="application/json")


def today() -> str:
    return timezone.localdate().isoformat()


def test_questionnaire_contract(worker, v1):
    resp = client_for(worker).get("/api/v1/surveys/questionnaire")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == QUESTIONNAIRE_KEYS
    assert (body["version"], body["status"]) == (1, "published")
    assert [t["name"] for t in body["need_tags"]][:3] == ["生活照料", "助餐", "助浴"]
    meals = next(q for q in body["questions"] if q["code"] == "meals")
    assert set(meals) == {"code", "section", "text", "help_text", "kind", "required", "order", "options"}
    assert meals["kind"] == "single" and meals["required"] is True and meals["section"] == "助餐"
    need = next(o for o in meals["options"] if o["code"] == "need_meals")
    assert need == {"code": "need_meals", "text": "需要送餐上门或到长者饭堂吃", "order": need["order"],
                    "exclusive": False, "need_tags": [{"code": "meals", "name": "助餐"}]}
    orders = [q["order"] for q in body["questions"]]
    assert orders == sorted(orders)
    assert client_for(worker).get("/api/v1/surveys/questionnaire?version=1").json()["id"] == body["id"]
    missing = client_for(worker).get("/api/v1/surveys/questionnaire?version=99")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_unauthenticated_is_401(elder, v1):
    assert Client().get("/api/v1/surveys/questionnaire").status_code == 401
    assert Client().get(f"/api/v1/elders/{elder.pk}/surveys").status_code == 401


def test_submit_201_with_need_tags(worker, elder, v1):
    resp = post(client_for(worker), elder.pk, {"answers": SOME_NEEDS, "surveyed_on": today()})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body) == RESPONSE_KEYS | {"answers"}
    assert body["need_tags"] == [{"code": c, "name": n} for c, n in zip(SOME_NEEDS_TAGS, SOME_NEEDS_NAMES, strict=True)]
    assert body["questionnaire_version"] == 1 and body["source"] == "api"
    assert body["surveyed_by"] == worker.display_name and body["surveyed_on"] == today()
    assert body["answers"]["emergency_device"] == "no"
    assert SurveyResponse.objects.get().elder == elder


def test_submit_400_with_fields_by_question_code(worker, elder, v1):
    data = answers(meals="takeaway", home_hazards=["none", "stairs"])
    del data["bathing"]
    resp = post(client_for(worker), elder.pk, {"answers": data, "surveyed_on": today()})
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "validation_error" and "请按提示修改" in body["message"]
    assert body["detail"] == {"fields": {
        "meals": ["没有“takeaway”这个选项"],
        "bathing": ["请回答这个问题"],
        "home_hazards": ["“以上都没有”不能和其他选项同时选"],
    }}
    assert SurveyResponse.objects.count() == 0


def test_submit_date_in_future_and_malformed(worker, elder, v1):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    resp = post(client_for(worker), elder.pk, {"answers": NO_NEEDS, "surveyed_on": tomorrow})
    assert resp.status_code == 400
    assert resp.json()["detail"]["fields"] == {"surveyed_on": ["调查日期不能晚于今天"]}
    resp = post(client_for(worker), elder.pk, {"answers": NO_NEEDS, "surveyed_on": "昨天"})
    assert resp.status_code == 422 and "surveyed_on" in resp.json()["detail"]["fields"]


def test_submit_to_a_named_version_and_to_a_draft(worker, superuser, elder, v1):
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    resp = post(client_for(worker), elder.pk, {"answers": NO_NEEDS, "surveyed_on": today(),
                                               "questionnaire_version": v2.version})
    assert resp.status_code == 400 and resp.json()["code"] == "questionnaire_draft"
    resp = post(client_for(worker), elder.pk, {"answers": NO_NEEDS, "surveyed_on": today(),
                                               "questionnaire_version": 1})
    assert resp.status_code == 201


def test_list_is_newest_first(worker, elder, v1):
    c = client_for(worker)
    day = timezone.localdate()
    for n, data in enumerate([NO_NEEDS, SOME_NEEDS, answers(meals="need_meals")]):
        resp = post(c, elder.pk, {"answers": data, "surveyed_on": (day - dt.timedelta(days=10 * (3 - n))).isoformat()})
        assert resp.status_code == 201
    resp = c.get(f"/api/v1/elders/{elder.pk}/surveys")
    assert resp.status_code == 200
    rows = resp.json()
    assert [r["surveyed_on"] for r in rows] == sorted((r["surveyed_on"] for r in rows), reverse=True)
    assert set(rows[0]) == RESPONSE_KEYS  # the list carries no answers
    assert rows[0]["need_tags"] == [{"code": "meals", "name": "助餐"}]
    needs = c.get(f"/api/v1/elders/{elder.pk}/needs").json()
    assert needs["need_tags"] == [{"code": "meals", "name": "助餐"}] and needs["response_id"] == rows[0]["id"]


def test_detail_returns_answers_and_logs_the_access(worker, elder, v1):
    c = client_for(worker)
    created = post(c, elder.pk, {"answers": SOME_NEEDS, "surveyed_on": today()}).json()
    resp = c.get(f"/api/v1/surveys/{created['id']}")
    assert resp.status_code == 200
    assert resp.json()["answers"] == created["answers"]
    log = AccessLog.objects.get()
    assert log.actor == worker and log.elder_id == elder.pk and log.fields == ["需求调查回答"]


@pytest.fixture
def outside(superuser):
    return factories.make_elder(superuser, factories.COMMUNITY_B, name="景田老人")


def test_404_outside_jurisdiction_everywhere(worker, outside, superuser, v1):
    r = services.survey_submit(actor=superuser, elder=outside, questionnaire=v1, answers=SOME_NEEDS,
                               surveyed_on=timezone.localdate())
    c = client_for(worker)
    for resp in (
        c.get(f"/api/v1/elders/{outside.pk}/surveys"),
        post(c, outside.pk, {"answers": NO_NEEDS, "surveyed_on": today()}),
        c.get(f"/api/v1/surveys/{r.pk}"),
        c.get(f"/api/v1/elders/{outside.pk}/needs"),
        c.get("/api/v1/surveys/00000000-0000-0000-0000-000000000000"),
    ):
        assert resp.status_code == 404, resp.content
        assert resp.json()["code"] == "not_found"
        assert "景田老人" not in resp.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert not AccessLog.objects.exists()


def test_inside_but_role_may_not(superuser, elder, v1):
    provider = factories.make_user("prov", "provider_staff", factories.COMMUNITY_A)
    c = client_for(provider)
    assert c.get(f"/api/v1/elders/{elder.pk}/surveys").status_code == 403
    assert post(c, elder.pk, {"answers": NO_NEEDS, "surveyed_on": today()}).status_code == 403
    assert SurveyResponse.objects.count() == 0


def test_street_admin_reads_what_the_worker_wrote(worker, street_admin, elder, v1):
    post(client_for(worker), elder.pk, {"answers": SOME_NEEDS, "surveyed_on": today()})
    rows = client_for(street_admin).get(f"/api/v1/elders/{elder.pk}/surveys").json()
    assert len(rows) == 1 and rows[0]["surveyed_by"] == worker.display_name


def test_openapi_lists_the_survey_endpoints(worker):
    paths = client_for(worker).get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/surveys/questionnaire", "/api/v1/elders/{elder_id}/surveys",
            "/api/v1/surveys/{response_id}", "/api/v1/elders/{elder_id}/needs"} <= set(paths)


def test_answers_are_bounded_and_a_bad_value_is_quoted_back_only_in_part(worker, elder, v1):
    """Issue 7 A.8: a question code has a maximum, and an unknown option is not echoed whole."""
    c = client_for(worker)
    long_code = post(c, elder.pk, {"answers": {**answers(), "q" * 41: "x"}, "surveyed_on": today()})
    assert long_code.status_code == 422
    assert list(long_code.json()["detail"]["fields"].values()) == [["最长40字"]]
    huge = post(c, elder.pk, {"answers": answers(meals="x" * 100_000, home_hazards=["y" * 100_000]),
                              "surveyed_on": today()})
    assert huge.status_code == 400
    fields = huge.json()["detail"]["fields"]
    assert all(len(m) < 200 for msgs in fields.values() for m in msgs), fields
    assert fields["meals"] == ["没有“xxxxxxxxxxxxxxxxxxx…”这个选项"]
    assert SurveyResponse.objects.count() == 0
