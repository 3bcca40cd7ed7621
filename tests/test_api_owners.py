"""Every path and method of the API (``config.api.api``) has exactly one owner: the app whose
module defines its view (``yiyang.<app>.…``). Two apps (or one app twice) answering the
same path and method would leave one of them unreachable, and a view defined outside the
apps (on ``config.api`` itself, say) would belong to nobody."""

from __future__ import annotations

import re
from collections import defaultdict

from django.apps import apps
from ninja import NinjaAPI, Router

from config.api import api

PARAM = re.compile(r"\{[^}]*\}")


def route(prefix: str, path: str) -> str:
    """``/api/v1`` + prefix + path, with every path parameter written ``{}``: ``{elder_id}``
    and ``{uuid:elder_id}`` are the same route to Django."""
    joined = "/".join(part.strip("/") for part in ("api/v1", prefix, path) if part.strip("/"))
    return "/" + PARAM.sub("{}", joined)


def operations(of: NinjaAPI) -> list[tuple[str, str, str]]:
    """(route, method, module of the view) of every operation of the API, nested routers
    included."""
    of.urls  # noqa: B018 - binds the routers (idempotent); ``_routers`` then lists them all
    found = []
    for prefix, router in of._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append((route(prefix, path), method.upper(), operation.view_func.__module__))
    return found


def owner(module: str) -> str | None:
    """The installed app ``yiyang.<app>`` that ``module`` belongs to, else None."""
    parts = module.split(".")
    if len(parts) < 3 or parts[0] != "yiyang":
        return None
    name = ".".join(parts[:2])
    return name if any(c.name == name for c in apps.get_app_configs()) else None


def owners(of: NinjaAPI) -> tuple[dict, dict, dict]:
    """(route, method) → modules defining it; those defined more than once; those whose
    module is outside the apps."""
    defined: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, method, module in operations(of):
        defined[(path, method)].append(module)
    twice = {key: modules for key, modules in defined.items() if len(modules) > 1}
    ownerless = {key: modules for key, modules in defined.items() if any(owner(m) is None for m in modules)}
    return defined, twice, ownerless


def test_every_api_path_and_method_has_exactly_one_owner_app():
    defined, twice, ownerless = owners(api)
    assert len(defined) > 20  # the walk found the API
    assert ("/api/v1/elders/{}", "GET") in defined and ("/api/v1/auth/token", "POST") in defined
    assert not twice, f"defined more than once: {twice}"
    assert not ownerless, f"defined outside the apps (yiyang.<app>.…): {ownerless}"


def test_the_owner_check_catches_a_path_defined_twice_or_outside_the_apps():
    first, second = Router(), Router()
    first.get("/elders/{elder_id}/notes")(lambda request, elder_id: [])
    second.get("/{uuid:elder_id}/notes")(lambda request, elder_id: [])
    first.post("/notes")(lambda request: {})
    fake = NinjaAPI(urls_namespace="owners-test")
    fake.add_router("", first)
    fake.add_router("/elders", second)
    _defined, twice, ownerless = owners(fake)
    here = [__name__, __name__]
    assert twice == {("/api/v1/elders/{}/notes", "GET"): here}
    assert set(ownerless) == {("/api/v1/elders/{}/notes", "GET"), ("/api/v1/notes", "POST")}


def test_the_owner_of_a_module():
    assert owner("yiyang.elders.api") == "yiyang.elders"
    assert owner("yiyang.entitlements.payments_api") == "yiyang.entitlements"
    assert owner("config.api") is None
    assert owner("yiyang.api") is None
    assert owner("yiyang.nosuchapp.api") is None
    assert route("/elders", "/{elder_id}") == route("", "/elders/{uuid:id}") == "/api/v1/elders/{}"
    assert route("", "/assessments/score") == "/api/v1/assessments/score"
