"""Pages of the payment lists and rounds: rendered for a role that may, 403 for one that may
not, 404 outside the jurisdiction; the navigation item; the forms that draft, approve and
export."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from yiyang.core.models import AccessLog
from yiyang.elders.services import elder_deactivate
from yiyang.entitlements import access as payment_access
from yiyang.entitlements import payments
from yiyang.entitlements.exports import XLSX_CONTENT_TYPE
from yiyang.entitlements.models import PaymentRound
from yiyang.entitlements.tests.payment_helpers import AGE, STREET, last_month, sheet_rows


@pytest.fixture
def client_for():
    def login(user):
        c = Client()
        c.force_login(user)
        return c
    return login


def html(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


def nav(page: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)


def test_url_names_are_the_payment_url_names():
    from yiyang.entitlements import urls

    mine = {p.name for p in urls.urlpatterns if p.name and p.name not in {"benefits", "changes", "acknowledge",
                                                                          "explained", "recompute_status"}}
    assert mine == set(payment_access.PAYMENT_URL_NAMES)


def test_index_counts_within_the_jurisdiction_and_nav(client_for, street_admin, people):
    page = html(client_for(street_admin).get(reverse("entitlements:recipients_index")))
    assert "发放名单" in page and "高龄津贴" in page
    block = re.search(r'id="benefit-advanced_age_allowance".*?</li>', page, re.S).group(0)
    assert '<strong class="count-entitled">3</strong>' in block and '<strong class="count-maybe">0</strong>' in block
    assert 'aria-current="page">发放名单</a>' in nav(page)
    assert 'aria-current="page">新近可享受' not in nav(page)
    assert "style=" not in page and "<script>" not in page


def test_nav_item_only_for_roles_with_the_capability(client_for, worker, street_admin):
    assert "发放名单" not in nav(html(client_for(worker).get("/")))
    assert "发放名单" in nav(html(client_for(street_admin).get("/")))


def test_list_page_filters_by_community_and_status(client_for, street_admin, people):
    c = client_for(street_admin)
    page = html(c.get(reverse("entitlements:recipients", args=[AGE])))
    assert re.search(r'id="result-count">共 3 人', page)
    for name in ("王秀", "王秀英", "李桂"):
        assert f'<span class="name">{name}</span>' in page
    assert people["a1"].id_number_masked in page and people["a1"].id_number not in page
    # The community select: the street's communities (and the whole street), nothing beside it.
    select = re.search(r'<select name="region".*?</select>', page, re.S).group(0)
    assert factories.COMMUNITY_A in select and factories.COMMUNITY_A2 in select and STREET in select
    assert factories.COMMUNITY_B not in select and "梅林街道（全部社区）" in select
    page = html(c.get(reverse("entitlements:recipients", args=[AGE]), {"region": factories.COMMUNITY_A2}))
    assert re.search(r'id="result-count">共 1 人', page) and '<span class="name">李桂</span>' in page
    assert f'<option value="{factories.COMMUNITY_A2}" selected>' in page
    assert 'name="region_code" value="440304006002"' in page  # the round would be the community's
    page = html(c.get(reverse("entitlements:recipients", args=[AGE]), {"status": "maybe"}))
    assert re.search(r'id="result-count">共 0 人', page) and 'id="draft-form"' not in page
    page = html(c.get(reverse("entitlements:recipients", args=["disability_care_subsidy"]), {"status": "maybe"}))
    assert re.search(r'id="result-count">共 4 人', page)


def test_list_page_pages(client_for, street_admin, people, monkeypatch):
    from yiyang.entitlements import payment_views

    monkeypatch.setattr(payment_views, "PAGE_SIZE", 2)
    c = client_for(street_admin)
    first = html(c.get(reverse("entitlements:recipients", args=[AGE])))
    assert "第 1 / 2 页" in first and "下一页" in first and "李桂" not in first
    second = html(c.get(reverse("entitlements:recipients", args=[AGE]), {"page": 2}))
    assert "李桂" in second and "王秀英" not in second


def test_pages_refuse_roles_and_unknown_benefits(client, client_for, worker, street_admin, people):
    urls = [reverse("entitlements:recipients_index"), reverse("entitlements:recipients", args=[AGE]),
            reverse("entitlements:rounds")]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login
        resp = client_for(worker).get(url)
        assert resp.status_code == 403 and "无权" in resp.content.decode()
    resp = client_for(street_admin).get(reverse("entitlements:recipients", args=["nope"]))
    assert resp.status_code == 404
    assert client_for(street_admin).get(reverse("entitlements:recipients", args=["ltc_insurance"])).status_code == 404
    assert client_for(worker).post(reverse("entitlements:recipients_export", args=[AGE])).status_code == 403
    assert client_for(street_admin).get(reverse("entitlements:recipients_export", args=[AGE])).status_code == 405


def test_export_from_the_page(client_for, street_admin, people):
    c = client_for(street_admin)
    url = reverse("entitlements:recipients_export", args=[AGE])
    resp = c.post(url, {"region": factories.COMMUNITY_A, "status": "entitled", "purpose": ""})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX_CONTENT_TYPE
    assert [r[1] for r in sheet_rows(resp.content)[1:]] == ["王秀", "王秀英"]
    resp = c.post(url, {"region": factories.COMMUNITY_A, "status": "entitled", "purpose": "查"}, follow=True)
    assert "2个字" in html(resp)
    assert list(AccessLog.objects.values_list("purpose", flat=True)) == ["导出发放名单（身份证号已遮蔽）"]


def test_draft_approve_and_export_through_the_pages(client_for, street_admin, street_admin2, people):
    drafter, approver = client_for(street_admin), client_for(street_admin2)
    month = last_month(timezone.localdate())
    resp = drafter.post(reverse("entitlements:round_draft"),
                        {"benefit": AGE, "region_code": STREET, "month": f"{month:%Y-%m}"})
    r = PaymentRound.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("entitlements:round_detail", args=[r.pk])
    page = html(drafter.get(resp["Location"]))
    assert "已编制高龄津贴" in page and "草稿" in page and 'id="round-count">3<' in page
    assert "没有已审核的上期批次" in page and "提交审核" in page and "审核通过" not in page
    assert 'aria-current="page">发放名单</a>' in nav(page)
    drafter.post(reverse("entitlements:round_submit", args=[r.pk]))
    page = html(drafter.get(reverse("entitlements:round_detail", args=[r.pk])))
    assert "待审核" in page and "需由另一位有审核权限的管理员审核" in page
    # The drafter forces the form anyway: refused with a message, not approved.
    page = html(drafter.post(reverse("entitlements:round_approve", args=[r.pk]), follow=True))
    assert "不能审核自己编制的发放批次" in page
    assert PaymentRound.objects.get(pk=r.pk).status == "submitted"
    page = html(approver.get(reverse("entitlements:round_detail", args=[r.pk])))
    assert "审核通过" in page
    page = html(approver.post(reverse("entitlements:round_approve", args=[r.pk]), follow=True))
    assert "已审核通过" in page and "导出 Excel" in page and "作废本批次" not in page
    resp = approver.post(reverse("entitlements:round_export", args=[r.pk]), {"purpose": ""})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX_CONTENT_TYPE
    assert PaymentRound.objects.get(pk=r.pk).status == "exported" and AccessLog.objects.count() == 1

    # Next month: one elder died; the difference is on top of the page.
    elder_deactivate(actor=street_admin, elder=people["a2"], reason="deceased")
    factories.run_worker()
    resp = drafter.post(reverse("entitlements:round_draft"), {"benefit": AGE, "region_code": STREET})
    page = html(drafter.get(resp["Location"]))
    assert page.index('id="diff"') < page.index('id="lines"')
    left = re.search(r'<ul class="ent-list" id="left">.*?</ul>', page, re.S).group(0)
    assert "王秀英" in left and "档案注销：已故" in left
    assert 'id="left-count">1<' in page and 'id="joined-count">0<' in page


def test_pending_recompute_is_shown_and_approval_refused(client_for, street_admin, street_admin2, people):
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    payments.round_submit(actor=street_admin, round=r)
    from yiyang.entitlements.tasks import entitlements_refresh_nightly

    entitlements_refresh_nightly.enqueue()
    approver = client_for(street_admin2)
    page = html(approver.get(reverse("entitlements:round_detail", args=[r.pk])))
    assert 'id="pending"' in page and "审核通过</button>" not in page
    page = html(approver.post(reverse("entitlements:round_approve", args=[r.pk]), follow=True))
    assert "正在后台重新计算" in page
    assert PaymentRound.objects.get(pk=r.pk).status == "submitted"


def test_stale_draft_warning(client_for, street_admin, people):
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    elder_deactivate(actor=street_admin, elder=people["a1"], reason="deceased")
    factories.run_worker()
    page = html(client_for(street_admin).get(reverse("entitlements:round_detail", args=[r.pk])))
    assert 'id="stale"' in page and "1 人次" in page


def test_round_pages_refuse_outside_and_roles(client_for, street_admin, community_admin, worker, people):
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    lianhua = factories.make_user("lianhua", "street_admin", "440304007000")
    detail = reverse("entitlements:round_detail", args=[r.pk])
    assert client_for(lianhua).get(detail).status_code == 404
    assert client_for(community_admin).get(detail).status_code == 404
    assert client_for(street_admin).get(reverse("entitlements:round_detail", args=[r.pk + 99])).status_code == 404
    assert client_for(lianhua).post(reverse("entitlements:round_cancel", args=[r.pk])).status_code == 404
    mine = payments.round_draft(actor=community_admin, benefit=AGE, region_code=factories.COMMUNITY_A,
                                month=last_month(timezone.localdate()))
    for name in ("round_submit", "round_approve", "round_cancel", "round_export"):
        assert client_for(worker).post(reverse(f"entitlements:{name}", args=[mine.pk])).status_code == 403, name
    assert client_for(worker).get(reverse("entitlements:round_detail", args=[mine.pk])).status_code == 403
    assert client_for(worker).post(reverse("entitlements:round_draft"), {"benefit": AGE}).status_code == 403
    # A community admin may not approve (403 by role), even their own community's round.
    payments.round_submit(actor=community_admin, round=mine)
    assert client_for(community_admin).post(reverse("entitlements:round_approve", args=[mine.pk])).status_code == 403
    page = html(client_for(community_admin).get(reverse("entitlements:rounds")))
    assert f'data-round="{mine.pk}"' in page and f'data-round="{r.pk}"' not in page


def test_draft_refusal_goes_back_to_the_list_with_the_reason(client_for, street_admin, people):
    c = client_for(street_admin)
    c.post(reverse("entitlements:round_draft"), {"benefit": AGE, "region_code": STREET})
    resp = c.post(reverse("entitlements:round_draft"), {"benefit": AGE, "region_code": STREET}, follow=True)
    page = html(resp)
    assert "已存在" in page and resp.redirect_chain[-1][0].startswith(reverse("entitlements:recipients", args=[AGE]))


def test_rounds_page_and_cancel(client_for, street_admin, people):
    c = client_for(street_admin)
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    page = html(c.get(reverse("entitlements:rounds")))
    assert f'data-round="{r.pk}"' in page and "高龄津贴" in page and "草稿" in page
    page = html(c.post(reverse("entitlements:round_cancel", args=[r.pk]), {"note": "重来"}, follow=True))
    assert "已作废" in page and "重来" in page
    assert html(c.get(reverse("entitlements:rounds"), {"status": "draft"})).count("data-round=") == 0


def test_admin_shows_rounds_read_only_within_the_jurisdiction(client_for, superuser, street_admin, people):
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    elder_deactivate(actor=street_admin, elder=people["a1"], reason="deceased")
    c = client_for(superuser)
    page = html(c.get(reverse("admin:entitlements_paymentround_changelist")))
    assert "发放批次" in page and STREET in page
    page = html(c.get(reverse("admin:entitlements_paymentround_change", args=[r.pk])))
    assert "高龄津贴" in page and 'name="_save"' not in page  # view only
    assert c.get(reverse("admin:entitlements_paymentround_add")).status_code == 403
    assert c.post(reverse("admin:entitlements_paymentround_delete", args=[r.pk])).status_code == 403
    lianhua = factories.make_user("lianhua_staff", "street_admin", "440304007000", is_staff=True)
    from django.contrib.auth.models import Permission

    lianhua.user_permissions.add(Permission.objects.get(codename="view_paymentround"))
    page = html(client_for(lianhua).get(reverse("admin:entitlements_paymentround_changelist")))
    assert f"/{r.pk}/change/" not in page


def test_approvers_see_the_rounds_awaiting_them_on_the_home_page(client_for, street_admin, street_admin2,
                                                                   district_admin, worker, people):
    r = payments.round_draft(actor=street_admin, benefit=AGE, region_code=STREET)
    payments.round_submit(actor=street_admin, round=r)

    def tile(user) -> str | None:
        page = html(client_for(user).get("/"))
        m = re.search(r'<a class="tile" href="/entitlements/rounds/\?status=submitted"><span class="num">(\d+)</span>'
                      r'待审核发放批次</a>', page)
        return m.group(1) if m else None

    assert tile(street_admin2) == "1" and tile(district_admin) == "1"
    assert tile(street_admin) == "0"  # one's own draft is not one's to approve
    assert tile(worker) is None  # no tile for a role that cannot approve
    payments.round_approve(actor=street_admin2, round=PaymentRound.objects.get(pk=r.pk))
    assert tile(district_admin) == "0"
