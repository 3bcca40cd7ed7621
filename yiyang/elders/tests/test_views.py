"""The elder pages (server-rendered, htmx) and the pages around them: log-in, home, the
language switch. Real database, the Django test client, plain asserts."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories
from yiyang.accounts.models import Role
from yiyang.core.models import AccessLog, Event
from yiyang.elders import services
from yiyang.elders.models import Consent, Elder, EmergencyContact

PLAIN_ADDRESS = "深圳市福田区梅林一村12栋0304房"


@pytest.fixture
def client(worker) -> Client:
    c = Client()
    c.force_login(worker)
    return c


@pytest.fixture
def admin_client(street_admin) -> Client:
    c = Client()
    c.force_login(street_admin)
    return c


@pytest.fixture
def elder(worker) -> Elder:  # overrides conftest's: registered by the worker, with known values
    return factories.make_elder(worker, name="王秀英", phone="13812345678", address=PLAIN_ADDRESS)


def html_of(resp) -> str:
    return resp.content.decode()


def events_of(elder: Elder) -> list[str]:
    return list(Event.objects.filter(elder_id=elder.pk).order_by("occurred_at").values_list("type", flat=True))


def assert_no_plain_values(html: str, elder: Elder) -> None:
    assert elder.id_number not in html
    assert elder.phone not in html
    assert elder.address not in html


# -- the list --------------------------------------------------------------------------------------


@pytest.fixture
def three(worker) -> dict[str, Elder]:
    return {
        "wang": factories.make_elder(worker, name="王秀英", phone="13812345678"),
        "wang2": factories.make_elder(worker, name="王建国", phone="13912345678"),
        "li": factories.make_elder(worker, name="李桂兰", phone="13712345678", categories=["disabled"]),
    }


def listed(resp) -> set[str]:
    return set(re.findall(r'href="/elders/([0-9a-f-]{36})/"', html_of(resp)))


def test_list_shows_masked_rows(client, three):
    resp = client.get(reverse("elders:list"))
    assert resp.status_code == 200
    assert listed(resp) == {str(e.pk) for e in three.values()}
    html = html_of(resp)
    for e in three.values():
        assert e.id_number_masked in html and e.phone_masked in html
        assert e.id_number not in html and e.phone not in html
    assert "共 3 人" in html


@pytest.mark.parametrize("query,expected", [
    ("id", {"wang2"}),  # an 18-character ID number: exact search
    ("id_lower", {"wang2"}),
    ("phone", {"li"}),  # 11 digits: a phone number
    ("王", {"wang", "wang2"}),  # anything else: a name
    ("桂兰", {"li"}),
    ("110101194901010000", set()),  # looks like an ID number: no name search, no match
])
def test_search_box_routes_id_phone_and_name(client, three, query, expected):
    q = {"id": three["wang2"].id_number, "id_lower": three["wang2"].id_number.lower(),
         "phone": three["li"].phone}.get(query, query)
    resp = client.post(reverse("elders:list"), {"q": q})  # POST: the search never goes into a URL
    assert resp.status_code == 200
    assert listed(resp) == {str(three[k].pk) for k in expected}
    if not expected:
        assert "没有符合条件的老年人" in html_of(resp)


def test_list_filters(client, worker, three):
    assert listed(client.get(reverse("elders:list"), {"category": "disabled"})) == {str(three["li"].pk)}
    assert listed(client.get(reverse("elders:list"), {"region": factories.COMMUNITY_A})) == {
        str(e.pk) for e in three.values()}
    services.elder_deactivate(actor=worker, elder=three["li"], reason="deceased")
    assert listed(client.get(reverse("elders:list"))) == {str(three["wang"].pk), str(three["wang2"].pk)}
    assert listed(client.get(reverse("elders:list"), {"active": "0"})) == {str(three["li"].pk)}
    assert len(listed(client.get(reverse("elders:list"), {"active": "all"}))) == 3


def test_list_pagination_by_cursor(client, worker):
    for n in range(25):
        factories.make_elder(worker, name=f"老人{chr(0x4e00 + n)}")
    first = client.get(reverse("elders:list"))
    assert len(listed(first)) == 20 and "共 25 人" in html_of(first) and "第 1 页" in html_of(first)
    # The pager's buttons submit the (POST) search form with a cursor: the last elder's id.
    nxt = re.search(r'form="elder-filters" name="cursor" value="(n2\.[0-9a-f]{32})">下一页', html_of(first)).group(1)
    second = client.post(reverse("elders:list"), {"cursor": nxt})
    assert len(listed(second)) == 5 and not listed(first) & listed(second)
    assert "第 2 页" in html_of(second) and "下一页" not in html_of(second) and "共 25 人" in html_of(second)
    prev = re.search(r'name="cursor" value="(p1\.[0-9a-f]{32})">上一页', html_of(second)).group(1)
    back = client.post(reverse("elders:list"), {"cursor": prev})
    assert listed(back) == listed(first) and "第 1 页" in html_of(back) and "上一页" not in html_of(back)
    # A cursor that is stale or made up shows the first page, not an error.
    for bad in ("n2." + "0" * 32, "garbage", nxt[:-1]):
        assert listed(client.post(reverse("elders:list"), {"cursor": bad})) == listed(first)


def test_a_search_in_the_url_is_not_used(client, three):
    resp = client.get(reverse("elders:list"), {"q": three["li"].phone})
    assert len(listed(resp)) == 3 and "搜索内容不放在网址中" in html_of(resp)
    assert f'value="{three["li"].phone}"' not in html_of(resp)  # not put back into the box
    form = re.search(r'<form class="filters"[^>]*>', html_of(resp)).group(0)
    assert 'method="post"' in form and "hx-post" in form and "hx-push-url" not in form


def test_htmx_search_returns_only_the_results_fragment(client, three):
    headers = {"HX-Request": "true", "HX-Target": "results"}
    resp = client.post(reverse("elders:list"), {"q": "王"}, headers=headers)
    assert resp.status_code == 200
    html = html_of(resp)
    assert "<html" not in html and "<form" not in html and 'id="result-count"' in html
    assert listed(resp) == {str(three["wang"].pk), str(three["wang2"].pk)}
    # A plain request, or htmx restoring its history, gets the whole page.
    full = client.post(reverse("elders:list"), {"q": "王"})
    assert "<html" in html_of(full) and 'id="results"' in html_of(full)
    restore = client.get(reverse("elders:list"),
                         headers={**headers, "HX-History-Restore-Request": "true"})
    assert "<html" in html_of(restore)


# -- create ----------------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = factories.elder_data(address=PLAIN_ADDRESS)
    data.update({"hukou_local": "on", "contact_name": "王小明", "contact_relation": "儿子",
                 "contact_phone": "13700001111"})
    data.update(overrides)
    return data


def test_create_form_registers_and_redirects_to_the_detail(client, worker):
    page = client.get(reverse("elders:create"))
    assert page.status_code == 200 and 'name="id_number"' in html_of(page)
    data = form_data()
    resp = client.post(reverse("elders:create"), data)
    elder = Elder.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("elders:detail", args=[elder.pk])
    assert elder.id_number == data["id_number"] and elder.registered_by == worker
    assert [c.name for c in elder.contacts.all()] == ["王小明"]
    assert events_of(elder) == ["elder.registered"]
    detail = client.get(resp["Location"])
    assert "已为 王秀英 建档" in html_of(detail)


def test_create_with_a_bad_id_number_rerenders_with_the_inline_error(client):
    data = form_data()
    bad = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
    resp = client.post(reverse("elders:create"), {**data, "id_number": bad})
    assert resp.status_code == 400
    html = html_of(resp)
    assert "最后一位（校验位）与前17位对不上，请核对身份证号是否抄错" in html
    assert 'value="王秀英"' in html  # what was typed is kept
    assert Elder.objects.count() == 0 and Event.objects.count() == 0 and EmergencyContact.objects.count() == 0


def test_create_with_a_duplicate_id_number_is_refused_inline(client, elder):
    resp = client.post(reverse("elders:create"), form_data(id_number=elder.id_number))
    assert resp.status_code == 400 and "该身份证号已登记" in html_of(resp)
    assert Elder.objects.count() == 1


def test_create_reports_every_problem_at_once(client):
    resp = client.post(reverse("elders:create"), form_data(name="", phone="123"))
    html = html_of(resp)
    assert resp.status_code == 400
    assert "请填写姓名" in html and "不是有效的手机号" in html
    assert Elder.objects.count() == 0


# -- detail, edit, reveal --------------------------------------------------------------------------


def test_detail_and_edit_show_only_masked_values(client, elder):
    for url in (reverse("elders:detail", args=[elder.pk]), reverse("elders:edit", args=[elder.pk])):
        resp = client.get(url)
        assert resp.status_code == 200
        html = html_of(resp)
        assert_no_plain_values(html, elder)
        assert elder.id_number_masked in html and "138****5678" in html
    # The edit form is not pre-filled with the sensitive values.
    edit = html_of(client.get(reverse("elders:edit", args=[elder.pk])))
    for name in ("id_number", "phone", "address"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', edit).group(0)
        assert "value=" not in tag, tag
    assert re.search(r'<input[^>]*name="name"[^>]*value="王秀英"', edit)
    # Viewing pages writes no access-log row: nothing was revealed.
    assert AccessLog.objects.count() == 0


def test_edit_keeps_sensitive_fields_left_empty_and_records_the_change(client, elder):
    resp = client.post(reverse("elders:edit", args=[elder.pk]), {
        "name": "王秀兰", "region_code": elder.region_id, "living_situation": "empty_nest",
        "economic_status": "subsistence", "hukou_local": "on", "version": elder.version,
        "id_number": "", "phone": "", "address": "",
    })
    assert resp.status_code == 302 and resp["Location"] == reverse("elders:detail", args=[elder.pk])
    fresh = Elder.objects.get(pk=elder.pk)
    assert fresh.name == "王秀兰" and fresh.living_situation == "empty_nest"
    assert (fresh.id_number, fresh.phone, fresh.address) == (elder.id_number, elder.phone, elder.address)
    assert fresh.version == 2
    assert events_of(elder) == ["elder.registered", "elder.updated"]


def test_edit_with_a_stale_version_shows_the_conflict(client, worker, elder):
    services.elder_update(actor=worker, elder=elder, data={"name": "王秀兰"})
    resp = client.post(reverse("elders:edit", args=[elder.pk]), {
        "name": "王秀珍", "region_code": elder.region_id, "version": 1})
    assert resp.status_code == 400 and "档案已被他人修改" in html_of(resp)
    assert Elder.objects.get(pk=elder.pk).name == "王秀兰"


def test_reveal_shows_plain_values_and_writes_an_access_log_row(client, worker, elder):
    resp = client.post(reverse("elders:reveal", args=[elder.pk]),
                       {"fields": ["id_number", "phone", "address"], "purpose": "电话回访"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = html_of(resp)
    assert elder.id_number in html and "13812345678" in html and PLAIN_ADDRESS in html
    assert "<html" not in html  # a fragment for htmx
    log = AccessLog.objects.get()
    assert (log.actor, log.elder_id, log.action) == (worker, elder.pk, "reveal")
    assert log.fields == ["身份证号", "联系电话", "居住地址"] and log.purpose == "电话回访"
    assert log.region_code == elder.region_id


def test_reveal_of_contacts_shows_their_phones(client, worker, elder):
    services.contact_add(actor=worker, elder=elder, name="王小明", phone="13700001111")
    resp = client.post(reverse("elders:reveal", args=[elder.pk]), {"fields": ["contacts"], "purpose": "联系家属"})
    assert "13700001111" in html_of(resp) and elder.id_number not in html_of(resp)
    assert AccessLog.objects.get().fields == ["紧急联系人电话"]


@pytest.mark.parametrize("data", [{"fields": ["id_number"]}, {"fields": ["id_number"], "purpose": " "},
                                  {"fields": [], "purpose": "电话回访"}])
def test_reveal_without_a_purpose_or_fields_writes_nothing(client, elder, data):
    resp = client.post(reverse("elders:reveal", args=[elder.pk]), data)
    assert resp.status_code == 422
    html = html_of(resp)
    assert "请填写查看事由" in html or "请选择要查看的字段" in html
    assert_no_plain_values(html, elder)
    assert AccessLog.objects.count() == 0


def test_reveal_offers_the_usual_reasons_and_one_tap_reveals_with_it(client, worker, elder):
    page = html_of(client.get(reverse("elders:detail", args=[elder.pk])))
    for reason in services.REVEAL_REASONS:
        assert f'name="reason" value="{reason}"' in page
    resp = client.post(reverse("elders:reveal", args=[elder.pk]),
                       {"fields": ["phone"], "reason": "上门探访", "purpose": ""}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "13812345678" in html_of(resp)
    log = AccessLog.objects.get()
    assert log.purpose == "上门探访" and log.fields == ["联系电话"]


def test_reveal_is_post_only(client, elder):
    assert client.get(reverse("elders:reveal", args=[elder.pk])).status_code == 405
    assert AccessLog.objects.count() == 0


def test_access_log_page_lists_who_looked(admin_client, worker, elder):
    services.elder_reveal(actor=worker, elder=elder, fields=["phone"], purpose="上门探访")
    resp = admin_client.get(reverse("elders:access_log", args=[elder.pk]))
    assert resp.status_code == 200
    html = html_of(resp)
    assert "worker_a" in html and "上门探访" in html and "联系电话" in html
    assert "13812345678" not in html


# -- deactivate, contacts, consents, timeline -------------------------------------------------------


def test_deactivate_and_reactivate(client, elder):
    url = reverse("elders:detail", args=[elder.pk])
    resp = client.post(reverse("elders:deactivate", args=[elder.pk]), {"reason": "deceased", "note": "家属告知"})
    assert resp.status_code == 302 and resp["Location"] == url
    elder.refresh_from_db()
    assert not elder.active and elder.deactivation_reason == "deceased"
    detail = html_of(client.get(url))
    assert "已注销" in detail and "已故" in detail and "恢复在册" in detail
    resp = client.post(reverse("elders:reactivate", args=[elder.pk]))
    assert resp.status_code == 302
    elder.refresh_from_db()
    assert elder.active and elder.deactivation_reason == ""
    assert events_of(elder) == ["elder.registered", "elder.deactivated", "elder.reactivated"]
    assert Elder.objects.filter(pk=elder.pk).exists()  # never deleted


def test_deactivate_without_a_reason_changes_nothing(client, elder):
    resp = client.post(reverse("elders:deactivate", args=[elder.pk]), {"reason": ""}, follow=True)
    assert "请选择注销原因" in html_of(resp)
    elder.refresh_from_db()
    assert elder.active and events_of(elder) == ["elder.registered"]


def test_deactivate_is_post_only(client, elder):
    assert client.get(reverse("elders:deactivate", args=[elder.pk])).status_code == 405
    elder.refresh_from_db()
    assert elder.active


def test_contacts_add_and_remove(client, elder):
    resp = client.post(reverse("elders:contact_add", args=[elder.pk]),
                       {"name": "王小明", "relation": "儿子", "phone": "13700001111", "is_guardian": "on"})
    assert resp.status_code == 302 and resp["Location"].endswith("#contacts")
    contact = elder.contacts.get()
    assert (contact.name, contact.relation, contact.phone, contact.is_guardian) == ("王小明", "儿子", "13700001111", True)
    detail = html_of(client.get(reverse("elders:detail", args=[elder.pk])))
    assert "王小明" in detail and "137****1111" in detail and "13700001111" not in detail
    resp = client.post(reverse("elders:contact_remove", args=[elder.pk, contact.pk]))
    assert resp.status_code == 302 and not elder.contacts.exists()
    assert events_of(elder) == ["elder.registered", "elder.contact_added", "elder.contact_removed"]


def test_contact_with_a_bad_phone_is_refused(client, elder):
    resp = client.post(reverse("elders:contact_add", args=[elder.pk]), {"name": "王小明", "phone": "123"}, follow=True)
    assert "不是有效的手机号" in html_of(resp)
    assert not elder.contacts.exists() and events_of(elder) == ["elder.registered"]


def test_removing_another_elders_contact_is_404(client, worker, elder):
    other = factories.make_elder(worker, name="李桂兰")
    contact = services.contact_add(actor=worker, elder=other, name="李小红", phone="13700002222")
    resp = client.post(reverse("elders:contact_remove", args=[elder.pk, contact.pk]))
    assert resp.status_code == 404
    assert EmergencyContact.objects.filter(pk=contact.pk).exists()


def test_consents_grant_and_withdraw(client, elder):
    resp = client.post(reverse("elders:consent_grant", args=[elder.pk]),
                       {"purpose": "time_bank", "granted_by": "本人", "evidence": "签字单 2024-001"})
    assert resp.status_code == 302 and resp["Location"].endswith("#consents")
    consent = elder.consents.get()
    assert consent.in_force and consent.granted_by == "本人"
    # The same purpose cannot be granted twice while in force.
    again = client.post(reverse("elders:consent_grant", args=[elder.pk]),
                        {"purpose": "time_bank", "granted_by": "本人"}, follow=True)
    assert "该用途的授权已在有效期内" in html_of(again) and elder.consents.count() == 1
    resp = client.post(reverse("elders:consent_withdraw", args=[elder.pk, consent.pk]))
    assert resp.status_code == 302
    consent.refresh_from_db()
    assert not consent.in_force
    # Withdrawn, the history stays; a new grant is a new row.
    client.post(reverse("elders:consent_grant", args=[elder.pk]), {"purpose": "time_bank", "granted_by": "女儿"})
    assert Consent.objects.filter(elder=elder).count() == 2
    assert events_of(elder) == ["elder.registered", "elder.consent_granted", "elder.consent_withdrawn",
                                "elder.consent_granted"]


def test_withdrawing_a_consent_twice_or_of_another_elder_is_404(client, worker, elder):
    other = factories.make_elder(worker, name="李桂兰")
    theirs = services.consent_grant(actor=worker, elder=other, purpose="photos", granted_by="本人")
    assert client.post(reverse("elders:consent_withdraw", args=[elder.pk, theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.in_force
    mine = services.consent_grant(actor=worker, elder=elder, purpose="photos", granted_by="本人")
    assert client.post(reverse("elders:consent_withdraw", args=[elder.pk, mine.pk])).status_code == 302
    assert client.post(reverse("elders:consent_withdraw", args=[elder.pk, mine.pk])).status_code == 404
    assert events_of(elder).count("elder.consent_withdrawn") == 1


def test_consent_without_who_agreed_is_refused(client, elder):
    resp = client.post(reverse("elders:consent_grant", args=[elder.pk]), {"purpose": "photos"}, follow=True)
    assert resp.status_code == 200 and "请填写" in html_of(resp)
    assert not elder.consents.exists()


def test_timeline_page_lists_the_events(client, worker, elder):
    services.elder_update(actor=worker, elder=elder, data={"name": "王秀兰", "phone": "13900001111"})
    services.elder_deactivate(actor=worker, elder=elder, reason="moved_away", note="随子女迁出")
    resp = client.get(reverse("elders:timeline", args=[elder.pk]))
    assert resp.status_code == 200
    html = html_of(resp)
    types = re.findall(r'data-type="([a-z_.]+)"', html)
    assert types == ["elder.deactivated", "elder.updated", "elder.registered"]
    for label in ("注销", "修改档案", "登记建档", "王秀英 → 王秀兰", "迁出", "随子女迁出"):
        assert label in html, label
    assert "13900001111" not in html and "13812345678" not in html


# -- import page (the upload form; the importer itself is tested in test_importing.py) --------------


def test_import_page_offers_the_columns(admin_client):
    resp = admin_client.get(reverse("elders:import"))
    assert resp.status_code == 200
    assert "身份证号" in html_of(resp) and 'type="file"' in html_of(resp)


# -- log-in, home, language -------------------------------------------------------------------------


def test_login_page(worker):
    c = Client()
    assert c.get(reverse("accounts:login")).status_code == 200
    resp = c.post(reverse("accounts:login"), {"username": "worker_a", "password": "wrong"})
    assert resp.status_code == 400 and "用户名或密码错误" in html_of(resp)
    assert 'value="worker_a"' in html_of(resp)  # the user name is kept, the password is not
    assert AccessAttempt.objects.get(username="worker_a").failures_since_start == 1
    resp = c.post(reverse("accounts:login"), {"username": "worker_a", "password": factories.PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == reverse("core:home")
    assert c.get(reverse("elders:list")).status_code == 200
    assert not AccessAttempt.objects.filter(username="worker_a").exists()


def test_login_follows_next_but_only_to_this_site(worker):
    c = Client()
    resp = c.post(reverse("accounts:login"), {"username": "worker_a", "password": factories.PASSWORD,
                                              "next": "/elders/"})
    assert resp["Location"] == "/elders/"
    c = Client()
    resp = c.post(reverse("accounts:login"), {"username": "worker_a", "password": factories.PASSWORD,
                                              "next": "https://evil.example/"})
    assert resp["Location"] == reverse("core:home")


def test_login_page_is_throttled(worker):
    c = Client()
    for _ in range(5):
        c.post(reverse("accounts:login"), {"username": "worker_a", "password": "wrong"})
    resp = c.post(reverse("accounts:login"), {"username": "worker_a", "password": factories.PASSWORD})
    # The lock is for this username from this address only (accounts/tests/test_throttle.py).
    assert resp.status_code == 429 and "登录失败次数过多" in html_of(resp)
    assert "_auth_user_id" not in c.session


def test_logout(client):
    assert client.get(reverse("accounts:logout")).status_code == 405
    resp = client.post(reverse("accounts:logout"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login")
    assert client.get(reverse("elders:list")).status_code == 302


def test_pages_need_a_login(elder):
    resp = Client().get(reverse("elders:detail", args=[elder.pk]))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", list(Role))
def test_home_page_per_role(tree, superuser, role):
    factories.make_elder(superuser, factories.COMMUNITY_A)
    factories.make_elder(superuser, factories.COMMUNITY_B)
    factories.make_elder(superuser, factories.COMMUNITY_OTHER_DISTRICT)
    user = factories.make_user(f"home_{role}", role, factories.ROLE_NODES[role], full_name="测试员")
    c = Client()
    c.force_login(user)
    resp = c.get(reverse("core:home"))
    assert resp.status_code == 200
    html = html_of(resp)
    assert "您好，测试员" in html and str(user.get_role_display()) in html
    assert user.region.name in html
    counts = {Role.COMMISSIONER: 1, Role.POINT_LEAD: 1, Role.COMMUNITY_ADMIN: 1, Role.STREET_ADMIN: 1,
              Role.DISTRICT_ADMIN: 2, Role.CITY_ADMIN: 3}
    tiles = {str(t["label"]): t for t in resp.context["tiles"]}
    if role in counts:
        assert tiles["在册老年人"]["value"] == counts[role]
        assert "在册老年人" in html and 'href="/elders/"' in html
    else:
        assert "在册老年人" not in tiles and "在册老年人" not in html
        if role == Role.PROVIDER_STAFF:
            assert "您的角色暂无可用的功能" in html
    if role == Role.DISTRICT_ADMIN:
        assert "梅林街道" in html and "莲花街道" in html and "罗湖区" not in html
    if role == Role.CITY_ADMIN:
        assert "福田区" in html and "罗湖区" in html
    if role == Role.OPERATOR:
        assert reverse("elders:import") in html  # operators import


def test_language_switch(client):
    home = html_of(client.get(reverse("core:home")))
    assert '<html lang="zh-CN">' in home
    resp = client.post("/i18n/setlang/", {"language": "en", "next": reverse("elders:list")})
    assert resp.status_code == 302 and resp["Location"] == reverse("elders:list")
    assert resp.cookies["django_language"].value == "en"
    page = html_of(client.get(reverse("elders:list")))
    assert '<html lang="en">' in page and 'value="zh-hans"' in page  # the switch back is offered
    resp = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert resp.cookies["django_language"].value == "zh-hans"
    assert '<html lang="zh-CN">' in html_of(client.get(reverse("core:home")))


def test_language_switch_ignores_an_unknown_language_and_an_outside_next(client):
    resp = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert resp.status_code == 302 and "evil.example" not in resp["Location"]
    assert "django_language" not in resp.cookies
