"""Matching's table (``MatchCandidate``) follows every path that writes the directory: the HSDS
import (a place moved under other services too), a provider's edit of free places, prices,
needs and status, the admin's service and place pages, and the command that checks it. After each,
the table equals a rebuild (``candidates_check``) and matching sees the change."""

from __future__ import annotations

import html.parser
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests import factories
from yiyang.directory import matching
from yiyang.directory.candidates import candidates_check
from yiyang.directory.models import Location, MatchCandidate, Service
from yiyang.directory.services import directory_import, service_update
from yiyang.directory.tests.test_directory import HOME, hsds

PLACE = str(uuid.uuid4())


def _shared_place(name: str, sid: str, *, lat: float, kind: str = "canteen", needs=("meals",)) -> dict:
    """A service at the place ``PLACE`` (two services share it)."""
    obj = hsds(name, lat=lat, lon=HOME[1], kind=kind, needs=needs, sid=sid)
    obj["service_at_locations"][0]["location"]["id"] = PLACE
    return obj


CANTEEN, DAY_CARE = str(uuid.uuid4()), str(uuid.uuid4())


def _build():
    factories.load_tree()
    result = directory_import([
        _shared_place("梅林饭堂", CANTEEN, lat=HOME[0] + 0.002),
        _shared_place("梅林日照", DAY_CARE, lat=HOME[0] + 0.002, kind="day_care", needs=("daily_care", "meals")),
        hsds("景田饭堂", lat=HOME[0] + 0.010, lon=HOME[1]),
    ], source="test")
    assert result.committed, result.errors
    return {"provider": factories.make_user("cand_provider", "provider_staff", factories.COMMUNITY_A)}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def _rows(sid: str, need: str = "meals") -> list[MatchCandidate]:
    return list(MatchCandidate.objects.filter(service_id=sid, need=need))


def _meals_near(name: str) -> list[str]:
    """Names of the meal services matching finds for an elder at HOME."""
    pos = matching.Position(HOME, "home", "")
    ranked = matching.rank(position=pos, region_id=factories.COMMUNITY_A, needs=["meals"], age=80, level=None,
                           means=matching.Means(), limit=10)
    return [Service.objects.get(pk=c.id).name for c, _s, _f in ranked["meals"]]


def test_the_import_writes_one_row_per_service_need_and_place(world, db):
    assert candidates_check() == []
    assert [(r.need, r.door, r.capacity, r.free) for r in _rows(CANTEEN)] == [
        ("meals", False, MatchCandidate.Capacity.FREE, False)]
    assert {r.need for r in MatchCandidate.objects.filter(service_id=DAY_CARE)} == {"daily_care", "meals"}
    row = _rows(CANTEEN)[0]
    assert float(row.lowest_price) == 15 and row.tile == Location.objects.get(pk=PLACE).tile


def test_a_place_moved_by_a_reimport_moves_every_service_there(world, db):
    far = HOME[0] + 0.5  # ≈ 55 km north: out of reach
    result = directory_import([_shared_place("梅林饭堂", CANTEEN, lat=far)], source="test")
    assert result.committed, result.errors
    assert candidates_check() == []
    moved = Location.objects.get(pk=PLACE).tile
    assert {r.tile for r in MatchCandidate.objects.filter(service_id__in=[CANTEEN, DAY_CARE])} == {moved}
    assert "梅林日照" not in _meals_near("梅林日照")  # the day centre, not imported again, moved with its place


def test_a_providers_edit_reaches_matching(world, db):
    service = Service.objects.get(pk=CANTEEN)
    service_update(actor=world["provider"], service=service, data={
        "capacities": [{"unit": "餐位", "available": 0, "maximum": 80}],
        "cost_options": [{"option": "午餐", "amount": 0}], "needs": ["meals", "bathing"]})
    assert candidates_check() == []
    assert {(r.need, r.capacity, r.free) for r in MatchCandidate.objects.filter(service_id=CANTEEN)} == {
        ("meals", MatchCandidate.Capacity.NONE_FREE, True), ("bathing", MatchCandidate.Capacity.NONE_FREE, True)}
    service_update(actor=world["provider"], service=service, data={"status": "temporarily closed"})
    assert candidates_check() == [] and not MatchCandidate.objects.filter(service_id=CANTEEN).exists()
    service_update(actor=world["provider"], service=service, data={"status": "active"})
    assert candidates_check() == [] and MatchCandidate.objects.filter(service_id=CANTEEN).count() == 2


