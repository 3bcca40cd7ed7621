"""The survey pages: the field form (happy path, errors kept inline with every answer
kept), the response page (access logged), the elder-page section tag, and jurisdiction."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core.models import AccessLog, Event
from yiyang.elders import services as elder_services
from yiyang.surveys import services
from yiyang.surveys.models import SurveyResponse
from yiyang.surveys.sections import elder_needs
from yiyang.surveys.tests.helpers import NO_NEEDS, SOME_NEEDS


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form_data(answers: dict, day: str | None = None, questionnaire=None) -> dict:
    """What the browser sends for ``answers`` (checkbox lists, radio codes, yes/no codes)."""
    data: dict = {"surveyed_on": day or timezone.localdate().isoformat()}
    if questionnaire is not None:
        data["questionnaire"] = str(questionnaire.pk)
    for code, value in answers.items():
        if value is True:
            value = "yes"
        elif value is False:
            value = "no"
        data[f"q_{code}"] = value
    return data


def test_form_shows_one_card_per_question_in_sections(worker, elder, v1):
    resp = client_for(worker).get(reverse("surveys:form", args=[elder.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    n = len(v1.questions.all())
    assert html.count('class="card survey-q') == n
    assert html.count('class="survey-section"') == len({q.section for q in v1.questions.all()})
    assert "平时吃饭怎么解决？" in html and "需要送餐上门或到长者饭堂吃" in html
    assert 'type="checkbox" name="q_home_hazards" value="stairs"' in html
    assert 'type="radio" name="q_meals" value="need_meals"' in html
    assert 'name="surveyed_on"' in html and f'value="{timezone.localdate().isoformat()}"' in html
    assert f'name="questionnaire" value="{v1.pk}"' in html
    assert "<style" not in html and "style=" not in html and "onclick" not in html  # strict CSP


def test_form_happy_path_saves_and_shows_the_needs(worker, elder, v1):
    c = client_for(worker)
    data = form_data({**SOME_NEEDS, "other_needs": "想学用智能手机"}, questionnaire=v1)
    resp = c.post(reverse("surveys:form", args=[elder.pk]), data)
    assert resp.status_code == 302
    r = SurveyResponse.objects.get()
    assert resp["Location"] == reverse("surveys:detail", args=[r.pk])
    assert r.source == "form" and r.surveyed_by == worker
    assert r.answers["other_needs"] == "想学用智能手机"
    page = c.get(resp["Location"])
    html = page.content.decode()
    assert "已保存" in html and "助餐、助急、精神慰藉、家庭适老化改造、政策与法律咨询" in html
    assert "需要送餐上门或到长者饭堂吃" in html and "想学用智能手机" in html
    assert AccessLog.objects.filter(actor=worker, elder_id=elder.pk).count() == 1


def test_form_errors_are_inline_and_every_answer_is_kept(worker, elder, v1):
    data = form_data({**SOME_NEEDS, "other_needs": "楼道灯坏了"})
    del data["q_bathing"]
    data["q_home_hazards"] = ["none", "stairs"]
    data["surveyed_on"] = "2026-13-40"
    resp = client_for(worker).post(reverse("surveys:form", args=[elder.pk]), data)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert SurveyResponse.objects.count() == 0
    # Messages: on top (linked to the question) and under the question itself.
    assert 'href="#q-bathing"' in html and 'href="#surveyed_on"' in html
    card = re.search(r'<fieldset class="card survey-q has-error" id="q-bathing".*?</fieldset>', html, re.S).group(0)
    assert "请回答这个问题" in card
    card = re.search(r'id="q-home_hazards".*?</fieldset>', html, re.S).group(0)
    assert "“以上都没有”不能和其他选项同时选" in card
    assert "请填写调查日期" in html
    # What was chosen is still chosen; the typed note is still there.
    assert 'name="q_meals" value="need_meals" checked' in html
    assert 'name="q_loneliness" value="often" checked' in html
    assert 'name="q_home_hazards" value="stairs" checked' in html
    assert 'name="q_home_hazards" value="none" checked' in html
    assert 'name="q_emergency_device" value="no" checked' in html
    assert "楼道灯坏了</textarea>" in html
    assert 'value="2026-13-40"' in html


def test_form_after_a_new_version_is_published_still_saves_on_the_version_it_showed(worker, superuser, elder, v1):
    v2 = services.questionnaire_copy(actor=superuser, questionnaire=v1)
    services.questionnaire_publish(actor=superuser, questionnaire=v2)
    resp = client_for(worker).post(reverse("surveys:form", args=[elder.pk]), form_data(NO_NEEDS, questionnaire=v1))
    assert resp.status_code == 302
    assert SurveyResponse.objects.get().questionnaire == v1
    page = client_for(worker).get(reverse("surveys:form", args=[elder.pk])).content.decode()
    assert f'name="questionnaire" value="{v2.pk}"' in page


def test_form_outside_jurisdiction_is_404_and_role_without_update_403(worker, superuser, v1):
    other = factories.make_elder(superuser, factories.COMMUNITY_B)
    c = client_for(worker)
    assert c.get(reverse("surveys:form", args=[other.pk])).status_code == 404
    assert c.post(reverse("surveys:form", args=[other.pk]), form_data(NO_NEEDS)).status_code == 404
    r = services.survey_submit(actor=superuser, elder=other, questionnaire=v1, answers=NO_NEEDS,
                               surveyed_on=timezone.localdate())
    assert c.get(reverse("surveys:detail", args=[r.pk])).status_code == 404
    provider = factories.make_user("prov", "provider_staff", factories.COMMUNITY_B)
    assert client_for(provider).get(reverse("surveys:form", args=[other.pk])).status_code == 403
    assert not AccessLog.objects.exists()
    assert Client().get(reverse("surveys:form", args=[other.pk])).status_code == 302  # to the login page


def test_form_for_a_deactivated_elder_says_so(worker, elder, v1):
    elder_services.elder_deactivate(actor=worker, elder=elder, reason="deceased")
    resp = client_for(worker).get(reverse("surveys:form", args=[elder.pk]))
    assert resp.status_code == 200
    assert "已注销" in resp.content.decode() and "survey-q" not in resp.content.decode()


def render_section(elder, user) -> str:
    """The needs section as the elder page renders it (the elder-page registry)."""
    request = RequestFactory().get("/")
    request.user = user
    context = elder_needs(request, elder)
    return render_to_string("surveys/_elder_section.html", context, request) if context else ""


def test_elder_needs_section(worker, superuser, elder, v1):
    html = render_section(elder, worker)
    assert 'id="needs"' in html and "尚未做需求调查" in html
    assert reverse("surveys:form", args=[elder.pk]) in html and "开始需求调查" in html
    day = timezone.localdate()
    services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=NO_NEEDS,
                           surveyed_on=day - dt.timedelta(days=40))
    latest = services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=SOME_NEEDS, surveyed_on=day)
    html = render_section(elder, worker)
    assert [m for m in re.findall(r'<em class="tag">([^<]+)</em>', html)] == [
        "助餐", "助急", "精神慰藉", "家庭适老化改造", "政策与法律咨询"]
    assert day.isoformat() in html and worker.display_name in html and "问卷第1版" in html
    assert reverse("surveys:detail", args=[latest.pk]) in html and "以往调查" in html and "重新调查" in html
    provider = factories.make_user("prov", "provider_staff", factories.COMMUNITY_A)
    assert render_section(elder, provider).strip() == ""
    operator = factories.make_user("op", "operator", factories.COMMUNITY_A)
    assert "需求" not in render_section(elder, operator)


def test_detail_page_of_an_earlier_survey(worker, elder, v1):
    first = services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=NO_NEEDS,
                                   surveyed_on=timezone.localdate() - dt.timedelta(days=3))
    services.survey_submit(actor=worker, elder=elder, questionnaire=v1, answers=SOME_NEEDS,
                           surveyed_on=timezone.localdate())
    html = client_for(worker).get(reverse("surveys:detail", args=[first.pk])).content.decode()
    assert "暂无服务需求" in html and "较早的一次调查" in html
    assert "<style" not in html and "style=" not in html


@pytest.mark.parametrize("path", ["surveys:form", "surveys:detail"])
def test_unknown_ids_are_404(worker, path, v1):
    assert client_for(worker).get(reverse(path, args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


def test_submission_is_on_the_elder_timeline(worker, elder, v1):
    client_for(worker).post(reverse("surveys:form", args=[elder.pk]), form_data(SOME_NEEDS))
    html = client_for(worker).get(reverse("elders:timeline", args=[elder.pk])).content.decode()
    assert Event.objects.filter(elder_id=elder.pk, type="survey.submitted").exists()
    assert "需求调查" in html
