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


RISK = {f"risk_{k}": "0" for k in ("fall", "wandering", "choking", "self_harm", "other")}


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
    assert 'href="#item-B.3.4"' in html and "还有 1 项未评" in html
    a.refresh_from_db()
    assert a.status == "draft" and a.answers["items"]["B.1.1"] == 4  # the rest was kept


# -- the form on a phone (issue 7 C.1) ----------------------------------------------------------


def _draft(client, worker, co_worker):
    elder = factories.make_elder(worker)
    client.force_login(worker)
    client.post(f"/assessments/elder/{elder.pk}/new/",
                {"reason": "first", "assessed_on": "2026-11-20", "co_assessor": str(co_worker.pk)})
    return elder, Assessment.objects.get(elder=elder)


def test_the_form_shows_progress_overall_and_per_section_with_jumps(client, worker, co_worker):
    _elder, a = _draft(client, worker, co_worker)
    html = client.get(f"/assessments/{a.pk}/edit/").content.decode()
    assert '<span id="answered-count">0</span>/26' in html and "尚有 26 项未评" in html
    assert 'href="#sec-B1"' in html and 'id="sec-B1"' in html and '<span data-count-for="B.1">0/8</span>' in html
    assert "yiyang/assessment-form.js" in html and "<script>" not in html  # CSP: no inline script
    client.post(f"/assessments/{a.pk}/edit/", RISK | {"B.1.1": "4", "B.1.2": "3", "B.2.1": "2", "save": "1"})
    html = client.get(f"/assessments/{a.pk}/edit/").content.decode()
    assert '<span id="answered-count">3</span>/26' in html and "尚有 23 项未评" in html
    assert '<span data-count-for="B.1">2/8</span>' in html and '<span data-count-for="B.2">1/4</span>' in html


def test_an_incomplete_submit_lists_every_missing_item_at_the_top_with_links(client, worker, co_worker):
    _elder, a = _draft(client, worker, co_worker)
    answered = {"B.1.1": "4", "B.1.2": "4", "B.1.3": "4", "B.1.4": "4", "B.1.5": "4"}
    r = client.post(f"/assessments/{a.pk}/edit/", RISK | answered | {"submit": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    summary = html[html.index('id="missing-summary"'):html.index("</div>", html.index('id="missing-summary"'))]
    assert "还有 21 项未评" in summary and "草稿已保存" in summary
    assert all(f'href="#item-{i.code}"' in summary for i in ITEMS if i.code not in answered)
    assert html.index('id="missing-summary"') < html.index('id="sec-A"')  # at the top of the form
    a.refresh_from_db()
    assert a.status == "draft" and len(a.answers["items"]) == 5


def test_the_count_follows_the_answers_sent_not_the_last_save(client, worker, tree):
    # All 26 answered but no second assessor: the page comes back — and no longer says 尚有 26 项未评.
    elder = factories.make_elder(worker)
    client.force_login(worker)
    client.post(f"/assessments/elder/{elder.pk}/new/", {"reason": "first", "assessed_on": "2026-11-20"})
    a = Assessment.objects.get()
    r = client.post(f"/assessments/{a.pk}/edit/", form_data() | {"submit": "1"})
    html = r.content.decode()
    assert r.status_code == 400 and "第二评估员" in html
    assert "尚有 26 项未评" not in html and '<span id="answered-count">26</span>/26' in html
    assert "26 项已全部评定" in html


def test_a_new_assessment_resumes_the_open_draft(client, worker, co_worker):
    elder, a = _draft(client, worker, co_worker)
    section = client.get(f"/elders/{elder.pk}/").content.decode()
    assert f'href="/assessments/{a.pk}/edit/">继续评估' in section
    r = client.get(f"/assessments/elder/{elder.pk}/new/")
    assert r.status_code == 302 and r["Location"] == f"/assessments/{a.pk}/edit/"
    r = client.post(f"/assessments/elder/{elder.pk}/new/", {"reason": "first", "assessed_on": "2026-11-20"})
    assert r.status_code == 302 and Assessment.objects.filter(elder=elder).count() == 1


def test_any_assessor_of_the_street_may_be_second_assessor_and_confirm(client, worker, tree):
    """Before, only administrators (bound above the community) were offered."""
    neighbour = factories.make_user("worker_a2", "commissioner", factories.COMMUNITY_A2, full_name="周专员")
    far = factories.make_user("worker_b1", "commissioner", factories.COMMUNITY_B, full_name="远专员")
    elder = factories.make_elder(worker)
    client.force_login(worker)
    page = client.get(f"/assessments/elder/{elder.pk}/new/").content.decode()
    assert f'value="{neighbour.pk}"' in page and "周专员" in page and f'value="{far.pk}"' not in page
    r = client.post(f"/assessments/elder/{elder.pk}/new/",
                    {"reason": "first", "assessed_on": "2026-11-20", "co_assessor": str(neighbour.pk)})
    assert r.status_code == 302
    a = Assessment.objects.get()
    client.post(f"/assessments/{a.pk}/edit/", form_data() | {"submit": "1"})
    # The neighbour reaches this assessment (only it: not the elder's page) and confirms it.
    client.force_login(neighbour)
    assert client.get(f"/assessments/{a.pk}/").status_code == 200
    assert client.get(f"/elders/{elder.pk}/").status_code == 404
    r = client.post(f"/assessments/{a.pk}/confirm/")
    a.refresh_from_db()
    assert a.status == "confirmed" and a.confirmed_by == neighbour
    client.force_login(far)
    assert client.get(f"/assessments/{a.pk}/").status_code == 404


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