class _Form(html.parser.HTMLParser):
    """The values a browser would post from an admin change page (inlines included)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _admin_form(client: Client, url: str) -> dict[str, str]:
    page = _Form()
    page.feed(client.get(url).content.decode())
    return {k: v for k, v in page.data.items() if "__prefix__" not in k}


def test_the_admins_edits_reach_matching(world, db):
    admin = Client()
    admin.force_login(factories.make_user("cand_root", "city_admin", None, is_superuser=True, is_staff=True))
    # The day centre becomes a home-care service: it now comes to the door.
    url = f"/admin/directory/service/{DAY_CARE}/change/"
    form = _admin_form(admin, url)
    form["kind"] = "home_care"
    resp = admin.post(url, form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert candidates_check() == []
    assert {r.door for r in MatchCandidate.objects.filter(service_id=DAY_CARE)} == {True}
    # The place goes back next to the home: both services there follow.
    url = f"/admin/directory/location/{PLACE}/change/"
    form = _admin_form(admin, url)
    form["latitude"] = str(HOME[0] + 0.001)
    assert admin.post(url, form).status_code == 302
    assert candidates_check() == []
    assert {"梅林饭堂", "梅林日照"} <= set(_meals_near("梅林饭堂"))
    # The place is deleted: its services have no place any more.
    assert admin.post(f"/admin/directory/location/{PLACE}/delete/", {"post": "yes"}).status_code == 302
    assert candidates_check() == []
    assert {r.tile for r in MatchCandidate.objects.filter(service_id__in=[CANTEEN, DAY_CARE])} == {None}


def test_the_command_finds_a_table_out_of_step_and_rebuilds_it(world, db, capsys):
    MatchCandidate.objects.filter(service__name="景田饭堂").update(capacity=MatchCandidate.Capacity.UNREPORTED)
    with pytest.raises(CommandError, match="不一致"):
        call_command("directory", "candidates", "--check")
    call_command("directory", "candidates")
    assert "一致" in capsys.readouterr().out and candidates_check() == []


def test_the_candidates_statement_is_ranges_of_its_index_on_both_databases(world, db):
    """The one statement of a list reads ranges of ``(need, door, tile)`` — one per OR term — and
    nothing else of the table (docs/benchmarks.md holds the plans at 50,000 services). A reshaped
    index or statement that fell back to scanning the table would fail here."""
    import random

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiyang.directory.models import TILE_ROW

    with CaptureQueriesContext(connection) as ctx:
        assert _meals_near("梅林饭堂")
    sql = next(q["sql"] for q in ctx.captured_queries if "c.tile BETWEEN" in q["sql"])
    assert "c.door = TRUE" in sql and "c.door = FALSE" in sql  # both questions in one statement
    # A city's worth of rows around (rolled back with the test), and statistics, so that each
    # database plans as it would for a real directory rather than for a handful of rows.
    rng = random.Random(8)
    service = Service.objects.first()
    needs = ["meals", "bathing", "medical", "daily_care", "companionship", "emergency", "rehab", "cleaning"]
    MatchCandidate.objects.bulk_create([MatchCandidate(
        service=service, need=rng.choice(needs), door=rng.random() < 0.3,
        tile=rng.randint(2245, 2285) * TILE_ROW + rng.randint(11375, 11425), latitude=22.5, longitude=114.0,
        region_code=rng.choice(["440304006001", "440304007001", "440303001001"]), kind="canteen",
        capacity=0, free=False) for _ in range(20_000)], batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE " + MatchCandidate._meta.db_table)
        cur.execute(("EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + sql)
        plan = "\n".join(str(r[-1]) for r in cur.fetchall())
    assert "candidate_need_door_tile" in plan, plan
    assert "SCAN c" not in plan and "Seq Scan on directory_matchcandidate" not in plan, plan
