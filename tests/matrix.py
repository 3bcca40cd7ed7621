"""The machinery of the access matrix (``tests/test_access_matrix.py``): what an app
declares, where the declarations are found, the world they run in, which roles are worth
testing, and the check of one cell.

Every installed app may declare its endpoints and pages in ``<app>/tests/matrix.py`` —
found the way Django's admin finds ``admin.py``, so a new app plugs in without editing
this file:

* ``API`` and ``PAGES`` — lists of :class:`Endpoint`: each endpoint or page that acts on one
  elder or on one record of an elder;
* ``LISTS`` — lists of :class:`ListEndpoint`: lists that must show only the jurisdiction;
* ``build(world)`` — optional: add the app's records to the shared :class:`World`;
* ``snapshot(elder)`` — optional: what the app's endpoints could change about an elder (a
  refusal must leave it equal);
* ``secrets(elder)`` — optional: strings of the elder's records that a refusal must never
  show.

The rule, checked cell by cell: outside the caller's jurisdiction → 404 and nothing of the
elder, nothing written; inside without the capabilities → 403 (or the status the
declaration documents), nothing written; inside with them → success and its effect.

Roles are tested by *capability class*: roles holding the same capabilities of the apps an
endpoint checks cannot be told apart by it, so one representative per class is enough. The
classes are computed from the registry (``yiyang.core.access``) when the tests are
collected: a changed grant re-splits them by itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils.module_loading import module_has_submodule

from tests import factories
from yiyang.accounts.models import Role, User
from yiyang.core.access import CAPABILITIES, role_capabilities
from yiyang.core.models import AccessLog, Event
from yiyang.elders.models import Elder
from yiyang.regions.services import region_tree_load

ROLES: list[str] = list(Role)
WHERE = ("inside", "outside")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

GZ_COMMUNITY = "440106001001"
GZ_TREE = [
    ("440100000000", "广州市"),
    ("440106000000", "天河区"),
    ("440106001000", "测试街道"),
    (GZ_COMMUNITY, "测试社区"),
]
LIANHUA_EAST = "440304007002"
# One elder per community, with a name that appears nowhere else in any page. With the
# community of 广州市, a city administrator of 深圳市 has an elder outside too.
ELDER_NAMES = {
    factories.COMMUNITY_A: "梅京甲老",
    factories.COMMUNITY_A2: "上梅乙老",
    factories.COMMUNITY_B: "景田丙老",
    LIANHUA_EAST: "莲东丁老",
    factories.COMMUNITY_OTHER_DISTRICT: "松园戊老",
    GZ_COMMUNITY: "羊城己老",
}


# -- what an app declares -------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One endpoint or page acting on one elder or one record of an elder.

    ``capabilities``: what the caller's role needs (all of them) once the record is inside its
    jurisdiction, in the order the view checks them. ``call(client, subject)`` makes the
    request; ``check(response, subject)`` proves the effect of a success. ``target(world,
    elder)`` returns the subject the call acts on for an elder (default: the elder); it runs
    as the superuser before each call and may write (every cell is rolled back).
    ``denied`` maps a capability to the status a role lacking (only) it gets, where a view
    answers otherwise than 403 — say so here, visibly, rather than in the runner.
    """

    name: str  # "<METHOD> <what>", e.g. "GET detail"
    capabilities: tuple[str, ...]
    call: Callable[[Any, Any], Any]
    ok: int
    check: Callable[[Any, Any], None]
    target: Callable[[World, Elder], Any] | None = None
    denied: dict[str, int] = field(default_factory=dict)

    @property
    def method(self) -> str:
        method = self.name.split()[0]
        assert method in HTTP_METHODS, f"endpoint {self.name!r} must start with its HTTP method"
        return method

    def subject(self, world: World, elder: Elder) -> Any:
        return self.target(world, elder) if self.target else elder

    def allows(self, role: str, where: str) -> bool:
        return where == "inside" and all(code in role_capabilities(role) for code in self.capabilities)

    def expected(self, role: str, where: str) -> int:
        if where == "outside":
            return 404
        held = role_capabilities(role)
        for code in self.capabilities:
            if code not in held:
                return self.denied.get(code, 403)
        return self.ok


