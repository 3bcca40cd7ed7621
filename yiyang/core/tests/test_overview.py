"""The worker's to-do lists, the navigation's count badges and the supervisor's per-region
table (core.registry TODO_LISTS / NavItem.badge / REGION_FIGURES, core.overview)."""

from __future__ import annotations

import io

import pytest
from django.test import RequestFactory
from openpyxl import load_workbook

from tests import factories
from yiyang.core import registry
from yiyang.core.registry import NavItem, TodoItems, TodoList, TodoRow, nav_for, todos_for


@pytest.fixture
def temporary_registries(monkeypatch):
    monkeypatch.setattr(registry, "TODO_LISTS", registry.Registry[TodoList]("test todos"))
    monkeypatch.setattr(registry, "NAV", registry.Registry[NavItem]("test nav"))


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    request.resolver_match = None
    return request


def test_todo_lists_apply_by_capability_and_say_how_many_more(worker, temporary_registries):
    rows = [TodoRow(f"老人{i}", "今天到期", f"/x/{i}", overdue=i == 0) for i in range(5)]
    registry.register_todo(TodoList("a", "甲", 2, items=lambda r: TodoItems(12, "/all", rows)))
    registry.register_todo(TodoList("b", "乙", 1, items=lambda r: None))  # does not apply to this user
    registry.register_todo(TodoList("c", "丙", 3, items=lambda r: TodoItems(0, "/c", []),
                                    capability="payment.round_approve"))  # a commissioner lacks it
    todos = todos_for(_request(worker))
    assert [t["key"] for t in todos] == ["a"]
    assert todos[0]["count"] == 12 and todos[0]["more"] == 7 and todos[0]["rows"][0].overdue


def test_a_navigation_badge_shows_its_count_and_nothing_at_zero(worker, temporary_registries):
    registry.register_nav(NavItem("x", "待访", "core:home", order=1, badge=lambda r: 3))
    registry.register_nav(NavItem("y", "其他", "core:overview", order=2, badge=lambda r: 0))
    items = nav_for(_request(worker))
    assert [i["badge"] for i in items] == [3, None]


@pytest.fixture
def elders_in_two_communities(superuser):
    for _ in range(3):
        factories.make_elder(superuser, factories.COMMUNITY_A)
    factories.make_elder(superuser, factories.COMMUNITY_A2)
    factories.make_elder(superuser, factories.COMMUNITY_B)  # another street


def test_street_overview_has_a_row_per_community_and_a_total(client, street_admin, elders_in_two_communities):
    client.force_login(street_admin)
    page = client.get("/overview/?month=2026-11")
    assert page.status_code == 200
    table = page.context["overview"]
    names = [r.region.name for r in table.rows]
    assert names == ["梅京社区", "上梅林社区", "梅林街道"]
    registered = [f.key for f in table.figures].index("elders_registered")
    assert [r.cells[registered].value for r in table.rows] == [3, 1, 4]
    assert table.rows[-1].total
    # the number links to the elders behind it
    assert table.rows[0].cells[registered].url.endswith(f"region={factories.COMMUNITY_A}")

    download = client.get("/overview/?month=2026-11&format=xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).active
    values = list(sheet.values)
    assert values[0][:2] == ("区划代码", "区域")
    column = values[0].index("在册老年人")
    assert [row[column] for row in values[1:]] == [3, 1, 4]


def test_the_home_page_of_a_street_admin_shows_the_table(client, street_admin, elders_in_two_communities):
    client.force_login(street_admin)
    html = client.get("/").content.decode()
    assert "上梅林社区" in html and "梅林街道合计" in html


def test_a_bad_month_is_a_chinese_400_and_a_community_worker_has_no_overview(client, street_admin, worker):
    client.force_login(street_admin)
    bad = client.get("/overview/?month=2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.content.decode()
    client.force_login(worker)
    assert client.get("/overview/").status_code == 403
