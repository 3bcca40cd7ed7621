"""The per-community counts (``ElderRegionCount``) stay equal to a recount from the elder
table as elders arrive the ways they really do — one by one, a bulk import, deactivation and
reactivation, a move to another community, a duplicate judged the same — and the home page,
the per-region table and the list's count read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories
from yiyang.elders import counts, home, selectors, services
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Elder, ElderRegionCount
from yiyang.elders.tests.test_importing import csv_bytes, row
from yiyang.regions.models import Region

pytestmark = pytest.mark.django_db


def _id(n: int) -> str:
    return factories.make_id_number(dt.date(1941, 1, 1) + dt.timedelta(days=n))


def _build():
    factories.load_tree()
    root = factories.make_user("count_root", "city_admin", None, is_superuser=True)
    district = factories.make_user("count_district", "district_admin", "440304000000")
    street = factories.make_user("count_street", "street_admin", "440304006000")
    for n in range(6):
        factories.make_elder(root, (factories.COMMUNITY_A, factories.COMMUNITY_B)[n % 2], id_number=_id(n))
    report = elders_import(actor=None, file_name="名单.csv", data=csv_bytes([
        row(身份证号=_id(100 + n), 社区代码=(factories.COMMUNITY_A, factories.COMMUNITY_A2, factories.COMMUNITY_B)[n % 3],
            联系电话=f"1390000{n:04d}")
        for n in range(30)]))
    assert report.committed, report
    return {"root": root, "district": district, "street": street}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def test_the_counts_equal_a_recount_after_registrations_and_a_bulk_import(world):
    assert counts.region_counts_stored() == counts.region_counts_exact()
    assert counts.region_counts_stored()[factories.COMMUNITY_A2] == (10, 0)


def test_deactivation_reactivation_a_move_and_a_duplicate_keep_them_exact(world):
    root = world["root"]
    a = list(Elder.objects.filter(region_id=factories.COMMUNITY_A).order_by("pk")[:4])
    services.elder_deactivate(actor=root, elder=a[0], reason="deceased")
    services.elder_deactivate(actor=root, elder=a[1], reason="moved_away")
    services.elder_reactivate(actor=root, elder=Elder.objects.get(pk=a[1].pk))
    services.elder_update(actor=root, elder=a[2], data={"region_code": factories.COMMUNITY_B})
    # A name change alone moves nobody; a deactivated elder moved by hand is recounted too.
    services.elder_update(actor=root, elder=a[3], data={"name": "改名后"})
    twin = factories.make_elder(root, factories.COMMUNITY_A2, id_number=_id(500), name="改名后",
                                phone=Elder.objects.get(pk=a[3].pk).phone)
    services.duplicate_verdict_record(actor=root, elder=twin, other=Elder.objects.get(pk=a[3].pk), same=True)
    stored = counts.region_counts_stored()
    assert stored == counts.region_counts_exact()
    before = dict(stored)
    assert before[factories.COMMUNITY_A2] == (10, 1)  # the twin, deactivated as a duplicate
    # A write that went around the services is found by --check and mended by a rebuild.
    Elder.objects.filter(pk=a[2].pk).update(active=False)
    with pytest.raises(CommandError):
        call_command("elders_recount", "--check")
    call_command("elders_recount")
    call_command("elders_recount", "--check")
    assert counts.region_counts_stored() == counts.region_counts_exact()
    Elder.objects.filter(pk=a[2].pk).update(active=True)
    counts.region_counts_recount([Elder.objects.get(pk=a[2].pk).region_id])
    assert counts.region_counts_stored() == before


def test_home_tile_figures_and_list_count_read_the_counts(world):
    exact = counts.region_counts_exact()
    streets = list(Region.objects.filter(parent_id="440304000000", active=True).order_by("code"))
    world["district"].region  # noqa: B018 - the user's node, loaded before the count
    district = Region.objects.get(code="440304000000")
    with CaptureQueriesContext(connection) as ctx:
        figure = home.registered_figure(world["district"], [*streets, district], None)
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]  # one grouped query
    assert "elders_elder\"" not in ctx.captured_queries[0]["sql"]  # the aggregate, not the elders
    for street in streets:
        assert figure[street.code].value == sum(a for c, (a, _i) in exact.items() if c.startswith(street.prefix))
    assert figure["440304000000"].value == sum(a for c, (a, _i) in exact.items() if c.startswith("440304"))

    class Request:
        user = world["street"]
    assert home.active_count(Request()) == sum(a for c, (a, _i) in exact.items() if c.startswith("440304006"))

    token = Client().post("/api/v1/auth/token", {"username": "count_street", "password": factories.PASSWORD},
                          content_type="application/json").json()["token"]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    for params in ({}, {"region": factories.COMMUNITY_A2}, {"active": "false"}, {"region": "440304007"},
                   {"region": "garbage"}, {"living_situation": "alone"}):
        body = api.get("/api/v1/elders", params).json()
        f = selectors.ElderFilters(region=params.get("region", ""), living_situation=params.get("living_situation", ""),
                                   active=params.get("active") != "false")
        assert body["count"] == selectors.elder_list_for(world["street"], f).count(), params
    # No capability, no counts.
    assert ElderRegionCount.objects.exists()
    operator = factories.make_user("count_operator", "operator", "440304000000")
    assert selectors.elder_count_for(operator, selectors.ElderFilters()) == 0


def test_the_rates_denominator_is_the_maintained_count(world):
    """Assessment and survey coverage on the per-region table divide by these counts."""
    exact = counts.region_counts_exact()
    street = {c: a for c, (a, _i) in exact.items() if c.startswith("440304006") and a}
    assert selectors.active_per_community(world["street"]) == street
    with CaptureQueriesContext(connection) as ctx:
        selectors.active_per_community(world["district"])
    assert len(ctx.captured_queries) == 1 and "elders_elder\"" not in ctx.captured_queries[0]["sql"]
