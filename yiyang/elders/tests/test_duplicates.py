"""Suspected duplicates (issue 7, B.3): the same person under a mistyped ID number is flagged
at registration (form, API) and at import, through keyed hashes; a person's verdict is kept."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from yiyang.core.models import Event
from yiyang.elders import selectors, services
from yiyang.elders.importing import elders_import
from yiyang.elders.models import DuplicateVerdict, Elder
from yiyang.elders.tests.test_importing import csv_bytes, row

BIRTH = dt.date(1941, 6, 15)


def person(region=factories.COMMUNITY_A, birth=BIRTH, **kw):
    return factories.elder_data(region, name="周淑芬", id_number=factories.make_id_number(birth=birth), **kw)


@pytest.fixture
def admin_client(street_admin) -> Client:
    c = Client()
    c.force_login(street_admin)
    return c


def test_same_name_and_birth_date_in_the_street_is_flagged_at_registration(superuser, admin_client):
    first = services.elder_register(actor=superuser, data=person())
    # The mistyped ID differs, the person is the same: registered through the form.
    data = person(region=factories.COMMUNITY_A2)
    form = {k: v for k, v in data.items() if k != "categories"} | {"economic_status": "subsistence"}
    resp = admin_client.post(reverse("elders:create"), form)
    second = Elder.objects.exclude(pk=first.pk).get(name="周淑芬")
    assert resp.status_code == 302 and resp["Location"].endswith(f"/elders/{second.pk}/#duplicates")
    page = admin_client.get(resp["Location"]).content.decode()
    assert "发现 1 位疑似重复的老人" in page and "疑似重复，请核实" in page
    assert first.id_number_masked in page and "同名且出生日期相同" in page
    assert first.id_number not in page  # masked only

    # Another street, or another name: no flag.
    elsewhere = services.elder_register(actor=superuser, data=person(region=factories.COMMUNITY_B))
    assert selectors.elder_duplicate_suspects(superuser, elsewhere) == []
    other_name = services.elder_register(actor=superuser, data=person() | {"name": "周淑华"})
    assert selectors.elder_duplicate_suspects(superuser, other_name) == []


def test_same_name_and_phone_is_flagged_and_keys_are_hashes(superuser):
    first = services.elder_register(actor=superuser, data=person(phone="13912345678"))
    second = services.elder_register(actor=superuser, data=person(birth=dt.date(1950, 1, 2), phone="13912345678"))
    (suspect,) = selectors.elder_duplicate_suspects(superuser, second)
    assert suspect.elder == first and suspect.reasons == ["同名且联系电话相同"]
    for key in (first.match_name_birth_bidx, first.match_name_phone_bidx):
        assert re.fullmatch(r"[0-9a-f]{32}", key)
        assert "13912345678" not in key and "周淑芬" not in key


def test_api_flags_at_registration_and_takes_a_verdict_once(superuser, street_admin):
    first = services.elder_register(actor=superuser, data=person())
    c = Client()
    c.force_login(street_admin)
    payload = person(region=factories.COMMUNITY_A2)
    resp = c.post("/api/v1/elders", json.dumps(payload), content_type="application/json")
    assert resp.status_code == 201
    body = resp.json()
    assert [(s["id"], s["reasons"]) for s in body["suspected_duplicates"]] == [(str(first.pk), ["同名且出生日期相同"])]
    assert body["suspected_duplicates"][0]["id_number"] == first.id_number_masked

    url = f"/api/v1/elders/{body['id']}/duplicates/{first.pk}"
    resp = c.post(url, json.dumps({"same": False, "note": ""}), content_type="application/json")
    assert resp.status_code == 400 and "说明" in json.dumps(resp.json(), ensure_ascii=False)
    resp = c.post(url, json.dumps({"same": False, "note": "已核对户口本，是两个人"}), content_type="application/json")
    assert resp.status_code == 200 and resp.json()["suspected_duplicates"] == []
    # Kept: asked once — from either side, and a second verdict finds nothing to judge.
    assert c.get(f"/api/v1/elders/{first.pk}").json()["suspected_duplicates"] == []
    assert c.post(url, json.dumps({"same": True, "note": ""}), content_type="application/json").status_code == 404
    verdict = DuplicateVerdict.objects.get()
    assert verdict.same is False and verdict.note == "已核对户口本，是两个人" and verdict.decided_by == street_admin
    assert Event.objects.filter(type="elder.duplicate_judged", elder_id=body["id"]).exists()


def test_verdict_same_on_the_page_deactivates_the_mistaken_archive(superuser, admin_client):
    first = services.elder_register(actor=superuser, data=person())
    second = services.elder_register(actor=superuser, data=person())
    resp = admin_client.post(reverse("elders:duplicate_verdict", args=[second.pk, first.pk]),
                             {"same": "1", "note": "身份证号录错一位"})
    assert resp.status_code == 302
    second.refresh_from_db()
    assert not second.active and second.deactivation_reason == "duplicate"
    first.refresh_from_db()
    assert first.active
    assert selectors.elder_duplicate_suspects(superuser, first) == []  # a deactivated archive is no suspect


def test_import_flags_suspects_without_blocking_and_the_batch_lists_them(superuser, admin_client):
    registered = services.elder_register(actor=superuser, data=person())
    id_a, id_b = (factories.make_id_number(birth=dt.date(1939, 2, 3)) for _ in range(2))
    data = csv_bytes([
        row(姓名="周淑芬", 身份证号=factories.make_id_number(birth=BIRTH)),  # like the registered one
        row(姓名="钱大海", 身份证号=id_a, 联系电话="13700000001"),
        row(姓名="钱大海", 身份证号=id_b, 联系电话="13700000001"),  # like the row above
        row(姓名="孙小红"),
    ])
    report = elders_import(actor=superuser, data=data, file_name="名单.csv", dry_run=True)
    assert report.ok
    assert [str(w) for w in report.warnings] == [
        f"第2行：疑似重复：与已登记的老人（梅京社区，身份证号 {registered.id_number_masked}）同名且出生日期相同，"
        "请核实身份证号是否填错；导入后可在档案页判定是否同一人",
        "第4行：疑似重复：与第3行的老人同名且出生日期相同，请核实身份证号是否填错",
    ]
    report = elders_import(actor=superuser, data=data, file_name="名单.csv")
    assert report.committed and report.valid == 4
    # Imported rows carry the same keys a registration computes.
    imported = Elder.objects.get(import_batch_id=report.batch_id, name="周淑芬")
    assert [s.elder for s in selectors.elder_duplicate_suspects(superuser, imported)] == [registered]
    page = admin_client.get(reverse("elders:import_batch", args=[report.batch_id])).content.decode()
    assert "3 位疑似重复，待核实" in page  # 周淑芬 and both 钱大海


def test_import_names_no_place_outside_the_jurisdiction(tree):
    admin = factories.make_user("ca_a2", "community_admin", factories.COMMUNITY_A2)
    services.elder_register(actor=admin.__class__.objects.filter(is_superuser=True).first()
                            or factories.make_user("root_x", "city_admin", None, is_superuser=True), data=person())
    report = elders_import(actor=admin, data=csv_bytes([row(姓名="周淑芬", 社区代码=factories.COMMUNITY_A2,
                                                            身份证号=factories.make_id_number(birth=BIRTH))]),
                           file_name="x.csv", dry_run=True)
    (warning,) = [str(w) for w in report.warnings]
    assert "本街道已登记的一位老人同名且出生日期相同" in warning and "梅京" not in warning
