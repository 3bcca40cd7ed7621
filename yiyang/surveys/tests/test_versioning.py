"""The versioned questionnaire: the shipped default, copy to a new draft, publish (retires
the previous), old answers keep their version, and the admin that drives it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.models import Event
from yiyang.surveys import defaults, selectors, services
from yiyang.surveys.models import NeedTag, Option, Question, Questionnaire
from yiyang.surveys.tests.helpers import NO_NEEDS, SOME_NEEDS, SOME_NEEDS_TAGS


def structure(q: Questionnaire) -> list:
    q = selectors.questionnaire_detail(pk=q.pk)
    return [(x.code, x.section, x.text, x.kind, x.required, x.order,
             [(o.code, o.text, o.order, o.exclusive, [t.code for t in o.need_tags.all()]) for o in x.options.all()])
            for x in q.questions.all()]


def test_default_questionnaire_is_shipped_published_and_covers_every_area(v1):
    assert (v1.version, v1.status) == (1, "published") and v1.published_at is not None
    names = list(NeedTag.objects.values_list("name", flat=True))
    assert names == ["生活照料", "助餐", "助浴", "助洁", "助行", "助医", "助急", "康复护理", "精神慰藉",
                     "家庭适老化改造", "政策与法律咨询", "委托代办"]
    reachable = set(Option.objects.filter(question__questionnaire=v1).values_list("need_tags__code", flat=True))
    assert reachable - {None} == set(NeedTag.objects.values_list("code", flat=True))
    assert len(v1.questions.all()) == len(defaults.QUESTIONS)
    assert {x.section for x in v1.questions.all()} >= {"生活照料", "助餐", "助浴", "助洁", "助行", "助医", "助急",
                                                       "康复护理", "精神慰藉", "家庭适老化改造", "政策与法律咨询",
                                                       "委托代办"}
    meals = v1.questions.get(code="meals")
    assert meals.text == "平时吃饭怎么解决？"
    assert {o.code: [t.name for t in o.need_tags.all()] for o in meals.options.all()}["need_meals"] == ["助餐"]
    from yiyang.surveys.validation import check_structure
    assert check_structure(v1) == {}


def test_copy_makes_an_identical_draft_and_leaves_the_source_alone(superuser, v1):
    before = structure(v1)
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    assert (v2.version, v2.status, v2.based_on) == (2, "draft", v1)
    assert structure(v2) == before == structure(v1)
    assert Question.objects.filter(questionnaire=v2).count() == len(defaults.QUESTIONS)
    v1.refresh_from_db()
    assert v1.status == "published"
    event = Event.objects.get(type="survey.questionnaire_copied")
    assert event.payload == {"from_version": 1, "version": 2} and event.actor == superuser


def test_publish_retires_the_previous_version_and_old_answers_keep_theirs(superuser, worker, elder, v1):
    old = services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=SOME_NEEDS,
                                 surveyed_on=timezone.localdate())
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    # The draft changes: meals no longer tagged, a new question about hearing aids.
    Option.objects.get(question__questionnaire=v2, question__code="meals", code="need_meals").need_tags.clear()
    hearing = Question.objects.create(questionnaire=v2, code="hearing", section="康复护理", kind="yes_no",
                                      text="需要助听器吗？", order=999)
    services.question_add_yes_no_options(question=hearing)
    Option.objects.get(question=hearing, code="yes").need_tags.add(NeedTag.objects.get(code="rehab_nursing"))

    services.questionnaire_publish(actor=superuser, questionnaire=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "published")
    assert v1.retired_at is not None and v2.published_at is not None
    assert selectors.questionnaire_published() == v2
    event = Event.objects.get(type="survey.questionnaire_published")
    assert event.payload == {"version": 2, "retired_versions": [1]}

    old.refresh_from_db()
    assert old.questionnaire == v1 and old.need_tags == SOME_NEEDS_TAGS
    assert [r.display for _s, rows in selectors.answer_rows(old) for r in rows if r.question.code == "meals"] == [
        "需要送餐上门或到长者饭堂吃"]

    new = services.survey_submit(actor=worker, elder=elder, questionnaire=v2,
                                 answers={**SOME_NEEDS, "hearing": True}, surveyed_on=timezone.localdate())
    assert new.questionnaire == v2
    assert "meals" not in new.need_tags and "rehab_nursing" in new.need_tags
    # A form opened on version 1 before the switch can still be sent (answers valid for it).
    late = services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=NO_NEEDS,
                                  surveyed_on=timezone.localdate())
    assert late.questionnaire == v1
    # …but version 2's new question is unknown to version 1.
    with pytest.raises(FieldErrors) as exc:
        services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers={**NO_NEEDS, "hearing": True},
                               surveyed_on=timezone.localdate())
    assert exc.value.errors == {"hearing": ["问卷中没有这个问题"]}


def test_a_draft_cannot_be_answered_and_a_published_version_cannot_be_republished(superuser, worker, elder, v1):
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    with pytest.raises(ApplicationError) as exc:
        services.survey_submit(actor=worker, elder=elder, questionnaire=v2, answers=NO_NEEDS,
                               surveyed_on=timezone.localdate())
    assert exc.value.code == "questionnaire_draft"
    with pytest.raises(ApplicationError) as exc:
        services.questionnaire_publish(actor=superuser, questionnaire=v1)
    assert exc.value.code == "not_draft" and "复制为新版本" in exc.value.message


def test_publish_checks_the_structure(superuser, v1):
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    Option.objects.filter(question__questionnaire=v2, question__code="family_doctor", code="no").delete()
    Option.objects.filter(question__questionnaire=v2, question__code="bathing").exclude(code="need_help").delete()
    with pytest.raises(FieldErrors) as exc:
        services.questionnaire_publish(actor=superuser, questionnaire=v2)
    assert set(exc.value.errors) == {"family_doctor", "bathing"}
    assert "yes 和 no" in exc.value.errors["family_doctor"][0]
    assert "至少需要两个选项" in exc.value.errors["bathing"][0]
    v1.refresh_from_db()
    assert v1.status == "published"  # nothing changed
    empty = Questionnaire.objects.create(name="空问卷", version=9)
    with pytest.raises(FieldErrors) as exc:
        services.questionnaire_publish(actor=superuser, questionnaire=empty)
    assert exc.value.errors == {"问卷": ["问卷还没有任何问题"]}


def test_the_database_allows_one_published_version_only(v1):
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(name="x", version=5, status="published")


def test_no_published_questionnaire_is_a_clear_404(superuser, v1):
    Questionnaire.objects.filter(pk=v1.pk).update(status="retired")
    with pytest.raises(selectors.NoQuestionnaire) as exc:
        selectors.questionnaire_published()
    assert exc.value.status == 404 and "尚未发布" in exc.value.message


# -- the admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_copy_and_publish_actions(admin_client, v1):
    url = reverse("admin:surveys_questionnaire_changelist")
    resp = admin_client.post(url, {"action": "copy_as_new_version", "_selected_action": [v1.pk]}, follow=True)
    assert resp.status_code == 200
    assert "已将第1版复制为第2版" in resp.content.decode()
    v2 = Questionnaire.objects.get(version=2)
    assert v2.status == "draft"
    resp = admin_client.post(url, {"action": "publish", "_selected_action": [v2.pk]}, follow=True)
    assert "第2版已发布" in resp.content.decode()
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "published")
    # Publishing a retired version is refused with the reason.
    resp = admin_client.post(url, {"action": "publish", "_selected_action": [v1.pk]}, follow=True)
    assert "不是草稿" in resp.content.decode()
    v1.refresh_from_db()
    assert v1.status == "retired"


def test_admin_shows_published_versions_read_only_and_drafts_editable(admin_client, superuser, v1):
    page = admin_client.get(reverse("admin:surveys_questionnaire_change", args=[v1.pk])).content.decode()
    assert 'name="_save"' not in page and "平时吃饭怎么解决？" in page
    resp = admin_client.post(reverse("admin:surveys_questionnaire_change", args=[v1.pk]), {"name": "改名"})
    assert resp.status_code == 403
    v1.refresh_from_db()
    assert v1.name == defaults.QUESTIONNAIRE_NAME
    meals = v1.questions.get(code="meals")
    resp = admin_client.post(reverse("admin:surveys_question_change", args=[meals.pk]), {"text": "改了"})
    assert resp.status_code == 403
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    page = admin_client.get(reverse("admin:surveys_questionnaire_change", args=[v2.pk])).content.decode()
    assert 'name="_save"' in page
    meals2 = v2.questions.get(code="meals")
    page = admin_client.get(reverse("admin:surveys_question_change", args=[meals2.pk])).content.decode()
    assert 'name="_save"' in page and "need_tags" in page


def test_admin_adds_yes_and_no_to_a_new_yes_no_question(admin_client, superuser, v1):
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    resp = admin_client.post(reverse("admin:surveys_question_add"), {
        "questionnaire": v2.pk, "order": 500, "section": "助急", "code": "smoke_alarm", "text": "家里装了烟雾报警器吗？",
        "help_text": "", "kind": "yes_no", "required": "on",
        "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0", "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    })
    assert resp.status_code == 302, resp.content.decode()[:2000]
    q = Question.objects.get(questionnaire=v2, code="smoke_alarm")
    assert sorted(q.options.values_list("code", "text")) == [("no", "否"), ("yes", "是")]
    # Questions cannot be added to a published version.
    resp = admin_client.post(reverse("admin:surveys_question_add"), {
        "questionnaire": v1.pk, "order": 500, "section": "助急", "code": "smoke_alarm", "text": "x", "kind": "yes_no",
        "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0", "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    })
    assert resp.status_code == 200 and not Question.objects.filter(questionnaire=v1, code="smoke_alarm").exists()
