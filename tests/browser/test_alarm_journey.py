"""An emergency call end to end in the browser: the worker's board (phone) is open; the elder's
pendant presses (a real HTTP call with the device's key); within a poll the alarm is on the
board, red; the worker opens the elder's key facts (logged), acknowledges, arrives, resolves
with an outcome; the follow-up visit is on her list (the worker process made it)."""

from __future__ import annotations

import importlib
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_journeys import log_in
from yiyang.accounts.models import Role
from yiyang.alarms import services
from yiyang.alarms.models import Alarm, AlarmProfile
from yiyang.casework.models import FollowUp
from yiyang.core.models import AccessLog
from yiyang.elders.services import elder_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shipped_data(transactional_db):
    from django.apps import apps

    importlib.import_module("yiyang.elders.migrations.0002_default_categories").forwards(apps, None)
    importlib.import_module("yiyang.alarms.migrations.0002_default_policies").forwards(apps, None)


@pytest.fixture
def pendant():
    factories.load_tree()
    worker = factories.make_user("worker_meijing", Role.COMMISSIONER, factories.COMMUNITY_A, full_name="李专员")
    root = factories.make_user("root", Role.CITY_ADMIN, None, is_superuser=True)
    elder = elder_register(actor=root, data=factories.elder_data(name="王阿姨"),
                           contacts=[{"name": "王小明", "phone": "13700000009", "relation": "儿子"}])
    AlarmProfile.objects.create(elder=elder, region_code=elder.region_id, responder=worker, daily_checkin=True)
    _device, key = services.device_register(actor=root, elder=elder, serial="SOS-DEMO-01")
    return {"worker": worker, "elder": elder, "key": key}


def press(base_url: str, key: str) -> dict:
    request = urllib.request.Request(base_url + "/api/v1/alarms",  # noqa: S310 - the live test server
                                     data=json.dumps({"note": "挂件呼叫"}).encode(), method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {key}",
                                                             "Idempotency-Key": "press-42"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the live test server
        return json.loads(answer.read())


def test_an_alarm_reaches_the_board_and_is_answered_to_a_follow_up_visit(page_factory, pendant, live_server):
    page = page_factory("phone")
    log_in(page, "worker_meijing")
    page.get_by_role("link", name=re.compile("呼叫")).first.click()
    expect(page.get_by_role("heading", name="呼叫看板")).to_be_visible()
    expect(page.locator("#open-alarms")).to_contain_text("目前没有未结束的呼叫")
    page.get_by_role("button", name=re.compile("提示音")).click()  # sound on (a tap allows it)

    raised = press(live_server.url, pendant["key"])
    assert raised["state"] == "dispatched"
    row = page.locator(f"#alarm-{raised['id']}")
    expect(row).to_be_visible(timeout=8_000)  # the board polls every 5 s
    expect(row).to_have_class(re.compile("alarm-unanswered"))
    expect(page.locator("#board")).to_have_attribute("data-ringing", "true")
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    row.get_by_role("button", name="老人信息").click()
    expect(row.locator(".alarm-facts")).to_contain_text("王小明")
    assert AccessLog.objects.filter(elder_id=pendant["elder"].pk, purpose__startswith="紧急呼叫处置").count() == 1
    page.wait_for_timeout(5_500)  # the next poll keeps what was opened (hx-preserve)
    expect(row.locator(".alarm-facts")).to_contain_text("王小明")
    screenshot(page, "alarms-01-board-ringing")

    row.get_by_role("button", name="接警").click()
    expect(page.locator(".alarm-state")).to_have_text("已接警")
    page.get_by_role("button", name="已到场").click()
    expect(page.locator(".alarm-state")).to_have_text("已到场")
    page.get_by_label("上门处置").check()
    page.get_by_label("处置说明").fill("老人起身时头晕，已扶起测血压，无外伤")
    screenshot(page, "alarms-02-resolve")
    page.get_by_role("button", name="结束并安排回访").click()
    expect(page.locator(".alarm-state")).to_have_text("已处置")
    log = page.locator(".alarm-log")
    for word in ("呼叫", "派发", "接警", "到场", "处置完毕"):
        expect(log).to_contain_text(word)
    assert Alarm.objects.get(pk=raised["id"]).outcome == "on_site"

    factories.run_worker()  # the worker beside the server: casework hears alarm.resolved
    followup = FollowUp.objects.get(source="alarm", source_id=raised["id"])
    page.goto("/")
    todo = page.locator("#todo-casework_followups")
    expect(todo).to_contain_text("紧急呼叫后上门回访（上门处置）")
    expect(todo).to_contain_text("王阿姨")
    screenshot(page, "alarms-03-follow-up-on-the-list")
    assert followup.assignee == pendant["worker"]
