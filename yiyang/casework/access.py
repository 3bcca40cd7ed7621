"""Who may record consultations, follow up, hold case conferences and run delegated errands;
``access_*`` for one record on core's jurisdiction primitive (outside → 404, role → 403).

Front-line staff (专员/顾问, point leads) do the work; community, street, district and city
administrators may do it too and read it all (they supervise the overdue counts). Closing an
errand is a second pair of eyes: anyone here may close an errand someone else completed; only a
point lead or an administrator may close one they completed themselves (``services``).
Providers and operators hold none of these.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.accounts.models import Role
from yiyang.casework.models import CaseConference, Consultation, Errand, ErrandEvidence, FollowUp
from yiyang.core.access import access_record, capability, grant, has_capability, jurisdiction_filter

CASEWORK_VIEW = capability("casework.view", "查看咨询、跟踪与代办记录")
CONSULTATION_RECORD = capability("casework.consult", "记录咨询服务")
VISITOR_REVEAL = capability("casework.reveal", "查看匿名来访者联系方式明文（留痕）")
FOLLOWUP_MANAGE = capability("casework.followup", "新建和办理跟踪事项")
CONFERENCE_HOLD = capability("casework.conference", "召开集体会诊")
ERRAND_RUN = capability("casework.errand", "受理和办理委托代办")
ERRAND_CLOSE = capability("casework.errand_close", "委托代办结案")
# Closing one's own completed errand: the point lead answers for the point.
ERRAND_CLOSE_OWN = capability("casework.errand_close_own", "为本人办完的代办结案")

FRONT_LINE = (CASEWORK_VIEW, CONSULTATION_RECORD, VISITOR_REVEAL, FOLLOWUP_MANAGE, CONFERENCE_HOLD, ERRAND_RUN,
              ERRAND_CLOSE)
grant(Role.COMMISSIONER, *FRONT_LINE)
for _role in (Role.POINT_LEAD, Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, *FRONT_LINE, ERRAND_CLOSE_OWN)


def _scoped(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    if not has_capability(user, CASEWORK_VIEW):
        return qs.none()
    return jurisdiction_filter(qs, user, "region_code")


def access_consultations(user: Any) -> QuerySet[Consultation]:
    return _scoped(Consultation.objects.all(), user)


def access_followups(user: Any) -> QuerySet[FollowUp]:
    return _scoped(FollowUp.objects.all(), user)


def access_errands(user: Any) -> QuerySet[Errand]:
    return _scoped(Errand.objects.all(), user)


def access_conferences(user: Any) -> QuerySet[CaseConference]:
    return _scoped(CaseConference.objects.all(), user)


def access_consultation(user: Any, consultation_id: Any, *capabilities: str) -> Consultation:
    qs = Consultation.objects.select_related("elder", "community", "service_point", "recorded_by")
    return access_record(user, qs, consultation_id, region="region_code",
                         capabilities=(CASEWORK_VIEW, *capabilities))


def access_followup(user: Any, followup_id: Any, *capabilities: str) -> FollowUp:
    qs = FollowUp.objects.select_related("elder", "assignee", "created_by")
    return access_record(user, qs, followup_id, region="region_code", capabilities=(CASEWORK_VIEW, *capabilities))


def access_errand(user: Any, errand_id: Any, *capabilities: str) -> Errand:
    qs = Errand.objects.select_related("elder", "consent", "assignee", "requested_by", "completed_by", "closed_by")
    return access_record(user, qs, errand_id, region="region_code", capabilities=(CASEWORK_VIEW, *capabilities))


def access_evidence(user: Any, evidence_id: Any) -> ErrandEvidence:
    qs = ErrandEvidence.objects.select_related("errand")
    return access_record(user, qs, evidence_id, region=lambda e: e.errand.region_code, capabilities=(CASEWORK_VIEW,))


def access_conference(user: Any, conference_id: Any, *capabilities: str) -> CaseConference:
    qs = CaseConference.objects.select_related("elder", "convened_by")
    return access_record(user, qs, conference_id, region="region_code",
                         capabilities=(CASEWORK_VIEW, *capabilities))
