"""The registries the apps plug into: demo builders in dependency order, one owner per key,
navigation filtered by capability."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from yiyang.core import access
from yiyang.core.registry import NAV, DemoBuilder, NavItem, Registry, demo_order, nav_for


def b(key: str, *after: str) -> DemoBuilder:
    return DemoBuilder(key, lambda ctx: key, after=after)


def test_demo_builders_run_after_what_they_need():
    order = [x.key for x in demo_order([b("visits", "elders", "accounts"), b("elders", "regions", "accounts"),
                                        b("accounts", "regions"), b("regions"), b("alarms", "elders")])]
    assert order == ["regions", "accounts", "elders", "alarms", "visits"]


def test_a_missing_or_circular_dependency_is_an_error():
    with pytest.raises(ValueError, match="not installed"):
        demo_order([b("visits", "elders")])
    with pytest.raises(ValueError, match="circle"):
        demo_order([b("a", "b"), b("b", "a")])


def test_the_installed_apps_builders_are_ordered():
    keys = [x.key for x in demo_order()]
    assert keys.index("regions") < keys.index("accounts") < keys.index("stations") < keys.index("elders")
    assert keys.index("elders") < keys.index("assessments") < keys.index("entitlements")


def test_a_key_has_one_owner():
    reg = Registry[NavItem]("test")
    reg.add(NavItem("x", "甲", "core:home", order=1))
    reg.add(NavItem("x", "甲", "core:home", order=1))  # the same declaration again (a reload) is fine
    with pytest.raises(ValueError, match="registered twice"):
        reg.add(NavItem("x", "乙", "core:home", order=2))


def test_capabilities_must_be_declared_before_granted():
    with pytest.raises(ValueError):
        access.grant("commissioner", "nobody.declared")
    code = access.capability("core.test_cap", "测试权限")
    with pytest.raises(ValueError):
        access.capability("core.test_cap", "另一个说法")
    assert access.CAPABILITIES[code].app == "core"


class U:
    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    region_id = None

    def __init__(self, role: str):
        self.role = role


def test_navigation_shows_what_the_role_may_use(db):
    request = RequestFactory().get("/")
    request.resolver_match = None
    request.user = U("operator")
    labels = [str(i["label"]) for i in nav_for(request)]
    assert labels[0] == "首页" and "批量导入" in labels and "老年人" not in labels and "后台" not in labels
    request.user = U("commissioner")
    labels = [str(i["label"]) for i in nav_for(request)]
    assert "老年人" in labels and "批量导入" not in labels
    assert len(NAV) >= 5
