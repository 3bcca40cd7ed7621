"""Writes to the elder registry. Every one runs in a transaction and writes an event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core import access, pii
from yiyang.core.events import event_record
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.identifiers import IdentifierError, normalize_person_name, normalize_phone
from yiyang.core.models import AccessLog
from yiyang.core.text import LINE_MAX, NAME_MAX, REMARK_MAX, SHORT_MAX, purpose_clean, too_long
from yiyang.elders import access as elder_access
from yiyang.elders import events
from yiyang.elders.counts import region_counts_recount
from yiyang.elders.duplicates import match_keys
from yiyang.elders.models import (
    ECONOMIC_CATEGORY_CODES,
    ECONOMIC_NONE,
    Category,
    Consent,
    DuplicateVerdict,
    Elder,
    ElderCategory,
    EmergencyContact,
    LivingSituation,
    economic_status_name,
    economic_status_of,
)
from yiyang.elders.validation import (
    FIELD_LABELS,
    CleanElder,
    Lookups,
    clean_elder_fields,
    under_age_message,
)

ID_CTX, PHONE_CTX, ADDRESS_CTX, CONTACT_PHONE_CTX = "elder.id_number", "elder.phone", "elder.address", "contact.phone"
SENSITIVE_FIELDS = ("id_number", "phone", "address")
NULL_MESSAGE = "不能为空值（null）；不修改请省略该字段"


def _check_region(actor: Any, clean: CleanElder, errors: dict[str, list[str]], capability: str) -> None:
    if clean.region is not None and not access.in_jurisdiction(actor, clean.region.code):
        errors.setdefault("region_code", []).append("该社区不在您的管辖范围内")
    if not access.has_capability(actor, capability):
        raise ForbiddenError()


def _check_duplicate(
    actor: Any, clean: CleanElder, errors: dict[str, list[str]], *, exclude_pk: Any = None
) -> str | None:
    if clean.id is None:
        return None
    bidx = pii.blind_index(clean.id.value, ID_CTX)
    qs = Elder.objects.filter(id_number_bidx=bidx)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    other = qs.values_list("region_id", "region__name").first()
    if other is not None:
        # One person, one archive: say that it exists, but name where only inside the
        # caller's jurisdiction (where an elder lives outside it is not theirs to know).
        where = f"（{other[1]}）" if access.in_jurisdiction(actor, other[0]) else ""
        errors.setdefault("id_number", []).append(f"该身份证号已登记{where}，请勿重复建档")
    return bidx


@transaction.atomic
def elder_register(
    *, actor: Any, data: dict[str, Any], contacts: list[dict[str, Any]] | None = None, source: str = "form"
) -> Elder:
    """Register one elder. ``data`` holds raw field values (see validation.FIELD_LABELS)."""
    clean, errors = clean_elder_fields(data, Lookups.load())
    _check_under_age(clean, data, errors)
    _check_region(actor, clean, errors, elder_access.ELDER_CREATE)
    bidx = _check_duplicate(actor, clean, errors)
    contact_rows = _clean_contacts(contacts or [], errors)
    if errors:
        raise FieldErrors(errors)
    assert clean.id is not None and clean.region is not None and bidx is not None
    by_birth, by_phone = match_keys(name=clean.name, birth_date=clean.id.birth_date, phone=clean.phone,
                                    region_code=clean.region.code)
    elder = Elder.objects.create(
        name=clean.name,
        id_number_enc=pii.encrypt(clean.id.value, ID_CTX),
        id_number_bidx=bidx,
        birth_date=clean.id.birth_date,
        sex=clean.id.sex,
        phone_enc=pii.encrypt(clean.phone, PHONE_CTX),
        phone_bidx=pii.blind_index(clean.phone, PHONE_CTX) or "",
        address_enc=pii.encrypt(clean.address, ADDRESS_CTX),
        region=clean.region,
        hukou_local=clean.hukou_local,
        living_situation=clean.living_situation,
        not_in_difficulty=clean.economic == ECONOMIC_NONE,
        notes=clean.notes,
        registered_by=actor if getattr(actor, "pk", None) else None,
        match_name_birth_bidx=by_birth,
        match_name_phone_bidx=by_phone,
    )
    region_counts_recount([elder.region_id])
    categories = _with_economic(clean.categories, clean.economic)
    ElderCategory.objects.bulk_create([ElderCategory(elder=elder, category=c) for c in categories])
    for order, row in enumerate(contact_rows):
        EmergencyContact.objects.create(elder=elder, sort_order=order, **row)
    event_record(
        type=events.REGISTERED, actor=actor, elder_id=elder.pk, subject=elder, region_code=elder.region_id,
        payload={"source": source, "categories": [c.code for c in categories], "contacts": len(contact_rows),
                 "economic_status": economic_status_of(elder.not_in_difficulty, (c.code for c in categories))},
    )
    return elder


def _check_under_age(clean: CleanElder, data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Someone under 60 is registered only when the worker confirms it (the region may refuse
    outright: validation._check_age)."""
    if clean.under_age is not None and not data.get("confirm_under_age"):
        errors.setdefault("confirm_under_age", []).append(under_age_message(clean.under_age))


