"""The access matrix (DESIGN §5): every role × an elder inside / outside its node × every
elder endpoint and page.

The rule, checked cell by cell:

* outside the caller's jurisdiction → 404, everywhere, never 403 and never any of the
  elder's data (and nothing is written);
* inside, but the role lacks the capability (``ROLE_CAPABILITIES``) → 403, nothing written;
* inside and capable → success (2xx; 302 for a page form that redirects), with its effect.

The world: the small tree of ``tests/factories.py`` plus a community of 广州市, so a city
administrator of 深圳市 has something outside too; one elder in each community, each with
a distinctive name, an emergency contact and a consent. For a role, "inside" means every
elder whose community lies under its node (``ROLE_NODES``), "outside" every other one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from tests import factories
from yiyang.accounts.models import Role, User
from yiyang.core.access import role_capabilities
from yiyang.core.models import AccessLog, Event
from yiyang.elders import access as elder_access
from yiyang.elders import services
from yiyang.elders.models import Elder
from yiyang.regions.models import Region
from yiyang.regions.services import region_tree_load

GZ_COMMUNITY = "440106001001"
GZ_TREE = [
    ("440100000000", "广州市"),
    ("440106000000", "天河区"),
    ("440106001000", "测试街道"),
    (GZ_COMMUNITY, "测试社区"),
]
LIANHUA_EAST = "440304007002"
# One elder per community, with a name that appears nowhere else in any page.
ELDER_NAMES = {
    factories.COMMUNITY_A: "梅京甲老",
    factories.COMMUNITY_A2: "上梅乙老",
    factories.COMMUNITY_B: "景田丙老",
    LIANHUA_EAST: "莲东丁老",
    factories.COMMUNITY_OTHER_DISTRICT: "松园戊老",
    GZ_COMMUNITY: "羊城己老",
}
ROLES = list(Role)
WHERE = ["inside", "outside"]


# -- the world ------------------------------------------------------------------------------


@pytest.fixture
def world(tree) -> dict[str, Elder]:
    region_tree_load(rows=[{"code": c, "name": n} for c, n in GZ_TREE], version="test")
    root = make_cheap_user("root", Role.CITY_ADMIN, None, is_superuser=True, is_staff=True)
    elders = {}
    for code, name in ELDER_NAMES.items():
        elder = factories.make_elder(root, code, name=name)
        services.contact_add(actor=root, elder=elder, name="联系人", phone="13800000000", relation="子女")
        services.consent_grant(actor=root, elder=elder, purpose="photos", granted_by="本人")
        elders[code] = elder
    return elders


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs a noticeable fraction of a second per log-in, on purpose; the matrix
    logs in a few hundred times. Its users get a cheap hash (the token endpoint is the
    same code either way; Argon2 log-ins are tested in yiyang/elders/tests/test_api.py)."""
    if not factories._PASSWORD_HASH:
        # factories caches one hash for the whole run: make it with the real hasher, not ours.
        factories._PASSWORD_HASH.append(make_password(factories.PASSWORD))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


def make_cheap_user(username: str, role: str, node: str | None, **extra) -> User:
    user = factories.make_user(username, role, node, **extra)
    user.set_password(factories.PASSWORD)  # with the cheap hasher above
    user.save(update_fields=["password"])
    return user


def make_role_user(role: str) -> User:
    return make_cheap_user(f"u_{role}", role, factories.ROLE_NODES[role])


def split(world: dict[str, Elder], user: User) -> tuple[list[Elder], list[Elder]]:
    prefix = user.region.prefix
    inside = [e for code, e in world.items() if code.startswith(prefix)]
    outside = [e for code, e in world.items() if not code.startswith(prefix)]
    assert inside and outside, "every role must have an elder on each side"
    return inside, outside


def can(role: str, capability: str) -> bool:
    return capability in role_capabilities(role)


