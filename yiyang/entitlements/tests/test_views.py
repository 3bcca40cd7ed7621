"""Pages: the elder's entitlements section (template tag), "标记为已告知" by htmx and without
JavaScript, the newly-entitled page with its acknowledge button, the policy list, and the
admin's validation of the condition JSON."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from tests import factories
from yiyang.core.models import Event
from yiyang.elders.services import elder_update
from yiyang.entitlements.models import Benefit, BenefitRule, EntitlementChange
from yiyang.entitlements.sections import elder_entitlements
from yiyang.entitlements.tests.helpers import elder_aged

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client_for():
    def login(user):
        c = Client()
        c.force_login(user)
        return c
    return login


@pytest.fixture
def mine(superuser):
    return elder_aged(superuser, 82, categories=["subsistence"], living_situation="with_children")


def render_tag(elder, user) -> str:
    """The entitlements section of the elder page, as the page renders it (registry)."""
    request = RequestFactory().get("/")
    request.user = user
    context = elder_entitlements(request, elder)
    return render_to_string("entitlements/_elder_section.html", context, request) if context else ""


def test_section_shows_badges_reasons_missing_and_buttons(worker, mine):
    html = render_tag(mine, worker)
    assert 'id="entitlements"' in html
    assert "高龄津贴" in html and "可享受" in html and "年满80周岁（现82岁）且为本地户籍" in html
    assert "可能符合" in html and "能力评估等级（尚未按GB/T 42195—2022评估）" in html
    assert "不符合的项目" in html
    assert html.count("标记为已告知") >= 3 and "讲解" not in html
    assert f"/entitlements/elders/{mine.pk}/advanced_age_allowance/explained/" in html
    assert 'hx-post=' in html and "csrfmiddlewaretoken" in html
    assert f"/assessments/start/{mine.pk}" in html or "开始能力评估" in html
    # Entitled before maybe before not.
    assert html.index("可享受</em>") < html.index("可能符合</em>") < html.index("不符合</em>")
    assert "style=" not in html and "<script" not in html  # strict CSP


def test_section_is_hidden_from_roles_without_elder_access(tree, mine):
    op = factories.make_user("op", "operator", "440304000000")
    assert render_tag(mine, op).strip() == ""


def test_explained_by_htmx_returns_the_item_showing_it_was_done(client_for, worker, mine):
    c = client_for(worker)
    resp = c.post(f"/entitlements/elders/{mine.pk}/advanced_age_allowance/explained/", headers=HTMX)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.startswith('<li class="ent ent-entitled" id="ent-advanced_age_allowance"')
    assert "已告知老人（刚刚记录）" in html and "标记为已告知" in html
    ev = Event.objects.get(type="entitlement.explained")
    assert ev.elder_id == mine.pk and ev.payload["name"] == "高龄津贴" and ev.actor == worker
    # Shown on the next render of the section.
    assert "已告知老人：" in render_tag(mine, worker)


def test_explained_without_javascript_redirects_back(client_for, worker, mine):
    resp = client_for(worker).post(f"/entitlements/elders/{mine.pk}/legal_aid/explained/", follow=True)
    assert resp.redirect_chain[-1][0].endswith(f"/elders/{mine.pk}/#entitlements")
    assert "已标记为已告知：" in resp.content.decode()


def test_explained_outside_jurisdiction_or_unknown_benefit_is_404(client_for, worker, superuser, mine):
    theirs = elder_aged(superuser, 82, region_code=factories.COMMUNITY_B)
    c = client_for(worker)
    assert c.post(f"/entitlements/elders/{theirs.pk}/legal_aid/explained/").status_code == 404
    assert c.post(f"/entitlements/elders/{mine.pk}/nothing/explained/").status_code == 404
    assert c.get(f"/entitlements/elders/{mine.pk}/legal_aid/explained/").status_code == 405
    assert not Event.objects.filter(type="entitlement.explained").exists()


def test_changes_page_lists_newly_entitled_and_acknowledges(client_for, worker, superuser):
    e = elder_aged(superuser, 70, living_situation="with_children")
    theirs = elder_aged(superuser, 70, region_code=factories.COMMUNITY_B, name="李四海")
    elder_update(actor=worker, elder=e, data={"categories": ["low_income"]})
    factories.run_worker()
    elder_update(actor=superuser, elder=theirs, data={"categories": ["low_income"]})
    factories.run_worker()
    c = client_for(worker)
    resp = c.get("/entitlements/changes/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "新近可享受政策的老年人" in html and e.name in html and "李四海" not in html
    assert "经济困难老年人养老服务补贴" in html and "可能符合" in html and "标记为已告知" in html
    newly = EntitlementChange.objects.filter(elder=e, to_status="entitled")
    assert html.count('class="ent change"') == newly.count()
    change = newly.first()
    resp = c.post(f"/entitlements/changes/{change.pk}/acknowledge/", headers=HTMX)
    assert resp.status_code == 200 and "已告知" in resp.content.decode()
    assert f'id="change-{change.pk}"' in resp.content.decode()
    change.refresh_from_db()
    assert change.acknowledged_by == worker
    # Off the default (未告知) list, on the 已告知 one.
    assert f'id="change-{change.pk}"' not in c.get("/entitlements/changes/").content.decode()
    assert f'id="change-{change.pk}"' in c.get("/entitlements/changes/", {"ack": "done"}).content.decode()
    all_changes = c.get("/entitlements/changes/", {"show": "all", "ack": "all"}).content.decode()
    assert all_changes.count('class="ent change"') == EntitlementChange.objects.filter(elder=e).count()
    # Without JavaScript: a redirect back with a message.
    other = newly.exclude(pk=change.pk).first()
    resp = c.post(f"/entitlements/changes/{other.pk}/acknowledge/", {"next": "/entitlements/changes/?ack=all"})
    assert resp.status_code == 302 and resp["Location"] == "/entitlements/changes/?ack=all"
    # Another community's change: 404.
    theirs_change = EntitlementChange.objects.filter(elder=theirs).first()
    assert c.post(f"/entitlements/changes/{theirs_change.pk}/acknowledge/").status_code == 404


def test_pages_need_login_and_elder_access(client, tree):
    assert client.get("/entitlements/changes/").status_code == 302
    op = factories.make_user("op", "operator", "440304000000")
    c = Client()
    c.force_login(op)
    assert c.get("/entitlements/changes/").status_code == 403
    assert c.get("/entitlements/").status_code == 403


def test_policy_list_page(client_for, worker):
    html = client_for(worker).get("/entitlements/").content.decode()
    assert "基本养老服务清单" in html and "物质帮助" in html and "关爱服务" in html
    assert "高龄津贴" in html and "年满80周岁，且本地户籍" in html
    assert 'id="benefit-ltc_insurance"' not in html  # not switched on


# -- admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(superuser):
    c = Client()
    c.force_login(superuser)
    return c


def rule_form(**kw):
    data = {"benefit": Benefit.objects.get(code="advanced_age_allowance").pk, "region_code": "440304000000",
            "effective_from": "", "effective_to": "", "priority": "0", "source": "福田区试行",
            "conditions": json.dumps({"all": [{"age": {">=": 70}}, {"hukou_local": True}]})}
    data.update(kw)
    return data


@pytest.mark.parametrize("conditions,message", [
    ('{"age": {">=": 70}', "条件不是有效的 JSON"),
    ('{"agee": {">=": 70}}', "不认识的条件“agee”"),
    ('{"all": [{"age": {">=": 70}}, {"level": {">=": 9}}]}', "条件 › all 第2项 › level >=：能力等级应为 0 到 4 之间的整数"),
    ('{"categories": {"any": ["poor"]}}', "不认识的人员类别代码“poor”"),
    ("[1, 2]", "应为一个对象"),
])
def test_admin_refuses_bad_conditions_with_a_clear_chinese_error(admin_client, conditions, message):
    resp = admin_client.post("/admin/entitlements/benefitrule/add/", rule_form(conditions=conditions))
    assert resp.status_code == 200
    html = unescape(resp.content.decode())
    assert message in html, html[html.find("errorlist"):html.find("errorlist") + 600]
    assert not BenefitRule.objects.filter(source="福田区试行").exists()


def test_admin_refuses_bad_region_and_dates(admin_client):
    resp = admin_client.post("/admin/entitlements/benefitrule/add/", rule_form(region_code="4403049"))
    assert "区划代码应为12位数字" in resp.content.decode()
    resp = admin_client.post("/admin/entitlements/benefitrule/add/", rule_form(region_code="440399000000"))
    assert "不在区划表中" in resp.content.decode()
    resp = admin_client.post("/admin/entitlements/benefitrule/add/",
                             rule_form(effective_from="2026-02-01", effective_to="2026-01-01"))
    assert "截止日期不能早于生效日期" in resp.content.decode()


def test_admin_saving_a_rule_recomputes_its_scope(admin_client, superuser):
    e = elder_aged(superuser, 75)
    resp = admin_client.post("/admin/entitlements/benefitrule/add/", rule_form(), follow=True)
    assert resp.status_code == 200
    # The admin answers at once; the recompute runs in the worker, not in the request.
    assert "正在后台重新计算" in resp.content.decode()
    rule = BenefitRule.objects.get(source="福田区试行")
    assert not EntitlementChange.objects.filter(elder=e, rule=rule).exists()
    factories.run_worker()
    assert rule.updated_by == superuser
    assert EntitlementChange.objects.filter(elder=e, benefit__code="advanced_age_allowance", to_status="entitled",
                                            cause="rule", rule=rule).exists()
    # The change form shows the JSON pretty-printed and the rule in words.
    html = admin_client.get(f"/admin/entitlements/benefitrule/{rule.pk}/change/").content.decode()
    assert "年满70周岁，且本地户籍" in html and "&quot;all&quot;: [\n" in html
    resp = admin_client.post(f"/admin/entitlements/benefitrule/{rule.pk}/delete/", {"post": "yes"}, follow=True)
    assert not BenefitRule.objects.filter(pk=rule.pk).exists()
    factories.run_worker()
    assert EntitlementChange.objects.filter(elder=e, benefit__code="advanced_age_allowance", to_status="not").exists()


def test_admin_pages_render(admin_client):
    assert admin_client.get("/admin/entitlements/benefit/").status_code == 200
    benefit = Benefit.objects.get(code="advanced_age_allowance")
    html = admin_client.get(f"/admin/entitlements/benefit/{benefit.pk}/change/").content.decode()
    assert "年满80周岁，且本地户籍" in html
    html = admin_client.get("/admin/entitlements/benefitrule/add/").content.decode()
    assert "一个对象写一个条件" in html and "hukou_local" in html
    assert admin_client.get("/admin/entitlements/entitlementchange/").status_code == 200


def test_admin_street_admin_may_only_write_rules_in_the_jurisdiction(street_admin):
    from django.contrib.auth.models import Permission

    street_admin.is_staff = True
    street_admin.save()
    street_admin.user_permissions.set(Permission.objects.filter(content_type__app_label="entitlements"))
    c = Client()
    c.force_login(street_admin)
    resp = c.post("/admin/entitlements/benefitrule/add/", rule_form(region_code=""))
    assert "只有市级管理员可以修改适用于所有地区的规则" in resp.content.decode()
    resp = c.post("/admin/entitlements/benefitrule/add/", rule_form(region_code="440304007000"))
    assert "该区划不在您的管辖范围内" in resp.content.decode()
    resp = c.post("/admin/entitlements/benefitrule/add/", rule_form(region_code="440304006000"))
    assert resp.status_code == 302
    listed = c.get("/admin/entitlements/benefitrule/").content.decode()
    assert "440304006000" in listed and "所有地区" not in listed
