"""转介 (referrals): sent → accepted / declined by the provider → delivered → checked by the
worker; or cancelled by the worker before delivery. The elder's consent to share her data with
a provider (``Consent.Purpose.SHARE_WITH_PROVIDER``) is recorded first — given with the referral
or already in force. The provider sees only referrals sent to it, and reading the elder's phone
and address there is written to the access log. Every step is an event on the elder's timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.models import AccessLog
from yiyang.directory.models import OrganizationStaff, Referral, Service

RESPOND_DAYS = 3
SENT, ANSWERED, DELIVERED, CHECKED, CANCELLED = (
    "referral.sent", "referral.answered", "referral.delivered", "referral.checked", "referral.cancelled")
EVENT_TYPES = {SENT: "转介服务", ANSWERED: "机构答复转介", DELIVERED: "机构已提供转介的服务",
               CHECKED: "回访核实转介", CANCELLED: "撤回转介"}
S = Referral.Status
# Which step may follow which, and who takes it.
NEXT = {S.SENT: {S.ACCEPTED, S.DECLINED, S.CANCELLED}, S.ACCEPTED: {S.DELIVERED, S.CANCELLED},
        S.DELIVERED: {S.CHECKED}, S.DECLINED: set(), S.CHECKED: set(), S.CANCELLED: set()}


def _event(kind: str, actor: Any, r: Referral, **payload: Any) -> None:
    event_record(type=kind, actor=actor, elder_id=r.elder_id, subject=r, region_code=r.region_code,
                 payload={"service": r.service.name, "status": r.status,
                          "summary": f"{r.service.name}：{r.get_status_display()}", **payload})


def _move(r: Referral, to: str) -> None:
    if to not in NEXT[S(r.status)]:
        raise ApplicationError(f"转介当前为“{r.get_status_display()}”，不能改为“{S(to).label}”", code="referral_state")
    r.status = to


@transaction.atomic
def referral_send(*, actor: Any, elder: Any, service: Service, need: str = "", note: str = "",
                  consent: dict[str, Any] | None = None) -> Referral:
    """Send a referral. Without a share-with-provider consent in force, ``consent``
    ({"granted_by", "method", "evidence"}) must record one now."""
    from yiyang.elders.models import Consent
    from yiyang.elders.services import consent_grant

    if service.status != Service.Status.ACTIVE:
        raise ApplicationError("该服务目前不在正常服务状态，不能转介", code="service_not_active")
    if len(note) > 500:
        raise FieldErrors({"note": ["最长500字"]})
    given = elder.consents.filter(purpose=Consent.Purpose.SHARE_WITH_PROVIDER, withdrawn_at__isnull=True).first()
    if given is None:
        if not consent or not str(consent.get("granted_by") or "").strip():
            raise FieldErrors({"consent": ["转介前须取得老人（或代理人）同意向服务机构提供信息：请填写表示同意的人和方式"]})
        given = consent_grant(actor=actor, elder=elder, purpose=Consent.Purpose.SHARE_WITH_PROVIDER,
                              granted_by=str(consent["granted_by"]), method=str(consent.get("method") or ""),
                              evidence=str(consent.get("evidence") or ""))
    if Referral.objects.filter(elder_id=elder.pk, service=service, status__in=[S.SENT, S.ACCEPTED]).exists():
        raise ApplicationError("已向该服务转介过，尚未办结", code="referral_open")
    r = Referral.objects.create(
        elder_id=elder.pk, region_code=elder.region_id, service=service, organization_id=service.organization_id,
        need=need, note=note.strip(), consent=given, created_by=actor if getattr(actor, "pk", None) else None,
        respond_by=timezone.localdate() + dt.timedelta(days=RESPOND_DAYS))
    _event(SENT, actor, r, need=need)
    return r


def _lock(r: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("service").get(pk=r.pk)


@transaction.atomic
def referral_answer(*, actor: Any, referral: Referral, accept: bool, note: str = "") -> Referral:
    r = _lock(referral)
    if not accept and not note.strip():
        raise FieldErrors({"note": ["不接收时请说明原因（如：暂无空余、不在服务范围）"]})
    _move(r, S.ACCEPTED if accept else S.DECLINED)
    r.response_note = note.strip()[:500]
    r.save(update_fields=["status", "response_note", "updated_at"])
    _event(ANSWERED, actor, r, accepted=accept, note=r.response_note)
    return r


@transaction.atomic
def referral_deliver(*, actor: Any, referral: Referral, note: str = "") -> Referral:
    r = _lock(referral)
    _move(r, S.DELIVERED)
    if note.strip():
        r.response_note = note.strip()[:500]
    r.save(update_fields=["status", "response_note", "updated_at"])
    _event(DELIVERED, actor, r)
    return r


@transaction.atomic
def referral_check(*, actor: Any, referral: Referral, note: str) -> Referral:
    """The worker confirms with the elder (at the next visit or call) that the service came."""
    r = _lock(referral)
    if not note.strip():
        raise FieldErrors({"note": ["请写下核实情况（如：老人说已开始送餐，满意）"]})
    _move(r, S.CHECKED)
    r.check_note = note.strip()[:500]
    r.save(update_fields=["status", "check_note", "updated_at"])
    _event(CHECKED, actor, r, note=r.check_note)
    return r


@transaction.atomic
def referral_cancel(*, actor: Any, referral: Referral, note: str) -> Referral:
    r = _lock(referral)
    if not note.strip():
        raise FieldErrors({"note": ["请说明撤回原因"]})
    _move(r, S.CANCELLED)
    r.check_note = note.strip()[:500]
    r.save(update_fields=["status", "check_note", "updated_at"])
    _event(CANCELLED, actor, r, note=r.check_note)
    return r


def provider_may(user: Any, referral: Referral) -> bool:
    return OrganizationStaff.objects.filter(user=user, organization_id=referral.organization_id).exists()


def provider_view_elder(*, actor: Any, referral: Referral, remote_addr: str = "") -> dict[str, str]:
    """What the provider needs to serve the elder — name, phone, address — read under the
    consent and written to the access log."""
    elder = referral.elder
    AccessLog.objects.create(at=timezone.now(), actor=actor, action=AccessLog.Action.REVEAL, elder_id=elder.pk,
                             region_code=elder.region_id, fields=["联系电话", "居住地址"],
                             purpose=f"服务机构处理转介（{referral.service.name}）", remote_addr=remote_addr[:64])
    return {"name": elder.name, "phone": elder.phone, "address": elder.address}


def overdue(qs: Any) -> Any:
    """Referrals the provider has not answered in time, or accepted and not delivered for a week."""
    from django.db.models import Q

    today = timezone.localdate()
    return qs.filter(Q(status=S.SENT, respond_by__lt=today)
                     | Q(status=S.ACCEPTED, updated_at__lt=timezone.now() - dt.timedelta(days=7)))