def snapshot(elder: Elder) -> tuple:
    """Everything an endpoint could change about an elder, to prove a refusal wrote nothing."""
    fresh = Elder.objects.get(pk=elder.pk)
    return (
        fresh.version, fresh.active, fresh.name,
        Event.objects.filter(elder_id=elder.pk).count(),
        AccessLog.objects.filter(elder_id=elder.pk).count(),
        fresh.contacts.count(),
        fresh.consents.filter(withdrawn_at__isnull=True).count(),
    )


# -- the two ways to call the API --------------------------------------------------------------


class ApiCaller:
    """The API with a bearer token (``POST /api/v1/auth/token``) or with the browser's session."""

    def __init__(self, user: User, auth: str):
        self.client = Client()
        self.headers: dict[str, str] = {}
        if auth == "bearer":
            resp = self.client.post(
                "/api/v1/auth/token", {"username": user.username, "password": factories.PASSWORD},
                content_type="application/json",
            )
            assert resp.status_code == 200, resp.content
            self.headers = {"Authorization": f"Bearer {resp.json()['token']}"}
        else:
            self.client.force_login(user)

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any = None):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any):
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self.headers)


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- the endpoints that act on one elder ------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    capability: str
    call: Callable[[Any, Elder], Any]
    ok: int
    check: Callable[[Any, Elder], None]
    prepare: Callable[[Elder], None] | None = field(default=None)


def _api(elder: Elder, suffix: str = "") -> str:
    return f"/api/v1/elders/{elder.pk}{suffix}"


def _check_api_detail(resp, elder):
    body = resp.json()
    assert body["id"] == str(elder.pk) and body["name"] == elder.name
    assert body["id_number"] == elder.id_number_masked
    assert elder.id_number not in resp.content.decode()


def _check_api_patch(resp, elder):
    body = resp.json()
    fresh = Elder.objects.get(pk=elder.pk)
    assert body["name"] == fresh.name == "改名老人"
    assert fresh.version == elder.version + 1
    assert Event.objects.filter(elder_id=elder.pk, type="elder.updated").exists()


def _check_deactivated(resp, elder):
    fresh = Elder.objects.get(pk=elder.pk)
    assert not fresh.active and fresh.deactivation_reason == "moved_away"
    assert Event.objects.filter(elder_id=elder.pk, type="elder.deactivated").exists()


def _check_api_timeline(resp, elder):
    assert "elder.registered" in [e["type"] for e in resp.json()]


def _check_api_reveal(resp, elder):
    assert resp.json()["id_number"] == elder.id_number
    log = AccessLog.objects.get(elder_id=elder.pk)
    assert log.purpose == "电话回访" and log.fields == ["身份证号"]


def _check_api_access_log(resp, elder):
    assert resp.json() == []  # nobody has revealed anything yet


API_ENDPOINTS = [
    Endpoint("GET detail", elder_access.ELDER_VIEW, lambda c, e: c.get(_api(e)), 200, _check_api_detail),
    Endpoint("PATCH", elder_access.ELDER_UPDATE,
             lambda c, e: c.patch(_api(e), {"name": "改名老人", "version": e.version}), 200, _check_api_patch),
    Endpoint("POST deactivate", elder_access.ELDER_DEACTIVATE,
             lambda c, e: c.post(_api(e, "/deactivate"), {"reason": "moved_away"}), 200, _check_deactivated),
    Endpoint("GET timeline", elder_access.ELDER_VIEW, lambda c, e: c.get(_api(e, "/timeline")), 200, _check_api_timeline),
    Endpoint("POST reveal", elder_access.ELDER_REVEAL,
             lambda c, e: c.post(_api(e, "/reveal"), {"fields": ["id_number"], "purpose": "电话回访"}), 200,
             _check_api_reveal),
    Endpoint("GET access-log", elder_access.ELDER_ACCESS_LOG, lambda c, e: c.get(_api(e, "/access-log")), 200,
             _check_api_access_log),
]


def _page(name: str, elder: Elder, *args: Any) -> str:
    return reverse(f"elders:{name}", args=[elder.pk, *args])


def _check_page_shows(resp, elder):
    html = resp.content.decode()
    assert elder.name in html
    assert elder.id_number_masked in html and elder.id_number not in html


