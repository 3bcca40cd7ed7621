"""survey_submit: validation against the version, need-tag mapping, the event, the current
needs selectors — on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import Event
from yiyang.elders import services as elder_services
from yiyang.surveys import selectors, services
from yiyang.surveys.models import SurveyResponse
from yiyang.surveys.tests.helpers import NO_NEEDS, SOME_NEEDS, SOME_NEEDS_NAMES, SOME_NEEDS_TAGS, answers


def today() -> dt.date:
    return timezone.localdate()


def submit(actor, elder, questionnaire, data, day=None):
    return services.survey_submit(actor=actor, elder=elder, questionnaire=questionnaire, answers=data,
                                  surveyed_on=day or today())


def test_submit_stores_encrypted_answers_tags_and_event(worker, elder, v1):
    r = submit(worker, elder, v1, {**SOME_NEEDS, "other_needs": "  想学用智能手机  "})
    r.refresh_from_db()
    assert r.need_tags == SOME_NEEDS_TAGS
    assert r.questionnaire == v1 and r.region_code == elder.region_id
    assert r.surveyed_by == worker and r.surveyed_on == today() and r.version == 1
    # Answers normalised (yes/no as option codes, text stripped) and only encrypted at rest.
    assert r.answers["emergency_device"] == "no" and r.answers["family_doctor"] == "yes"
    assert r.answers["other_needs"] == "想学用智能手机"
    assert r.answers["home_hazards"] == ["stairs", "bathroom"]
    assert "想学用智能手机".encode() not in bytes(r.answers_enc)
    event = Event.objects.get(type="survey.submitted")
    assert event.elder_id == elder.pk and event.actor == worker and event.region_code == elder.region_id
    assert event.subject_id == str(r.pk)
    assert event.payload["need_tags"] == SOME_NEEDS_NAMES
    assert event.payload["need_tag_codes"] == SOME_NEEDS_TAGS
    assert event.payload["questionnaire_version"] == 1
    assert "added" not in event.payload  # a first survey has nothing to compare with


def test_no_needs_gives_no_tags_and_optional_text_may_be_left_out(worker, elder, v1):
    r = submit(worker, elder, v1, NO_NEEDS)
    assert r.need_tags == []
    assert "other_needs" not in r.answers
    assert selectors.elder_current_needs(elder) == []


@pytest.mark.parametrize(("question", "value", "message"), [
    ("meals", None, "请回答这个问题"),
    ("meals", "", "请回答这个问题"),
    ("meals", "takeaway", "没有“takeaway”这个选项"),
    ("meals", ["cook_self"], "请选择一个选项"),
    ("home_hazards", [], "请至少选一项"),
    ("home_hazards", ["stairs", "lift"], "没有“lift”这个选项"),
    ("home_hazards", 3, "请选择选项"),
    ("home_hazards", ["none", "stairs"], "“以上都没有”不能和其他选项同时选"),
    ("family_doctor", "maybe", "请选择“是”或“否”"),
    ("family_doctor", 1, "请选择“是”或“否”"),
    ("other_needs", "字" * 501, "请控制在500字以内"),
    ("other_needs", ["x"], "请填写文字"),
])
def test_each_kind_is_validated_with_plain_chinese_keyed_by_question(worker, elder, v1, question, value, message):
    with pytest.raises(FieldErrors) as exc:
        submit(worker, elder, v1, answers(**{question: value}))
    assert list(exc.value.errors) == [question]
    assert exc.value.errors[question][0].startswith(message)
    assert SurveyResponse.objects.count() == 0
    assert not Event.objects.filter(type="survey.submitted").exists()


def test_all_problems_are_reported_at_once(worker, elder, v1):
    data = answers(meals="nope", unknown_q="x")
    del data["bathing"]
    with pytest.raises(FieldErrors) as exc:
        submit(worker, elder, v1, data, day=today() + dt.timedelta(days=1))
    assert exc.value.errors == {
        "unknown_q": ["问卷中没有这个问题"],
        "meals": ["没有“nope”这个选项"],
        "bathing": ["请回答这个问题"],
        "surveyed_on": ["调查日期不能晚于今天"],
    }
    assert exc.value.detail == {"fields": exc.value.errors}


def test_answers_must_be_a_mapping(worker, elder, v1):
    with pytest.raises(FieldErrors) as exc:
        submit(worker, elder, v1, ["meals"])
    assert "answers" in exc.value.errors


def test_lenient_value_forms(worker, elder, v1):
    r = submit(worker, elder, v1, answers(family_doctor="否", emergency_device="no", errands="shopping",
                                          home_hazards=["bathroom", "stairs", "bathroom"]))
    assert r.answers["family_doctor"] == "no" and r.answers["emergency_device"] == "no"
    assert r.answers["errands"] == ["shopping"]
    assert r.answers["home_hazards"] == ["stairs", "bathroom"]  # deduplicated, in the options' order
    assert r.need_tags == ["medical", "emergency", "home_adaptation", "errands"]


def test_one_option_can_carry_several_tags(worker, elder, v1):
    r = submit(worker, elder, v1, answers(mobility="housebound", falls="repeated"))
    assert r.need_tags == ["daily_care", "mobility", "emergency", "home_adaptation"]


def test_worker_outside_jurisdiction_and_roles_without_update(worker, tree, v1, superuser):
    other = factories.make_elder(superuser, factories.COMMUNITY_B)
    with pytest.raises(NotFoundError):
        submit(worker, other, v1, NO_NEEDS)
    operator = factories.make_user("op", "operator", "440304000000")  # inside, but may not update elders
    with pytest.raises(ForbiddenError):
        submit(operator, other, v1, NO_NEEDS)
    assert SurveyResponse.objects.count() == 0


def test_deactivated_elder_cannot_be_surveyed(worker, elder, v1):
    elder_services.elder_deactivate(actor=worker, elder=elder, reason="moved_away")
    with pytest.raises(ApplicationError) as exc:
        submit(worker, elder, v1, NO_NEEDS)
    assert exc.value.code == "inactive"


def test_current_needs_come_from_the_latest_survey_by_date(worker, elder, v1):
    assert selectors.elder_current_needs(elder) == []
    day = today()
    submit(worker, elder, v1, SOME_NEEDS, day=day - dt.timedelta(days=30))
    assert selectors.elder_current_needs(elder) == list(zip(SOME_NEEDS_TAGS, SOME_NEEDS_NAMES, strict=True))
    submit(worker, elder, v1, answers(bathing="need_help", loneliness="often"), day=day)
    assert selectors.elder_current_needs(elder) == [("bathing", "助浴"), ("companionship", "精神慰藉")]
    # A paper form from last year typed in today does not replace this month's survey.
    submit(worker, elder, v1, answers(cleaning="need_help"), day=day - dt.timedelta(days=365))
    assert selectors.elder_current_needs(elder) == [("bathing", "助浴"), ("companionship", "精神慰藉")]
    assert [r.surveyed_on for r in selectors.survey_history(elder)] == [
        day, day - dt.timedelta(days=30), day - dt.timedelta(days=365)]


def test_event_says_what_changed_since_the_previous_survey(worker, elder, v1):
    submit(worker, elder, v1, SOME_NEEDS, day=today() - dt.timedelta(days=10))
    submit(worker, elder, v1, answers(meals="need_meals", bathing="need_help"))
    event = Event.objects.filter(type="survey.submitted").order_by("-occurred_at").first()
    assert event.payload["need_tags"] == ["助餐", "助浴"]
    assert event.payload["added"] == ["助浴"]
    assert event.payload["removed"] == ["助急", "精神慰藉", "家庭适老化改造", "政策与法律咨询"]


def test_many_elders_needs_in_one_call(worker, superuser, v1):
    a = factories.make_elder(superuser)
    b = factories.make_elder(superuser)
    never = factories.make_elder(superuser)
    submit(worker, a, v1, SOME_NEEDS, day=today() - dt.timedelta(days=5))
    submit(worker, a, v1, answers(meals="need_meals"))
    submit(worker, b, v1, NO_NEEDS)
    needs = selectors.elders_current_needs([a.pk, b.pk, never.pk])
    assert needs == {a.pk: [("meals", "助餐")], b.pk: []}
    assert needs[a.pk] == selectors.elder_current_needs(a)
