"""demo_build: most elders get a survey, every demo answer is valid for the version it
claims, tags and events match, deterministic per seed, written in bulk."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests import factories
from yiyang.core.models import Event
from yiyang.elders import services as elder_services
from yiyang.surveys import selectors
from yiyang.surveys.demo import demo_build
from yiyang.surveys.models import SurveyResponse
from yiyang.surveys.validation import clean_answers

LIVING = ["alone", "empty_nest", "with_children", "with_relatives", "left_behind"]
CATEGORIES = [[], ["disabled"], ["subsistence"], ["childless_widowed", "dementia"], ["veteran"]]


def make_elders(actor, n=60):
    elders = []
    for i in range(n):
        code = factories.COMMUNITY_A if i % 3 else factories.COMMUNITY_B
        elders.append(factories.make_elder(actor, code, name="演示" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未"[i // 10], living_situation=LIVING[i % 5],
                                           categories=CATEGORIES[i % 5]))
    return elders


def snapshot():
    return sorted((str(r.elder_id), r.surveyed_on, tuple(r.need_tags), r.surveyed_by_id)
                  for r in SurveyResponse.objects.all())


def test_demo_build_gives_most_elders_a_valid_plausible_survey(superuser, worker, v1):
    elders = make_elders(superuser)
    gone = elders[0]
    elder_services.elder_deactivate(actor=superuser, elder=gone, reason="deceased")
    with CaptureQueriesContext(connection) as queries:
        summary = demo_build(seed=7)
    assert len(queries) < 30  # bulk: not one statement per elder
    responses = list(SurveyResponse.objects.select_related("questionnaire"))
    assert 0.6 * 59 <= len(responses) <= 0.95 * 59
    assert "需求调查" in summary and f"{len(responses)}/59" in summary and "\n" not in summary
    assert not SurveyResponse.objects.filter(elder=gone).exists()
    structure = selectors.questionnaire_detail(pk=v1.pk)
    all_tags = set()
    for r in responses:
        clean = clean_answers(structure, r.answers)
        assert clean.errors == {}, (r.answers, clean.errors)
        assert clean.need_tags == r.need_tags
        assert r.questionnaire == v1 and r.source == "demo"
        assert r.region_code == r.elder.region_id
        all_tags |= set(r.need_tags)
    assert len(all_tags) >= 8  # a realistic spread, not one need for everyone
    # The community's worker is the surveyor where there is one.
    assert {r.surveyed_by_id for r in responses if r.region_code == factories.COMMUNITY_A} == {worker.pk}
    assert {r.surveyed_by_id for r in responses if r.region_code == factories.COMMUNITY_B} == {None}
    events = {e.subject_id: e for e in Event.objects.filter(type="survey.submitted")}
    assert set(events) == {str(r.pk) for r in responses}
    for r in responses:
        e = events[str(r.pk)]
        assert e.elder_id == r.elder_id and e.payload["need_tag_codes"] == r.need_tags
        assert e.payload["need_tags"] == [n for _c, n in selectors.tag_pairs(r.need_tags)]
        assert e.occurred_at.date() <= r.created_at.date()
    # The pages can read demo rows.
    assert selectors.elder_current_needs(responses[0].elder) == selectors.tag_pairs(responses[0].need_tags)


def test_demo_build_is_deterministic_per_seed_and_does_not_survey_twice(superuser, v1):
    make_elders(superuser, 30)
    runs = []
    for seed in (1, 1, 2):
        with transaction.atomic():
            demo_build(seed=seed)
            runs.append([(e, tags) for e, _day, tags, _by in snapshot()])
            transaction.set_rollback(True)
    assert runs[0] == runs[1] != runs[2]
    demo_build(seed=1)
    n = SurveyResponse.objects.count()
    second = demo_build(seed=1)
    assert SurveyResponse.objects.count() - n < n  # only elders without a survey are considered
    assert f"/{30 - n}" in second
