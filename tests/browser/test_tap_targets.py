"""Tap targets (issue 7 C.7): on a 390-px phone, every link, button, summary and choice on the
main pages of a field worker is at least 44 × 44 CSS pixels (WCAG 2.5.5; DESIGN §"phone").

The test walks the pages a worker uses, measures each visible control with the browser's own
layout (``getBoundingClientRect``) and lists every one that is smaller, with its text and size.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.assessments import services as assessment_services
from yiyang.assessments.scoring import ITEMS
from yiyang.surveys import selectors as survey_selectors
from yiyang.surveys import services as survey_services
from yiyang.surveys.tests.helpers import SOME_NEEDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shipped_data"),
]

MIN_PX = 44
# What counts as something to tap. Hidden controls (inside a closed <details>, display:none)
# have no box and are skipped; the skip link is off-screen until focused.
MEASURE = """(min) => {
  const sel = 'a[href], button, summary, input[type=submit], select, label.option, label.pill, .checks label';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.classList.contains('skip')) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (r.height < min - 0.5 || r.width < min - 0.5) {
      out.push(`${el.tagName.toLowerCase()} «${(el.innerText || el.value || '').trim().slice(0, 30)}» `
               + `${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return out;
}"""


def _world():
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    co = factories.make_user("worker_meijing2", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="陈评估员")
    elder = factories.make_elder(worker, name="王秀英", categories=["subsistence"])
    survey = survey_services.survey_submit(actor=worker, elder=elder, questionnaire=survey_selectors.questionnaire_published(),
                                           answers=SOME_NEEDS, surveyed_on=timezone.localdate(), source="form")
    done = assessment_services.assessment_start(actor=worker, elder=elder, co_assessor=co)
    assessment_services.assessment_record(actor=worker, assessment=done, items={i.code: i.max_score for i in ITEMS})
    assessment_services.assessment_submit(actor=worker, assessment=done)
    assessment_services.assessment_confirm(actor=co, assessment=done)
    draft = assessment_services.assessment_start(actor=worker, elder=elder, reason="regular", co_assessor=co)
    factories.run_worker()
    return elder, survey, done, draft


def test_every_control_on_the_main_pages_is_at_least_44_px_on_a_phone(page_factory):
    elder, survey, done, draft = _world()
    page = page_factory("phone")
    log_in(page, "worker_meijing")
    pages = [
        "/", "/elders/", "/elders/new/", f"/elders/{elder.pk}/", f"/elders/{elder.pk}/edit/",
        f"/elders/{elder.pk}/timeline/", f"/elders/{elder.pk}/survey/",
        f"/surveys/{survey.pk}/", "/assessments/due/", f"/assessments/elder/{elder.pk}/new/",
        f"/assessments/{draft.pk}/edit/", f"/assessments/{done.pk}/", f"/assessments/{done.pk}/print/",
        "/entitlements/", "/entitlements/changes/",
    ]
    small: list[str] = []
    for path in pages:
        resp = page.goto(path)
        assert resp is not None and resp.status == 200, path
        # Open every <details> so what it hides is measured too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        small += [f"{path}: {x}" for x in page.evaluate(MEASURE, MIN_PX)]
    assert not small, "smaller than 44 px:\n" + "\n".join(small)
