"""Elder registry services on a real database (SQLite and PostgreSQL in CI)."""

import pytest

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError
from yiyang.core.models import AccessLog, Event
from yiyang.elders import services
from yiyang.elders.models import Elder


def test_register_encrypts_derives_and_writes_an_event(worker):
    data = factories.elder_data(id_number="440304194503080027"[:17] + "X")
    # make the check digit right for whatever 17 digits we chose
    from yiyang.core.identifiers import id_check_char
    data["id_number"] = data["id_number"][:17] + id_check_char(data["id_number"][:17])
    elder = services.elder_register(actor=worker, data=data)
    elder.refresh_from_db()
    assert elder.id_number == data["id_number"]
    assert bytes(elder.id_number_enc).find(data["id_number"].encode()) == -1
    assert elder.birth_date.isoformat() == "1945-03-08"
    assert elder.sex == "F"
    assert [c.code for c in elder.categories.all()] == ["subsistence"]
    event = Event.objects.get(elder_id=elder.pk)
    assert event.type == "elder.registered" and event.actor == worker
    assert event.region_code == factories.COMMUNITY_A


def test_duplicate_id_number_is_rejected(worker):
    data = factories.elder_data()
    services.elder_register(actor=worker, data=data)
    with pytest.raises(FieldErrors) as exc:
        services.elder_register(actor=worker, data=factories.elder_data(id_number=data["id_number"].lower()))
    assert "已登记" in exc.value.errors["id_number"][0]
    assert Elder.objects.count() == 1


def test_worker_cannot_register_outside_their_community(worker):
    with pytest.raises(FieldErrors) as exc:
        services.elder_register(actor=worker, data=factories.elder_data(factories.COMMUNITY_B))
    assert exc.value.errors["region_code"] == ["该社区不在您的管辖范围内"]


def test_provider_staff_may_not_register(tree):
    provider = factories.make_user("provider", "provider_staff", factories.COMMUNITY_A)
    with pytest.raises(ForbiddenError):
        services.elder_register(actor=provider, data=factories.elder_data())


def test_errors_are_collected_per_field(worker):
    with pytest.raises(FieldErrors) as exc:
        services.elder_register(actor=worker, data={"name": "", "id_number": "123", "region_code": "999",
                                                    "phone": "12345", "living_situation": "住在月球"})
    errors = exc.value.errors
    assert set(errors) == {"name", "id_number", "region_code", "phone", "living_situation"}
    assert errors["name"] == ["不能为空"]


def test_update_records_changes_without_leaking_sensitive_values(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data())
    services.elder_update(actor=worker, elder=elder, data={"phone": "13900001111", "name": "王秀兰"},
                          expected_version=1)
    elder.refresh_from_db()
    assert elder.phone == "13900001111" and elder.name == "王秀兰" and elder.version == 2
    event = Event.objects.filter(elder_id=elder.pk, type="elder.updated").get()
    assert event.payload["changes"]["联系电话"] == "已修改"
    assert event.payload["changes"]["姓名"] == {"from": "王秀英", "to": "王秀兰"}
    assert "13900001111" not in str(event.payload)


def test_stale_version_is_refused(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data())
    services.elder_update(actor=worker, elder=elder, data={"name": "王秀兰"}, expected_version=1)
    with pytest.raises(ApplicationError) as exc:
        services.elder_update(actor=worker, elder=elder, data={"name": "王秀珍"}, expected_version=1)
    assert exc.value.status == 409


def test_deactivate_keeps_the_record_and_can_be_undone(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data())
    services.elder_deactivate(actor=worker, elder=elder, reason="deceased", note="家属告知")
    elder.refresh_from_db()
    assert not elder.active and elder.deactivation_reason == "deceased"
    services.elder_reactivate(actor=worker, elder=elder)
    elder.refresh_from_db()
    assert elder.active
    types = list(Event.objects.filter(elder_id=elder.pk).order_by("occurred_at").values_list("type", flat=True))
    assert types == ["elder.registered", "elder.deactivated", "elder.reactivated"]


def test_reveal_returns_plain_values_and_logs_it(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data(phone="13800138000"))
    values = services.elder_reveal(actor=worker, elder=elder, fields=["phone", "id_number"], purpose="电话回访")
    assert values["phone"] == "13800138000"
    log = AccessLog.objects.get(elder_id=elder.pk)
    assert log.actor == worker and log.fields == ["联系电话", "身份证号"] and log.purpose == "电话回访"


def test_reveal_needs_a_purpose(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data())
    with pytest.raises(FieldErrors):
        services.elder_reveal(actor=worker, elder=elder, fields=["phone"], purpose="")
    assert not AccessLog.objects.exists()


def test_consent_grant_and_withdraw(worker):
    elder = services.elder_register(actor=worker, data=factories.elder_data())
    consent = services.consent_grant(actor=worker, elder=elder, purpose="photos", granted_by="王秀英")
    with pytest.raises(ApplicationError):
        services.consent_grant(actor=worker, elder=elder, purpose="photos", granted_by="王秀英")
    services.consent_withdraw(actor=worker, elder=elder, consent_id=consent.pk)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    services.consent_grant(actor=worker, elder=elder, purpose="photos", granted_by="王秀英")
    assert elder.consents.count() == 2
