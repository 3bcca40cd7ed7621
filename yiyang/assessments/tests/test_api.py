"""API contract of assessments, and who may read health data."""

import pytest

from tests import factories
from yiyang.assessments.scoring import ITEMS
from yiyang.core.models import AccessLog


def items(**overrides):
    values = {i.code: i.max_score for i in ITEMS}
    values.update(overrides)
    return values


def token(client, username):
    r = client.post("/api/v1/auth/token", {"username": username, "password": factories.PASSWORD},
                    content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}


@pytest.fixture
def co_worker(tree):
    return factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A)


def test_stateless_score(client, worker):
    h = token(client, "worker_a")
    r = client.post("/api/v1/assessments/score", {"items": items(**{"B.2.4": 0}), "risk_events_30d": 2},
                    content_type="application/json", **h)
    assert r.status_code == 200
    assert r.json() == {"dimensions": {"B.1": 32, "B.2": 12, "B.3": 28, "B.4": 15}, "total": 87,
                        "preliminary_level": 1, "level": 2, "level_name": "能力中度受损（中度失能）",
                        "rules_applied": ["risk_events_30d"]}
    bad = client.post("/api/v1/assessments/score", {"items": items(**{"B.3.7": 3})},
                      content_type="application/json", **h)
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid_assessment" and body["detail"]["item"] == "B.3.7" and "超出范围" in body["message"]


def test_create_submit_confirm_through_the_api(client, worker, co_worker):
    elder = factories.make_elder(worker)
    h1, h2 = token(client, "worker_a"), token(client, "worker_b")
    r = client.post(f"/api/v1/elders/{elder.pk}/assessments",
                    {"reason": "first", "co_assessor": "worker_b", "items": items(**{"B.1.3": 0}),
                     "part_a": {"risk_events": {"fall": 1}}, "submit": True},
                    content_type="application/json", **h1)
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["status"] == "submitted" and a["total"] == 86 and a["level"] == 1
    assert client.post(f"/api/v1/assessments/{a['id']}/confirm", **h1).status_code == 403
    r = client.post(f"/api/v1/assessments/{a['id']}/confirm", **h2)
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["valid_until"]
    history = client.get(f"/api/v1/elders/{elder.pk}/assessments", **h1).json()
    assert [x["level"] for x in history] == [1]
    detail = client.get(f"/api/v1/assessments/{a['id']}", **h1).json()
    assert detail["items"]["B.1.3"] == 0 and detail["part_a"]["risk_events"]["fall"] == 1
    assert AccessLog.objects.filter(elder_id=elder.pk, fields=["能力评估"]).exists()
    export = client.post(f"/api/v1/assessments/{a['id']}/export", {"purpose": "老人迁往外地"},
                         content_type="application/json", **h1).json()
    assert export["format"] == "yiyang.assessment/1" and export["result"]["level"] == 1
    assert AccessLog.objects.filter(elder_id=elder.pk, action="export").exists()
    due = client.get("/api/v1/assessments/due?within_days=400", **h1).json()
    assert [d["elder_id"] for d in due] == [str(elder.pk)]


def test_incomplete_submit_names_the_missing_item(client, worker, co_worker):
    elder = factories.make_elder(worker)
    partial = items()
    del partial["B.4.2"]
    r = client.post(f"/api/v1/elders/{elder.pk}/assessments",
                    {"co_assessor": "worker_b", "items": partial, "submit": True},
                    content_type="application/json", **token(client, "worker_a"))
    assert r.status_code == 400 and "B.4.2" in r.json()["detail"]["fields"]


@pytest.mark.parametrize("role,node,expected", [
    ("commissioner", factories.COMMUNITY_A, 200),
    ("street_admin", "440304006000", 200),
    ("commissioner", factories.COMMUNITY_B, 404),  # outside the jurisdiction
    ("provider_staff", factories.COMMUNITY_A, 403),  # inside, but no right to health data
    ("operator", "440304000000", 403),
])
def test_health_data_access(client, worker, co_worker, role, node, expected):
    elder = factories.make_elder(worker)
    h1 = token(client, "worker_a")
    a = client.post(f"/api/v1/elders/{elder.pk}/assessments", {"co_assessor": "worker_b", "items": items()},
                    content_type="application/json", **h1).json()
    factories.make_user("probe", role, node)
    h = token(client, "probe")
    assert client.get(f"/api/v1/assessments/{a['id']}", **h).status_code == expected
    assert client.get(f"/api/v1/elders/{elder.pk}/assessments", **h).status_code == expected
    assert client.post(f"/api/v1/assessments/{a['id']}/export", {"purpose": "转交评估结果"},
                       content_type="application/json", **h).status_code == expected
