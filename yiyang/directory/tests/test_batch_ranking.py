"""A batch ranks exactly as one elder's page does (issue 8: the lists of 100,000 elders in
minutes). For speed the batch shares one pool of candidates per home cell among elders of
different communities and adds the services that serve each community (``ServiceArea``) on top;
here a cell holds elders of two communities, with services that serve one community, the
street or the district, a service that both has a place within the walk and serves the area,
services that come to the door from near and far, and one that takes only the very old — and
every elder's batch list must equal what ``recommend_many`` gives her alone."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests import factories
from yiyang.core import geo
from yiyang.directory import matching, servicelists
from yiyang.directory.models import ServiceList, ServiceListBatch
from yiyang.directory.services import directory_import
from yiyang.directory.tests.test_batch import HOME, STREET, _born
from yiyang.directory.tests.test_directory import hsds
from yiyang.elders.models import Elder
from yiyang.surveys import services as survey_services
from yiyang.surveys.selectors import elder_current_needs, questionnaire_published
from yiyang.surveys.tests.helpers import SOME_NEEDS


def _serving(obj: dict, *codes: str) -> dict:
    obj["service_areas"] = [{"extent_type": "yiyang-region", "extent": code} for code in codes]
    return obj


def _build():
    factories.load_tree()
    old_only = hsds("高龄饭堂", lat=HOME[0] + 0.002, lon=HOME[1] + 0.001)
    old_only["minimum_age"] = 80
    objs = [
        hsds("梅京饭堂", lat=HOME[0] + 0.003, lon=HOME[1]),
        hsds("景田饭堂", lat=HOME[0] + 0.011, lon=HOME[1]),
        old_only,
        # Serves community A only, from 3 km away: for A's elders it covers their area.
        _serving(hsds("梅京上门助餐", lat=HOME[0] + 0.027, lon=HOME[1], kind="home_visit",
                      needs=("meals", "companionship")), factories.COMMUNITY_A),
        # Comes to the door from 1 km, serves no declared area.
        hsds("近处上门陪伴", lat=HOME[0] - 0.009, lon=HOME[1], kind="home_care", needs=("companionship",)),
        # A place within the walk that also serves the whole street.
        _serving(hsds("梅林日间照料", lat=HOME[0] - 0.002, lon=HOME[1], kind="day_care",
                      needs=("companionship", "meals")), STREET),
        # Far away (≈ 11 km), serves the district: only through its area.
        _serving(hsds("全区上门服务", lat=HOME[0] + 0.100, lon=HOME[1], kind="home_care",
                      needs=("emergency", "companionship")), "440304000000"),
        _serving(hsds("全区关停服务", lat=HOME[0] + 0.100, lon=HOME[1], kind="home_care",
                      needs=("emergency",), status="inactive"), "440304000000"),
    ]
    result = directory_import(objs, source="test")
    assert result.committed, result.errors
    admin = factories.make_user("rank_street", "street_admin", STREET)
    elders = []
    cell = geo.cell_of(*HOME)
    other_cell = geo.cell_of(HOME[0] + 0.02, HOME[1] + 0.02)
    for i, (region, home, years) in enumerate([
            (factories.COMMUNITY_A, cell, 70), (factories.COMMUNITY_A, cell, 85),
            (factories.COMMUNITY_A2, cell, 72), (factories.COMMUNITY_A2, cell, 90),
            (factories.COMMUNITY_A2, other_cell, 81), (factories.COMMUNITY_A, "", 77)]):
        e = factories.make_elder(None, region_code=region, name=f"排序{'甲乙丙丁戊己'[i]}",
                                 id_number=factories.make_id_number(_born(years)))
        Elder.objects.filter(pk=e.pk).update(home_cell=home)
        survey_services.survey_submit(actor=None, elder=e, questionnaire=questionnaire_published(), answers=SOME_NEEDS,
                                      surveyed_on=timezone.localdate())
        elders.append(e)
    factories.run_worker()
    return {"admin": admin, "elders": elders}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def test_every_batch_list_is_the_elders_own_ranking(world, db):
    batch = ServiceListBatch.objects.create(region_code=STREET, total=6)
    # Chunks of two: pools and rankings are carried from chunk to chunk, and forgotten.
    batch = servicelists.service_list_batch_run(batch.pk, chunk=2)
    assert batch.status == "done" and batch.created == 6
    lists = {sl.elder_id: sl.content["services"] for sl in ServiceList.objects.filter(batch=batch)}
    names = set()
    for e in world["elders"]:
        elder = Elder.objects.get(pk=e.pk)
        codes = [code for code, _n in elder_current_needs(elder)]
        _pos, alone = matching.recommend_many(elder, codes, level=None, limit=servicelists.PER_NEED)
        expected = {code: [(str(r.service.pk), r.explanation) for r in alone[code]] for code in codes}
        got: dict[str, list[tuple[str, str]]] = {code: [] for code in codes}
        for s in lists[e.pk]:
            got[s["need"]].append((s["service_id"], s["why"]))
        assert got == expected, elder.name
        names |= {s["name"] for s in lists[e.pk]}
    # The cases the overlay must get right did occur.
    by_name = {e.name: {s["name"]: s["why"] for s in lists[e.pk]} for e in world["elders"]}
    assert "上门服务，覆盖老人所在区域" in by_name["排序甲"]["梅京上门助餐"]  # A's own area service
    assert "梅京上门助餐" not in by_name["排序丙"]  # same cell, community A2: 3 km, not its area
    assert "全区上门服务" in by_name["排序丙"] and "全区关停服务" not in names
    assert "高龄饭堂" in by_name["排序乙"] and "高龄饭堂" not in by_name["排序甲"]
    assert "梅林日间照料" in by_name["排序戊"]
