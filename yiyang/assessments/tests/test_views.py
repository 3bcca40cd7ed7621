"""Assessment pages: start with a co-assessor, the 26-item form, submit, co-sign on the same
device, the elder page shows the level, the due list."""

import pytest

from tests import factories
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import ITEMS
from yiyang.core.models import AccessLog


@pytest.fixture
def co_worker(tree):
    return factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A, full_name="李敏")


def form_data(**overrides):
    data = {i.code: str(i.max_score) for i in ITEMS}
    data.update({f"risk_{k}": "0" for k in ("fall", "wandering", "choking", "self_harm", "other")})
    data.update(overrides)
    return data


def test_full_page_flow(client, worker, co_worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    page = client.get(f"/elders/{elder.pk}/")
    assert "尚未按 GB/T 42195—2022 评估" in page.content.decode()
    r = client.post(f"/assessments/elder/{elder.pk}/new/",
                    {"reason": "first", "assessed_on": "2026-11-20", "co_assessor": str(co_worker.pk)})
    assert r.status_code == 302
    a = Assessment.objects.get()
    form = client.get(f"/assessments/{a.pk}/edit/").content.decode()
    assert "B.2.4 上下楼梯" in form and "可独立上下楼梯" in form and "李敏" in form
    # Save an incomplete draft: kept, nothing lost.
    r = client.post(f"/assessments/{a.pk}/edit/", form_data(**{"B.4.5": "", "B.1.1": "2"}) | {"save": "1"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.answers["items"]["B.1.1"] == 2 and "B.4.5" not in a.answers["items"]
    # Submit the complete form.
    r = client.post(f"/assessments/{a.pk}/edit/", form_data(**{"B.1.1": "2"}) | {"submit": "1"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == "submitted" and a.total == 88
    # The second assessor co-signs on the same phone with a wrong, then the right password.
    detail = client.get(f"/assessments/{a.pk}/").content.decode()
    assert "请第二评估员 李敏" in detail
    client.post(f"/assessments/{a.pk}/confirm/", {"password": "wrong"})
    a.refresh_from_db()
    assert a.status == "submitted"
    r = client.post(f"/assessments/{a.pk}/confirm/", {"password": factories.PASSWORD})
    assert r.status_code == 302 and r["Location"] == f"/elders/{elder.pk}/"
    a.refresh_from_db()
    assert a.status == "confirmed" and a.confirmed_by == co_worker
    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "1级 · 能力轻度受损（轻度失能）" in page and "88/90" in page
    assert AccessLog.objects.filter(elder_id=elder.pk, fields=["能力评估"]).exists()


def test_submit_incomplete_shows_what_is_missing(client, worker, co_worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    client.post(f"/assessments/elder/{elder.pk}/new/",
                {"reason": "first", "assessed_on": "2026-11-20", "co_assessor": str(co_worker.pk)})
    a = Assessment.objects.get()
    r = client.post(f"/assessments/{a.pk}/edit/", form_data(**{"B.3.4": ""}) | {"submit": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "缺少条目 B.3.4 记忆" in html
    a.refresh_from_db()
    assert a.status == "draft" and a.answers["items"]["B.1.1"] == 4  # the rest was kept


def test_start_refuses_a_future_date(client, worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    r = client.post(f"/assessments/elder/{elder.pk}/new/", {"reason": "first", "assessed_on": "2099-01-01"})
    assert r.status_code == 400 and "不能晚于今天" in r.content.decode()


def test_pages_are_404_outside_the_jurisdiction(client, worker, co_worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    client.post(f"/assessments/elder/{elder.pk}/new/",
                {"reason": "first", "assessed_on": "2026-11-20", "co_assessor": str(co_worker.pk)})
    a = Assessment.objects.get()
    outsider = factories.make_user("far", "commissioner", factories.COMMUNITY_B)
    client.force_login(outsider)
    for url in (f"/assessments/{a.pk}/", f"/assessments/{a.pk}/edit/", f"/assessments/{a.pk}/print/",
                f"/assessments/elder/{elder.pk}/new/"):
        assert client.get(url).status_code == 404, url


def test_due_page(client, worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    client.post(f"/assessments/elder/{elder.pk}/immediate/", {"note": "跌倒后"})
    html = client.get("/assessments/due/").content.decode()
    assert elder.name in html and "即时评估" in html
