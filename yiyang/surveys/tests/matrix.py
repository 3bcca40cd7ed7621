"""Needs surveys in the access matrix (``tests/matrix.py``): the endpoints and pages acting
on one elder (history, current needs, the field form) or on one response. Surveys have no
capabilities of their own: reading is the registry's ``elder.view``, surveying its
``elder.update``. Every elder of the world has answered one survey (no needs)."""

from __future__ import annotations

from typing import Any

from django.urls import resolve, reverse
from django.utils import timezone

from tests.matrix import Endpoint, World
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.surveys import selectors, services
from yiyang.surveys.models import SurveyResponse
from yiyang.surveys.tests.helpers import NO_NEEDS, SOME_NEEDS, SOME_NEEDS_TAGS

VIEW = (elder_access.ELDER_VIEW,)
UPDATE = (elder_access.ELDER_VIEW, elder_access.ELDER_UPDATE)


def build(world: World) -> None:
    questionnaire = selectors.questionnaire_published()
    for elder in world.elders.values():
        services.survey_submit(actor=world.root, elder=elder, questionnaire=questionnaire, answers=NO_NEEDS,
                               surveyed_on=timezone.localdate(), source="form")


def snapshot(elder: Elder) -> tuple:
    return (list(SurveyResponse.objects.filter(elder=elder).order_by("pk").values_list("pk", "need_tags")),)


def _response(world: World, elder: Elder) -> SurveyResponse:
    return SurveyResponse.objects.select_related("elder").get(elder=elder)


def _logged(elder_id: Any, purpose: str) -> bool:
    return AccessLog.objects.filter(elder_id=elder_id, purpose=purpose).exists()


def _check_new_response(elder: Elder, response_id: Any) -> None:
    new = SurveyResponse.objects.get(pk=response_id)
    assert new.elder_id == elder.pk and sorted(new.need_tags) == sorted(SOME_NEEDS_TAGS)
    assert SurveyResponse.objects.filter(elder=elder).count() == 2
    assert Event.objects.filter(elder_id=elder.pk, type="survey.submitted").count() == 2


# -- API ---------------------------------------------------------------------------------------


def _check_api_detail(resp: Any, r: SurveyResponse) -> None:
    body = resp.json()
    assert body["id"] == str(r.pk) and body["answers"]["meals"] == NO_NEEDS["meals"]
    assert _logged(r.elder_id, "通过接口查看需求调查")


def _check_history(resp: Any, elder: Elder) -> None:
    assert [x["id"] for x in resp.json()] == [str(SurveyResponse.objects.get(elder=elder).pk)]


def _check_api_created(resp: Any, elder: Elder) -> None:
    _check_new_response(elder, resp.json()["id"])


def _check_needs(resp: Any, elder: Elder) -> None:
    body = resp.json()
    assert body["elder_id"] == str(elder.pk) and body["need_tags"] == []
    assert body["response_id"] == str(SurveyResponse.objects.get(elder=elder).pk)


API = [
    Endpoint("GET survey", VIEW, lambda c, r: c.get(f"/api/v1/surveys/{r.pk}"), 200, _check_api_detail,
             target=_response),
    Endpoint("GET elder surveys", VIEW, lambda c, e: c.get(f"/api/v1/elders/{e.pk}/surveys"), 200, _check_history),
    Endpoint("POST elder surveys", UPDATE,
             lambda c, e: c.post(f"/api/v1/elders/{e.pk}/surveys",
                                 {"answers": SOME_NEEDS, "surveyed_on": timezone.localdate().isoformat()}),
             201, _check_api_created),
    Endpoint("GET elder needs", VIEW, lambda c, e: c.get(f"/api/v1/elders/{e.pk}/needs"), 200, _check_needs),
]


# -- pages -------------------------------------------------------------------------------------


def form_data(answers: dict[str, Any]) -> dict[str, Any]:
    """What the browser sends for ``answers`` (checkbox lists, radio codes, yes/no codes)."""
    data: dict[str, Any] = {"surveyed_on": timezone.localdate().isoformat()}
    for code, value in answers.items():
        data[f"q_{code}"] = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
    return data


def _check_form(resp: Any, elder: Elder) -> None:
    html = resp.content.decode()
    assert elder.name in html and 'name="q_meals"' in html


def _check_submitted(resp: Any, elder: Elder) -> None:
    _check_new_response(elder, resolve(resp["Location"]).kwargs["response_id"])


def _check_page_detail(resp: Any, r: SurveyResponse) -> None:
    assert r.elder.name in resp.content.decode()
    assert _logged(r.elder_id, "查看需求调查")


PAGES = [
    Endpoint("GET form", UPDATE, lambda c, e: c.get(reverse("surveys:form", args=[e.pk])), 200, _check_form),
    Endpoint("POST form", UPDATE, lambda c, e: c.post(reverse("surveys:form", args=[e.pk]), form_data(SOME_NEEDS)),
             302, _check_submitted),
    Endpoint("GET detail", VIEW, lambda c, r: c.get(reverse("surveys:detail", args=[r.pk])), 200, _check_page_detail,
             target=_response),
]
