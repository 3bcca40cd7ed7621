"""Writes of the time bank: members and their review, requests and the service that answers
them, certification, transfers, donations, redemptions and corrections. Every credit moves
through ``ledger.ledger_book``; every state change writes an event in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiyang.core import pii
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.identifiers import IdentifierError, normalize_person_name, normalize_phone, parse_id_number
from yiyang.regions.models import Region
from yiyang.timebank import events
from yiyang.timebank.ledger import member_account
from yiyang.timebank.models import Member, VolunteerStatus

ID_CTX = "timebank.id_number"
PHONE_CTX = "timebank.phone"


@transaction.atomic
def member_register(
    *,
    actor: Any,
    name: str,
    id_number: str,
    region_code: str,
    phone: str = "",
    volunteer: bool = False,
    service_point: Any = None,
    estate: Any = None,
    elder: Any = None,
    user: Any = None,
    skills: str = "",
    home_cell: str = "",
) -> Member:
    """Register a person in the time bank with the registry's real-name rules (the ID number's
    check character, GB 11643); a volunteer starts at the point's review."""
    errors: dict[str, list[str]] = {}
    try:
        clean_name = normalize_person_name(name)
    except IdentifierError as exc:
        errors["name"] = [str(exc)]
    try:
        ident = parse_id_number(id_number)
    except IdentifierError as exc:
        errors["id_number"] = [f"身份证号{exc}"]
    clean_phone = ""
    if phone:
        try:
            clean_phone = normalize_phone(phone)
        except IdentifierError as exc:
            errors["phone"] = [str(exc)]
    region = Region.objects.filter(code=region_code, level=Region.Level.COMMUNITY).first()
    if region is None:
        errors["region_code"] = ["请选择所在社区"]
    if errors:
        raise FieldErrors(errors)
    assert region is not None
    bidx = pii.blind_index(ident.value, ID_CTX) or ""
    if Member.objects.filter(id_number_bidx=bidx).exists():
        raise FieldErrors({"id_number": ["该身份证号已登记为时间银行成员"]})
    if volunteer:
        from yiyang.timebank.rules import rules_for

        min_age = rules_for(region_code).volunteer_min_age
        if ident.age_on(timezone.localdate()) < min_age:
            raise FieldErrors({"id_number": [f"志愿者须年满{min_age}周岁"]})
    try:
        with transaction.atomic():
            member = Member.objects.create(
                name=clean_name, id_number_enc=pii.encrypt(ident.value, ID_CTX), id_number_bidx=bidx,
                birth_date=ident.birth_date, sex=ident.sex,
                phone_enc=pii.encrypt(clean_phone, PHONE_CTX) if clean_phone else None,
                phone_bidx=(pii.blind_index(clean_phone, PHONE_CTX) or "") if clean_phone else "",
                region=region, estate=estate, service_point=service_point, elder=elder, user=user,
                skills=skills, home_cell=home_cell,
                volunteer_status=VolunteerStatus.APPLIED if volunteer else VolunteerStatus.NONE,
            )
    except IntegrityError:
        raise FieldErrors({"id_number": ["该身份证号已登记为时间银行成员"]}) from None
    member_account(member)
    event_record(type=events.MEMBER_JOINED, actor=actor, subject=member, region_code=region_code,
                 elder_id=elder.pk if elder is not None else None,
                 payload={"name": member.name, "volunteer": volunteer})
    return member


def _not_found_member() -> ApplicationError:
    return ApplicationError("成员不存在", code="not_found", status=404)
