"""Demo assessments: most demo elders get a confirmed GB/T 42195—2022 assessment with a
realistic spread of levels (some already due for reassessment), a few an older MZ/T
039—2013 result. Written in bulk (core.bulk), scored by the real scoring function."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.assessments import events
from yiyang.assessments.models import ANSWERS_CTX, Assessment, AssessmentAssessor
from yiyang.assessments.scoring import ITEMS, LEVEL_NAMES, score
from yiyang.assessments.services import LEGACY_LEVELS, add_months, validity_months
from yiyang.core import pii
from yiyang.core.bulk import bulk_insert
from yiyang.core.events import events_record_bulk
from yiyang.elders.models import Elder

# Share of assessed elders per level, roughly as community-dwelling elders spread.
LEVEL_SHARES = ((0, 0.38), (1, 0.30), (2, 0.16), (3, 0.10), (4, 0.06))
TOTAL_RANGES = {0: (90, 90), 1: (66, 89), 2: (46, 65), 3: (30, 45), 4: (5, 29)}

ASSESSMENT_COLUMNS = [
    "id", "created_at", "updated_at", "version", "elder_id", "region_code", "scheme", "number", "reason",
    "assessed_on", "status", "answers_enc", "dim_self_care", "dim_mobility", "dim_mental", "dim_perception", "total",
    "preliminary_level", "level", "legacy_level_name", "valid_until", "previous_id", "created_by_id",
    "submitted_by_id", "submitted_at", "confirmed_by_id", "confirmed_at", "source", "origin_region",
]


def _items_for_total(rng: random.Random, total: int) -> dict[str, int]:
    items = {i.code: i.max_score for i in ITEMS}
    deficit = 90 - total
    # Self-care and mobility fall first, then perception, then mental state — as is typical.
    weights = {"B.1": 4, "B.2": 4, "B.4": 2, "B.3": 1}
    codes = [i.code for i in ITEMS]
    while deficit > 0:
        code = rng.choices(codes, weights=[weights[c[:3]] for c in codes])[0]
        if items[code] > 0:
            items[code] -= 1
            deficit -= 1
    return items


def _pick_level(rng: random.Random) -> int:
    x, acc = rng.random(), 0.0
    for level, share in LEVEL_SHARES:
        acc += share
        if x < acc:
            return level
    return 4


@transaction.atomic
def demo_build(*, seed: int, share: float = 0.8) -> str:
    rng = random.Random(seed + 42195)
    today = timezone.localdate()
    now = timezone.now()
    workers = {u.region_id: u for u in User.objects.filter(role=Role.COMMISSIONER)}
    street_admins = {(u.region_id or "")[:9]: u for u in User.objects.filter(role=Role.STREET_ADMIN)}
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    evs: list[tuple[Any, ...]] = []
    legacy = 0
    counts = dict.fromkeys(range(5), 0)
    for elder_id, region in Elder.objects.filter(active=True).order_by("id").values_list("id", "region_id"):
        worker = workers.get(region)
        co = street_admins.get(region[:9])
        if worker is None or co is None:
            continue
        if rng.random() < 0.04:  # an old MZ/T 039—2013 result from the previous system
            legacy += 1
            day = dt.date(rng.randint(2018, 2021), rng.randint(1, 12), rng.randint(1, 28))
            level_name = rng.choice(LEGACY_LEVELS)
            answers: dict[str, Any] = {"mzt039": {"adl_score": rng.choice([100, 95, 80, 60, 45, 20]), "mental": rng.randint(0, 2),
                                  "perception": rng.randint(0, 2), "social": rng.randint(0, 3)}}
            rows.append((uuid.uuid4(), now, now, 1, elder_id, region, Assessment.Scheme.MZT_039_2013,
                         f"MZ{day:%Y%m%d}{len(rows):06d}", "other", day, "confirmed",
                         pii.encrypt(json.dumps(answers), ANSWERS_CTX), None, None, None, None, None, None, None,
                         level_name, None, None, None, None, None, None, now, "legacy", "福田区（原系统）"))
        if rng.random() >= share:
            continue
        level = _pick_level(rng)
        items = _items_for_total(rng, rng.randint(*TOTAL_RANGES[level]))
        risk = {"fall": 1 if rng.random() < 0.12 else 0, "wandering": 0, "choking": 0, "self_harm": 0,
                "other": 1 if rng.random() < 0.05 else 0}
        dementia = level >= 2 and rng.random() < 0.15
        payload = {"items": items, "coma": False, "diagnosed_dementia_or_mental_disorder": dementia,
                   "risk_events_30d": sum(risk.values())}
        result = score(payload)
        counts[result.level] += 1
        assessed_on = today - dt.timedelta(days=rng.randint(5, 390))
        answers = {"items": items, "coma": False, "diagnosed_dementia_or_mental_disorder": dementia,
                   "risk_events": risk, "health_problems": [], "information_provider": "本人",
                   "provider_relation": "本人", "diagnoses": "", "medications": "",
                   "rules_applied": result.rules_applied}
        a_id = uuid.uuid4()
        d = result.dimensions
        at = timezone.make_aware(dt.datetime.combine(assessed_on, dt.time(10, 0)))
        rows.append((a_id, now, now, 1, elder_id, region, Assessment.Scheme.GBT_42195_2022,
                     f"PG{assessed_on:%Y%m%d}{len(rows):06d}", "first", assessed_on, "confirmed",
                     pii.encrypt(json.dumps(answers, ensure_ascii=False), ANSWERS_CTX), d["B.1"], d["B.2"], d["B.3"],
                     d["B.4"], result.total, result.preliminary_level, result.level, "",
                     add_months(assessed_on, validity_months()), None, worker.pk, worker.pk, at, co.pk, at, "demo", ""))
        links.append((a_id, worker.pk, worker.display_name, "", at))
        links.append((a_id, co.pk, co.display_name, "", at))
        evs.append((uuid.uuid4(), events.CONFIRMED, at, co.pk, elder_id, "assessments.assessment", str(a_id), region,
                    {"number": rows[-1][7], "total": result.total, "level": result.level,
                     "level_name": LEVEL_NAMES[result.level], "previous_level": None, "source": "demo"}))
    bulk_insert(Assessment, ASSESSMENT_COLUMNS, rows)
    bulk_insert(AssessmentAssessor, ["assessment_id", "user_id", "name", "certificate", "signed_at"], links)
    events_record_bulk(evs)
    spread = "、".join(f"{lvl}级 {n}" for lvl, n in counts.items())
    return f"能力评估：{sum(counts.values())} 份已确认（{spread}），另有 {legacy} 份 MZ/T 039—2013 历史结果"