def _check_page_edited(resp, elder):
    assert resp["Location"] == _page("detail", elder)
    assert Elder.objects.get(pk=elder.pk).name == "改名老人"


def _check_page_timeline(resp, elder):
    assert "登记建档" in resp.content.decode()


def _check_page_access_log(resp, elder):
    assert elder.name in resp.content.decode()


def _check_page_revealed(resp, elder):
    assert elder.id_number in resp.content.decode()
    assert AccessLog.objects.filter(elder_id=elder.pk, purpose="上门探访").count() == 1


def _check_page_deactivated(resp, elder):
    assert resp["Location"] == _page("detail", elder)
    _check_deactivated(resp, elder)


def _check_page_reactivated(resp, elder):
    assert resp["Location"] == _page("detail", elder)
    assert Elder.objects.get(pk=elder.pk).active


def _check_contact_added(resp, elder):
    assert list(Elder.objects.get(pk=elder.pk).contacts.values_list("name", flat=True)) == ["联系人", "张三"]


def _check_contact_removed(resp, elder):
    assert not Elder.objects.get(pk=elder.pk).contacts.exists()


def _check_consent_granted(resp, elder):
    assert Elder.objects.get(pk=elder.pk).consents.filter(purpose="time_bank", withdrawn_at__isnull=True).exists()


def _check_consent_withdrawn(resp, elder):
    assert not Elder.objects.get(pk=elder.pk).consents.filter(withdrawn_at__isnull=True).exists()


def _edit_form(elder: Elder) -> dict:
    return {"name": "改名老人", "region_code": elder.region_id, "living_situation": elder.living_situation,
            "categories": ["subsistence"], "hukou_local": "on", "version": elder.version}


def _deactivate_first(elder: Elder) -> None:
    root = User.objects.get(username="root")
    services.elder_deactivate(actor=root, elder=elder, reason="moved_away")


PAGE_ENDPOINTS = [
    Endpoint("GET detail", elder_access.ELDER_VIEW, lambda c, e: c.get(_page("detail", e)), 200, _check_page_shows),
    Endpoint("GET edit", elder_access.ELDER_UPDATE, lambda c, e: c.get(_page("edit", e)), 200, _check_page_shows),
    Endpoint("POST edit", elder_access.ELDER_UPDATE, lambda c, e: c.post(_page("edit", e), _edit_form(e)), 302,
             _check_page_edited),
    Endpoint("GET timeline", elder_access.ELDER_VIEW, lambda c, e: c.get(_page("timeline", e)), 200,
             _check_page_timeline),
    Endpoint("GET access-log", elder_access.ELDER_ACCESS_LOG, lambda c, e: c.get(_page("access_log", e)), 200,
             _check_page_access_log),
    Endpoint("POST reveal", elder_access.ELDER_REVEAL,
             lambda c, e: c.post(_page("reveal", e), {"fields": ["id_number"], "purpose": "上门探访"}), 200,
             _check_page_revealed),
    Endpoint("POST deactivate", elder_access.ELDER_DEACTIVATE,
             lambda c, e: c.post(_page("deactivate", e), {"reason": "moved_away"}), 302, _check_page_deactivated),
    Endpoint("POST reactivate", elder_access.ELDER_DEACTIVATE, lambda c, e: c.post(_page("reactivate", e)), 302,
             _check_page_reactivated, prepare=_deactivate_first),
    Endpoint("POST contact add", elder_access.ELDER_UPDATE,
             lambda c, e: c.post(_page("contact_add", e), {"name": "张三", "phone": "13900001111", "relation": "女儿"}),
             302, _check_contact_added),
    Endpoint("POST contact remove", elder_access.ELDER_UPDATE,
             lambda c, e: c.post(_page("contact_remove", e, e.contacts.get().pk)), 302, _check_contact_removed),
    Endpoint("POST consent grant", elder_access.ELDER_UPDATE,
             lambda c, e: c.post(_page("consent_grant", e), {"purpose": "time_bank", "granted_by": "本人"}), 302,
             _check_consent_granted),
    Endpoint("POST consent withdraw", elder_access.ELDER_UPDATE,
             lambda c, e: c.post(_page("consent_withdraw", e, e.consents.get().pk)), 302, _check_consent_withdrawn),
]