@dataclass(frozen=True)
class ListEndpoint:
    """A list that must show every elder of the jurisdiction and no other: a role with
    ``capabilities`` sees the names of exactly the elders inside its node; a role without
    them gets ``denied`` (403 unless the view answers an empty 200) and no elder at all."""

    name: str
    capabilities: tuple[str, ...]
    call: Callable[[Any], Any]
    denied: int = 403


# -- discovery ------------------------------------------------------------------------------------


def _submodule(package: ModuleType, name: str) -> ModuleType | None:
    if not module_has_submodule(package, name):
        return None
    return import_module(f"{package.__name__}.{name}")


def load_access_modules() -> None:
    """Every app's ``access.py``: its capabilities and grants are in the registry after this."""
    for config in apps.get_app_configs():
        _submodule(config.module, "access")


@cache
def declarations() -> list[tuple[str, ModuleType]]:
    """(app label, ``<app>.tests.matrix`` module) of every installed app that has one, in
    ``INSTALLED_APPS`` order."""
    load_access_modules()
    found = []
    for config in apps.get_app_configs():
        tests_package = _submodule(config.module, "tests")
        module = _submodule(tests_package, "matrix") if tests_package is not None else None
        if module is not None:
            found.append((config.label, module))
    return found


def _hooks(name: str) -> list[Callable[..., Any]]:
    return [getattr(m, name) for _app, m in declarations() if hasattr(m, name)]


# -- capability classes ---------------------------------------------------------------------------


def relevant_capabilities(capabilities: Iterable[str]) -> frozenset[str]:
    """Every capability of the apps whose capabilities ``capabilities`` names: two roles
    alike on these cannot be told apart by an endpoint checking any of them."""
    owners = {CAPABILITIES[code].app for code in capabilities}
    return frozenset(code for code, cap in CAPABILITIES.items() if cap.app in owners)


def capability_classes(capabilities: Iterable[str], roles: Iterable[str] = ROLES) -> list[tuple[str, ...]]:
    """The roles grouped by the capabilities they hold among ``relevant_capabilities``; in
    role order, each class in role order."""
    relevant = relevant_capabilities(capabilities)
    classes: dict[frozenset[str], list[str]] = {}
    for role in roles:
        classes.setdefault(role_capabilities(role) & relevant, []).append(role)
    return [tuple(members) for members in classes.values()]


# -- the cells ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    app: str
    kind: str  # "api" | "page"
    endpoint: Endpoint
    role: str  # the representative of its class
    members: tuple[str, ...]  # the class
    where: str
    auth: str = "session"  # "session" | "bearer" (API only)

    def __str__(self) -> str:
        via = "-bearer" if self.auth == "bearer" else ""
        return f"{self.app}-{self.kind}-{self.endpoint.name}-{self.role}-{self.where}{via}"


def cells() -> list[Cell]:
    """Every declared endpoint × one representative per capability class × inside/outside.

    The representative rotates through its class from one endpoint to the next, so every
    role (and the jurisdiction of its node) is exercised somewhere. The API is called with
    the browser's session; the bearer token is tried on one endpoint per HTTP method
    (``bearer_endpoints``), for every class and both sides."""
    out: list[Cell] = []
    bearer = {id(e) for e in bearer_endpoints()}
    for app, module in declarations():
        for kind, endpoints in (("api", getattr(module, "API", [])), ("page", getattr(module, "PAGES", []))):
            for index, endpoint in enumerate(endpoints):
                assert endpoint.method  # named after its method
                for members in capability_classes(endpoint.capabilities):
                    role = members[index % len(members)]
                    for where in WHERE:
                        out.append(Cell(app, kind, endpoint, role, members, where))
                        if id(endpoint) in bearer:
                            out.append(Cell(app, kind, endpoint, role, members, where, auth="bearer"))
    return out


