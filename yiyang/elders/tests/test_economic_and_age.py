"""Issue 7 C.2 and C.3: 经济状况 is three-valued (a difficulty category / 非经济困难 / 未知) in
the form, the API and the import, and it decides the benefits that depend on it; a person
under 60 is registered only after a warning is confirmed, and never where the region refuses."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import FieldErrors
from yiyang.elders import services
from yiyang.elders.importing import COLUMNS, elders_import
from yiyang.elders.models import ECONOMIC_NONE, ECONOMIC_UNKNOWN, Elder
from yiyang.entitlements import engine
from yiyang.entitlements.selectors import elder_entitlements
from yiyang.regions.models import Region

SUBSIDY = "elderly_service_subsidy"  # 经济困难老年人养老服务补贴: {"economic": {"in": HARDSHIP}}


def _build():
    """The tree and a worker of 梅京, once for the module (rolled back after it)."""
    factories.load_tree()
    worker = factories.make_user("worker_econ", "commissioner", factories.COMMUNITY_A)
    district = factories.make_user("district_econ", "district_admin", "440304000000")
    return {"worker": worker, "district": district}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


@pytest.fixture
def api(world, db):
    resp = Client().post("/api/v1/auth/token", {"username": "worker_econ", "password": factories.PASSWORD},
                         content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


@pytest.fixture
def page(world, db) -> Client:
    c = Client()
    c.force_login(world["worker"])
    return c


def _born(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=40)


def _status(elder: Elder, benefit: str = SUBSIDY) -> str:
    return next(i["status"] for i in elder_entitlements(Elder.objects.get(pk=elder.pk)) if i["benefit"] == benefit)


# -- C.2 经济状况 ---------------------------------------------------------------------------------

def test_api_sets_each_of_the_three_values_and_the_benefit_follows(world, api):
    c = Client()
    body = factories.elder_data(categories=["disabled"], id_number=factories.make_id_number(_born(75)))
    resp = c.post("/api/v1/elders", body, content_type="application/json", **api)
    assert resp.status_code == 201, resp.json()
    got = resp.json()
    assert (got["economic_status"], got["economic_status_name"]) == (ECONOMIC_UNKNOWN, "未知")
    elder = Elder.objects.get(pk=got["id"])
    assert _status(elder) == engine.MAYBE  # nobody has checked: 可能符合

    resp = c.patch(f"/api/v1/elders/{elder.pk}", {"economic_status": "非经济困难"},
                   content_type="application/json", **api)
    assert resp.status_code == 200 and resp.json()["economic_status"] == ECONOMIC_NONE
    assert resp.json()["categories"] == ["disabled"]  # the other categories stay
    assert _status(elder) == engine.NOT  # checked: a definite no, no longer 可能符合 forever

    resp = c.patch(f"/api/v1/elders/{elder.pk}", {"economic_status": "subsistence"},
                   content_type="application/json", **api)
    assert resp.json()["economic_status"] == "subsistence" and resp.json()["economic_status_name"] == "低保"
    assert sorted(resp.json()["categories"]) == ["disabled", "subsistence"]
    assert Elder.objects.get(pk=elder.pk).not_in_difficulty is False
    assert _status(elder) == engine.ENTITLED

    # Back to 未知: the difficulty category goes, the flag stays off.
    resp = c.patch(f"/api/v1/elders/{elder.pk}", {"economic_status": "unknown"}, content_type="application/json", **api)
    assert resp.json()["economic_status"] == ECONOMIC_UNKNOWN and resp.json()["categories"] == ["disabled"]
    timeline = c.get(f"/api/v1/elders/{elder.pk}/timeline", **api).json()
    changes = [e["payload"]["changes"]["经济状况"] for e in timeline if "经济状况" in e["payload"].get("changes", {})]
    assert {"from": "低保", "to": "未知"} in changes and {"from": "未知", "to": "非经济困难"} in changes


def test_contradictions_and_unknown_words_are_refused_in_chinese(world, api):
    c = Client()
    body = factories.elder_data(categories=["低保"], economic_status="非经济困难")
    resp = c.post("/api/v1/elders", body, content_type="application/json", **api)
    assert resp.status_code == 400
    assert "人员类别中有“低保”，经济状况不能填“非经济困难”" in str(resp.json())
    body = factories.elder_data(categories=["特困供养"], economic_status="低保")
    assert "只能是其中一种" in str(c.post("/api/v1/elders", body, content_type="application/json", **api).json())
    body = factories.elder_data(economic_status="小康")
    msg = str(c.post("/api/v1/elders", body, content_type="application/json", **api).json())
    assert "“小康”不是可选的经济状况" in msg and "非经济困难" in msg
    assert Elder.objects.filter(name="王秀英").count() == 0


def test_a_difficulty_category_clears_an_earlier_not_in_difficulty(world, db):
    elder = factories.make_elder(world["worker"], categories=[], economic_status="not_in_difficulty")
    assert elder.not_in_difficulty
    services.elder_update(actor=world["worker"], elder=elder, data={"categories": ["near_subsistence"]})
    fresh = Elder.objects.get(pk=elder.pk)
    assert fresh.not_in_difficulty is False
    assert list(fresh.categories.values_list("code", flat=True)) == ["near_subsistence"]


def test_the_form_offers_the_three_values_and_saves_them(world, page):
    html = page.get(reverse("elders:create")).content.decode()
    assert 'name="economic_status"' in html and "非经济困难" in html and ">未知<" in html
    # The difficulty statuses are chosen in the select, not ticked among the categories.
    assert 'name="categories" value="subsistence"' not in html
    data = factories.elder_data(categories=["disabled"], economic_status=ECONOMIC_NONE, name="陈玉兰")
    resp = page.post(reverse("elders:create"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    elder = Elder.objects.get(name="陈玉兰")
    assert elder.not_in_difficulty and list(elder.categories.values_list("code", flat=True)) == ["disabled"]
    detail = page.get(resp["Location"]).content.decode()
    assert "经济状况" in detail and "非经济困难" in detail

    edit = page.get(reverse("elders:edit", args=[elder.pk])).content.decode()
    assert f'value="{ECONOMIC_NONE}" selected' in edit
    form = {"name": "陈玉兰", "region_code": elder.region_id, "categories": ["disabled"], "economic_status": "low_income",
            "hukou_local": "on", "version": elder.version, "id_number": "", "phone": "", "address": ""}
    assert page.post(reverse("elders:edit", args=[elder.pk]), form).status_code == 302
    fresh = Elder.objects.get(pk=elder.pk)
    assert not fresh.not_in_difficulty
    assert sorted(fresh.categories.values_list("code", flat=True)) == ["disabled", "low_income"]


def _csv(rows: list[list[str]], header: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def test_the_import_reads_the_column_with_the_clerks_words(world, db):
    header = [*COLUMNS, "经济情况"]  # a header variant of 经济状况

    def row(name: str, categories: str, economic: str) -> list[str]:
        return [name, factories.make_id_number(_born(70)), "", factories.COMMUNITY_A, "", "", categories, "", "",
                economic]

    rows = [row("赵一", "", "非经济困难"), row("赵二", "失能", "低保户"), row("赵三", "", ""), row("赵四", "低保", "")]
    report = elders_import(actor=None, data=_csv(rows, header), file_name="经济.csv")
    assert report.committed, [str(e) for e in report.errors]
    got = {e.name: (e.not_in_difficulty, sorted(e.categories.values_list("code", flat=True)))
           for e in Elder.objects.filter(name__startswith="赵")}
    assert got == {"赵一": (True, []), "赵二": (False, ["disabled", "subsistence"]), "赵三": (False, []),
                   "赵四": (False, ["subsistence"])}

    bad = [row("钱一", "低保", "非经济困难"), row("钱二", "", "还行")]
    report = elders_import(actor=None, data=_csv(bad, header), file_name="矛盾.csv")
    assert not report.committed and not Elder.objects.filter(name__startswith="钱").exists()
    assert [(e.row, e.column) for e in report.errors] == [(2, "经济状况"), (3, "经济状况")]
    assert "“还行”不是可选的经济状况" in report.errors[1].message


# -- C.3 under 60 ---------------------------------------------------------------------------------

def test_under_sixty_is_registered_only_when_confirmed(world, api):
    c = Client()
    body = factories.elder_data(id_number=factories.make_id_number(_born(36)), name="周青")
    resp = c.post("/api/v1/elders", body, content_type="application/json", **api)
    assert resp.status_code == 400
    assert "现年36岁，未满60周岁" in str(resp.json()) and "confirm_under_age" in str(resp.json())
    assert not Elder.objects.filter(name="周青").exists()
    resp = c.post("/api/v1/elders", body | {"confirm_under_age": True}, content_type="application/json", **api)
    assert resp.status_code == 201 and resp.json()["age"] == 36


def test_the_form_warns_then_registers_with_the_tick(world, page):
    data = factories.elder_data(id_number=factories.make_id_number(_born(45)), name="吴青")
    html = page.get(reverse("elders:create")).content.decode()
    assert 'name="confirm_under_age"' not in html  # asked only when it applies
    resp = page.post(reverse("elders:create"), data)
    html = resp.content.decode()
    assert resp.status_code == 400 and "现年45岁，未满60周岁" in html and 'name="confirm_under_age"' in html
    assert not Elder.objects.filter(name="吴青").exists()
    resp = page.post(reverse("elders:create"), data | {"confirm_under_age": "on"})
    assert resp.status_code == 302
    assert "未满60周岁" in page.get(resp["Location"]).content.decode()  # and the page says so


def test_a_region_that_sets_a_minimum_refuses_below_it(world, db):
    street = Region.objects.get(code=factories.COMMUNITY_A[:9] + "000")
    street.registration_min_age = 50
    street.save()
    try:
        with pytest.raises(FieldErrors) as exc:
            services.elder_register(actor=world["worker"], data=factories.elder_data(
                id_number=factories.make_id_number(_born(40)), confirm_under_age=True))
        assert "本地区规定未满50周岁的人员不能登记" in str(exc.value.errors["id_number"])
        # 55 is above the street's minimum: warned, then registered when confirmed.
        data = factories.elder_data(id_number=factories.make_id_number(_born(55)), name="郑青")
        with pytest.raises(FieldErrors) as exc:
            services.elder_register(actor=world["worker"], data=data)
        assert "confirm_under_age" in exc.value.errors
        assert services.elder_register(actor=world["worker"], data=data | {"confirm_under_age": True}).age == 55
        # Another street does not inherit it.
        other = factories.elder_data(region_code=factories.COMMUNITY_B, id_number=factories.make_id_number(_born(40)))
        assert services.elder_register(actor=world["district"], data=other | {"confirm_under_age": True}).age == 40
        # The import: below the minimum an error, above it a warning.
        rows = [["孙一", factories.make_id_number(_born(40)), "", factories.COMMUNITY_A, "", "", "", "", ""],
                ["孙二", factories.make_id_number(_born(58)), "", factories.COMMUNITY_A, "", "", "", "", ""]]
        report = elders_import(actor=None, data=_csv(rows, COLUMNS), file_name="年龄.csv", dry_run=True)
        assert [(e.row, e.column) for e in report.errors] == [(2, "身份证号")]
        assert [w.row for w in report.warnings] == [3] and "现年58岁，未满60周岁" in report.warnings[0].message
    finally:
        street.registration_min_age = None
        street.save()


def test_the_engine_knows_the_same_difficulty_categories():
    from yiyang.elders.models import ECONOMIC_CATEGORY_CODES

    assert engine.ECONOMIC_STATUSES == ECONOMIC_CATEGORY_CODES