def _with_economic(categories: list[Category], economic: str | Category | None) -> list[Category]:
    """The categories once 经济状况 is set: a difficulty status replaces any other one; 非经济困难
    and 未知 remove them; None (not given) leaves them as they are."""
    if economic is None:
        return list(categories)
    kept = [c for c in categories if c.code not in ECONOMIC_CATEGORY_CODES]
    return [*kept, economic] if isinstance(economic, Category) else kept


def _clean_contacts(contacts: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for n, c in enumerate(contacts, start=1):
        name = str(c.get("name") or "").strip()
        phone = str(c.get("phone") or "").strip()
        relation = str(c.get("relation") or "").strip()
        if not name and not phone:
            continue
        if not name:
            errors.setdefault("contacts", []).append(f"第{n}位紧急联系人：姓名不能为空")
            continue
        try:
            name = normalize_person_name(name)
        except IdentifierError as exc:
            errors.setdefault("contacts", []).append(f"第{n}位紧急联系人姓名：{exc}")
            continue
        if message := too_long(relation, SHORT_MAX):
            errors.setdefault("contacts", []).append(f"第{n}位紧急联系人关系：{message}")
            continue
        try:
            phone = normalize_phone(phone)
        except IdentifierError as exc:
            errors.setdefault("contacts", []).append(f"第{n}位紧急联系人电话：{exc}")
            continue
        rows.append({
            "name": name,
            "relation": relation,
            "phone_enc": pii.encrypt(phone, CONTACT_PHONE_CTX),
            "is_guardian": bool(c.get("is_guardian")),
        })
    return rows


def _shown(field: str, value: Any) -> str:
    if field == "living_situation":
        return str(LivingSituation(value).label) if value else ""
    if field == "hukou_local":
        return "本地户籍" if value else "非本地户籍"
    return value


@transaction.atomic
def elder_update(*, actor: Any, elder: Elder, data: dict[str, Any], expected_version: int | None = None) -> Elder:
    """Change the fields present in ``data``. A stale ``expected_version`` (someone else
    saved first) is refused rather than silently overwritten."""
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    if expected_version is not None and expected_version != elder.version:
        raise ApplicationError(
            "档案已被他人修改，请刷新后重新编辑", code="version_conflict", status=409,
            detail={"current_version": elder.version},
        )
    if not elder.active:
        raise ApplicationError("该老年人已注销，请先恢复在册再修改", code="inactive")
    # A field given as None is neither "no change" (that is leaving it out) nor "empty" (that
    # is ""): emptying a name or a phone by a null slipped through before.
    nulls = [f for f, v in data.items() if v is None]
    if nulls:
        raise FieldErrors({f: [NULL_MESSAGE] for f in nulls})
    clean, errors = clean_elder_fields(data, Lookups.load(), partial=True, birth_date=elder.birth_date,
                                       region_code=elder.region_id)
    _check_region(actor, clean, errors, elder_access.ELDER_UPDATE)
    bidx = _check_duplicate(actor, clean, errors, exclude_pk=elder.pk) if "id_number" in data else None
    if bidx != elder.id_number_bidx:  # the same ID number typed again asks nothing twice
        _check_under_age(clean, data, errors)
    if errors:
        raise FieldErrors(errors)

    changes: dict[str, Any] = {}
    update_fields: list[str] = []

    def change(field: str, new: Any, old: Any, *, shown: bool = True) -> None:
        if new != old:
            changes[FIELD_LABELS.get(field, field)] = {"from": old, "to": new} if shown else "已修改"

    if "name" in data:
        change("name", clean.name, elder.name)
        elder.name = clean.name
        update_fields.append("name")
    if "id_number" in data and clean.id is not None and bidx != elder.id_number_bidx:
        change("id_number", "x", "y", shown=False)
        elder.id_number_enc = pii.encrypt(clean.id.value, ID_CTX)
        elder.id_number_bidx = bidx or ""
        elder.birth_date, elder.sex = clean.id.birth_date, clean.id.sex
        update_fields += ["id_number_enc", "id_number_bidx", "birth_date", "sex"]
    if "phone" in data and clean.phone != elder.phone:
        change("phone", "x", "y", shown=False)
        elder.phone_enc = pii.encrypt(clean.phone, PHONE_CTX)
        elder.phone_bidx = pii.blind_index(clean.phone, PHONE_CTX) or ""
        update_fields += ["phone_enc", "phone_bidx"]
    if "address" in data and clean.address != elder.address:
        change("address", "x", "y", shown=False)
        elder.address_enc = pii.encrypt(clean.address, ADDRESS_CTX)
        update_fields.append("address_enc")
    moved_from = None
    if "region_code" in data and clean.region is not None:
        change("region_code", clean.region.code, elder.region_id)
        if clean.region.code != elder.region_id:
            moved_from = elder.region_id
        elder.region = clean.region
        update_fields.append("region")
    for f in ("living_situation", "hukou_local", "notes"):
        if f in data or (f == "living_situation" and clean.living_from_categories):
            if getattr(clean, f) != getattr(elder, f):
                # The timeline shows words a person reads, not stored codes.
                changes[FIELD_LABELS[f]] = {"from": _shown(f, getattr(elder, f)), "to": _shown(f, getattr(clean, f))}
            setattr(elder, f, getattr(clean, f))
            update_fields.append(f)
    if "categories" in data or clean.economic is not None:
        current = list(elder.categories.order_by("sort_order"))
        old = {c.code: c.name for c in current}
        was = economic_status_of(elder.not_in_difficulty, old)
        categories = _with_economic(clean.categories if "categories" in data else current, clean.economic)
        new = {c.code: c.name for c in categories}
        if clean.economic is not None:
            elder.not_in_difficulty = clean.economic == ECONOMIC_NONE
        elif any(code in ECONOMIC_CATEGORY_CODES for code in new):
            elder.not_in_difficulty = False  # a difficulty category is newer news than 非经济困难
        update_fields.append("not_in_difficulty")
        if sorted(old) != sorted(new):
            changes[FIELD_LABELS["categories"]] = {"from": "、".join(old.values()), "to": "、".join(new.values()),
                                                   "from_codes": sorted(old), "to_codes": sorted(new)}
            ElderCategory.objects.filter(elder=elder).delete()
            ElderCategory.objects.bulk_create([ElderCategory(elder=elder, category=c) for c in categories])
        now = economic_status_of(elder.not_in_difficulty, new)
        if now != was:
            names = {c.code: c.name for c in Category.objects.filter(code__in=ECONOMIC_CATEGORY_CODES)}
            changes[FIELD_LABELS["economic_status"]] = {"from": economic_status_name(was, names),
                                                        "to": economic_status_name(now, names)}
    if not changes:
        return elder
    keys = match_keys(name=elder.name, birth_date=elder.birth_date, phone=clean.phone if "phone" in data else elder.phone,
                      region_code=elder.region_id)
    if keys != (elder.match_name_birth_bidx, elder.match_name_phone_bidx):
        elder.match_name_birth_bidx, elder.match_name_phone_bidx = keys
        update_fields += ["match_name_birth_bidx", "match_name_phone_bidx"]
    elder.version += 1
    elder.save(update_fields=[*update_fields, "version", "updated_at"])
    if moved_from is not None:
        region_counts_recount([moved_from, elder.region_id])
    event_record(
        type=events.UPDATED, actor=actor, elder_id=elder.pk, subject=elder, region_code=elder.region_id,
        payload={"changes": changes, "version": elder.version},
    )
    return elder


@transaction.atomic
def elder_deactivate(*, actor: Any, elder: Elder, reason: str, note: str = "") -> Elder:
    if reason not in Elder.DeactivationReason.values:
        raise FieldErrors({"reason": ["请选择注销原因"]})
    note = (note or "").strip()
    if message := too_long(note, REMARK_MAX):
        raise FieldErrors({"note": [message]})
    if not elder.active:
        raise ApplicationError("该老年人已是注销状态", code="already_inactive")
    elder.active = False
    elder.deactivation_reason = reason
    elder.deactivated_at = timezone.now()
    elder.version += 1
    elder.save(update_fields=["active", "deactivation_reason", "deactivated_at", "version", "updated_at"])
    region_counts_recount([elder.region_id])
    event_record(
        type=events.DEACTIVATED, actor=actor, elder_id=elder.pk, subject=elder, region_code=elder.region_id,
        payload={"reason": reason, "reason_label": str(Elder.DeactivationReason(reason).label), "note": note},
    )
    return elder


@transaction.atomic
def elder_reactivate(*, actor: Any, elder: Elder, note: str = "") -> Elder:
    if elder.active:
        raise ApplicationError("该老年人在册，无需恢复", code="already_active")
    note = (note or "").strip()
    if message := too_long(note, REMARK_MAX):
        raise FieldErrors({"note": [message]})
    elder.active = True
    elder.deactivation_reason = ""
    elder.deactivated_at = None
    elder.version += 1
    elder.save(update_fields=["active", "deactivation_reason", "deactivated_at", "version", "updated_at"])
    region_counts_recount([elder.region_id])
    event_record(type=events.REACTIVATED, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id, payload={"note": note})
    return elder


# The reasons a field worker gives most often, offered as one tap on the reveal form (a typed
# reason is still accepted): asked every time, so typing it every time was the slow part.
REVEAL_REASONS = ("上门探访", "电话联系", "办理业务", "联系紧急联系人", "核对档案信息")
REVEALABLE = {"id_number": "身份证号", "phone": "联系电话", "address": "居住地址", "contacts": "紧急联系人电话"}


@transaction.atomic
def elder_reveal(
    *, actor: Any, elder: Elder, fields: list[str], purpose: str, remote_addr: str = "", action: str = "reveal"
) -> dict[str, Any]:
    """Return the plain values of sensitive fields and log who saw them, when and why."""
    fields = [f for f in dict.fromkeys(fields) if f in REVEALABLE]
    if not fields:
        raise FieldErrors({"fields": ["请选择要查看的字段"]})
    purpose = purpose_clean(purpose)
    values: dict[str, Any] = {}
    for f in fields:
        if f == "contacts":
            values["contacts"] = [
                {"name": c.name, "relation": c.relation, "phone": c.phone} for c in elder.contacts.all()
            ]
        else:
            values[f] = getattr(elder, f)
    AccessLog.objects.create(
        at=timezone.now(), actor=actor, action=action, elder_id=elder.pk, region_code=elder.region_id,
        fields=[REVEALABLE[f] for f in fields], purpose=purpose, remote_addr=remote_addr[:64],
    )
    return values


@transaction.atomic
def contact_add(*, actor: Any, elder: Elder, name: str, phone: str, relation: str = "", is_guardian: bool = False) -> EmergencyContact:
    errors: dict[str, list[str]] = {}
    rows = _clean_contacts([{"name": name, "phone": phone, "relation": relation, "is_guardian": is_guardian}], errors)
    if errors or not rows:
        raise FieldErrors(errors or {"contacts": ["请填写联系人姓名和电话"]})
    order = elder.contacts.count()
    contact = EmergencyContact.objects.create(elder=elder, sort_order=order, **rows[0])
    event_record(type=events.CONTACT_ADDED, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id, payload={"name": contact.name, "relation": contact.relation})
    return contact


@transaction.atomic
def contact_remove(*, actor: Any, elder: Elder, contact_id: int) -> None:
    contact = elder.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFoundError("联系人不存在")
    contact.delete()
    event_record(type=events.CONTACT_REMOVED, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id, payload={"name": contact.name, "relation": contact.relation})


@transaction.atomic
def consent_grant(
    *, actor: Any, elder: Elder, purpose: str, granted_by: str, evidence: str = "", method: str = "",
    granted_at: Any = None,
) -> Consent:
    """Record a consent. ``method`` says how it was given (signed paper, verbal with a witness,
    in the app); ``granted_at`` when, if not now (a paper signed earlier; never in the future)."""
    if purpose not in Consent.Purpose.values:
        raise FieldErrors({"purpose": ["请选择授权用途"]})
    granted_by, evidence = (granted_by or "").strip(), (evidence or "").strip()
    if not granted_by:
        raise FieldErrors({"granted_by": ["请填写表示同意的人（本人或代理人姓名）"]})
    errors = {f: [m] for f, m in (("granted_by", too_long(granted_by, NAME_MAX)), ("evidence", too_long(evidence, LINE_MAX))) if m}
    if errors:
        raise FieldErrors(errors)
    if method and method not in Consent.Method.values:
        raise FieldErrors({"method": ["请选择同意方式"]})
    now = timezone.now()
    if granted_at is not None and granted_at > now:
        raise FieldErrors({"granted_at": ["同意时间不能晚于现在"]})
    if elder.consents.filter(purpose=purpose, withdrawn_at__isnull=True).exists():
        raise ApplicationError("该用途的授权已在有效期内", code="consent_exists")
    consent = Consent.objects.create(
        elder=elder, purpose=purpose, granted_at=granted_at or now, granted_by=granted_by,
        method=method, evidence=evidence, recorded_by=actor,
    )
    event_record(type=events.CONSENT_GRANTED, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id,
                 payload={"purpose": purpose, "purpose_label": str(consent.get_purpose_display()),
                          "granted_by": consent.granted_by, "method": method})
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Any, elder: Elder, consent_id: int) -> Consent:
    consent = elder.consents.filter(pk=consent_id, withdrawn_at__isnull=True).first()
    if consent is None:
        raise NotFoundError("授权记录不存在或已撤回")
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    event_record(type=events.CONSENT_WITHDRAWN, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id,
                 payload={"purpose": consent.purpose, "purpose_label": str(consent.get_purpose_display())})
    return consent


