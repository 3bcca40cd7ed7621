"""The public contract of /api/v1/ for the elder registry: authentication, the error
format, the list and its filters, create / update / deactivate, the timeline, and the
OpenAPI schema and docs page (served from the app itself, no CDN)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from yiyang.accounts.models import ApiToken
from yiyang.core.identifiers import id_check_char
from yiyang.core.models import AccessLog, Event
from yiyang.elders.models import Elder

LIST_ITEM_KEYS = {"id", "name", "id_number", "phone", "birth_date", "sex", "age", "region_code", "address",
                  "living_situation", "categories", "active"}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert has_chinese(body["message"]), body["message"]
    return body


def id_ending(tail: str = "123", check: str = "X", birth: dt.date = dt.date(1950, 1, 1)) -> str:
    """A valid ID number whose last four characters are ``tail + check``."""
    day = birth
    while True:
        first17 = f"440304{day:%Y%m%d}{tail}"
        if id_check_char(first17) == check:
            return first17 + check
        day += dt.timedelta(days=1)


def age_id(years: int) -> str:
    """A valid ID number of someone who is ``years`` old today (birthday a month ago)."""
    today = timezone.localdate()
    birth = (today - dt.timedelta(days=31)).replace(year=today.year - years)
    return factories.make_id_number(birth=birth)


class Api:
    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, params=None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(path, json.dumps(body if body is not None else {}),
                                content_type="application/json", headers=self.headers)

    def patch(self, path, body):
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self.headers)


def token_for(username: str, password: str = factories.PASSWORD):
    return Client().post("/api/v1/auth/token", {"username": username, "password": password},
                         content_type="application/json")


@pytest.fixture
def api(worker) -> Api:
    return Api(token_for(worker.username).json()["token"])


@pytest.fixture
def admin_api(district_admin) -> Api:
    return Api(token_for(district_admin.username).json()["token"])


# -- authentication ------------------------------------------------------------------------------


def test_token_for_a_good_password_works_as_a_bearer(worker):
    resp = token_for(worker.username)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["username"] == "worker_a"
    assert body["role"] == "commissioner" and body["region_code"] == factories.COMMUNITY_A
    # Only a digest of the token is stored.
    stored = ApiToken.objects.get(user=worker)
    assert stored.key_hash != body["token"] and body["token"] not in stored.key_hash
    assert Api(body["token"]).get("/api/v1/elders").status_code == 200


@pytest.mark.parametrize("username,password", [("worker_a", "wrong-password"), ("nobody", factories.PASSWORD)])
def test_token_for_bad_credentials_is_401_in_the_error_format(worker, username, password):
    body = assert_error(token_for(username, password), 401, "bad_credentials")
    assert body["message"] == "用户名或密码错误"


def test_token_endpoint_is_throttled_after_five_failures(worker):
    for _ in range(4):
        assert token_for(worker.username, "wrong-password").status_code == 401
    assert token_for(worker.username, "wrong-password").status_code == 429  # the fifth locks
    # Even the right password is refused while the account is locked.
    body = assert_error(token_for(worker.username), 429, "login_locked")
    assert "15分钟" in body["message"]
    # The lock is per user name and address: another account still logs in.
    factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A2)
    assert token_for("worker_b").status_code == 200


def test_a_success_before_the_limit_resets_the_failure_count(worker):
    for _ in range(4):
        token_for(worker.username, "wrong-password")
    assert token_for(worker.username).status_code == 200
    for _ in range(4):
        assert token_for(worker.username, "wrong-password").status_code == 401
    assert token_for(worker.username).status_code == 200


def test_missing_token_fields_are_a_422_with_chinese_field_messages(db):
    resp = Client().post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    body = assert_error(resp, 422, "validation_error")
    assert body["detail"]["fields"]["password"] == ["必填"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}])
def test_unauthenticated_is_401_in_the_error_format(worker, headers):
    factories.make_elder(worker)
    for path in ("/api/v1/elders", "/api/v1/regions"):
        resp = Client().get(path, headers=headers)
        body = assert_error(resp, 401, "unauthorized")
        assert body["detail"] == {}


def test_expired_or_revoked_tokens_are_refused(worker):
    token = token_for(worker.username).json()["token"]
    ApiToken.objects.update(revoked=True)
    assert_error(Api(token).get("/api/v1/elders"), 401, "unauthorized")
    token = token_for(worker.username).json()["token"]
    ApiToken.objects.filter(revoked=False).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(Api(token).get("/api/v1/elders"), 401, "unauthorized")


def test_a_deactivated_account_loses_its_token(worker, api):
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert_error(api.get("/api/v1/elders"), 401, "unauthorized")


# -- the list --------------------------------------------------------------------------------------


def test_list_answer_shape_and_masks(worker, api):
    id_number = id_ending("123", "X")
    elder = factories.make_elder(worker, id_number=id_number, phone="13812345678",
                                 address="深圳市福田区梅林一村12栋0304房", categories=["subsistence", "disabled"])
    resp = api.get("/api/v1/elders")
    assert resp.status_code == 200
    body = resp.json()
    assert {"items", "count", "page", "page_size"} <= set(body)
    assert body["count"] == 1 and body["page"] == 1 and body["page_size"] == 20
    item = body["items"][0]
    assert LIST_ITEM_KEYS <= set(item)
    assert item["id"] == str(elder.pk)
    assert item["id_number"] == "4403**********123X"
    assert item["phone"] == "138****5678"
    assert item["address"].endswith("****") and "0304房" not in item["address"]
    assert item["birth_date"] == elder.birth_date.isoformat()
    assert item["sex"] == "M"  # the 17th digit (3) is odd
    assert item["age"] == elder.age
    assert item["region_code"] == factories.COMMUNITY_A
    assert item["living_situation"] == "alone"
    assert set(item["categories"]) == {"subsistence", "disabled"}
    assert item["active"] is True
    # No plain value anywhere in the answer.
    raw = resp.content.decode()
    assert id_number not in raw and "13812345678" not in raw and "12栋0304房" not in raw


@pytest.fixture
def spread(superuser, district_admin):
    """Elders across the district: two in 梅林 (two communities), one in 莲花."""
    return {
        "a": factories.make_elder(superuser, factories.COMMUNITY_A, name="梅京一"),
        "a2": factories.make_elder(superuser, factories.COMMUNITY_A2, name="上梅林二"),
        "b": factories.make_elder(superuser, factories.COMMUNITY_B, name="景田三"),
    }


@pytest.mark.parametrize("region,expected", [
    ("440304006000", {"a", "a2"}),  # a street: its communities
    ("440304006", {"a", "a2"}),  # the 9-digit short code of that street
    (factories.COMMUNITY_A2, {"a2"}),
    ("440304", {"a", "a2", "b"}),  # the district by its 6-digit code
    ("440304007000", {"b"}),
    ("440303000000", set()),  # beside the caller's node: nothing, not an error
    ("abc", set()),  # not a code at all
    ("4403040", set()),  # a length no code has
])
def test_filter_by_region(spread, admin_api, region, expected):
    resp = admin_api.get("/api/v1/elders", {"region": region})
    assert resp.status_code == 200, resp.content
    assert {i["id"] for i in resp.json()["items"]} == {str(spread[k].pk) for k in expected}


def test_filter_by_category_including_derived_advanced_age(superuser, admin_api):
    old = factories.make_elder(superuser, name="高龄老人", id_number=age_id(85), categories=[])
    exactly_80 = factories.make_elder(superuser, name="刚满八十", id_number=age_id(80), categories=[])
    young = factories.make_elder(superuser, name="年轻老人", id_number=age_id(79), categories=["disabled"])

    def ids(**params):
        resp = admin_api.get("/api/v1/elders", params)
        assert resp.status_code == 200
        return {i["id"] for i in resp.json()["items"]}

    assert ids(category="advanced_age") == {str(old.pk), str(exactly_80.pk)}
    assert ids(category="高龄") == {str(old.pk), str(exactly_80.pk)}  # by its Chinese name too
    assert ids(category="disabled") == {str(young.pk)}
    assert ids(category="no_such_category") == set()
    item = next(i for i in admin_api.post("/api/v1/elders/search", {"name": "高龄老人"}).json()["items"])
    assert item["categories"] == ["advanced_age"] and item["age"] == 85


def test_filter_by_name_contains(spread, admin_api):
    items = admin_api.post("/api/v1/elders/search", {"name": "梅"}).json()["items"]
    assert {i["name"] for i in items} == {"梅京一", "上梅林二"}


def test_filter_by_id_number_is_exact_through_the_blind_index(superuser, admin_api):
    id_number = id_ending("456", "X")
    elder = factories.make_elder(superuser, id_number=id_number)
    factories.make_elder(superuser)
    for value in (id_number, id_number.lower(), f" {id_number} "):
        items = admin_api.post("/api/v1/elders/search", {"id_number": value}).json()["items"]
        assert [i["id"] for i in items] == [str(elder.pk)], value
    # Exact, not a prefix or contains search.
    assert admin_api.post("/api/v1/elders/search", {"id_number": id_number[:17]}).json()["count"] == 0
    assert admin_api.post("/api/v1/elders/search", {"id_number": id_number[:6]}).json()["count"] == 0


def test_filter_by_phone_is_exact(superuser, admin_api):
    elder = factories.make_elder(superuser, phone="13912345678")
    factories.make_elder(superuser, phone="13912345679")
    assert [i["id"] for i in admin_api.post("/api/v1/elders/search", {"phone": "13912345678"}).json()["items"]] == [
        str(elder.pk)]


def test_pagination(superuser, admin_api):
    for n in range(25):
        factories.make_elder(superuser, name=f"老人{chr(0x4e00 + n)}")
    first = admin_api.get("/api/v1/elders", {"page_size": 10}).json()
    third = admin_api.get("/api/v1/elders", {"page_size": 10, "page": 3}).json()
    assert first["count"] == third["count"] == 25
    assert len(first["items"]) == 10 and len(third["items"]) == 5
    assert (third["page"], third["page_size"]) == (3, 10)
    every = []
    for page in (1, 2, 3):
        every += [i["id"] for i in admin_api.get("/api/v1/elders", {"page_size": 10, "page": page}).json()["items"]]
    assert len(set(every)) == 25  # stable order: no elder on two pages, none missing
    assert admin_api.get("/api/v1/elders", {"page_size": 10, "page": 4}).json()["items"] == []
    assert admin_api.get("/api/v1/elders", {"page_size": 100000}).json()["page_size"] == 200
    assert_error(admin_api.get("/api/v1/elders", {"page": "x"}), 422, "validation_error")


# -- create ----------------------------------------------------------------------------------------


def test_create_returns_201_and_the_masked_record(worker, api):
    data = factories.elder_data(phone="13812345678", categories=["低保"], living_situation="空巢",
                                contacts=[{"name": "王小明", "phone": "13700001111", "relation": "儿子"}])
    resp = api.post("/api/v1/elders", data)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["name"] == "王秀英" and body["region_code"] == factories.COMMUNITY_A
    assert body["phone"] == "138****5678" and data["id_number"] not in resp.content.decode()
    # 低保 by its Chinese name; 高龄 derived from the birth date (1945: over 80).
    assert body["categories"] == ["advanced_age", "subsistence"] and body["living_situation"] == "empty_nest"
    assert body["version"] == 1 and body["active"] is True
    elder = Elder.objects.get(pk=body["id"])
    assert elder.id_number == data["id_number"] and elder.registered_by == worker
    assert [c.name for c in elder.contacts.all()] == ["王小明"]
    event = Event.objects.get(elder_id=elder.pk)
    assert event.type == "elder.registered" and event.payload["source"] == "api"


def test_create_validation_errors_are_400_keyed_by_field_in_chinese(worker, api):
    data = factories.elder_data(id_number="440304194503080021", phone="12345", living_situation="住在月球",
                                region_code="440304999999", categories=["不存在的类别"])
    body = assert_error(api.post("/api/v1/elders", data), 400, "validation_error")
    fields = body["detail"]["fields"]
    assert set(fields) == {"id_number", "phone", "living_situation", "region_code", "categories"}
    assert any("最后一位（校验位）与前17位对不上，请核对身份证号是否抄错" in m for m in fields["id_number"])
    for messages in fields.values():
        assert messages and all(has_chinese(m) for m in messages)
    assert Elder.objects.count() == 0 and Event.objects.count() == 0


def test_create_with_an_empty_name_names_the_field(worker, api):
    body = assert_error(api.post("/api/v1/elders", factories.elder_data(name="")), 400, "validation_error")
    assert body["detail"]["fields"]["name"] == ["不能为空"]


def test_create_with_a_missing_field_is_422(worker, api):
    data = factories.elder_data()
    del data["id_number"]
    body = assert_error(api.post("/api/v1/elders", data), 422, "validation_error")
    assert body["detail"]["fields"] == {"id_number": ["必填"]}


def test_create_duplicate_id_number_is_400(worker, api):
    data = factories.elder_data(id_number=id_ending("789", "X"))
    assert api.post("/api/v1/elders", data).status_code == 201
    again = factories.elder_data(id_number=data["id_number"].lower(), name="另一个人")
    body = assert_error(api.post("/api/v1/elders", again), 400, "validation_error")
    assert "已登记" in body["detail"]["fields"]["id_number"][0]
    assert Elder.objects.count() == 1


def test_create_accepts_a_15_digit_id_number(worker, api):
    resp = api.post("/api/v1/elders", factories.elder_data(id_number="440304450308002"))
    assert resp.status_code == 201, resp.content
    elder = Elder.objects.get(pk=resp.json()["id"])
    assert elder.id_number == "440304194503080021"[:17] + id_check_char("44030419450308002")
    assert resp.json()["birth_date"] == "1945-03-08"


# -- read, update, deactivate ---------------------------------------------------------------------


def test_detail_is_masked(worker, api):
    elder = factories.make_elder(worker, phone="13812345678")
    resp = api.get(f"/api/v1/elders/{elder.pk}")
    assert resp.status_code == 200
    assert resp.json()["phone"] == "138****5678" and elder.id_number not in resp.content.decode()


def test_detail_with_a_malformed_id_is_422(worker, api):
    assert_error(api.get("/api/v1/elders/not-a-uuid"), 422, "validation_error")


def test_patch_updates_and_bumps_the_version(worker, api):
    elder = factories.make_elder(worker)
    resp = api.patch(f"/api/v1/elders/{elder.pk}", {"name": "王秀兰", "phone": "13900001111", "version": 1})
    assert resp.status_code == 200, resp.content
    assert resp.json()["name"] == "王秀兰" and resp.json()["version"] == 2
    assert resp.json()["phone"] == "139****1111"
    elder.refresh_from_db()
    assert elder.phone == "13900001111"


def test_patch_with_a_stale_version_is_409(worker, api):
    elder = factories.make_elder(worker)
    assert api.patch(f"/api/v1/elders/{elder.pk}", {"name": "王秀兰", "version": 1}).status_code == 200
    body = assert_error(api.patch(f"/api/v1/elders/{elder.pk}", {"name": "王秀珍", "version": 1}),
                        409, "version_conflict")
    assert body["detail"] == {"current_version": 2}
    elder.refresh_from_db()
    assert elder.name == "王秀兰"


def test_patch_errors(worker, api):
    elder = factories.make_elder(worker)
    assert_error(api.patch(f"/api/v1/elders/{elder.pk}", {"version": 1}), 400, "empty_update")
    body = assert_error(api.patch(f"/api/v1/elders/{elder.pk}", {"phone": "12"}), 400, "validation_error")
    assert list(body["detail"]["fields"]) == ["phone"]
    body = assert_error(api.patch(f"/api/v1/elders/{elder.pk}", {"region_code": factories.COMMUNITY_B}),
                        400, "validation_error")
    assert body["detail"]["fields"]["region_code"] == ["该社区不在您的管辖范围内"]
    elder.refresh_from_db()
    assert elder.version == 1 and elder.region_id == factories.COMMUNITY_A


def test_deactivate_then_the_list_excludes_the_elder_by_default(worker, api):
    gone = factories.make_elder(worker, name="已迁出")
    stays = factories.make_elder(worker, name="仍在册")
    resp = api.post(f"/api/v1/elders/{gone.pk}/deactivate", {"reason": "moved_away", "note": "随子女迁往广州"})
    assert resp.status_code == 200
    assert resp.json()["active"] is False and resp.json()["deactivation_reason"] == "moved_away"
    assert [i["id"] for i in api.get("/api/v1/elders").json()["items"]] == [str(stays.pk)]
    assert [i["id"] for i in api.get("/api/v1/elders", {"active": "false"}).json()["items"]] == [str(gone.pk)]
    # Never deleted: still readable, and a second deactivation is refused.
    assert api.get(f"/api/v1/elders/{gone.pk}").json()["active"] is False
    assert_error(api.post(f"/api/v1/elders/{gone.pk}/deactivate", {"reason": "deceased"}), 400, "already_inactive")
    # An inactive archive cannot be edited.
    assert_error(api.patch(f"/api/v1/elders/{gone.pk}", {"name": "改名"}), 400, "inactive")


def test_deactivate_needs_a_known_reason(worker, api):
    elder = factories.make_elder(worker)
    body = assert_error(api.post(f"/api/v1/elders/{elder.pk}/deactivate", {"reason": "bored"}), 400,
                        "validation_error")
    assert body["detail"]["fields"]["reason"] == ["请选择注销原因"]
    elder.refresh_from_db()
    assert elder.active


def test_timeline_lists_events_newest_first_with_chinese_labels(worker, api):
    elder = factories.make_elder(worker)
    api.patch(f"/api/v1/elders/{elder.pk}", {"name": "王秀兰"})
    api.post(f"/api/v1/elders/{elder.pk}/deactivate", {"reason": "deceased"})
    resp = api.get(f"/api/v1/elders/{elder.pk}/timeline")
    assert resp.status_code == 200
    events = resp.json()
    assert [(e["type"], e["label"]) for e in events] == [
        ("elder.deactivated", "注销"), ("elder.updated", "修改档案"), ("elder.registered", "登记建档")]
    assert all(e["actor"] == "worker_a" for e in events)
    assert events[1]["payload"]["changes"]["姓名"] == {"from": "王秀英", "to": "王秀兰"}
    assert events[0]["payload"]["reason_label"] == "已故"


def test_reveal_returns_plain_values_and_is_logged(superuser, district_admin, admin_api):
    elder = factories.make_elder(superuser, phone="13812345678")
    body = assert_error(admin_api.post(f"/api/v1/elders/{elder.pk}/reveal", {"fields": ["phone"], "purpose": ""}),
                        400, "validation_error")
    assert "purpose" in body["detail"]["fields"]
    assert AccessLog.objects.count() == 0
    resp = admin_api.post(f"/api/v1/elders/{elder.pk}/reveal",
                          {"fields": ["id_number", "phone"], "purpose": "电话回访"})
    assert resp.status_code == 200
    assert resp.json() == {"id_number": elder.id_number, "phone": "13812345678"}
    log = admin_api.get(f"/api/v1/elders/{elder.pk}/access-log").json()
    assert len(log) == 1
    assert log[0]["actor"] == "district" and log[0]["fields"] == ["身份证号", "联系电话"]
    assert log[0]["purpose"] == "电话回访" and log[0]["action"] == "reveal"


# -- regions -----------------------------------------------------------------------------------------


def test_regions_of_a_street_admin(street_admin):
    api = Api(token_for(street_admin.username).json()["token"])
    rows = api.get("/api/v1/regions").json()
    assert [r["code"] for r in rows] == ["440304006000", "440304006001", "440304006002"]
    assert rows[1] == {"code": "440304006001", "name": "梅京社区", "level": "community",
                       "parent_code": "440304006000"}
    assert [r["code"] for r in api.get("/api/v1/regions", {"level": "community"}).json()] == [
        "440304006001", "440304006002"]


# -- schema and docs ---------------------------------------------------------------------------------


def test_openapi_schema_is_valid_json_with_the_paths(db):
    resp = Client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    schema = json.loads(resp.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "颐养 Yiyang API"
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/auth/token": {"post"},
        "/api/v1/regions": {"get"},
        "/api/v1/elders": {"get", "post"},
        "/api/v1/elders/{elder_id}": {"get", "patch"},
        "/api/v1/elders/{elder_id}/deactivate": {"post"},
        "/api/v1/elders/{elder_id}/reveal": {"post"},
        "/api/v1/elders/{elder_id}/timeline": {"get"},
        "/api/v1/elders/{elder_id}/access-log": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    for name in ("ElderCreate", "ElderUpdate", "ElderRead", "ElderPage"):
        assert name in schema["components"]["schemas"]


def test_docs_page_is_served_locally_with_no_external_host(db):
    client = Client()
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert re.findall(r"(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        got = client.get(asset)
        assert got.status_code == 200, asset
        if asset.endswith("swagger-ui-init.js"):
            body = b"".join(got.streaming_content) if got.streaming else got.content
            assert b"http" not in body
    # The schema URL in the page's settings is our own.
    assert json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))["url"] == (
        "/api/v1/openapi.json")
    # And the browser is told to fetch nothing from elsewhere.
    csp = resp["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "http" not in csp
