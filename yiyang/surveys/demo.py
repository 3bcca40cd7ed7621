"""Demo needs surveys: most demo elders get one plausible response to the published
questionnaire, written in bulk (``core.bulk.bulk_insert``: responses and their
``survey.submitted`` events), so ``yiyang demo`` stays fast with thousands of elders.

"Plausible" means the answers follow what the archive already says: an 88-year-old living
alone with 失能 is likelier to need meals, bathing and an emergency device than a
68-year-old living with children. Deterministic for a given seed and database.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.core.bulk import bulk_insert
from yiyang.core.events import events_record_bulk
from yiyang.elders.models import Elder, ElderCategory
from yiyang.surveys import events, selectors
from yiyang.surveys.models import Question, SurveyResponse

SHARE = 0.8  # of active elders get a survey
OTHER_NEEDS_NOTES = ["腿脚不好，希望楼下有个能坐的地方", "想学用智能手机和子女视频", "希望有人帮忙看看家里的电线",
                     "老伴住院了，自己一个人不太习惯", "想知道长者饭堂在哪里", "眼睛看不清，药盒上的字看不到"]


class _Profile:
    """What the archive says about one elder, as the few numbers the answers lean on."""

    def __init__(self, age: int, living: str, categories: set[str]):
        self.age = age
        self.alone = living in ("alone", "empty_nest", "left_behind")
        self.with_family = living in ("with_children", "with_relatives")
        frail = 0.08 + max(0, age - 65) * 0.018
        if "disabled" in categories or "severe_disability" in categories:
            frail += 0.45
        if "dementia" in categories:
            frail += 0.3
        self.frailty = min(frail, 0.95)  # chance of needing help with daily living
        self.poor = bool(categories & {"subsistence", "near_subsistence", "extreme_poverty", "low_income"})
        self.no_family = bool(categories & {"childless_widowed", "family_planning_special", "extreme_poverty"})


def _pick(rng: random.Random, codes: tuple[str, ...], weights: tuple[float, ...]) -> str:
    x = rng.random() * sum(weights)
    for code, w in zip(codes, weights, strict=True):
        x -= w
        if x < 0:
            return code
    return codes[-1]


def _some(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> list[str]:
    """Each option with its own chance; none of them → the exclusive "none"."""
    return [code for code, w in pairs if rng.random() < w] or ["none"]


class _Question:
    """A question as plain data: the demo answers thousands of times, and the ORM's related
    managers cost ~25 µs per access."""

    def __init__(self, q: Question):
        self.code, self.kind = q.code, q.kind
        self.options = [(o.code, o.exclusive) for o in q.options.all()]
        self.tags = {o.code: {t.code for t in o.need_tags.all()} for o in q.options.all()}


def _answers_for(rng: random.Random, p: _Profile, questions: list[_Question]) -> dict[str, Any]:
    """One elder's answers. Questions of the default version get answers shaped by the
    profile; any other question (an administrator's later version) a uniform choice."""
    f, alone, nf = p.frailty, p.alone, p.alone or p.no_family
    # Drawn in a fixed order for every elder, so the same seed gives the same answers.
    known: dict[str, Any] = {
        "self_care": _pick(rng, ("independent", "some_help", "mostly_help"), (1 - f, f * 0.65, f * 0.35)),
        "caregiver": _pick(rng, ("self", "spouse", "family", "paid_carer", "nobody"),
                           (0.5 if alone else 0.1, 0.3, 0.05 if nf else 0.5, 0.08 + f * 0.2,
                            f * (0.5 if alone else 0.1))),
        "meals": _pick(rng, ("cook_self", "family", "need_meals", "irregular"),
                       (0.6 - f * 0.4, 0.05 if alone else 0.45, 0.12 + f * 0.4 + (0.1 if alone else 0),
                        0.04 + (0.08 if alone else 0))),
        "bathing": _pick(rng, ("independent", "family_help", "need_help"),
                         (1 - f, f * (0.2 if alone else 0.6), f * (0.8 if alone else 0.4))),
        "cleaning": _pick(rng, ("self", "family", "need_help"), (0.9 - f, 0.1 if alone else 0.5, 0.05 + f * 0.5)),
        "mobility": _pick(rng, ("free", "with_aid", "need_company", "housebound"), (1 - f, f * 0.4, f * 0.4, f * 0.2)),
        "medical": _pick(rng, ("self", "family", "need_escort"),
                         (0.85 - f * 0.6, 0.05 if alone else 0.4, 0.05 + f * 0.4)),
        "family_doctor": rng.random() < 0.55,
        "emergency_device": rng.random() < (0.5 if alone else 0.4),
        "emergency_contact": rng.random() > (0.15 if nf else 0.03),
        "rehab": _pick(rng, ("none", "rehab", "nursing"), (1 - f * 0.5, f * 0.3, f * 0.2)),
        "loneliness": _pick(rng, ("rarely", "sometimes", "often"),
                            (0.3, 0.4, 0.3) if alone else (0.8, 0.15, 0.05)),
        "visits_wanted": rng.random() < (0.45 if alone else 0.1),
        "home_hazards": _some(rng, (("stairs", 0.25), ("bathroom", 0.15 + f * 0.3), ("lighting", 0.1),
                                    ("clutter", 0.06))),
        "falls": _pick(rng, ("no", "once", "repeated"), (1 - f * 0.6, f * 0.4, f * 0.2)),
        "policy_topics": _some(rng, (("subsidies", 0.25 + (0.3 if p.poor else 0)), ("insurance", 0.15 + f * 0.2),
                                     ("legal", 0.05), ("fraud", 0.1))),
        "errands": _some(rng, (("paperwork", 0.1 + (0.2 if nf else 0)), ("shopping", f * 0.4),
                               ("bills", 0.05 + f * 0.15))),
        "other_needs": rng.choice(OTHER_NEEDS_NOTES) if rng.random() < 0.08 else None,
    }
    answers: dict[str, Any] = {}
    for q in questions:
        value = known.get(q.code)
        if q.kind == Question.Kind.YES_NO and isinstance(value, bool):
            value = "yes" if value else "no"
        valid = _valid(q, value)
        if not valid and q.code not in known and q.kind != Question.Kind.TEXT and q.options:
            # A question this demo does not know: a plain uniform choice.
            plain = [code for code, exclusive in q.options if not exclusive] or [code for code, _e in q.options]
            value = [rng.choice(plain)] if q.kind == Question.Kind.MULTIPLE else rng.choice(plain)
            valid = True
        if valid:
            answers[q.code] = value
    return answers


def _valid(q: _Question, value: Any) -> bool:
    if value is None:
        return False
    if q.kind == Question.Kind.TEXT:
        return isinstance(value, str) and bool(value)
    if q.kind == Question.Kind.MULTIPLE:
        return isinstance(value, list) and bool(value) and all(v in q.tags for v in value)
    return value in q.tags


def _tags_of(questions: list[_Question], answers: dict[str, Any], order: dict[str, int]) -> list[str]:
    tags: set[str] = set()
    for q in questions:
        value = answers.get(q.code)
        for code in value if isinstance(value, list) else [value]:
            if code is not None:
                tags |= q.tags.get(code, set())
    return sorted(tags, key=lambda c: (order.get(c, 999), c))


@transaction.atomic
def demo_build(*, seed: int) -> str:
    """Give about 80 % of the active elders who have no survey yet one response to the
    published questionnaire, dated within the past year, by their community's worker.
    Returns a one-line summary in Chinese."""
    try:
        questionnaire = selectors.questionnaire_published()
    except selectors.NoQuestionnaire:
        return "需求调查：未发布问卷，跳过"
    questions = [_Question(q) for q in questionnaire.questions.all()]
    names = selectors.need_tag_names()
    order = {c: n for n, c in enumerate(names)}
    rng = random.Random(seed)
    today = timezone.localdate()
    tz = timezone.get_current_timezone()

    surveyed = SurveyResponse.objects.values("elder_id")
    elders = list(Elder.objects.filter(active=True).exclude(pk__in=surveyed)
                  .order_by("region_id", "birth_date", "name", "id_number_bidx")
                  .values_list("pk", "region_id", "birth_date", "living_situation"))
    cats: dict[Any, set[str]] = {}
    for elder_id, code in ElderCategory.objects.filter(elder__active=True).values_list("elder_id", "category__code"):
        cats.setdefault(elder_id, set()).add(code)
    workers = dict(User.objects.filter(role=Role.COMMISSIONER, is_active=True, region__isnull=False)
                   .order_by("username").values_list("region_id", "pk"))

    now = timezone.now()
    responses: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    tag_count: dict[str, int] = {}
    for elder_id, region_code, birth, living in elders:
        if rng.random() >= SHARE:
            continue
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        answers = _answers_for(rng, _Profile(age, living, cats.get(elder_id, set())), questions)
        tags = _tags_of(questions, answers, order)
        day = today - dt.timedelta(days=rng.randint(1, 365))
        at = dt.datetime.combine(day, dt.time(9 + rng.randint(0, 8), rng.randint(0, 59)), tzinfo=tz)
        response_id = uuid.uuid4()
        worker = workers.get(region_code)
        responses.append((response_id, now, now, 1, elder_id, region_code, questionnaire.pk,
                          SurveyResponse.encrypt_answers(answers), tags, day, worker, "demo"))
        payload = {"questionnaire_version": questionnaire.version, "surveyed_on": day.isoformat(),
                   "need_tags": [names.get(c, c) for c in tags], "need_tag_codes": tags}
        event_rows.append((uuid.uuid4(), events.SUBMITTED, at, worker, elder_id, "surveys.surveyresponse",
                           str(response_id), region_code, payload))
        for c in tags:
            tag_count[c] = tag_count.get(c, 0) + 1

    bulk_insert(SurveyResponse, ["id", "created_at", "updated_at", "version", "elder_id", "region_code",
                                 "questionnaire_id", "answers_enc", "need_tags", "surveyed_on", "surveyed_by_id",
                                 "source"], responses)
    events_record_bulk(event_rows)
    top = sorted(tag_count.items(), key=lambda kv: (-kv[1], order.get(kv[0], 999)))[:3]
    top_text = "、".join(f"{names.get(c, c)} {n}" for c, n in top)
    return (f"需求调查：{len(responses)}/{len(elders)} 位老年人已有调查记录（问卷第{questionnaire.version}版）"
            + (f"，最常见需求：{top_text}" if top_text else ""))
