"""The elder list in pages by key (cursor): every page is one range of the list's index read from
the cursor on, the pages together are the whole list in its order with nothing twice, backwards
as forwards, and a cursor is read back through the caller's jurisdiction."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from yiyang.elders import selectors, services
from yiyang.elders.models import Elder

pytestmark = pytest.mark.django_db

STREET = "440304006000"  # 梅林: COMMUNITY_A and COMMUNITY_A2
NAMES = ["王秀英", "李桂兰", "张玉梅", "刘淑珍", "陈凤英"]  # repeated: the id breaks the ties


def _build():
    factories.load_tree()
    root = factories.make_user("keyset_root", "city_admin", None, is_superuser=True)
    street = factories.make_user("keyset_street", "street_admin", STREET)
    elders = []
    for n in range(41):
        region = (factories.COMMUNITY_A, factories.COMMUNITY_A2, factories.COMMUNITY_B)[n % 3]
        elders.append(factories.make_elder(
            root, region, name=NAMES[n % len(NAMES)], categories=["disabled"] if n % 4 == 0 else [],
            id_number=factories.make_id_number(dt.date(1940, 1, 1) + dt.timedelta(days=n))))
    for e in elders[::4]:
        services.elder_deactivate(actor=root, elder=Elder.objects.get(pk=e.pk), reason="moved_away")
    # Outside the street (the root sees them): rows of every shape for the plain-values check.
    born = timezone.localdate().replace(day=1) - dt.timedelta(days=85 * 366)  # 85 (or 84 at most near a birthday)
    elders.append(factories.make_elder(root, factories.COMMUNITY_B, name="高龄老人", categories=["subsistence", "disabled"],
                                       id_number=factories.make_id_number(born)))
    elders.append(factories.make_elder(root, factories.COMMUNITY_B, name="无电话", phone="", address="",
                                       categories=[], economic_status="not_in_difficulty", living_situation="",
                                       id_number=factories.make_id_number(dt.date(1950, 2, 3), sex="M")))
    root_token = Client().post("/api/v1/auth/token", {"username": root.username, "password": factories.PASSWORD},
                               content_type="application/json").json()["token"]
    token = Client().post("/api/v1/auth/token", {"username": street.username, "password": factories.PASSWORD},
                          content_type="application/json").json()["token"]
    return {"root": root, "street": street, "elders": elders, "token": token, "root_token": root_token}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def _get(world, **params):
    return Client().get("/api/v1/elders", params, headers={"Authorization": f"Bearer {world['token']}"})


def _whole(world, active):
    """The list in one piece, as OFFSET 0 reads it: what the pages must add up to."""
    f = selectors.ElderFilters(active=active)
    return [str(pk) for pk in selectors.elder_list_for(world["street"], f).values_list("pk", flat=True)]


def _search(world, **body):
    return Client().post("/api/v1/elders/search", json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {world['token']}"}).json()


@pytest.mark.parametrize("active", [True, False, None])  # None: both (the search's "active": null)
def test_cursor_pages_add_up_to_the_list_forwards_and_backwards(world, active):
    whole = _whole(world, active)
    assert len(whole) > 7
    pages, cursor, number = [], "", 1
    while True:
        body = _search(world, active=active, page_size=7, cursor=cursor)
        assert body["page"] == number and body["count"] == len(whole)
        pages.append([i["id"] for i in body["items"]])
        if body["next_cursor"] is None:
            break
        cursor, number = body["next_cursor"], number + 1
        assert body["next_cursor"].startswith(f"n{number}.")
    assert [pk for page in pages for pk in page] == whole
    # Back from the last page by prev_cursor: the same pages, and page 1 has no way back.
    back = [pages[-1]]
    while body["prev_cursor"]:
        body = _search(world, active=active, page_size=7, cursor=body["prev_cursor"])
        back.insert(0, [i["id"] for i in body["items"]])
    assert back == pages and body["page"] == 1


def test_a_deep_page_by_number_still_works_and_hands_over_a_cursor(world):
    whole = _whole(world, True)
    third = _get(world, page=3, page_size=5).json()
    assert [i["id"] for i in third["items"]] == whole[10:15] and third["page"] == 3
    fourth = _get(world, cursor=third["next_cursor"], page_size=5).json()
    assert [i["id"] for i in fourth["items"]] == whole[15:20] and fourth["page"] == 4
    assert [i["id"] for i in _get(world, cursor=fourth["prev_cursor"], page_size=5).json()["items"]] == whole[10:15]


def test_the_search_pages_by_cursor_too(world):
    def search(**body):
        return _search(world, **body)

    wangs = [i["id"] for i in search(name="王", page_size=50)["items"]]
    first = search(name="王", page_size=2)
    second = search(name="王", page_size=2, cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + second["items"]] == wangs[:4]


def test_a_cursor_outside_the_jurisdiction_or_malformed_is_a_400(world):
    outside = next(e for e in world["elders"] if e.region_id == factories.COMMUNITY_B)
    for cursor in (f"n2.{outside.pk.hex}", f"n2.{'0' * 32}", "n2", "x2." + outside.pk.hex, "n0." + outside.pk.hex,
                   "n2.zz"):
        resp = _get(world, cursor=cursor)
        assert resp.status_code == 400, cursor
        body = resp.json()
        assert body["code"] == "validation_error" and body["detail"]["fields"]["cursor"] == [selectors.CURSOR_ERROR]
    # The root sees 莲花 too: the same cursor is good for her.
    assert selectors.elder_page(world["root"], selectors.ElderFilters(), cursor=f"n2.{outside.pk.hex}", size=5).page == 2


def _plan(sql: str, params) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # A few dozen rows: the planner would rightly read the table. Forbid that, to see
            # that the index can serve the page with the cursor as its start (the plan at
            # 200,000 elders is in docs/benchmarks.md).
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(r[-1]) for r in cur.fetchall())


def test_a_deep_page_is_one_index_range_from_the_cursor(world):
    """The page query starts at the cursor in the index (active, region_code, name, id): neither
    a sort nor a range from the jurisdiction's start, which would cost more the deeper the page."""
    whole = _whole(world, True)
    cursor = selectors.Cursor(True, Elder.objects.get(pk=whole[12]).pk, 5).token
    with CaptureQueriesContext(connection) as ctx:
        page = selectors.elder_page(world["street"], selectors.ElderFilters(), cursor=cursor, size=5)
    assert [str(e.pk) for e in page.rows] == whole[13:18]
    sql = next(q["sql"] for q in ctx.captured_queries if '"name", "elders_elder"."id") >' in q["sql"])
    # The captured SQL has its parameters inlined; run it again with them bound.
    with CaptureQueriesContext(connection):
        qs = selectors.elder_list_for(world["street"], selectors.ElderFilters(), seek=selectors._seek(
            True, page.rows[0].region_id, page.rows[0].name, page.rows[0].pk)).order_by(*selectors.LIST_ORDER)
        raw, params = qs[:6].query.sql_with_params()
    assert "ORDER BY" in sql and raw.index('"elders_elder"."id") >') < raw.index('"region_code" >=')
    plan = _plan(raw, params)
    assert "elder_active_region_name_id" in plan, plan
    if connection.vendor == "sqlite":
        assert "(region_code,name,id)>" in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Cond" in plan and "ROW(" in plan and "Sort" not in plan, plan


def test_plain_rows_are_what_elder_read_gives_masks_included(world):
    """The list's rows, built from values without a model instance, equal ElderRead's JSON of the
    same elders key for key: masks, derived 高龄, categories, economic status, dates."""
    from yiyang.elders.api import elder_read

    client = Client(headers={"Authorization": f"Bearer {world['root_token']}"})
    for active in ("true", "false"):
        body = client.get("/api/v1/elders", {"page_size": 200, "active": active}).json()
        assert body["items"], active
        for item in body["items"]:
            expected = json.loads(elder_read(Elder.objects.select_related("region__parent").get(pk=item["id"]))
                                  .model_dump_json())
            assert item == expected
    shapes = {i["name"]: i for i in client.get("/api/v1/elders", {"page_size": 200}).json()["items"]}
    assert shapes["高龄老人"]["categories"][0] == "advanced_age" and shapes["高龄老人"]["age"] >= 84
    assert shapes["无电话"]["phone"] == "" and shapes["无电话"]["economic_status"] == "not_in_difficulty"
    assert "*" in shapes["高龄老人"]["id_number"] and "*" in shapes["高龄老人"]["phone"]