def _run_cell(role: str, where: str, endpoint: Endpoint, targets: list[Elder], caller: Any, *, api: bool) -> None:
    for elder in targets:
        if endpoint.prepare:
            endpoint.prepare(elder)
        elder = Elder.objects.get(pk=elder.pk)
        before = snapshot(elder)
        resp = endpoint.call(caller, elder)
        body = resp.content.decode()
        if where == "outside":
            expected = 404
        elif can(role, endpoint.capability):
            expected = endpoint.ok
        else:
            expected = 403
        assert resp.status_code == expected, (role, where, endpoint.name, elder.region_id, resp.status_code, body[:300])
        if expected == endpoint.ok:
            endpoint.check(resp, elder)
            continue
        # A refusal shows nothing of the elder and changes nothing.
        assert elder.name not in body
        assert elder.id_number not in body and elder.id_number_masked not in body
        assert snapshot(elder) == before
        if api:
            err = resp.json()
            assert set(err) == {"code", "message", "detail"}
            assert err["code"] == ("not_found" if expected == 404 else "forbidden")
            assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])


# -- API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_api_elder_endpoint(world, auth, role, where, endpoint):
    user = make_role_user(role)
    inside, outside = split(world, user)
    _run_cell(role, where, endpoint, inside if where == "inside" else outside, ApiCaller(user, auth), api=True)


@pytest.mark.parametrize("role", ROLES)
def test_api_list_shows_only_the_jurisdiction(world, role):
    user = make_role_user(role)
    inside, outside = split(world, user)
    api = ApiCaller(user, "bearer")
    resp = api.get("/api/v1/elders", {"page_size": 100})
    if not can(role, elder_access.ELDER_VIEW):
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
        assert not any(e.name in resp.content.decode() for e in world.values())
        return
    assert resp.status_code == 200
    body = resp.json()
    assert {i["id"] for i in body["items"]} == {str(e.pk) for e in inside}
    assert body["count"] == len(inside)
    for elder in outside:
        # Aiming a filter at an outside elder finds nothing (an empty page, not a 404 or 403).
        for params in ({"region": elder.region_id}, {"id_number": elder.id_number}, {"name": elder.name},
                       {"q": elder.id_number}, {"phone": elder.phone}):
            resp = api.get("/api/v1/elders", params)
            assert resp.status_code == 200, params
            assert resp.json()["items"] == [] and resp.json()["count"] == 0, params
    for elder in inside:
        resp = api.get("/api/v1/elders", {"id_number": elder.id_number})
        assert [i["id"] for i in resp.json()["items"]] == [str(elder.pk)]


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
def test_api_create(world, role, where):
    user = make_role_user(role)
    inside, outside = split(world, user)
    code = (inside if where == "inside" else outside)[0].region_id
    data = factories.elder_data(code, name="新登记老人")
    before = Elder.objects.count(), Event.objects.count()
    resp = ApiCaller(user, "bearer").post("/api/v1/elders", data)
    if not can(role, elder_access.ELDER_CREATE):
        # Creating touches no existing record: a role that may not create anything is
        # told so before its payload is looked at, wherever the payload points.
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    elif where == "inside":
        assert resp.status_code == 201, resp.content
        created = Elder.objects.get(pk=resp.json()["id"])
        assert created.region_id == code and created.registered_by == user
        assert (Elder.objects.count(), Event.objects.count()) == (before[0] + 1, before[1] + 1)
        return
    else:
        assert resp.status_code == 400
        assert resp.json()["detail"]["fields"]["region_code"] == ["该社区不在您的管辖范围内"]
    assert (Elder.objects.count(), Event.objects.count()) == before


