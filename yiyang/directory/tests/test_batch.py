"""Service lists for a whole region in the background (issue 8: "Service lists for 100,000 elders
in a background batch"): started from the page by a street administrator, made by the worker in
chunks, each list as a worker's would be (benefits as kept, the same ranking), versions
continued, every list shown logged and on the timeline; a run that stopped resumes without
making a list twice; only the jurisdiction; the command line does the same in the foreground."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core import geo
from yiyang.core.models import Event
from yiyang.directory import servicelists
from yiyang.directory.models import RecommendationLog, ServiceList, ServiceListBatch
from yiyang.directory.services import directory_import
from yiyang.directory.tests.test_directory import hsds
from yiyang.elders.models import Elder
from yiyang.surveys import services as survey_services
from yiyang.surveys.selectors import questionnaire_published
from yiyang.surveys.tests.helpers import SOME_NEEDS

HOME = (22.5400, 114.0500)
STREET = "440304006000"  # 梅林街道: communities A and A2


def _born(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=30)


def _build():
    factories.load_tree()
    worker = factories.make_user("batch_worker", "commissioner", factories.COMMUNITY_A)
    admin = factories.make_user("batch_street", "street_admin", STREET)
    assert directory_import([hsds("批量近处饭堂", lat=HOME[0] + 0.003, lon=HOME[1]),
                             hsds("批量远处饭堂", lat=HOME[0] + 0.012, lon=HOME[1])], source="test").committed
    elders = []
    for i, (region, located) in enumerate([(factories.COMMUNITY_A, True), (factories.COMMUNITY_A, True),
                                           (factories.COMMUNITY_A2, False), (factories.COMMUNITY_A2, True)]):
        e = factories.make_elder(worker if region == factories.COMMUNITY_A else None, region_code=region,
                                 name=f"批量{'甲乙丙丁'[i]}", id_number=factories.make_id_number(_born(70 + i)))
        if located:
            Elder.objects.filter(pk=e.pk).update(home_cell=geo.cell_of(*HOME))
        survey_services.survey_submit(actor=None, elder=e, questionnaire=questionnaire_published(), answers=SOME_NEEDS,
                                      surveyed_on=timezone.localdate())
        elders.append(e)
    inactive = factories.make_elder(None, region_code=factories.COMMUNITY_A, name="批量停用",
                                    id_number=factories.make_id_number(_born(90)))
    Elder.objects.filter(pk=inactive.pk).update(active=False)
    outside = factories.make_elder(None, region_code=factories.COMMUNITY_B, name="批量外街",
                                   id_number=factories.make_id_number(_born(80)))
    factories.run_worker()  # entitlements stored for all
    # One of them already has a list: the batch's is her second version.
    servicelists.service_list_save(actor=worker, elder=elders[0], content={"benefits": [], "services": []})
    return {"worker": worker, "admin": admin, "elders": elders, "inactive": inactive, "outside": outside}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with factories.module_world(django_db_blocker, _build) as w:
        yield w


def test_a_street_makes_every_elders_list_in_the_background(world, db):
    c = Client()
    c.force_login(world["admin"])
    page = c.get(reverse("directory:list_batches")).content.decode()
    assert "批量生成养老服务清单" in page and "梅林街道" in page
    resp = c.post(reverse("directory:list_batches"), {"region": STREET})
    assert resp.status_code == 302
    batch = ServiceListBatch.objects.get(region_code=STREET)
    assert batch.status == "queued" and batch.total == 4  # active elders of the street only
    # While it waits, the table polls itself; a second start for the same street is refused.
    fragment = c.get(reverse("directory:list_batches"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "排队中" in fragment
    again = c.post(reverse("directory:list_batches"), {"region": STREET})
    assert again.status_code == 400 and "正在生成" in again.content.decode()

    factories.run_worker()
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.created) == ("done", 4, 4) and batch.with_services == 4
    lists = {sl.elder_id: sl for sl in ServiceList.objects.filter(batch=batch)}
    e = world["elders"]
    assert set(lists) == {x.pk for x in e}
    assert lists[e[0].pk].version == 2 and lists[e[1].pk].version == 1
    content = lists[e[1].pk].content
    assert [s["name"] for s in content["services"] if s["need"] == "meals"] == ["批量近处饭堂", "批量远处饭堂"]
    assert all(s["address"] and s["why"] for s in content["services"])
    # The batch ranks as one elder's page does (places from memory by tile, the same factors).
    from yiyang.directory import matching
    from yiyang.surveys.selectors import elder_current_needs

    codes = [code for code, _n in elder_current_needs(e[1])]
    _pos, one = matching.recommend_many(Elder.objects.get(pk=e[1].pk), codes, level=None,
                                        limit=servicelists.PER_NEED)
    assert [(s["need"], s["service_id"], s["why"]) for s in content["services"]] == [
        (code, str(r.service.pk), r.explanation) for code in codes for r in one[code]]
    assert any(b["status"] == "可享受" for b in content["benefits"])  # 低保: benefits as the entitlements app keeps them
    # The elder of A2 without a home cell, her community without a centre: the street's services,
    # said to be at an unknown distance.
    assert lists[e[2].pk].content["services"] and all(
        "距离未知" in s["why"] for s in lists[e[2].pk].content["services"])
    # Shown lists are logged; each list is on the elder's timeline.
    assert RecommendationLog.objects.filter(elder_id=e[1].pk, context="batch").exists()
    assert Event.objects.filter(elder_id=e[3].pk, type="service_list.created", payload__batch=str(batch.pk)).exists()
    page = c.get(reverse("directory:list_batches")).content.decode()
    assert "已完成" in page and "hx-trigger" not in page and "已处理 4 / 4 位老人" in page


def test_a_stopped_run_resumes_without_making_a_list_twice(world, db):
    batch = ServiceListBatch.objects.create(region_code=factories.COMMUNITY_A, total=2)
    seen = []

    def stop_after_first(b):
        seen.append(b.done)
        raise SystemError("worker stopped")

    with pytest.raises(SystemError):
        servicelists.service_list_batch_run(batch.pk, chunk=1, progress=stop_after_first)
    batch.refresh_from_db()
    assert batch.status == "failed" and "worker stopped" in batch.error and ServiceList.objects.filter(
        batch=batch).count() == 1
    batch = servicelists.service_list_batch_run(batch.pk, chunk=1)
    assert batch.status == "done" and batch.done == 2 and batch.created == 2
    per_elder = list(ServiceList.objects.filter(batch=batch).values_list("elder_id", flat=True))
    assert len(per_elder) == len(set(per_elder)) == 2


def test_only_the_jurisdiction_and_only_roles_that_may(world, db):
    c = Client()
    c.force_login(world["worker"])  # a 专员 makes one elder's list, not a district's
    assert c.get(reverse("directory:list_batches")).status_code == 403
    c.force_login(world["admin"])
    resp = c.post(reverse("directory:list_batches"), {"region": "440304007000"})  # another street
    assert resp.status_code == 400 and "请选择辖区内的区域" in resp.content.decode()
    assert not ServiceListBatch.objects.filter(region_code="440304007000").exists()
    assert not ServiceList.objects.filter(elder_id=world["outside"].pk).exists()
    assert not ServiceList.objects.filter(elder_id=world["inactive"].pk).exists()


def test_the_command_line_makes_them_in_the_foreground(world, db):
    out = io.StringIO()
    call_command("directory", "lists", factories.COMMUNITY_A2, stdout=out)
    text = out.getvalue()
    assert "2/2 位老人" in text and "完成：2 位老人，生成 2 份清单" in text
