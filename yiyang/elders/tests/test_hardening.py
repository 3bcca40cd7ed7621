"""Findings of the hostile review (issue 7, A.2 / A.8 / A.14) on the elder registry: a null
in an edit never empties a field, every text has a maximum with a Chinese message, and the
names of real people — Han characters beyond U+9FFF, the middle dots of minority names — are
accepted everywhere a name is judged."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests import factories
from yiyang.core.models import AccessLog, Event
from yiyang.elders import services
from yiyang.elders.importing import COLUMNS, elders_import
from yiyang.elders.models import Elder, EmergencyContact

# 王𬌗: U+2C317 is in CJK extension E; 𠀀 extension B; 𪜀 C; 𫝀 D; 𬺰 F; 𰀀 G; 𱍐 H.
EXTENSION_NAMES = ["王𬌗", "𠀀𪜀𫝀", "李𬺰𰀀𱍐"]
# The separators people type between the parts of a minority name, and what is stored.
SEPARATED = [("阿依古丽·买买提", "阿依古丽·买买提"), ("阿依古丽•买买提", "阿依古丽·买买提"),
             ("阿依古丽・买买提", "阿依古丽·买买提"), ("阿依古丽 · 买买提", "阿依古丽·买买提")]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The tree, a worker and one elder, once for the module (rolled back after it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            factories.load_tree()
            worker = factories.make_user("worker_a", "commissioner", factories.COMMUNITY_A)
            elder = factories.make_elder(worker, name="王秀英", phone="13812345678", address="梅林一村12栋0304房",
                                         notes="原有备注")
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield {"worker": worker, "elder": elder}
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def api(world, db):
    resp = Client().post("/api/v1/auth/token", {"username": "worker_a", "password": factories.PASSWORD},
                         content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


@pytest.fixture
def page(world, db) -> Client:
    c = Client()
    c.force_login(world["worker"])
    return c


def patch(headers, elder, body):
    return Client().patch(f"/api/v1/elders/{elder.pk}", json.dumps(body), content_type="application/json",
                          **headers)


def post(headers, path, body):
    return Client().post(path, json.dumps(body), content_type="application/json", **headers)


# -- A.2: null in PATCH -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "phone", "address", "id_number", "region_code", "living_situation",
                                   "categories", "hukou_local", "notes"])
def test_a_null_in_patch_is_a_validation_error_and_changes_nothing(api, world, field):
    elder = world["elder"]
    resp = patch(api, elder, {field: None})
    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["code"] == "validation_error"
    assert body["detail"]["fields"][field] == ["不能为空值（null）；不修改请省略该字段"]
    fresh = Elder.objects.get(pk=elder.pk)
    assert (fresh.name, fresh.phone, fresh.address, fresh.version) == ("王秀英", "13812345678", "梅林一村12栋0304房",
                                                                       elder.version)
    assert list(fresh.categories.values_list("code", flat=True)) == ["subsistence"]
    assert not Event.objects.filter(elder_id=elder.pk, type="elder.updated").exists()


def test_nulls_beside_a_good_field_refuse_the_whole_patch(api, world):
    resp = patch(api, world["elder"], {"name": None, "phone": None, "address": None, "notes": "新备注"})
    assert resp.status_code == 422
    assert set(resp.json()["detail"]["fields"]) == {"name", "phone", "address"}
    assert Elder.objects.get(pk=world["elder"].pk).notes == "原有备注"


def test_a_null_version_still_means_no_check_and_left_out_fields_stay(api, world):
    resp = patch(api, world["elder"], {"notes": "新备注", "version": None})
    assert resp.status_code == 200, resp.content
    fresh = Elder.objects.get(pk=world["elder"].pk)
    assert (fresh.notes, fresh.name, fresh.phone) == ("新备注", "王秀英", "13812345678")


def test_the_service_refuses_none_too(world, db):
    """A caller other than the API (a future one) gets the same answer from the service."""
    from yiyang.core.exceptions import FieldErrors

    with pytest.raises(FieldErrors) as exc:
        services.elder_update(actor=world["worker"], elder=world["elder"], data={"name": None, "phone": None})
    assert set(exc.value.errors) == {"name", "phone"}
    assert Elder.objects.get(pk=world["elder"].pk).name == "王秀英"


# -- A.8: maximum lengths ---------------------------------------------------------------------


def test_a_five_million_character_note_is_refused_by_the_api_in_chinese(api, world):
    huge = "备" * 5_000_000
    resp = patch(api, world["elder"], {"notes": huge})
    assert resp.status_code == 422
    assert resp.json()["detail"]["fields"]["notes"] == ["最长1000字"]
    create = post(api, "/api/v1/elders", factories.elder_data(notes=huge, address="址" * 201))
    assert create.status_code == 422
    fields = create.json()["detail"]["fields"]
    assert fields["notes"] == ["最长1000字"] and fields["address"] == ["最长200字"]
    assert Elder.objects.count() == 1


@pytest.mark.parametrize("body,field", [
    ({"contacts": [{"name": "李" * 51, "phone": "13900001111"}]}, "contacts.0.name"),
    ({"contacts": [{"name": "李明", "phone": "1" * 31}]}, "contacts.0.phone"),
    ({"contacts": [{"name": "李明", "phone": "13900001111", "relation": "儿" * 21}]}, "contacts.0.relation"),
    ({"categories": ["低保"] * 21}, "categories"),
    ({"categories": ["低" * 41]}, "categories.0"),
    ({"living_situation": "独" * 41}, "living_situation"),
])
def test_every_text_of_the_create_schema_has_a_maximum(api, world, body, field):
    resp = post(api, "/api/v1/elders", factories.elder_data(**body))
    assert resp.status_code == 422, resp.content
    messages = resp.json()["detail"]["fields"][field]
    assert messages and all(m.startswith("最") for m in messages), messages


def test_the_service_checks_maxima_for_callers_without_a_schema(world, db):
    from yiyang.core.exceptions import FieldErrors

    elder, worker = world["elder"], world["worker"]
    with pytest.raises(FieldErrors) as exc:
        services.elder_update(actor=worker, elder=elder, data={"notes": "备" * 1001})
    assert exc.value.errors == {"notes": ["最长1000字（现在1001字）"]}
    with pytest.raises(FieldErrors):
        services.elder_reveal(actor=worker, elder=elder, fields=["phone"], purpose="由" * 201)
    with pytest.raises(FieldErrors):
        services.consent_grant(actor=worker, elder=elder, purpose="photos", granted_by="王秀英", evidence="据" * 201)
    with pytest.raises(FieldErrors):
        services.contact_add(actor=worker, elder=elder, name="李明", phone="13900001111", relation="关" * 21)
    assert not AccessLog.objects.filter(elder_id=elder.pk).exists()


def test_an_edit_of_notes_copies_only_bounded_text_into_the_event(world, db):
    long_note = "备" * 1000
    services.elder_update(actor=world["worker"], elder=world["elder"], data={"notes": long_note})
    event = Event.objects.filter(elder_id=world["elder"].pk, type="elder.updated").latest("occurred_at")
    stored = event.payload["changes"]["备注"]["to"]
    assert len(stored) == 500 and stored.endswith("…")


def test_the_form_refuses_a_long_note_with_a_chinese_message(page, world):
    resp = page.post(reverse("elders:edit", args=[world["elder"].pk]),
                     {"name": "王秀英", "region_code": factories.COMMUNITY_A, "hukou_local": "on",
                      "notes": "备" * 1001, "version": world["elder"].version})
    assert resp.status_code == 400
    assert "最长1000字（现在1001字）" in resp.content.decode()
    assert Elder.objects.get(pk=world["elder"].pk).notes == "原有备注"


def test_a_long_reactivation_note_is_refused_with_the_limit(page, world):
    elder = world["elder"]
    services.elder_deactivate(actor=world["worker"], elder=elder, reason="moved_away")
    resp = page.post(reverse("elders:reactivate", args=[elder.pk]), {"note": "说" * 501}, follow=True)
    assert "最长500字（现在501字）" in resp.content.decode()
    assert not Elder.objects.get(pk=elder.pk).active


def test_an_unknown_value_is_quoted_back_only_in_part(api, world):
    resp = post(api, "/api/v1/elders", factories.elder_data(region_code="9" * 40))
    message = resp.json()["detail"]["fields"]["region_code"][0]
    assert len(message) < 60 and "9" * 21 not in message


# -- A.14: names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXTENSION_NAMES)
def test_names_beyond_u9fff_register_through_the_api(api, world, name):
    resp = post(api, "/api/v1/elders", factories.elder_data(name=name))
    assert resp.status_code == 201, resp.content
    assert resp.json()["name"] == name
    assert Elder.objects.get(pk=resp.json()["id"]).name == name
    found = post(api, "/api/v1/elders/search", {"name": name}).json()  # searches go in the body (A.4)
    assert [x["name"] for x in found["items"]] == [name]


@pytest.mark.parametrize("typed,stored", SEPARATED)
def test_minority_name_separators_are_accepted_and_normalised(api, world, typed, stored):
    resp = post(api, "/api/v1/elders", factories.elder_data(name=typed))
    assert resp.status_code == 201, resp.content
    assert resp.json()["name"] == stored
    edited = patch(api, world["elder"], {"name": typed})
    assert edited.status_code == 200 and edited.json()["name"] == stored


@pytest.mark.parametrize("name,message", [
    ("·王", "间隔号“·”只能用在两部分姓名之间"), ("王··芳", "间隔号“·”只能用在两部分姓名之间"),
    ("王2", "只能包含汉字、字母和间隔号“·”"), ("王😀", "只能包含汉字、字母和间隔号“·”"),
])
def test_what_is_not_a_name_is_still_refused(api, world, name, message):
    resp = post(api, "/api/v1/elders", factories.elder_data(name=name))
    assert resp.status_code == 400
    assert resp.json()["detail"]["fields"]["name"] == [message]


def test_the_registration_form_takes_an_extension_name_and_a_minority_contact(page, world):
    data = {**factories.elder_data(name="王𬌗", categories=[]), "hukou_local": "on",
            "contact_name": "阿依古丽•买买提", "contact_relation": "女儿", "contact_phone": "13700001111"}
    data.pop("categories")
    resp = page.post(reverse("elders:create"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    elder = Elder.objects.get(name="王𬌗")
    assert [c.name for c in elder.contacts.all()] == ["阿依古丽·买买提"]
    detail = page.get(resp["Location"]).content.decode()
    assert "王𬌗" in detail


def test_a_contact_added_later_is_judged_the_same(world, db):
    contact = services.contact_add(actor=world["worker"], elder=world["elder"], name="热合曼 ・ 艾力",
                                   phone="13900002222")
    assert contact.name == "热合曼·艾力"


def _csv(rows, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def _row(name, contact="李明"):
    values = {"姓名": name, "身份证号": factories.make_id_number(), "联系电话": "13800001234",
              "社区代码": factories.COMMUNITY_A, "居住地址": "梅林一村3栋201", "居住情况": "独居", "人员类别": "低保", "经济状况": "",
              "紧急联系人": contact, "紧急联系人电话": "13900005678"}
    return [values[c] for c in COLUMNS]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_the_importer_takes_extension_names_and_separators(world, db, encoding):
    rows = [_row("王𬌗"), _row("买买提•艾力", contact="阿依古丽・买买提")]
    report = elders_import(actor=None, data=_csv(rows, encoding), file_name="名单.csv")
    assert report.committed, [str(e) for e in report.errors]
    assert set(Elder.objects.filter(import_batch_id=report.batch_id).values_list("name", flat=True)) == {
        "王𬌗", "买买提·艾力"}
    assert "阿依古丽·买买提" in set(EmergencyContact.objects.values_list("name", flat=True))


def test_the_importer_judges_a_contact_name_like_any_name(world, db):
    report = elders_import(actor=None, data=_csv([_row("王芳", contact="李" * 51)]), file_name="x.csv")
    assert not report.committed
    assert [str(e) for e in report.errors] == ["第2行 紧急联系人：最长50个字（现在51个）"]