@pytest.mark.parametrize("role", [r for r in ROLES if elder_access.ELDER_CREATE in role_capabilities(r)])
def test_api_create_duplicate_of_an_outside_elder_does_not_say_where_it_lives(world, role):
    user = make_role_user(role)
    inside, outside = split(world, user)
    for elder in outside:
        data = factories.elder_data(inside[0].region_id, id_number=elder.id_number)
        resp = ApiCaller(user, "session").post("/api/v1/elders", data)
        assert resp.status_code == 400
        assert resp.json()["detail"]["fields"]["id_number"] == ["该身份证号已登记，请勿重复建档"]
        assert elder.region.name not in resp.content.decode() and elder.name not in resp.content.decode()
    # Inside, the community is named: it helps the worker find the existing archive.
    data = factories.elder_data(inside[0].region_id, id_number=inside[-1].id_number)
    resp = ApiCaller(user, "session").post("/api/v1/elders", data)
    assert inside[-1].region.name in resp.json()["detail"]["fields"]["id_number"][0]


@pytest.mark.parametrize("role", ROLES)
def test_api_regions_only_the_jurisdiction(world, role):
    user = make_role_user(role)
    inside, outside = split(world, user)
    resp = ApiCaller(user, "bearer").get("/api/v1/regions")
    assert resp.status_code == 200
    codes = {r["code"] for r in resp.json()}
    prefix = user.region.prefix
    assert user.region_id in codes
    assert {e.region_id for e in inside} <= codes
    assert not {e.region_id for e in outside} & codes
    assert all(c.startswith(prefix) for c in codes)
    assert codes == set(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))


def test_city_admin_sees_both_districts_of_the_city_but_not_another_city(world):
    user = make_role_user(Role.CITY_ADMIN)
    api = ApiCaller(user, "bearer")
    names = {i["name"] for i in api.get("/api/v1/elders", {"page_size": 100}).json()["items"]}
    assert {"梅京甲老", "松园戊老"} <= names  # 福田 and 罗湖
    assert "羊城己老" not in names  # 广州
    assert api.get(_api(world[GZ_COMMUNITY])).status_code == 404
    assert api.get(_api(world[factories.COMMUNITY_OTHER_DISTRICT])).status_code == 200


def test_superuser_without_a_node_sees_every_city(world):
    root = User.objects.get(username="root")
    api = ApiCaller(root, "bearer")
    body = api.get("/api/v1/elders", {"page_size": 100}).json()
    assert body["count"] == len(world)
    assert api.get(_api(world[GZ_COMMUNITY])).status_code == 200


def test_a_staff_account_without_a_node_sees_nothing(world):
    lost = make_cheap_user("lost", Role.COMMISSIONER, None)
    api = ApiCaller(lost, "bearer")
    assert api.get("/api/v1/elders").json()["count"] == 0
    assert api.get(_api(world[factories.COMMUNITY_A])).status_code == 404
    assert api.get("/api/v1/regions").json() == []
    assert page_client(lost).get(_page("detail", world[factories.COMMUNITY_A])).status_code == 404


def test_an_unknown_or_malformed_id_is_404_too(world):
    api = ApiCaller(make_role_user(Role.CITY_ADMIN), "bearer")
    assert api.get("/api/v1/elders/00000000-0000-0000-0000-000000000000").status_code == 404
    client = page_client(make_role_user(Role.DISTRICT_ADMIN))
    assert client.get("/elders/00000000-0000-0000-0000-000000000000/").status_code == 404


# -- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", PAGE_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
def test_page_elder_endpoint(world, role, where, endpoint):
    user = make_role_user(role)
    inside, outside = split(world, user)
    _run_cell(role, where, endpoint, inside if where == "inside" else outside, page_client(user), api=False)


@pytest.mark.parametrize("role", ROLES)
def test_page_list_shows_only_the_jurisdiction(world, role):
    user = make_role_user(role)
    inside, outside = split(world, user)
    client = page_client(user)
    resp = client.get(reverse("elders:list"))
    html = resp.content.decode()
    if not can(role, elder_access.ELDER_VIEW):
        assert resp.status_code == 403
        assert not any(e.name in html for e in world.values())
        return
    assert resp.status_code == 200
    for elder in inside:
        assert elder.name in html and str(elder.pk) in html
    for elder in outside:
        assert elder.name not in html and str(elder.pk) not in html
        for params in ({"q": elder.id_number}, {"q": elder.name}, {"q": elder.phone}, {"region": elder.region_id}):
            html = client.get(reverse("elders:list"), params).content.decode()
            # (the search box echoes what was typed, so look for the elder's link)
            assert str(elder.pk) not in html and "没有符合条件的老年人" in html, params