def bearer_endpoints() -> list[Endpoint]:
    """The first declared API endpoint of each HTTP method."""
    first: dict[str, Endpoint] = {}
    for _app, module in declarations():
        for endpoint in getattr(module, "API", []):
            first.setdefault(endpoint.method, endpoint)
    return list(first.values())


def api_endpoints() -> list[tuple[str, Endpoint]]:
    return [(app, e) for app, m in declarations() for e in getattr(m, "API", [])]


def page_endpoints() -> list[tuple[str, Endpoint]]:
    return [(app, e) for app, m in declarations() for e in getattr(m, "PAGES", [])]


def list_endpoints() -> list[tuple[str, ListEndpoint]]:
    return [(app, e) for app, m in declarations() for e in getattr(m, "LISTS", [])]


# -- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    """The region tree, one elder per community, a superuser and one user per role bound to
    ``factories.ROLE_NODES``; the apps' ``build`` hooks add their records."""

    root: User
    root2: User  # a second superuser, e.g. the co-assessor of the world's assessments
    users: dict[str, User]
    elders: dict[str, Elder]
    snapshots: dict[Any, tuple] = field(default_factory=dict)  # elder pk → ``snapshot`` when built

    def split(self, user: User) -> tuple[list[Elder], list[Elder]]:
        """The elders inside the user's node and those outside it, freshly read."""
        prefix = user.region.prefix
        fresh = Elder.objects.in_bulk([e.pk for e in self.elders.values()])
        inside = [fresh[e.pk] for code, e in self.elders.items() if code.startswith(prefix)]
        outside = [fresh[e.pk] for code, e in self.elders.items() if not code.startswith(prefix)]
        assert inside and outside, "every role must have an elder on each side"
        return inside, outside


# Argon2 costs a noticeable fraction of a second per log-in, on purpose; the matrix logs in
# many times. Its users get a cheap hash (the tests put the MD5 hasher first, so no log-in
# upgrades it; Argon2 log-ins are tested in yiyang/elders/tests/test_api.py).
CHEAP_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def make_cheap_user(username: str, role: str, node: str | None, **extra: Any) -> User:
    hasher = MD5PasswordHasher()
    return User.objects.create(
        username=username, role=role, region_id=node, password=hasher.encode(factories.PASSWORD, hasher.salt()),
        full_name=extra.pop("full_name", username), **extra,
    )


def build_world() -> World:
    factories.load_tree()
    region_tree_load(rows=[{"code": c, "name": n} for c, n in GZ_TREE], version="test")
    root = make_cheap_user("root", Role.CITY_ADMIN, None, is_superuser=True, is_staff=True)
    root2 = make_cheap_user("root2", Role.CITY_ADMIN, None, is_superuser=True)
    users = {role: make_cheap_user(f"u_{role}", role, factories.ROLE_NODES[role]) for role in ROLES}
    elders = {code: factories.make_elder(root, code, name=name) for code, name in ELDER_NAMES.items()}
    world = World(root=root, root2=root2, users=users, elders=elders)
    for build in _hooks("build"):
        build(world)
    world.snapshots = {e.pk: snapshot(e) for e in elders.values()}
    return world


def snapshot(elder: Elder) -> tuple:
    """Everything an endpoint could change about an elder, to prove a refusal wrote nothing."""
    fresh = Elder.objects.get(pk=elder.pk)
    core = (
        fresh.version, fresh.active, fresh.name, fresh.deactivation_reason,
        Event.objects.filter(elder_id=elder.pk).count(),
        AccessLog.objects.filter(elder_id=elder.pk).count(),
    )
    return (core, *(hook(fresh) for hook in _hooks("snapshot")))


