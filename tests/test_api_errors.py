"""Bad input never makes a 500, and every API error is ``{code, message, detail}`` with a
Chinese message (issue 7, A.5, A.9, A.10). Runs on SQLite and on PostgreSQL like the rest."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from yiyang.assessments.models import Assessment

HUGE = "99999999999999999999"


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.content[:500]
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    body = resp.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert has_chinese(body["message"]), body
    if code:
        assert body["code"] == code, body
    for messages in (body["detail"] or {}).get("fields", {}).values():
        for m in messages:
            assert has_chinese(m), body  # never pydantic's English
    return body


@pytest.fixture
def api(db, tree, street_admin):
    c = Client()
    c.force_login(street_admin)
    return c


@pytest.fixture
def an_elder(superuser):
    return factories.make_elder(superuser)


# -- A.5: numbers past every range are a 400, never a 500 --------------------------------------------

@pytest.mark.parametrize("path", [
    f"/api/v1/elders?page={HUGE}",
    f"/api/v1/entitlements/changes?page={HUGE}",
    f"/api/v1/payment-rounds?page={HUGE}",
    f"/api/v1/elders?page=2&page_size={HUGE}",
])
def test_a_page_past_any_range_is_a_400_in_chinese(api, path):
    body = assert_error(api.get(path), 400, "validation_error")
    assert "页码" in body["message"] or "每页" in body["message"]


@pytest.mark.parametrize("days", ["999999999", "-999999999", HUGE])
def test_within_days_past_any_range_is_a_400(api, days):
    body = assert_error(api.get(f"/api/v1/assessments/due?within_days={days}"), 400, "validation_error")
    assert "within_days" in body["detail"]["fields"]


def test_within_days_in_range_still_answers(api):
    assert api.get("/api/v1/assessments/due?within_days=3650").status_code == 200


@pytest.mark.parametrize("path", ["/elders/", "/entitlements/changes/"])
def test_pages_take_a_huge_page_number_without_error(api, path):
    assert api.get(f"{path}?page={HUGE}").status_code == 200


def test_a_huge_id_in_a_path_is_a_404(api):
    assert_error(api.get(f"/api/v1/payment-rounds/{HUGE}"), 404, "not_found")


# -- A.9: every error in the shape, in Chinese -------------------------------------------------------

def test_a_malformed_json_body_is_a_400_in_chinese(api, an_elder):
    resp = api.post(f"/api/v1/elders/{an_elder.pk}/deactivate", "{not json", content_type="application/json")
    body = assert_error(resp, 400, "malformed_json")
    assert "JSON" in body["message"]


@pytest.mark.parametrize("body", ["[null, null]", "null", "\"text\"", "42", "[]"])
def test_a_body_that_is_not_an_object_is_refused(api, an_elder, body):
    # [null, null] once created an assessment draft with every field defaulted.
    resp = api.post(f"/api/v1/elders/{an_elder.pk}/assessments", body, content_type="application/json")
    assert_error(resp, 400, "validation_error")
    assert not Assessment.objects.exists()


def test_a_nested_value_of_the_wrong_type_is_named_in_chinese(api, an_elder):
    resp = api.post(f"/api/v1/elders/{an_elder.pk}/assessments", {"part_a": [1, 2], "items": "x"},
                    content_type="application/json")
    body = assert_error(resp, 422, "validation_error")
    assert set(body["detail"]["fields"]) == {"part_a", "items"}


@pytest.mark.parametrize("value", ["2026-02-30", "0", "1700000000", "2026-13-01", "yesterday", "2026-2-3"])
def test_a_date_must_be_a_real_yyyy_mm_dd(api, an_elder, value):
    # ?on=0 was once read as 1970-01-01.
    body = assert_error(api.get(f"/api/v1/elders/{an_elder.pk}/entitlements?on={value}"), 422, "validation_error")
    assert body["detail"]["fields"]["on"] == ["不是有效的日期（应为 YYYY-MM-DD）"]


def test_a_real_date_is_still_taken(api, an_elder):
    assert api.get(f"/api/v1/elders/{an_elder.pk}/entitlements?on=2026-02-28").status_code == 200


def test_a_date_in_a_body_must_be_a_string_too(api, an_elder):
    resp = api.post(f"/api/v1/elders/{an_elder.pk}/assessments", {"assessed_on": 0}, content_type="application/json")
    assert_error(resp, 422, "validation_error")
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/no-such-thing"),
    ("get", "/api/v1/elders/x/y/z"),
    ("get", "/api/"),
    ("post", "/api/v2/elders"),
])
def test_an_unknown_path_under_api_is_a_json_404(api, method, path):
    assert_error(getattr(api, method)(path), 404, "not_found")


def test_a_method_not_allowed_is_a_json_405(api):
    assert_error(api.delete("/api/v1/elders"), 405, "method_not_allowed")


def test_a_csrf_failure_is_in_chinese(street_admin, an_elder):
    c = Client(enforce_csrf_checks=True)
    c.force_login(street_admin)
    resp = c.post(f"/api/v1/elders/{an_elder.pk}/deactivate", {"reason": "other"}, content_type="application/json")
    assert_error(resp, 403, "csrf_failed")


def test_unauthenticated_is_in_the_shape(db):
    assert_error(Client().get("/api/v1/elders"), 401, "unauthorized")


def test_the_openapi_document_lists_each_operations_error_responses(db):
    doc = Client().get("/api/v1/openapi.json").json()
    assert "Error" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"400", "422"} <= codes, (method, path, codes)
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            ref = op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error")
    token = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(token)


@pytest.mark.django_db
def test_a_nul_character_in_a_body_is_a_chinese_400_on_every_database(client, worker):
    """PostgreSQL cannot store or compare a NUL character: without this check a NUL sent in a
    search field was a 500 there (the schemathesis run found it)."""
    client.force_login(worker)
    body = client.post("/api/v1/elders/search", '{"living_situation": "alone\\u0000"}',
                       content_type="application/json")
    assert body.status_code == 400, body.content
    assert body.json()["message"] == "文本中不能含有空字符（\\u0000）"
