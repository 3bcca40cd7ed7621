"""The resource directory (issue 8, first part): the HSDS 3.1 import/export round trip, all or
nothing with Chinese messages; the public search, nearest first, never showing inactive or
defunct services; the feed by modified_after with a keyset cursor; a provider editing only its
own organisation's data, every change an event, stale data flagged."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core.exceptions import FieldErrors
from yiyang.core.models import Event
from yiyang.directory import events, selectors, services
from yiyang.directory.models import Organization, OrganizationStaff, Service, ServiceCapacity
from yiyang.directory.services import directory_import, parse_hours

HOME = (22.5400, 114.0500)  # a point in 福田区


def hsds(name: str, *, lat: float, lon: float, kind: str = "canteen", needs=("meals",), status: str = "active",
         org: str = "福田区长者饭堂运营中心", community: str = factories.COMMUNITY_A, sid: str | None = None) -> dict:
    return {
        "id": sid or str(uuid.uuid4()), "name": name, "status": status,
        "organization": {"name": org, "attributes": [{"taxonomy_term": {"taxonomy": "yiyang-region", "code": community}}]},
        "service_at_locations": [{"location": {
            "name": name, "latitude": lat, "longitude": lon, "addresses": [{"address_1": f"深圳市福田区{name}路1号"}],
            "attributes": [{"taxonomy_term": {"taxonomy": "yiyang-region", "code": community}}]}}],
        "schedules": [{"byday": "MO,TU,WE,TH,FR", "opens_at": "11:00", "closes_at": "13:00"}],
        "cost_options": [{"option": "午餐（每餐）", "amount": 15, "amount_description": "每餐"}],
        "capacities": [{"unit": "餐位", "available": 12, "maximum": 80}],
        "contacts": [{"name": "王站长", "title": "负责人", "phones": [{"number": "0755-83000000"}]}],
        "phones": [{"number": "0755-83000001"}],
        "attributes": [{"taxonomy_term": {"taxonomy": "yiyang-kind", "code": kind}},
                       *({"taxonomy_term": {"taxonomy": "yiyang-need", "code": n}} for n in needs)],
    }


def _build():
    """The tree, an administrator, two providers and a small directory, once for the module."""
    factories.load_tree()
    objs = [
        hsds("梅林长者饭堂", lat=HOME[0] + 0.002, lon=HOME[1]),           # ≈ 220 m
        hsds("景田长者饭堂", lat=HOME[0] + 0.010, lon=HOME[1]),           # ≈ 1.1 km
        hsds("香蜜湖长者饭堂", lat=HOME[0] + 0.030, lon=HOME[1]),         # ≈ 3.3 km
        hsds("已撤销饭堂", lat=HOME[0] + 0.001, lon=HOME[1], status="defunct"),
        hsds("停办饭堂", lat=HOME[0] + 0.001, lon=HOME[1] + 0.001, status="inactive"),
        hsds("梅林日间照料中心", lat=HOME[0] - 0.003, lon=HOME[1], kind="day_care",
             needs=("daily_care", "companionship"), org="梅林社区养老服务中心"),
    ]
    result = directory_import(objs, source="test")
    assert result.committed, result.errors
    admin = factories.make_user("street_dir", "street_admin", "440304006000")
    provider = factories.make_user("provider_a", "provider_staff", factories.COMMUNITY_A)
    other = factories.make_user("provider_b", "provider_staff", factories.COMMUNITY_A)
    canteens = Organization.objects.get(name="福田区长者饭堂运营中心")
    day_care = Organization.objects.get(name="梅林社区养老服务中心")
    OrganizationStaff.objects.create(organization=canteens, user=provider)
    OrganizationStaff.objects.create(organization=day_care, user=other)
    return {"objs": objs, "admin": admin, "provider": provider, "other": other}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def _service(name: str) -> Service:
    return Service.objects.get(name=name)


def _token(username: str) -> dict:
    resp = Client().post("/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
                         content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}


# -- HSDS in and out ---------------------------------------------------------------------------------

def test_export_then_import_is_a_round_trip(world, db, tmp_path, capsys):
    path = tmp_path / "directory.json"
    call_command("directory", "export", str(path))
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert len(exported) == 6
    meal = next(e for e in exported if e["name"] == "梅林长者饭堂")
    assert meal["status"] == "active" and meal["organization"]["name"] == "福田区长者饭堂运营中心"
    assert meal["service_at_locations"][0]["location"]["latitude"] == pytest.approx(HOME[0] + 0.002)
    assert {"taxonomy": "yiyang-need", "code": "meals", "name": "助餐"} == next(
        a["taxonomy_term"] for a in meal["attributes"] if a["taxonomy_term"]["taxonomy"] == "yiyang-need")
    assert meal["capacities"][0] | {"id": None, "updated": None} == {
        "id": None, "available": 12, "maximum": 80, "description": "", "updated": None, "unit": {"name": "餐位"}}
    assert meal["schedules"][0]["byday"] == "MO,TU,WE,TH,FR" and meal["schedules"][0]["opens_at"] == "11:00"

    # Imported again: the same services are updated, nothing is duplicated, and the export is the same.
    result = directory_import(exported, source="test")
    assert (result.committed, result.created, result.updated) == (True, 0, 6)
    assert Service.objects.count() == 6 and Organization.objects.count() == 2
    call_command("directory", "export", str(path))
    again = json.loads(path.read_text(encoding="utf-8"))

    def stable(items):  # ids of nested rows and times are regenerated by a re-import
        out = []
        for e in items:
            e = copy.deepcopy(e)
            e.pop("last_modified")
            for key in ("schedules", "cost_options", "capacities", "contacts", "service_areas"):
                for x in e[key]:
                    x.pop("id", None)
                    x.pop("updated", None)
            out.append(e)
        return sorted(out, key=lambda e: e["id"])

    for x, y in zip(stable(again), stable(exported), strict=True):
        assert {k: x[k] for k in x if x[k] != y.get(k)} == {}


def test_a_bad_file_imports_nothing_and_says_where_in_chinese(world, db):
    good = hsds("新饭堂", lat=HOME[0], lon=HOME[1])
    bad = hsds("坏饭堂", lat=114.05, lon=22.54)  # swapped
    bad["attributes"].append({"taxonomy_term": {"taxonomy": "yiyang-need", "code": "massage"}})
    bad["capacities"] = [{"unit": "餐位", "available": 90, "maximum": 80}]
    result = directory_import([good, bad, "x"])
    assert not result.committed and not Service.objects.filter(name="新饭堂").exists()
    text = "\n".join(result.errors)
    assert "第2条 service_at_locations[0].location.latitude：纬度和经度似乎填反了" in text
    assert "第2条 attributes[2].taxonomy_term.code：“massage”不是需求标签" in text
    assert "第2条 capacities[0].maximum：应为不小于可用数的整数" in text
    assert "第3条：应为一个 service 对象" in text
    assert directory_import({"name": "x"}).errors == ["文件应为 JSON 数组（[ {service…}, … ]）"]


def test_the_command_checks_and_imports(world, db, tmp_path, capsys):
    path = tmp_path / "in.json"
    path.write_text(json.dumps([hsds("命令行饭堂", lat=HOME[0], lon=HOME[1] + 0.02)], ensure_ascii=False), encoding="utf-8")
    call_command("directory", "import", str(path), "--dry-run")
    assert "检查通过：1 条" in capsys.readouterr().out and not Service.objects.filter(name="命令行饭堂").exists()
    call_command("directory", "import", str(path))
    assert "新增 1 条" in capsys.readouterr().out and Service.objects.filter(name="命令行饭堂").exists()


# -- search ------------------------------------------------------------------------------------------

def test_nearest_first_and_never_inactive_or_defunct(world, db):
    hits = selectors.search(kind="canteen", near=HOME)
    assert [h.service.name for h in hits] == ["梅林长者饭堂", "景田长者饭堂", "香蜜湖长者饭堂"]
    assert [round(h.distance_m, -1) for h in hits] == [220, 1110, 3340]
    assert selectors.search(near=HOME, radius_m=500, kind="canteen")[0].service.name == "梅林长者饭堂"
    assert len(selectors.search(near=HOME, radius_m=500, kind="canteen")) == 1
    assert [h.service.name for h in selectors.search(need="companionship")] == ["梅林日间照料中心"]
    names = {h.service.name for h in selectors.search(limit=200)}
    assert "已撤销饭堂" not in names and "停办饭堂" not in names and len(names) == 4


def test_two_services_identical_but_for_their_place_are_ordered_by_distance(world, db):
    a, b = hsds("甲点", lat=HOME[0] + 0.004, lon=HOME[1]), hsds("乙点", lat=HOME[0] + 0.0041, lon=HOME[1])
    assert directory_import([b, a]).committed
    order = [h.service.name for h in selectors.search(near=HOME, q="点", kind="canteen")]
    assert order.index("甲点") < order.index("乙点")


def test_public_api_and_page_need_no_login(world, db):
    c = Client()
    resp = c.get("/api/v1/directory/services", {"kind": "canteen", "latitude": HOME[0], "longitude": HOME[1]})
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert items[0]["service"]["name"] == "梅林长者饭堂" and items[0]["distance_m"] == 222
    assert items[0]["stale"] is False
    one = c.get(f"/api/v1/directory/services/{items[0]['service']['id']}").json()
    assert one["service"]["capacities"][0]["available"] == 12
    defunct = _service("已撤销饭堂")
    assert c.get(f"/api/v1/directory/services/{defunct.pk}").status_code == 404
    bad = c.get("/api/v1/directory/services", {"latitude": 114.05, "longitude": 22.54})
    assert bad.status_code == 400 and "填反" in bad.json()["message"]

    page = c.get(reverse("directory:search"), {"need": "meals", "lat": HOME[0], "lon": HOME[1]})
    html = page.content.decode()
    assert page.status_code == 200 and "梅林长者饭堂" in html and "220 米" in html and "已撤销饭堂" not in html
    assert html.index("梅林长者饭堂") < html.index("景田长者饭堂")
    detail = c.get(reverse("directory:detail", args=[_service("梅林长者饭堂").pk])).content.decode()
    assert "周一至周五 11:00-13:00" in detail and "空余 12" in detail and "0755-83000001" in detail


def test_the_feed_pages_by_key_and_includes_closures(world, db):
    c = Client()
    first = c.get("/api/v1/directory/feed", {"limit": 4}).json()
    assert len(first["items"]) == 4 and first["next_cursor"]
    rest = c.get("/api/v1/directory/feed", {"limit": 4, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == Service.objects.count() and rest["next_cursor"] is None
    assert {"defunct", "inactive"} <= {i["status"] for i in first["items"] + rest["items"]}
    later = timezone.now() + dt.timedelta(seconds=1)
    assert c.get("/api/v1/directory/feed", {"modified_after": later.isoformat()}).json()["items"] == []
    assert c.get("/api/v1/directory/feed", {"cursor": "junk"}).status_code == 400


# -- a provider keeps its own data ----------------------------------------------------------------------

def test_a_provider_edits_only_its_own_services_and_every_change_is_an_event(world, db):
    meal = _service("梅林长者饭堂")
    c = Client()
    token = _token("provider_a")
    resp = c.patch(f"/api/v1/directory/services/{meal.pk}", {
        "capacities": [{"unit": "餐位", "available": 3, "maximum": 80}], "hours": "每天 11:00-13:30",
        "cost_options": [{"option": "午餐（每餐）", "amount": 16}], "version": meal.version,
    }, content_type="application/json", **token)
    assert resp.status_code == 200, resp.json()
    got = resp.json()["service"]
    assert got["capacities"][0]["available"] == 3 and got["schedules"][0]["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    assert got["cost_options"][0]["amount"] == 16
    event = Event.objects.filter(type=events.SERVICE_UPDATED, subject_id=str(meal.pk)).get()
    assert event.payload["changes"]["可用餐位"] == {"from": 12, "to": 3}
    assert "服务时间" in event.payload["changes"] and "收费标准" in event.payload["changes"]
    # A stale version is a 409, not an overwrite.
    stale = c.patch(f"/api/v1/directory/services/{meal.pk}", {"phone": "0755-1", "version": meal.version},
                    content_type="application/json", **token)
    assert stale.status_code == 409
    # Another organisation's service: as if it did not exist; no token: 401.
    day_care = _service("梅林日间照料中心")
    assert c.patch(f"/api/v1/directory/services/{day_care.pk}", {"phone": "1"}, content_type="application/json",
                   **token).status_code == 404
    assert c.patch(f"/api/v1/directory/services/{meal.pk}", {"phone": "1"},
                   content_type="application/json").status_code == 401
    # A commissioner has no say in the directory.
    factories.make_user("worker_dir", "commissioner", factories.COMMUNITY_A)
    assert c.post(f"/api/v1/directory/services/{meal.pk}/confirm", **_token("worker_dir")).status_code == 403
    # The street's administrator may edit any service of the street.
    assert c.post(f"/api/v1/directory/services/{day_care.pk}/confirm", **_token("street_dir")).status_code == 200


def test_unconfirmed_data_turn_stale_and_a_confirmation_clears_it(world, db):
    meal = _service("景田长者饭堂")
    Service.objects.filter(pk=meal.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=120))
    assert selectors.is_stale(_service("景田长者饭堂"))
    c = Client()
    c.force_login(world["provider"])
    mine = c.get(reverse("directory:mine")).content.decode()
    assert "1 项服务超过90天未确认信息" in mine and "信息可能过时" in mine
    home = c.get("/").content.decode()
    assert "待确认的服务信息" in home and "景田长者饭堂" in home
    public = Client().get(reverse("directory:search"), {"q": "景田"}).content.decode()
    assert "信息可能过时" in public
    assert c.post(reverse("directory:confirm", args=[meal.pk])).status_code == 302
    assert not selectors.is_stale(_service("景田长者饭堂"))
    assert Event.objects.filter(type=events.SERVICE_CONFIRMED, subject_id=str(meal.pk)).exists()


def test_the_edit_page_saves_free_places_and_refuses_bad_hours(world, db):
    meal = _service("香蜜湖长者饭堂")
    cap = ServiceCapacity.objects.get(service=meal)
    c = Client()
    c.force_login(world["provider"])
    url = reverse("directory:edit", args=[meal.pk])
    assert c.get(url).status_code == 200
    form = {"status": "active", "phone": "0755-83000009", "hours": "周一至周五 11:00-13:00\n周六 8点", "version": meal.version,
            f"cap_{cap.pk}_available": "5", f"cap_{cap.pk}_maximum": "80"}
    resp = c.post(url, form)
    assert resp.status_code == 400 and "第2行“周六 8点”看不懂" in resp.content.decode()
    assert ServiceCapacity.objects.get(pk=cap.pk).available == 12  # nothing saved
    resp = c.post(url, form | {"hours": "周一至周五 11:00-13:00\n周六 11:00-12:30"})
    assert resp.status_code == 302
    assert ServiceCapacity.objects.get(pk=cap.pk).available == 5
    assert services.hours_text(_service("香蜜湖长者饭堂")) == "周一至周五 11:00-13:00\n周六 11:00-12:30"
    other = Client()
    other.force_login(world["other"])
    assert other.get(url).status_code == 404


@pytest.mark.parametrize(("text", "expected"), [
    ("周一至周五 8:00-17:30", [("MO,TU,WE,TH,FR", "08:00", "17:30")]),
    ("每天 11:00～13:00", [("MO,TU,WE,TH,FR,SA,SU", "11:00", "13:00")]),
    ("周一、三、五 9:00-12:00\n周末 9：00-11:00", [("MO,WE,FR", "09:00", "12:00"), ("SA,SU", "09:00", "11:00")]),
    ("星期二到星期四 14:00-16:00", [("TU,WE,TH", "14:00", "16:00")]),
])
def test_hours_as_workers_write_them(text, expected):
    schedules, errors = parse_hours(text)
    assert errors == []
    assert [(s["byday"], s["opens_at"].strftime("%H:%M"), s["closes_at"].strftime("%H:%M")) for s in schedules] == expected


def test_bad_hours_are_named():
    assert parse_hours("周一至周五 17:00-8:00")[1] == ["第1行：结束时间应晚于开始时间"]
    assert "看不懂" in parse_hours("上午")[1][0]


def test_service_update_refuses_unknown_needs(world, db):
    with pytest.raises(FieldErrors) as exc:
        services.service_update(actor=world["admin"], service=_service("梅林长者饭堂"), data={"needs": ["massage"]})
    assert "不认识的需求标签" in str(exc.value.errors["needs"])


def test_a_bureaus_spreadsheet_of_institutions_imports_all_or_nothing(world, db):
    import io

    from openpyxl import Workbook, load_workbook

    from yiyang.directory.spreadsheet import COLUMNS

    admin = Client()
    admin.force_login(world["admin"])
    template = admin.get(reverse("directory:import_template"))
    ws = load_workbook(io.BytesIO(template.content)).active
    assert [c.value for c in ws[1]] == COLUMNS

    def book(rows):
        wb = Workbook()
        sheet = wb.active
        sheet.append(COLUMNS)
        for r in rows:
            sheet.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        buf.name = "名单.xlsx"
        buf.seek(0)
        return buf

    good = ["福田区松鹤养老服务中心", "松鹤养老院", "养老院", "梅京社区", "深圳市福田区梅林路9号", 22.545, 114.052,
            "0755-83001111", "生活照料、康复护理", "普惠", 120, 80, 6, "是", 4, "每月4200元起"]
    bad = ["某机构", "", "洗浴中心", "不存在社区", "某路1号", "北纬", 114.05, "", "按摩", "", "", "", "", "", "", ""]
    resp = admin.post(reverse("directory:import"), {"file": book([good, bad]), "commit": "1"})
    html = resp.content.decode()
    assert resp.status_code == 400 and "没有导入任何一行" in html
    assert "第3行 类型：“洗浴中心”不是可选的类型" in html and "第3行 所属社区：“不存在社区”不是本系统的社区名称或代码" in html
    assert "第3行 服务需求：“按摩”不是需求标签" in html and "第3行 纬度、经度：应为数字" in html
    assert not Service.objects.filter(name="松鹤养老院").exists()

    assert admin.post(reverse("directory:import"), {"file": book([good])}).status_code == 200  # check only
    assert not Service.objects.filter(name="松鹤养老院").exists()
    resp = admin.post(reverse("directory:import"), {"file": book([good]), "commit": "1"})
    assert "新增 1 项" in resp.content.decode()
    s = Service.objects.get(name="松鹤养老院")
    assert (s.kind, s.ownership, s.medical_integration, s.star_rating, s.beds, s.nursing_beds) == (
        "institution", "inclusive", True, 4, 120, 80)
    assert s.capacities.get().available == 6 and sorted(s.needs.values_list("need", flat=True)) == [
        "daily_care", "rehab_nursing"]
    worker = Client()
    worker.force_login(world["provider"])
    assert worker.get(reverse("directory:import")).status_code == 403
