"""Reads of assessments. ``current_assessment`` is what other domains (entitlements,
service lists) use as the elder's ability level."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from yiyang.assessments.models import Assessment
from yiyang.elders import access as elder_access


def current_assessment(elder: Any) -> Assessment | None:
    """The latest confirmed GB/T 42195—2022 assessment of the elder, valid or expired."""
    return (
        Assessment.objects.filter(elder=elder, status=Assessment.Status.CONFIRMED,
                                  scheme=Assessment.Scheme.GBT_42195_2022)
        .order_by("-assessed_on", "-confirmed_at").first()
    )


def current_level(elder: Any) -> int | None:
    """The elder's current ability level 0–4, or None when never assessed under GB/T 42195
    (the level alone: matching asks it on every list, and an assessment row is large)."""
    return (
        Assessment.objects.filter(elder=elder, status=Assessment.Status.CONFIRMED,
                                  scheme=Assessment.Scheme.GBT_42195_2022)
        .order_by("-assessed_on", "-confirmed_at").values_list("level", flat=True).first()
    )


def open_draft(elder: Any) -> Assessment | None:
    """The elder's unfinished GB/T 42195 draft, if any (the latest): a new assessment resumes it."""
    return (Assessment.objects.filter(elder=elder, status=Assessment.Status.DRAFT,
                                      scheme=Assessment.Scheme.GBT_42195_2022)
            .order_by("-created_at").first())


def assessment_history(elder: Any) -> QuerySet[Assessment]:
    return (Assessment.objects.filter(elder=elder).exclude(status=Assessment.Status.CANCELLED)
            .prefetch_related("assessor_links").order_by("-assessed_on", "-created_at"))


def latest_confirmed_subquery(field: str) -> Subquery:
    return Subquery(
        Assessment.objects.filter(elder=OuterRef("pk"), status=Assessment.Status.CONFIRMED,
                                  scheme=Assessment.Scheme.GBT_42195_2022)
        .order_by("-assessed_on", "-confirmed_at").values(field)[:1]
    )


def elders_due_for_assessment(user: Any, *, within_days: int = 30, today: dt.date | None = None) -> QuerySet:
    """Elders in the caller's jurisdiction whose current assessment expires within
    ``within_days`` (or already has), or who wait for an 即时评估."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=within_days)
    qs = elder_access.access_elders(user).filter(active=True).annotate(
        current_level=latest_confirmed_subquery("level"),
        current_valid_until=latest_confirmed_subquery("valid_until"),
        pending_immediate=Subquery(
            Assessment.objects.filter(elder=OuterRef("pk"), reason=Assessment.Reason.IMMEDIATE,
                                      status__in=[Assessment.Status.DRAFT, Assessment.Status.SUBMITTED])
            .values("number")[:1]
        ),
    )
    from django.db.models import Q

    return qs.filter(Q(current_valid_until__lte=horizon) | Q(pending_immediate__isnull=False)).select_related(
        "region").order_by("current_valid_until", "name")