def secrets(elder: Elder) -> list[str]:
    """What a refusal must never show of an elder."""
    found = [elder.name, elder.id_number, elder.id_number_masked]
    for hook in _hooks("secrets"):
        found.extend(hook(elder))
    return found


# -- the two ways to call -------------------------------------------------------------------------


class ApiCaller:
    """The API with a bearer token (``POST /api/v1/auth/token``), with the browser's session,
    or with neither (``anonymous``, or a bad token)."""

    def __init__(self, user: User | None, auth: str):
        self.client = Client()
        self.headers: dict[str, str] = {}
        if auth == "bearer":
            assert user is not None
            resp = self.client.post(
                "/api/v1/auth/token", {"username": user.username, "password": factories.PASSWORD},
                content_type="application/json",
            )
            assert resp.status_code == 200, resp.content
            self.headers = {"Authorization": f"Bearer {resp.json()['token']}"}
        elif auth == "session":
            assert user is not None
            self.client.force_login(user)
        elif auth == "bad-token":
            self.headers = {"Authorization": "Bearer not-a-token"}
        else:
            assert auth == "anonymous", auth

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any = None):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any):
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self.headers)

    def put(self, path: str, body: Any):
        return self.client.put(path, json.dumps(body), content_type="application/json", headers=self.headers)


def page_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# -- one cell -------------------------------------------------------------------------------------


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def text_of(resp: Any) -> str:
    """What a response shows: its JSON with Chinese as written (the API escapes it as
    ``\\uXXXX``, where a name would never be found), or its page."""
    if resp.get("Content-Type", "").startswith("application/json"):
        return json.dumps(resp.json(), ensure_ascii=False)
    return resp.content.decode()


def check_refusal(resp: Any, elder: Elder, before: tuple, *, status: int, api: bool) -> None:
    """A refusal shows nothing of the elder and changes nothing; the API says why in the
    one error format, in Chinese."""
    body = text_of(resp)
    for secret in secrets(elder):
        assert secret not in body, (status, secret)
    assert snapshot(elder) == before
    if api:
        err = resp.json()
        assert set(err) == {"code", "message", "detail"}
        assert err["code"] == {404: "not_found", 403: "forbidden"}[status]
        assert is_chinese(err["message"])


def run_cell(cell: Cell, world: World) -> None:
    user = world.users[cell.role]
    inside, outside = world.split(user)
    api = cell.kind == "api"
    caller = ApiCaller(user, cell.auth) if api else page_client(user)
    expected = cell.endpoint.expected(cell.role, cell.where)
    for elder in inside if cell.where == "inside" else outside:
        subject = cell.endpoint.subject(world, elder)
        allowed = cell.endpoint.allows(cell.role, cell.where)
        before = None if allowed else snapshot(elder)
        resp = cell.endpoint.call(caller, subject)
        assert resp.status_code == expected, (str(cell), elder.region_id, resp.status_code, resp.content[:300])
        if allowed:
            cell.endpoint.check(resp, subject)
        else:
            assert before is not None
            check_refusal(resp, elder, before, status=expected, api=api)


def run_list(endpoint: ListEndpoint, role: str, world: World, *, api: bool) -> None:
    user = world.users[role]
    inside, outside = world.split(user)
    resp = endpoint.call(ApiCaller(user, "session") if api else page_client(user))
    body = text_of(resp)
    if not all(code in role_capabilities(role) for code in endpoint.capabilities):
        assert resp.status_code == endpoint.denied, (endpoint.name, role, resp.status_code)
        assert not any(e.name in body for e in world.elders.values())
        if api and endpoint.denied == 403:
            assert resp.json()["code"] == "forbidden"
        return
    assert resp.status_code == 200, (endpoint.name, role, resp.status_code, body[:300])
    for elder in inside:
        assert elder.name in body, (endpoint.name, role, elder.region_id)
    for elder in outside:
        assert elder.name not in body and str(elder.pk) not in body, (endpoint.name, role, elder.region_id)