@pytest.mark.parametrize("role", ROLES)
def test_page_import(world, role):
    """The upload page has no elder: only the capability decides. An upload that names a
    community outside the jurisdiction is reported by row and writes nothing."""
    user = make_role_user(role)
    inside, outside = split(world, user)
    client = page_client(user)
    resp = client.get(reverse("elders:import"))
    if not can(role, elder_access.ELDER_IMPORT):
        assert resp.status_code == 403
        return
    assert resp.status_code == 200
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["姓名", "身份证号", "社区代码"])
    writer.writerow(["导入老人", factories.make_id_number(), inside[0].region_id])
    writer.writerow(["越界老人", factories.make_id_number(), outside[0].region_id])
    upload = io.BytesIO(buf.getvalue().encode("utf-8"))
    upload.name = "elders.csv"
    before = Elder.objects.count()
    resp = client.post(reverse("elders:import"), {"file": upload})
    html = resp.content.decode()
    assert "第3行" in html and "该社区不在您的管辖范围内" in html
    assert Elder.objects.count() == before


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
def test_page_create(world, role, where):
    user = make_role_user(role)
    inside, outside = split(world, user)
    client = page_client(user)
    code = (inside if where == "inside" else outside)[0].region_id
    get = client.get(reverse("elders:create"))
    data = factories.elder_data(code, name="新登记老人")
    before = Elder.objects.count()
    resp = client.post(reverse("elders:create"), data)
    if not can(role, elder_access.ELDER_CREATE):
        assert get.status_code == 403 and resp.status_code == 403
        assert Elder.objects.count() == before
        return
    assert get.status_code == 200
    # The community picker offers the jurisdiction's communities only.
    assert f'value="{inside[0].region_id}"' in get.content.decode()
    assert not any(f'value="{e.region_id}"' in get.content.decode() for e in outside)
    if where == "inside":
        created = Elder.objects.get(name="新登记老人")
        assert resp.status_code == 302 and resp["Location"] == _page("detail", created)
    else:
        assert resp.status_code == 400
        assert Elder.objects.count() == before


# -- nobody logged in ------------------------------------------------------------------------------


def test_anonymous_api_is_401_everywhere(world):
    elder = world[factories.COMMUNITY_A]
    client = Client()
    calls = [client.get("/api/v1/elders"), client.get("/api/v1/regions"),
             client.post("/api/v1/elders", factories.elder_data(), content_type="application/json")]
    caller = ApiCaller.__new__(ApiCaller)
    caller.client, caller.headers = client, {}
    calls += [e.call(caller, elder) for e in API_ENDPOINTS]
    bad_token = ApiCaller.__new__(ApiCaller)
    bad_token.client, bad_token.headers = client, {"Authorization": "Bearer not-a-token"}
    calls += [e.call(bad_token, elder) for e in API_ENDPOINTS]
    for resp in calls:
        assert resp.status_code == 401
        assert resp.json()["code"] == "unauthorized"
        assert elder.name not in resp.content.decode()
    assert snapshot(elder)[:3] == (1, True, elder.name)


def test_anonymous_pages_redirect_to_login(world):
    elder = world[factories.COMMUNITY_A]
    client = Client()
    urls = [reverse("elders:list"), reverse("elders:create"), reverse("elders:import")]
    responses = [client.get(u) for u in urls]
    responses += [e.call(client, elder) for e in PAGE_ENDPOINTS if e.prepare is None]
    login = reverse("accounts:login")
    for resp in responses:
        assert resp.status_code == 302 and resp["Location"].startswith(login)
    assert AccessLog.objects.count() == 0
    assert Elder.objects.get(pk=elder.pk).active
