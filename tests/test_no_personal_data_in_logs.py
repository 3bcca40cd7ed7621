"""No personal data in any log (issue 7, A.4): searching by ID number or phone goes in a
request body (POST), never in a URL, and every log line passes a filter that masks ID
numbers and mobile numbers. The live check of gunicorn's access log is in test_serve.py."""

from __future__ import annotations

import io
import logging

import pytest
from django.test import Client

from tests import factories
from yiyang.core.logfilters import RedactPersonalData

PHONE = "13912345678"


@pytest.fixture
def people(superuser):
    return factories.make_elder(superuser, phone=PHONE), factories.make_elder(superuser, name="赵玉珍")


@pytest.fixture
def client(worker):
    c = Client()
    c.force_login(worker)
    return c


@pytest.fixture
def log_output():
    """Everything logged anywhere, written the way the configured console handler writes it."""
    console = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, RedactPersonalData) for f in h.filters))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for f in console.filters:
        handler.addFilter(f)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_the_api_search_takes_personal_data_in_the_body(client, people):
    wang, _zhao = people
    for body in ({"id_number": wang.id_number}, {"phone": PHONE}, {"q": wang.id_number}, {"q": PHONE},
                 {"name": wang.name[:1], "region": factories.COMMUNITY_A}):
        resp = client.post("/api/v1/elders/search", body, content_type="application/json")
        assert resp.status_code == 200, resp.content
        assert [e["id"] for e in resp.json()["items"]] == [str(wang.pk)]
    # The non-personal filters still work by GET.
    assert client.get("/api/v1/elders", {"region": factories.COMMUNITY_A}).json()["count"] == 2


@pytest.mark.parametrize("param", ["id_number", "phone", "q", "name"])
def test_personal_data_in_a_url_is_refused(client, people, param):
    resp = client.get("/api/v1/elders", {param: PHONE})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "personal_data_in_url" and "POST /api/v1/elders/search" in body["message"]
    assert body["detail"] == {"parameters": [param]}


def test_searching_leaves_no_id_number_or_phone_in_the_logs(client, people, log_output):
    wang, _zhao = people
    client.post("/api/v1/elders/search", {"id_number": wang.id_number}, content_type="application/json")
    client.post("/api/v1/elders/search", {"phone": PHONE, "page": 10**20}, content_type="application/json")  # a 400
    client.get("/api/v1/elders", {"id_number": wang.id_number})  # refused: a 400, logged as a warning
    client.post("/elders/", {"q": PHONE})
    client.post("/elders/", {"q": wang.id_number}, headers={"HX-Request": "true", "HX-Target": "results"})
    client.get("/elders/", {"q": PHONE})
    Client().get("/elders/", {"q": wang.id_number})  # not logged in: a redirect
    # Even a careless log line of our own is masked.
    logging.getLogger("yiyang.elders").warning("lookup %s / %s", wang.id_number, PHONE)
    text = log_output.getvalue()
    assert "Bad Request" in text  # the logs were captured
    assert wang.id_number not in text and PHONE not in text
    assert wang.id_number[:6] + "*" * 11 + wang.id_number[-1] in text and "139****5678" in text
