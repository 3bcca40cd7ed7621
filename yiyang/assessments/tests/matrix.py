"""Ability assessments in the access matrix (``tests/matrix.py``): the endpoints and pages
acting on one elder (history, start, import, 即时评估) or on one assessment (read, edit,
submit, confirm, cancel, export, print), and the due lists.

Every elder of the world gets three assessments by the two superusers: a confirmed one
assessed 360 days ago (so it falls due within the month and the elder is on the due lists),
a submitted one waiting for confirmation, and a complete draft with its co-assessor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import resolve, reverse
from django.utils import timezone

from tests.matrix import Endpoint, ListEndpoint, World
from yiyang.assessments import access as assessment_access
from yiyang.assessments import events, services
from yiyang.assessments.exchange import FORMAT
from yiyang.assessments.models import Assessment, AssessmentAssessor
from yiyang.assessments.scoring import ITEMS
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder

VIEW = assessment_access.ASSESSMENT_VIEW
CREATE = assessment_access.ASSESSMENT_CREATE
CONFIRM = assessment_access.ASSESSMENT_CONFIRM
ELDER_VIEW = elder_access.ELDER_VIEW
Status = Assessment.Status


def items(**overrides: int) -> dict[str, int]:
    values = {i.code: i.max_score for i in ITEMS}
    values.update(overrides)
    return values


def build(world: World) -> None:
    today = timezone.localdate()
    for elder in world.elders.values():
        for reason, day, until in (("first", today - dt.timedelta(days=360), Status.CONFIRMED),
                                   ("regular", today, Status.SUBMITTED), ("regular", today, Status.DRAFT)):
            a = services.assessment_start(actor=world.root, elder=elder, reason=reason, assessed_on=day,
                                          co_assessor=world.root2)
            a = services.assessment_record(actor=world.root, assessment=a, items=items())
            if until != Status.DRAFT:
                a = services.assessment_submit(actor=world.root, assessment=a)
            if until == Status.CONFIRMED:
                services.assessment_confirm(actor=world.root2, assessment=a)


def snapshot(elder: Elder) -> tuple:
    return (
        list(Assessment.objects.filter(elder=elder).order_by("pk").values_list("pk", "status", "version")),
        list(AssessmentAssessor.objects.filter(assessment__elder=elder).order_by("pk")
             .values_list("pk", "user_id", "signed_at")),
    )


def secrets(elder: Elder) -> list[str]:
    return list(Assessment.objects.filter(elder=elder).values_list("number", flat=True))


def _one(status: str) -> Any:
    def target(world: World, elder: Elder) -> Assessment:
        return Assessment.objects.select_related("elder").get(elder=elder, status=status)

    return target


DRAFT, SUBMITTED, CONFIRMED = _one(Status.DRAFT), _one(Status.SUBMITTED), _one(Status.CONFIRMED)


def _fresh(a: Assessment) -> Assessment:
    return Assessment.objects.get(pk=a.pk)


def _logged(a: Assessment, action: str, purpose: str) -> bool:
    return AccessLog.objects.filter(elder_id=a.elder_id, action=action, purpose=purpose, fields=["能力评估"]).exists()


# -- API ---------------------------------------------------------------------------------------


def _elder_api(elder: Elder, suffix: str = "") -> str:
    return f"/api/v1/elders/{elder.pk}/assessments{suffix}"


def _api(a: Assessment, suffix: str = "") -> str:
    return f"/api/v1/assessments/{a.pk}{suffix}"


def _check_history(resp: Any, elder: Elder) -> None:
    numbers = set(Assessment.objects.filter(elder=elder).values_list("number", flat=True))
    assert {a["number"] for a in resp.json()} == numbers and len(numbers) == 3


def _check_created(resp: Any, elder: Elder) -> None:
    created = Assessment.objects.get(pk=resp.json()["id"])
    assert created.elder_id == elder.pk and created.status == Status.DRAFT and created.reason == "regular"
    assert created.answers["items"] == items(**{"B.1.1": 0})
    assert Event.objects.filter(elder_id=elder.pk, type=events.STARTED).count() == 4


def _check_detail(resp: Any, a: Assessment) -> None:
    body = resp.json()
    assert body["id"] == str(a.pk) and body["number"] == a.number and body["items"] == items()
    assert _logged(a, AccessLog.Action.REVEAL, "通过接口查看评估详情")


def _check_patched(resp: Any, a: Assessment) -> None:
    fresh = _fresh(a)
    assert fresh.version == a.version + 1 and fresh.answers["items"]["B.1.1"] == 0
    assert resp.json()["status"] == Status.DRAFT


def _check_submitted(resp: Any, a: Assessment) -> None:
    assert resp.json()["status"] == Status.SUBMITTED == _fresh(a).status
    assert Event.objects.filter(subject_id=str(a.pk), type=events.SUBMITTED).exists()


def _check_confirmed(resp: Any, a: Assessment) -> None:
    fresh = _fresh(a)
    assert resp.json()["status"] == Status.CONFIRMED == fresh.status and fresh.valid_until
    assert Event.objects.filter(elder_id=a.elder_id, type=events.CONFIRMED).count() == 2


EXPORT_PURPOSE = "老人迁往外地，转交评估结果"


def _check_export(resp: Any, a: Assessment) -> None:
    body = resp.json()
    assert body["format"] == FORMAT and body["items"] == items()
    assert body["subject"]["id_number"] == a.elder.id_number
    assert _logged(a, AccessLog.Action.EXPORT, EXPORT_PURPOSE)


def _exchange_doc(elder: Elder) -> dict[str, Any]:
    """A result recognised elsewhere (互认), in the exchange format, for this elder."""
    return {"format": FORMAT, "scheme": "GB/T 42195-2022", "number": "PG20260101AAAAAA",
            "assessed_on": (timezone.localdate() - dt.timedelta(days=10)).isoformat(), "reason": "regular",
            "region_code": "310104000000", "subject": {"id_number": elder.id_number, "name": elder.name},
            "assessors": [{"name": "张敏"}, {"name": "阿依古丽·买买提"}], "items": items(**{"B.1.1": 0}),
            "coma": False, "diagnosed_dementia_or_mental_disorder": False, "risk_events_30d": 0}


def _check_imported(resp: Any, elder: Elder) -> None:
    body = resp.json()
    new = Assessment.objects.get(pk=body["id"])
    assert new.elder_id == elder.pk and new.source == "exchange" and new.status == Status.CONFIRMED
    assert new.total == 86 and new.origin_region == "310104000000"
    assert Event.objects.filter(elder_id=elder.pk, type=events.IMPORTED).count() == 1


API = [
    Endpoint("GET elder assessments", (ELDER_VIEW, VIEW), lambda c, e: c.get(_elder_api(e)), 200, _check_history),
    Endpoint("POST elder assessments", (ELDER_VIEW, CREATE),
             lambda c, e: c.post(_elder_api(e), {"reason": "regular", "items": items(**{"B.1.1": 0})}), 201,
             _check_created),
    Endpoint("GET assessment", (VIEW,), lambda c, a: c.get(_api(a)), 200, _check_detail, target=CONFIRMED),
    Endpoint("PATCH assessment", (VIEW, CREATE), lambda c, a: c.patch(_api(a), {"items": items(**{"B.1.1": 0})}),
             200, _check_patched, target=DRAFT),
    Endpoint("POST submit", (VIEW, CREATE), lambda c, a: c.post(_api(a, "/submit")), 200, _check_submitted,
             target=DRAFT),
    # Neither superuser of the world is the representative: only the capability lets it confirm.
    Endpoint("POST confirm", (VIEW, CONFIRM), lambda c, a: c.post(_api(a, "/confirm")), 200, _check_confirmed,
             target=SUBMITTED),
    Endpoint("POST export", (VIEW,), lambda c, a: c.post(_api(a, "/export"), {"purpose": EXPORT_PURPOSE}), 200,
             _check_export, target=CONFIRMED),
    Endpoint("POST import", (ELDER_VIEW, CONFIRM), lambda c, e: c.post(_elder_api(e, "/import"), _exchange_doc(e)),
             201, _check_imported),
]


# -- pages -------------------------------------------------------------------------------------


def page(name: str, a: Assessment) -> str:
    return reverse(f"assessments:{name}", kwargs={"assessment_id": a.pk})


def elder_page(name: str, elder: Elder) -> str:
    return reverse(f"assessments:{name}", kwargs={"elder_id": elder.pk})


def _form(**overrides: str) -> dict[str, str]:
    data = {code: str(score) for code, score in items().items()}
    data.update({f"risk_{k}": "0" for k in services.RISK_EVENTS})
    data.update(overrides)
    return data


def _without_open_draft(world: World, elder: Elder) -> Elder:
    """The start page opens an elder's open draft instead (issue 7 C.1): set it aside so the
    cell exercises starting one."""
    Assessment.objects.filter(elder=elder, status=Status.DRAFT).update(status=Status.CANCELLED)
    return elder


def _check_start_form(resp: Any, elder: Elder) -> None:
    assert elder.name in resp.content.decode()


def _check_started(resp: Any, elder: Elder) -> None:
    new = Assessment.objects.get(pk=resolve(resp["Location"]).kwargs["assessment_id"])
    assert new.elder_id == elder.pk and new.status == Status.DRAFT and new.reason == "regular"
    assert Assessment.objects.filter(elder=elder, status=Status.DRAFT).count() == 1


def _check_immediate(resp: Any, elder: Elder) -> None:
    new = Assessment.objects.get(elder=elder, reason=Assessment.Reason.IMMEDIATE)
    assert new.status == Status.DRAFT and resp["Location"] == page("edit", new)


def _check_page_detail(resp: Any, a: Assessment) -> None:
    html = resp.content.decode()
    assert a.number in html and a.elder.name in html
    assert _logged(a, AccessLog.Action.REVEAL, "查看评估记录")


def _check_edit_form(resp: Any, a: Assessment) -> None:
    assert a.number in resp.content.decode()
    assert _logged(a, AccessLog.Action.REVEAL, "填写能力评估")


def _check_saved(resp: Any, a: Assessment) -> None:
    fresh = _fresh(a)
    assert resp["Location"] == page("edit", a)
    assert fresh.version == a.version + 1 and fresh.answers["items"]["B.1.1"] == 0


def _check_page_confirmed(resp: Any, a: Assessment) -> None:
    assert resp["Location"] == reverse("elders:detail", args=[a.elder_id])
    assert _fresh(a).status == Status.CONFIRMED


def _check_cancelled(resp: Any, a: Assessment) -> None:
    assert resp["Location"] == reverse("elders:detail", args=[a.elder_id])
    assert _fresh(a).status == Status.CANCELLED


def _check_printed(resp: Any, a: Assessment) -> None:
    assert a.elder.name in resp.content.decode()
    assert _logged(a, AccessLog.Action.PRINT, "打印评估报告")
    assert Event.objects.filter(elder_id=a.elder_id, type=events.PRINTED).exists()


PAGES = [
    Endpoint("GET start", (ELDER_VIEW, CREATE), lambda c, e: c.get(elder_page("start", e)), 200, _check_start_form,
             target=_without_open_draft),
    Endpoint("POST start", (ELDER_VIEW, CREATE),
             lambda c, e: c.post(elder_page("start", e), {"reason": "regular",
                                                          "assessed_on": timezone.localdate().isoformat()}),
             302, _check_started, target=_without_open_draft),
    Endpoint("POST immediate", (ELDER_VIEW, CREATE), lambda c, e: c.post(elder_page("immediate", e), {"note": "跌倒后"}),
             302, _check_immediate),
    Endpoint("GET detail", (VIEW,), lambda c, a: c.get(page("detail", a)), 200, _check_page_detail, target=CONFIRMED),
    Endpoint("GET edit", (VIEW, CREATE), lambda c, a: c.get(page("edit", a)), 200, _check_edit_form, target=DRAFT),
    Endpoint("POST edit", (VIEW, CREATE), lambda c, a: c.post(page("edit", a), _form(**{"B.1.1": "0"}) | {"save": "1"}),
             302, _check_saved, target=DRAFT),
    # The page sends a role that may read but not confirm back to the assessment with a
    # message (a redirect, not a 403): it also serves the co-assessor, whom only the service
    # can recognise. Nothing is written either way.
    Endpoint("POST confirm", (VIEW, CONFIRM), lambda c, a: c.post(page("confirm", a)), 302, _check_page_confirmed,
             target=SUBMITTED, denied={CONFIRM: 302}),
    Endpoint("POST cancel", (VIEW, CREATE), lambda c, a: c.post(page("cancel", a), {"note": "录入错误"}), 302,
             _check_cancelled, target=DRAFT),
    Endpoint("GET print", (VIEW,), lambda c, a: c.get(page("print", a)), 200, _check_printed, target=CONFIRMED),
    Endpoint("POST export", (VIEW,), lambda c, a: c.post(page("export", a), {"purpose": EXPORT_PURPOSE}), 200,
             _check_export, target=CONFIRMED),
]


LISTS = [
    # The API answers a role that may not read assessments with an empty list, not a 403.
    ListEndpoint("GET /api/v1/assessments/due", (ELDER_VIEW, VIEW), lambda c: c.get("/api/v1/assessments/due"),
                 denied=200),
    ListEndpoint("GET assessments:due", (ELDER_VIEW, VIEW), lambda c: c.get(reverse("assessments:due"))),
]
