"""The access matrix (DESIGN §5): capability classes of roles × an elder inside / outside
the caller's node × every endpoint and page that acts on one elder or one record, as each
app declares them in ``<app>/tests/matrix.py`` (the machinery is ``tests/matrix.py``).

The rule, checked cell by cell:

* outside the caller's jurisdiction → 404, everywhere, never 403 and never any of the
  elder's data (and nothing is written);
* inside, but the role lacks the capability (the apps' ``access.py``) → 403, nothing written;
* inside and capable → success (2xx; 302 for a page form that redirects), with its effect.

Plus: every declared list shows exactly the caller's jurisdiction; nobody logged in gets 401
from the API and the login page from the pages; and the elder registry's own cases (create,
import, duplicates, region tree, search filters aimed outside).

The world (``matrix.build_world``) is built once per module, inside a transaction that is
rolled back when the module ends; every test runs in a savepoint of it that is rolled back
too (pytest-django's ``db``), so a cell that writes never changes what the next one sees. It
works the same on SQLite and PostgreSQL, and under pytest-xdist (a worker, a database).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.urls import reverse

from tests import factories, matrix
from tests.matrix import ApiCaller, page_client
from yiyang.accounts.models import Role, User
from yiyang.core import access as core_access
from yiyang.core.access import grant, role_capabilities
from yiyang.core.models import Event
from yiyang.elders import access as elder_access
from yiyang.elders.models import Elder
from yiyang.regions.models import Region

CELLS = matrix.cells()
ROLES = matrix.ROLES
WHERE = matrix.WHERE
GZ_COMMUNITY = matrix.GZ_COMMUNITY


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of ``matrix.build_world``, once for the module, rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = matrix.build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    """The world's users have MD5 hashes (``matrix.make_cheap_user``): MD5 first, so a log-in
    neither fails nor upgrades the hash to Argon2."""
    settings.PASSWORD_HASHERS = [matrix.CHEAP_HASHER, *settings.PASSWORD_HASHERS]


def _api(elder: Elder, suffix: str = "") -> str:
    return f"/api/v1/elders/{elder.pk}{suffix}"


def _page(name: str, elder: Elder) -> str:
    return reverse(f"elders:{name}", args=[elder.pk])


def can(role: str, capability: str) -> bool:
    return capability in role_capabilities(role)


# -- the cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_cell(db, world, cell):
    matrix.run_cell(cell, world)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("app", "endpoint"), matrix.list_endpoints(), ids=lambda x: getattr(x, "name", x))
def test_list_shows_only_the_jurisdiction(db, world, app, endpoint, role):
    matrix.run_list(endpoint, role, world, api=endpoint.name.startswith("GET /api/"))


# -- the cells cover what they should --------------------------------------------------------------


def test_the_apps_declare_their_endpoints():
    apps = {app for app, _module in matrix.declarations()}
    assert {"elders", "assessments", "surveys", "entitlements", "casework"} <= apps
    for app in ("elders", "assessments", "surveys", "entitlements", "casework"):
        assert any(c.app == app and c.kind == "api" for c in CELLS), app
        assert any(c.app == app and c.kind == "page" for c in CELLS), app


def test_capability_classes_are_those_of_the_registry():
    """The classes the cells were collected with are what the registry says now: every role
    in exactly one class; alike within a class, different across classes, on every
    capability of the apps the endpoint checks."""
    for app, endpoint in matrix.api_endpoints() + matrix.page_endpoints():
        relevant = matrix.relevant_capabilities(endpoint.capabilities)
        assert set(endpoint.capabilities) <= relevant
        classes = matrix.capability_classes(endpoint.capabilities)
        assert sorted(r for members in classes for r in members) == sorted(ROLES)
        held = [{role_capabilities(r) & relevant for r in members} for members in classes]
        assert all(len(h) == 1 for h in held), (app, endpoint.name)
        assert len({frozenset(h) for h in held}) == len(classes), (app, endpoint.name)
        collected = {(c.members, c.role) for c in CELLS if c.endpoint is endpoint and c.auth == "session"}
        assert {members for members, _role in collected} == set(classes), (app, endpoint.name)
        assert all(role in members for members, role in collected)
        for members in classes:
            assert {(c.where) for c in CELLS if c.endpoint is endpoint and c.members == members} == set(WHERE)


def test_every_role_is_a_representative_somewhere():
    assert {c.role for c in CELLS} == set(ROLES)


def test_bearer_is_tried_once_per_method_for_every_class():
    bearer = [c for c in CELLS if c.auth == "bearer"]
    assert {c.endpoint.method for c in bearer} == {e.method for _app, e in matrix.api_endpoints()}
    for endpoint in matrix.bearer_endpoints():
        assert {(c.members, c.where) for c in bearer if c.endpoint is endpoint} == {
            (m, w) for m in matrix.capability_classes(endpoint.capabilities) for w in WHERE}


def test_a_changed_grant_re_splits_the_classes(monkeypatch):
    """Grants are read from the registry when the classes are computed: give commissioners
    one more capability and they leave the class they shared with point leads."""
    before = matrix.capability_classes([elder_access.ELDER_VIEW])
    assert (Role.COMMISSIONER, Role.POINT_LEAD) in before
    grants = {role: set(codes) for role, codes in core_access._GRANTS.items()}
    monkeypatch.setattr(core_access, "_GRANTS", grants)
    grant(Role.COMMISSIONER, elder_access.ELDER_IMPORT)
    after = matrix.capability_classes([elder_access.ELDER_VIEW])
    assert (Role.COMMISSIONER,) in after and (Role.POINT_LEAD,) in after
    assert len(after) == len(before) + 1


# -- nobody logged in ------------------------------------------------------------------------------


def test_anonymous_api_is_401_everywhere(db, world):
    elder = world.elders[factories.COMMUNITY_A]
    callers = [ApiCaller(None, "anonymous"), ApiCaller(None, "bad-token")]
    for caller in callers:
        for resp in (caller.get("/api/v1/elders"), caller.get("/api/v1/regions"),
                     caller.post("/api/v1/elders", factories.elder_data())):
            assert resp.status_code == 401 and resp.json()["code"] == "unauthorized"
    for app, endpoint in matrix.api_endpoints():
        for caller in callers:
            with transaction.atomic():
                subject = endpoint.subject(world, elder)
                before = matrix.snapshot(elder)
                resp = endpoint.call(caller, subject)
                assert resp.status_code == 401, (app, endpoint.name, resp.status_code)
                err = resp.json()
                assert err["code"] == "unauthorized" and matrix.is_chinese(err["message"])
                assert elder.name not in matrix.text_of(resp)
                assert matrix.snapshot(elder) == before
                transaction.set_rollback(True)


def test_anonymous_pages_redirect_to_login(db, world):
    elder = world.elders[factories.COMMUNITY_A]
    client = page_client(None)
    login = reverse("accounts:login")
    for url in (reverse("elders:list"), reverse("elders:create"), reverse("elders:import")):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(login)
    for app, endpoint in matrix.page_endpoints():
        with transaction.atomic():
            subject = endpoint.subject(world, elder)
            before = matrix.snapshot(elder)
            resp = endpoint.call(client, subject)
            assert resp.status_code == 302 and resp["Location"].startswith(login), (app, endpoint.name)
            assert matrix.snapshot(elder) == before
            transaction.set_rollback(True)


# -- the elder registry's own cases ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_list_filters_aimed_outside_find_nothing(db, world, role):
    user = world.users[role]
    inside, outside = world.split(user)
    api = ApiCaller(user, "session")
    if not can(role, elder_access.ELDER_VIEW):
        assert api.get("/api/v1/elders").status_code == 403
        return
    body = api.get("/api/v1/elders", {"page_size": 100}).json()
    assert {i["id"] for i in body["items"]} == {str(e.pk) for e in inside}
    assert body["count"] == len(inside)
    for elder in outside:
        # Aiming a filter at an outside elder finds nothing (an empty page, not a 404 or 403).
        # Personal data is searched in a body (POST …/search), never in a URL (issue 7, A.4).
        for params in ({"region": elder.region_id}, {"id_number": elder.id_number}, {"name": elder.name},
                       {"q": elder.id_number}, {"phone": elder.phone}):
            resp = (api.get("/api/v1/elders", params) if "region" in params
                    else api.post("/api/v1/elders/search", params))
            assert resp.status_code == 200, params
            assert resp.json()["items"] == [] and resp.json()["count"] == 0, params
    for elder in inside:
        resp = api.post("/api/v1/elders/search", {"id_number": elder.id_number})
        assert [i["id"] for i in resp.json()["items"]] == [str(elder.pk)]


@pytest.mark.parametrize("role", ROLES)
def test_page_list_search_aimed_outside_finds_nothing(db, world, role):
    user = world.users[role]
    inside, outside = world.split(user)
    client = page_client(user)
    if not can(role, elder_access.ELDER_VIEW):
        assert client.get(reverse("elders:list")).status_code == 403
        return
    html = client.get(reverse("elders:list")).content.decode()
    for elder in inside:
        assert str(elder.pk) in html
    for elder in outside:
        for params in ({"q": elder.id_number}, {"q": elder.name}, {"q": elder.phone}, {"region": elder.region_id}):
            # The search box is POSTed (issue 7, A.4); the region may come by GET.
            html = (client.get(reverse("elders:list"), params) if "region" in params
                    else client.post(reverse("elders:list"), params)).content.decode()
            # (the search box echoes what was typed, so look for the elder's link)
            assert str(elder.pk) not in html and "没有符合条件的老年人" in html, params


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
def test_api_create(db, world, role, where):
    user = world.users[role]
    inside, outside = world.split(user)
    code = (inside if where == "inside" else outside)[0].region_id
    data = factories.elder_data(code, name="新登记老人")
    before = Elder.objects.count(), Event.objects.count()
    resp = ApiCaller(user, "session").post("/api/v1/elders", data)
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
def test_api_create_duplicate_of_an_outside_elder_does_not_say_where_it_lives(db, world, role):
    user = world.users[role]
    inside, outside = world.split(user)
    api = ApiCaller(user, "session")
    for elder in outside:
        data = factories.elder_data(inside[0].region_id, id_number=elder.id_number)
        resp = api.post("/api/v1/elders", data)
        assert resp.status_code == 400
        assert resp.json()["detail"]["fields"]["id_number"] == ["该身份证号已登记，请勿重复建档"]
        assert elder.region.name not in matrix.text_of(resp) and elder.name not in matrix.text_of(resp)
    # Inside, the community is named: it helps the worker find the existing archive.
    data = factories.elder_data(inside[0].region_id, id_number=inside[-1].id_number)
    resp = api.post("/api/v1/elders", data)
    assert inside[-1].region.name in resp.json()["detail"]["fields"]["id_number"][0]


@pytest.mark.parametrize("role", ROLES)
def test_api_regions_only_the_jurisdiction(db, world, role):
    user = world.users[role]
    inside, outside = world.split(user)
    resp = ApiCaller(user, "session").get("/api/v1/regions")
    assert resp.status_code == 200
    codes = {r["code"] for r in resp.json()}
    prefix = user.region.prefix
    assert user.region_id in codes
    assert {e.region_id for e in inside} <= codes
    assert not {e.region_id for e in outside} & codes
    assert all(c.startswith(prefix) for c in codes)
    assert codes == set(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))


def test_city_admin_sees_both_districts_of_the_city_but_not_another_city(db, world):
    api = ApiCaller(world.users[Role.CITY_ADMIN], "bearer")
    names = {i["name"] for i in api.get("/api/v1/elders", {"page_size": 100}).json()["items"]}
    assert {"梅京甲老", "松园戊老"} <= names  # 福田 and 罗湖
    assert "羊城己老" not in names  # 广州
    assert api.get(_api(world.elders[GZ_COMMUNITY])).status_code == 404
    assert api.get(_api(world.elders[factories.COMMUNITY_OTHER_DISTRICT])).status_code == 200


def test_superuser_without_a_node_sees_every_city(db, world):
    api = ApiCaller(world.root, "bearer")
    body = api.get("/api/v1/elders", {"page_size": 100}).json()
    assert body["count"] == len(world.elders)
    assert api.get(_api(world.elders[GZ_COMMUNITY])).status_code == 200


def test_a_staff_account_without_a_node_sees_nothing(db, world):
    lost = matrix.make_cheap_user("lost", Role.COMMISSIONER, None)
    api = ApiCaller(lost, "bearer")
    elder = world.elders[factories.COMMUNITY_A]
    assert api.get("/api/v1/elders").json()["count"] == 0
    assert api.get(_api(elder)).status_code == 404
    assert api.get("/api/v1/regions").json() == []
    assert page_client(lost).get(_page("detail", elder)).status_code == 404


def test_an_unknown_or_malformed_id_is_404_too(db, world):
    api = ApiCaller(world.users[Role.CITY_ADMIN], "session")
    assert api.get("/api/v1/elders/00000000-0000-0000-0000-000000000000").status_code == 404
    client = page_client(world.users[Role.DISTRICT_ADMIN])
    assert client.get("/elders/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_page_import(db, world, role):
    """The upload page has no elder: only the capability decides. An upload that names a
    community outside the jurisdiction is reported by row and writes nothing."""
    user = world.users[role]
    inside, outside = world.split(user)
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
def test_page_create(db, world, role, where):
    user = world.users[role]
    inside, outside = world.split(user)
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


def test_the_world_is_back_after_the_writing_cells(db, world):
    """Each test's writes are rolled back: whatever the cells before deactivated, renamed,
    revealed, assessed or acknowledged is as the world built it."""
    for elder in world.elders.values():
        assert matrix.snapshot(elder) == world.snapshots[elder.pk], elder.name
    assert not User.objects.filter(username="lost").exists()
