"""Reads of casework: querysets with what their pages need already joined, narrowed to the
caller's jurisdiction. "Overdue" is computed here, at read time, against today's date — never
stored, so it cannot go stale.

``followups_open_for(user)`` is the interface other apps read (the worker's day): its
signature and ordering are a contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from yiyang.casework import access as cw_access
from yiyang.casework.models import CaseConference, Consultation, Errand, FollowUp
from yiyang.core.access import prefix_q
from yiyang.regions.codes import prefix_of

OVERDUE_FIRST = F("is_overdue").desc()


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _with_overdue(qs: QuerySet[Any], open_q: Q, today: dt.date) -> QuerySet[Any]:
    return qs.annotate(is_overdue=Case(When(open_q & Q(due_date__lt=today), then=Value(True)),
                                       default=Value(False), output_field=BooleanField()))


def followups_open_for(user: Any, today: dt.date | None = None) -> QuerySet[FollowUp]:
    """The caller's own open follow-ups, overdue first, then by due date (``is_overdue``
    annotated). Only those still inside the caller's jurisdiction."""
    day = _today(today)
    qs = cw_access.access_followups(user).filter(assignee=user, status=FollowUp.Status.OPEN)
    qs = _with_overdue(qs, Q(status=FollowUp.Status.OPEN), day)
    return qs.select_related("elder", "created_by").order_by(OVERDUE_FIRST, "due_date", "created_at")


def _in_region(qs: QuerySet[Any], region: str) -> QuerySet[Any]:
    """Narrowed to a region of the tree (a supervisor's click on one community's number)."""
    if not region:
        return qs
    if not region.isdigit() or len(region) != 12:
        return qs.none()
    return qs.filter(prefix_q(prefix_of(region), "region_code"))


def followups_for(user: Any, *, status: str = "open", elder: Any = None, mine: bool = False,
                  overdue: bool = False, region: str = "", today: dt.date | None = None) -> QuerySet[FollowUp]:
    day = _today(today)
    qs = _in_region(cw_access.access_followups(user), region)
    if status:
        qs = qs.filter(status=status)
    if elder is not None:
        qs = qs.filter(elder=elder)
    if mine:
        qs = qs.filter(assignee=user)
    if overdue:
        qs = qs.filter(status=FollowUp.Status.OPEN, due_date__lt=day)
    qs = _with_overdue(qs, Q(status=FollowUp.Status.OPEN), day)
    return qs.select_related("elder", "assignee").order_by(OVERDUE_FIRST, "due_date", "created_at")


def consultations_for(user: Any, *, elder: Any = None, channel: str = "") -> QuerySet[Consultation]:
    qs = cw_access.access_consultations(user)
    if elder is not None:
        qs = qs.filter(elder=elder)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("elder", "community", "recorded_by").order_by("-visited_at")


def consultation_followups(consultation: Consultation) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(source=FollowUp.Source.CONSULTATION, source_id=str(consultation.pk)) \
        .select_related("assignee").order_by("due_date")


ERRAND_OPEN_Q = Q(status__in=Errand.OPEN_STATUSES)


def errands_for(user: Any, *, status: str = "", elder: Any = None, mine: bool = False, overdue: bool = False,
                region: str = "", today: dt.date | None = None) -> QuerySet[Errand]:
    """Errands of the caller's jurisdiction; ``status`` "open" means requested or in progress."""
    day = _today(today)
    qs = _in_region(cw_access.access_errands(user), region)
    if status == "open":
        qs = qs.filter(ERRAND_OPEN_Q)
    elif status:
        qs = qs.filter(status=status)
    if elder is not None:
        qs = qs.filter(elder=elder)
    if mine:
        qs = qs.filter(assignee=user)
    if overdue:
        qs = qs.filter(ERRAND_OPEN_Q, due_date__lt=day)
    qs = _with_overdue(qs, ERRAND_OPEN_Q, day)
    return qs.select_related("elder", "assignee").order_by(OVERDUE_FIRST, "due_date", "created_at")


def errands_open_for(user: Any, today: dt.date | None = None) -> QuerySet[Errand]:
    """Open errands the caller should act on: assigned to her, or — for a point's staff — in her
    service point; overdue first."""
    q = Q(assignee=user)
    if getattr(user, "service_point_id", None):
        q |= Q(service_point_id=user.service_point_id)
    return errands_for(user, status="open", today=today).filter(q)


def errands_to_close(user: Any) -> QuerySet[Errand]:
    """Done errands waiting for closure that this caller may close."""
    if not cw_access.has_capability(user, cw_access.ERRAND_CLOSE):
        return Errand.objects.none()
    qs = errands_for(user, status=Errand.Status.DONE)
    if not cw_access.has_capability(user, cw_access.ERRAND_CLOSE_OWN):
        qs = qs.exclude(completed_by=user)
    return qs


def conferences_for(user: Any, *, elder: Any = None) -> QuerySet[CaseConference]:
    qs = cw_access.access_conferences(user)
    if elder is not None:
        qs = qs.filter(elder=elder)
    return qs.select_related("elder", "convened_by").prefetch_related("participants", "decisions__followup") \
        .order_by("-held_on", "-created_at")


def overdue_counts(user: Any, prefixes: list[str], model: type[FollowUp] | type[Errand],
                   today: dt.date | None = None) -> dict[str, int]:
    """Overdue open follow-ups or errands per region prefix (one query), inside the caller's
    jurisdiction: the supervisor's per-community column."""
    day = _today(today)
    open_q = Q(status=FollowUp.Status.OPEN) if model is FollowUp else ERRAND_OPEN_Q
    base = (cw_access.access_followups(user) if model is FollowUp else cw_access.access_errands(user))
    base = base.filter(open_q, due_date__lt=day)
    if not prefixes:
        return {}
    aggregates = {f"p{i}": Count("pk", filter=prefix_q(p, "region_code")) for i, p in enumerate(prefixes)}
    row = base.aggregate(**aggregates)
    return {p: int(row[f"p{i}"] or 0) for i, p in enumerate(prefixes)}
