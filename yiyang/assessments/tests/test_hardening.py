"""Findings of the hostile review (issue 7, A.3 / A.7 / A.8 / A.11 / A.13 / A.14) on ability
assessments: a create that fails leaves nothing behind; the exchange document goes out and
comes back in through the API; texts are bounded; the co-assessor field does not tell whether
a username exists elsewhere; an export asks for a reason; assessors' names are real names."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests import factories
from yiyang.assessments import events, services
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import ITEMS
from yiyang.core.exceptions import FieldErrors
from yiyang.core.models import AccessLog, Event


def items(**overrides):
    values = {i.code: i.max_score for i in ITEMS}
    values.update(overrides)
    return values


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, rolled back after it: the tree; two workers of community A
    (the second named with an extension-E character); a street lead beside them; accounts
    that may not co-assess here; an elder in A and the same person registered in another
    district (where a result is recognised, 互认)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            factories.load_tree()
            w = {
                "worker": factories.make_user("worker_a", "commissioner", factories.COMMUNITY_A, full_name="张敏"),
                "co": factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A, full_name="王𬌗"),
                "minority": factories.make_user("worker_c", "commissioner", factories.COMMUNITY_A,
                                                full_name="阿依古丽·买买提"),
                "elsewhere": factories.make_user("worker_far", "commissioner", factories.COMMUNITY_OTHER_DISTRICT),
                "inactive": factories.make_user("worker_gone", "commissioner", factories.COMMUNITY_A,
                                                is_active=False),
                "provider": factories.make_user("provider_a", "provider_staff", factories.COMMUNITY_A),
                "lead_far": factories.make_user("lead_far", "district_admin", "440303000000"),
            }
            w["elder"] = factories.make_elder(w["worker"])
            # One person, one archive per system: in the receiving system the same person has
            # their own archive (here: another ID number, which the document is adjusted to).
            w["there"] = factories.make_elder(w["lead_far"], region_code=factories.COMMUNITY_OTHER_DISTRICT)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield w
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def bearer(username):
    resp = Client().post("/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
                         content_type="application/json")
    assert resp.status_code == 200, resp.content
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


def post(headers, path, body):
    return Client().post(path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def h(world, db):
    return bearer("worker_a")


def confirmed(world, **overrides):
    a = services.assessment_create(actor=world["worker"], elder=world["elder"], co_assessor=world["co"],
                                   items=items(**overrides), part_a={"information_provider": "王明"}, submit=True)
    return services.assessment_confirm(actor=world["co"], assessment=a)


# -- A.3: one service, one transaction ---------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"co_assessor": "worker_b", "items": items(**{"B.1.1": 9})},  # a score out of range
    {"co_assessor": "worker_b", "items": {"B.9.9": 1}},  # an unknown item
    {"co_assessor": "worker_b", "items": items(), "part_a": {"risk_events": {"fall": 7}}},
    {"co_assessor": "worker_b", "items": {"B.1.1": 4}, "submit": True},  # incomplete, submitted
    {"items": items(), "submit": True},  # no second assessor, submitted
])
def test_a_create_that_fails_validation_leaves_no_draft_and_no_event(h, world, body):
    elder = world["elder"]
    for _retry in range(3):
        resp = post(h, f"/api/v1/elders/{elder.pk}/assessments", body)
        assert resp.status_code == 400, resp.content
        assert resp.json()["code"] == "validation_error"
    assert not Assessment.objects.filter(elder=elder).exists()
    assert not Event.objects.filter(elder_id=elder.pk, type__startswith="assessment.").exists()


def test_a_good_create_still_writes_draft_answers_and_submission_together(h, world):
    resp = post(h, f"/api/v1/elders/{world['elder'].pk}/assessments",
                {"co_assessor": "worker_b", "items": items(), "submit": True})
    assert resp.status_code == 201 and resp.json()["status"] == "submitted"
    types = list(Event.objects.filter(elder_id=world["elder"].pk).values_list("type", flat=True))
    assert types.count(events.STARTED) == 1 and types.count(events.SUBMITTED) == 1


def test_a_patch_that_fails_keeps_the_old_co_assessor(h, world):
    a = services.assessment_create(actor=world["worker"], elder=world["elder"], co_assessor=world["co"])
    resp = Client().patch(f"/api/v1/assessments/{a.pk}", json.dumps({"co_assessor": "worker_c",
                                                                     "items": {"B.1.1": 9}}),
                          content_type="application/json", **h)
    assert resp.status_code == 400
    assert sorted(a.assessor_links.values_list("name", flat=True)) == ["张敏", "王𬌗"]


# -- A.11: the co-assessor field answers the same ------------------------------------------------


@pytest.mark.parametrize("username", ["no_such_user", "worker_far", "worker_gone", "provider_a", "lead_far"])
def test_the_co_assessor_field_does_not_tell_whether_a_username_exists(h, world, username):
    elder = world["elder"]
    resp = post(h, f"/api/v1/elders/{elder.pk}/assessments", {"co_assessor": username, "items": items()})
    assert resp.status_code == 400
    assert resp.json()["detail"]["fields"] == {"co_assessor": [f"本辖区内没有用户名为“{username}”的评估人员"]}
    a = services.assessment_create(actor=world["worker"], elder=elder)
    patched = Client().patch(f"/api/v1/assessments/{a.pk}", json.dumps({"co_assessor": username}),
                             content_type="application/json", **h)
    assert patched.status_code == 400
    assert patched.json()["detail"] == resp.json()["detail"]


def test_the_service_gives_the_same_answer_for_an_account_passed_directly(world, db):
    a = services.assessment_create(actor=world["worker"], elder=world["elder"])
    with pytest.raises(FieldErrors) as exc:
        services.assessment_set_co_assessor(actor=world["worker"], assessment=a, co_assessor=world["elsewhere"])
    assert exc.value.errors == {"co_assessor": ["本辖区内没有用户名为“worker_far”的评估人员"]}


# -- A.7 + A.13: export with a reason, import through the API ------------------------------------


def test_export_then_import_round_trip_through_the_api(world, db):
    a = confirmed(world, **{"B.1.1": 0, "B.3.9": 1})
    exported = post(bearer("worker_a"), f"/api/v1/assessments/{a.pk}/export", {"purpose": "老人迁往罗湖，转交评估结果"})
    assert exported.status_code == 200, exported.content
    doc = exported.json()
    assert doc["subject"]["id_number"] == world["elder"].id_number
    log = AccessLog.objects.get(elder_id=world["elder"].pk, action="export")
    assert log.purpose == "老人迁往罗湖，转交评估结果" and log.actor == world["worker"]

    # The receiving district has the same person under its own archive.
    there = world["there"]
    doc["subject"]["id_number"] = there.id_number
    imported = post(bearer("lead_far"), f"/api/v1/elders/{there.pk}/assessments/import", doc)
    assert imported.status_code == 201, imported.content
    body = imported.json()
    assert (body["total"], body["level"], body["status"], body["source"]) == (a.total, a.level, "confirmed",
                                                                              "exchange")
    assert body["origin_region"] == factories.COMMUNITY_A
    assert [x["name"] for x in body["assessors"]] == ["张敏", "王𬌗"]
    b = Assessment.objects.get(pk=body["id"])
    assert b.answers["items"] == a.answers["items"] and b.answers["original_number"] == a.number
    assert Event.objects.filter(elder_id=there.pk, type=events.IMPORTED).count() == 1


def test_import_through_the_api_refuses_what_the_service_refuses(world, db):
    a = confirmed(world)
    doc = post(bearer("worker_a"), f"/api/v1/assessments/{a.pk}/export", {"purpose": "转交评估结果"}).json()
    lead = bearer("lead_far")
    there = world["there"]
    wrong_person = post(lead, f"/api/v1/elders/{there.pk}/assessments/import", doc)
    assert wrong_person.status_code == 400 and wrong_person.json()["code"] == "subject_mismatch"
    doc["subject"]["id_number"] = there.id_number
    doc["result"]["total"] = 12
    assert post(lead, f"/api/v1/elders/{there.pk}/assessments/import", doc).json()["code"] == "result_mismatch"
    doc.pop("result")
    doc["assessors"] = [{"name": "张" * 51}]
    too_long = post(lead, f"/api/v1/elders/{there.pk}/assessments/import", doc)
    assert too_long.status_code == 422
    assert too_long.json()["detail"]["fields"] == {"assessors.0.name": ["最长50字"]}
    assert not Assessment.objects.filter(elder=there).exists()


def test_the_import_operation_reads_a_json_body():
    from config.api import api

    op = api.get_openapi_schema()["paths"]["/api/v1/elders/{elder_id}/assessments/import"]["post"]
    assert [p["name"] for p in op.get("parameters", [])] == ["elder_id"]
    assert "application/json" in op["requestBody"]["content"]


@pytest.mark.parametrize("purpose", [None, "", " ", "查", "由" * 201])
def test_an_export_without_a_reason_is_refused_and_not_logged(h, world, purpose):
    a = confirmed(world)
    body = {} if purpose is None else {"purpose": purpose}
    resp = post(h, f"/api/v1/assessments/{a.pk}/export", body)
    assert resp.status_code in (400, 422), resp.content
    assert "purpose" in resp.json()["detail"]["fields"]
    assert "id_number" not in resp.content.decode()
    assert not AccessLog.objects.filter(elder_id=a.elder_id, action="export").exists()


def test_the_export_page_asks_for_a_reason_and_logs_it(world, db):
    a = confirmed(world)
    c = Client()
    c.force_login(world["worker"])
    detail = c.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert 'action="' + reverse("assessments:export", args=[a.pk]) + '"' in detail and 'name="purpose"' in detail
    refused = c.post(reverse("assessments:export", args=[a.pk]), {"purpose": ""}, follow=True)
    assert "请填写导出事由" in refused.content.decode()
    assert not AccessLog.objects.filter(elder_id=a.elder_id, action="export").exists()
    resp = c.post(reverse("assessments:export", args=[a.pk]), {"purpose": "家属申请异地养老"})
    assert resp.status_code == 200 and resp["Content-Disposition"].startswith("attachment;")
    doc = json.loads(resp.content)
    assert doc["number"] == a.number and doc["subject"]["id_number"] == world["elder"].id_number
    log = AccessLog.objects.get(elder_id=a.elder_id, action="export")
    assert log.purpose == "家属申请异地养老" and log.fields == ["能力评估"]
    assert c.get(reverse("assessments:export", args=[a.pk])).status_code == 405


# -- A.8: texts are bounded ----------------------------------------------------------------------


@pytest.mark.parametrize("part_a,field", [
    ({"diagnoses": "病" * 501}, "part_a.diagnoses"),
    ({"medications": "药" * 501}, "part_a.medications"),
    ({"information_provider": "王" * 51}, "part_a.information_provider"),
    ({"provider_relation": "儿" * 21}, "part_a.provider_relation"),
])
def test_part_a_texts_have_a_maximum_in_the_api(h, world, part_a, field):
    resp = post(h, f"/api/v1/elders/{world['elder'].pk}/assessments", {"items": {}, "part_a": part_a})
    assert resp.status_code == 422
    assert resp.json()["detail"]["fields"][field][0].startswith("最长")
    assert not Assessment.objects.filter(elder=world["elder"]).exists()


def test_the_service_refuses_long_part_a_text_instead_of_cutting_it(world, db):
    with pytest.raises(FieldErrors) as exc:
        services.assessment_create(actor=world["worker"], elder=world["elder"], part_a={"diagnoses": "病" * 501})
    assert exc.value.errors == {"diagnoses": ["最长500字（现在501字）"]}
    with pytest.raises(FieldErrors):
        services.assessment_request_immediate(actor=world["worker"], elder=world["elder"], note="跌" * 201)
    assert not Assessment.objects.filter(elder=world["elder"]).exists()


def test_the_assessment_form_refuses_long_text_with_a_chinese_message(world, db):
    a = services.assessment_create(actor=world["worker"], elder=world["elder"], co_assessor=world["co"])
    c = Client()
    c.force_login(world["worker"])
    data = {"diagnoses": "病" * 501, "save": "1", **{f"risk_{k}": "0" for k in services.RISK_EVENTS}}
    resp = c.post(reverse("assessments:edit", args=[a.pk]), data)
    assert resp.status_code == 400
    assert "最长500字（现在501字）" in resp.content.decode()


def test_a_bad_value_is_quoted_back_only_in_part(h, world):
    resp = post(h, "/api/v1/assessments/score", {"items": {**items(), "B.1.1": "x" * 10000}})
    assert resp.status_code == 400 and len(resp.json()["message"]) < 100


# -- A.14: names of assessors and informants -----------------------------------------------------


def test_an_extension_name_and_a_minority_name_are_offered_and_shown_as_co_assessors(world, db):
    c = Client()
    c.force_login(world["worker"])
    start = c.get(reverse("assessments:start", args=[world["elder"].pk])).content.decode()
    assert "王𬌗" in start and "阿依古丽·买买提" in start
    resp = c.post(reverse("assessments:start", args=[world["elder"].pk]),
                  {"reason": "first", "assessed_on": "2026-01-05", "co_assessor": str(world["minority"].pk)})
    assert resp.status_code == 302, resp.content.decode()[:500]
    a = Assessment.objects.get(elder=world["elder"])
    assert sorted(a.assessor_links.values_list("name", flat=True)) == ["张敏", "阿依古丽·买买提"]
    assert "阿依古丽·买买提" in c.get(resp["Location"]).content.decode()


def test_the_information_provider_name_is_normalised_like_every_name(world, db):
    a = services.assessment_create(actor=world["worker"], elder=world["elder"],
                                   part_a={"information_provider": "买买提 • 艾力"})
    assert a.answers["information_provider"] == "买买提·艾力"
    with pytest.raises(FieldErrors) as exc:
        services.assessment_create(actor=world["worker"], elder=world["elder"],
                                   part_a={"information_provider": "王2"})
    assert exc.value.errors == {"information_provider": ["只能包含汉字、字母和间隔号“·”"]}