@transaction.atomic
def duplicate_verdict_record(*, actor: Any, elder: Elder, other: Elder, same: bool, note: str = "") -> DuplicateVerdict:
    """Record whether ``elder`` and ``other`` (a suspected duplicate) are the same person. Kept,
    so the pair is not asked about again. "The same" also deactivates ``elder`` (注销, reason
    重复登记): the archive the worker is looking at is the one registered by mistake; the
    other keeps its history."""
    from yiyang.elders.selectors import elder_duplicate_suspects

    if other.pk == elder.pk or other.pk not in {s.elder.pk for s in elder_duplicate_suspects(actor, elder)}:
        raise NotFoundError("没有这条待核实的疑似重复记录")
    note = (note or "").strip()
    if len(note) > 200:
        raise FieldErrors({"note": ["说明最长200字"]})
    if same is False and len(note) < 2:
        raise FieldErrors({"note": ["请简要说明为什么不是同一人（例如：身份证号已核对，两人不同）"]})
    a, b = sorted([elder, other], key=lambda e: str(e.pk))
    verdict = DuplicateVerdict.objects.create(elder_a=a, elder_b=b, same=same, note=note,
                                              decided_by=actor if getattr(actor, "pk", None) else None,
                                              decided_at=timezone.now())
    event_record(type=events.DUPLICATE_JUDGED, actor=actor, elder_id=elder.pk, subject=elder,
                 region_code=elder.region_id,
                 payload={"other": str(other.pk), "same": same, "note": verdict.note})
    if same and elder.active:
        elder_deactivate(actor=actor, elder=elder, reason=Elder.DeactivationReason.DUPLICATE,
                         note=f"与 {other.name}（{other.id_number_masked}）为同一人。{verdict.note}"[:500])
    return verdict
