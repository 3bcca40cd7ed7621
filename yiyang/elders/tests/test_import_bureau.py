"""A bureau's own spreadsheet (issue 7, B.1–B.2): the words and headers clerks write are
taken, and what is wrong is still refused."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests import factories
from yiyang.elders import services
from yiyang.elders.importing import COLUMNS, elders_import
from yiyang.elders.models import CategoryAlias, Elder
from yiyang.elders.tests.test_importing import row
from yiyang.regions.models import Region


def csv_of(header, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def years_ago(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=30)


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


# -- B.1 人员类别 ------------------------------------------------------------------------------------


def test_advanced_age_is_checked_against_the_id_number(tree):
    old = factories.make_id_number(birth=years_ago(82))
    young = factories.make_id_number(birth=years_ago(66))
    ok = elders_import(actor=None, data=csv_of(COLUMNS, [row(身份证号=old, 人员类别="高龄、低保")]), file_name="x.csv")
    assert ok.committed, messages(ok)
    elder = Elder.objects.get()
    assert list(elder.categories.values_list("name", flat=True)) == ["低保"]  # 高龄 stays derived

    bad = elders_import(actor=None, data=csv_of(COLUMNS, [row(身份证号=young, 人员类别="高龄")]), file_name="x.csv")
    assert not bad.ok
    (message,) = messages(bad)
    birth = years_ago(66)
    assert message.startswith("第2行 人员类别：填写了“高龄”")
    assert f"{birth.year}年{birth.month}月出生" in message and "现年66岁" in message and "不满80岁" in message


def test_living_situation_words_in_categories_set_the_living_situation(tree):
    rows = [
        row(人员类别="独居、低保户", 居住情况=""),
        row(人员类别="空巢老人", 居住情况="空巢"),  # agrees: fine
        row(人员类别="与子女同住", 居住情况="独居"),  # contradicts
        row(人员类别="独居、与子女同住", 居住情况=""),  # two at once
    ]
    report = elders_import(actor=None, data=csv_of(COLUMNS, rows), file_name="x.csv", dry_run=True)
    assert messages(report) == [
        "第4行 人员类别：“与子女同住”与居住情况“独居”不一致",
        "第5行 人员类别：“独居”与“与子女同住”是不同的居住情况，只能填一种",
    ]
    report = elders_import(actor=None, data=csv_of(COLUMNS, rows[:2]), file_name="x.csv")
    assert report.committed
    first, second = Elder.objects.order_by("import_batch", "name", "id_number_bidx")[:2]
    living = sorted(Elder.objects.values_list("living_situation", flat=True))
    assert living == ["alone", "empty_nest"]
    assert set(first.categories.values_list("name", flat=True)) | set(second.categories.values_list("name", flat=True)) == {"低保"}


def test_aliases_are_data_the_admin_edits(tree):
    data = csv_of(COLUMNS, [row(人员类别="五保、失独、退伍军人"), row(人员类别="特困；低边户")])
    report = elders_import(actor=None, data=data, file_name="x.csv")
    assert report.committed, messages(report)
    names = {frozenset(e.categories.values_list("name", flat=True)) for e in Elder.objects.all()}
    assert names == {frozenset({"特困供养", "计划生育特殊家庭", "退役军人"}), frozenset({"特困供养", "低保边缘"})}

    # A word the shipped list lacks is an error listing the accepted words — until the admin adds it.
    unknown = csv_of(COLUMNS, [row(人员类别="三无老人")])
    report = elders_import(actor=None, data=unknown, file_name="x.csv", dry_run=True)
    (message,) = messages(report)
    assert message.startswith("第2行 人员类别：未知的人员类别：三无老人（可填：")
    for word in ("失能", "特困供养", "高龄", "独居", "与子女同住", "五保", "低保户", "失独"):
        assert word in message
    assert len(message) < 300  # examples of the aliases, not all of them: the template lists them
    from yiyang.elders.models import Category

    CategoryAlias.objects.create(word="三无老人", category=Category.objects.get(name="特困供养"))
    assert elders_import(actor=None, data=unknown, file_name="x.csv", dry_run=True).ok


def test_admin_lists_and_adds_aliases(superuser):
    from django.test import Client

    c = Client()
    c.force_login(superuser)
    resp = c.get("/admin/elders/categoryalias/")
    assert resp.status_code == 200 and "五保" in resp.content.decode()
    from yiyang.elders.models import Category

    cat = Category.objects.get(code="subsistence")
    resp = c.post("/admin/elders/categoryalias/add/", {"word": "城市低保", "category": cat.pk, "living_situation": "",
                                                        "note": ""})
    assert resp.status_code == 302
    resp = c.post("/admin/elders/categoryalias/add/", {"word": "两者", "category": cat.pk,
                                                        "living_situation": "alone", "note": ""})
    assert resp.status_code == 200 and "选且只选一个" in resp.content.decode()
    assert CategoryAlias.objects.filter(word="城市低保", category=cat).exists()


def test_form_and_api_take_the_same_words(tree, superuser):
    young = factories.make_id_number(birth=years_ago(66))
    from yiyang.core.exceptions import FieldErrors

    with pytest.raises(FieldErrors) as exc:
        services.elder_register(actor=superuser, data=factories.elder_data(id_number=young, categories=["高龄"]))
    assert "现年66岁" in exc.value.errors["categories"][0]
    elder = services.elder_register(actor=superuser, data=factories.elder_data(
        categories=["低保户", "独居老人"], living_situation=""))
    assert elder.living_situation == "alone"
    assert list(elder.categories.values_list("code", flat=True)) == ["subsistence"]
    # An edit: a living word in the categories sets the living situation too.
    elder = services.elder_update(actor=superuser, elder=elder, data={"categories": ["低保", "空巢"]})
    assert elder.living_situation == "empty_nest"


# -- B.2 headers and places ------------------------------------------------------------------------


BUREAU_HEADER = ["序号", "姓名", "性别", "公民身份号码", "手机号码", "所属社区", "家庭住址", "人员类别", "联系人", "联系人电话"]


def bureau_row(i: int, community: str, **kw) -> list[str]:
    values = {"序号": str(i), "姓名": "陈玉珍", "性别": "女", "公民身份号码": factories.make_id_number(),
              "手机号码": "13800001234", "所属社区": community, "家庭住址": "梅林一村3栋201", "人员类别": "低保户",
              "联系人": "陈明", "联系人电话": "13900005678"}
    values.update(kw)
    return [values[c] for c in BUREAU_HEADER]


def test_a_bureau_layout_with_header_variants_and_community_names(tree):
    data = csv_of(BUREAU_HEADER, [
        bureau_row(1, "梅京社区"), bureau_row(2, "上梅林"), bureau_row(3, "梅林街道梅京社区"),
        bureau_row(4, factories.COMMUNITY_A2),
    ])
    report = elders_import(actor=None, data=data, file_name="梅林街道老人名单.csv")
    assert report.committed, messages(report)
    assert sorted(Elder.objects.values_list("region_id", flat=True)) == sorted(
        [factories.COMMUNITY_A, factories.COMMUNITY_A2, factories.COMMUNITY_A, factories.COMMUNITY_A2])
    assert all(e.contacts.count() == 1 and e.phone == "13800001234" for e in Elder.objects.all())


def test_community_names_are_unique_within_the_jurisdiction_only(tree):
    # A second 梅京社区 under 莲花街道: ambiguous for the district, not for 梅林街道's admin.
    street = Region.objects.get(code="440304007000")
    Region.objects.create(code="440304007003", name="梅京社区", level=Region.Level.COMMUNITY, parent=street,
                          code_set=street.code_set)
    data = csv_of(BUREAU_HEADER, [bureau_row(1, "梅京社区"), bureau_row(2, "不存在社区")])
    report = elders_import(actor=None, data=data, file_name="x.csv", dry_run=True)
    assert messages(report) == [
        "第2行 所属社区：您管辖范围内有2个社区叫“梅京社区”（梅林街道、莲花街道），请写成“街道名+社区名”或填写12位社区代码",
        "第3行 所属社区：“不存在社区”不是您管辖范围内的社区名称（可以填写社区名称或12位社区代码）",
    ]
    street_admin = factories.make_user("sa_meilin", "street_admin", "440304006000")
    report = elders_import(actor=street_admin, data=csv_of(BUREAU_HEADER, [bureau_row(1, "梅京社区")]),
                           file_name="x.csv", dry_run=True)
    assert report.ok, messages(report)
    # Outside one's jurisdiction a name is unknown (not "elsewhere"): nothing is revealed.
    report = elders_import(actor=street_admin, data=csv_of(BUREAU_HEADER, [bureau_row(1, "景田北社区")]),
                           file_name="x.csv", dry_run=True)
    assert "不是您管辖范围内的社区名称" in messages(report)[0]


def test_code_and_name_both_given_must_agree(tree):
    header = ["姓名", "身份证号", "社区代码", "所属社区"]
    rows = [["王五", factories.make_id_number(), factories.COMMUNITY_A, "梅京社区"],
            ["赵六", factories.make_id_number(), factories.COMMUNITY_A, "上梅林社区"]]
    report = elders_import(actor=None, data=csv_of(header, rows), file_name="x.csv", dry_run=True)
    assert messages(report) == [f"第3行 所属社区：“上梅林社区”与社区代码 {factories.COMMUNITY_A} 不是同一个社区"]


def test_a_duplicated_column_is_an_error(tree):
    header = ["姓名", "身份证号", "社区代码", "手机", "电话"]
    report = elders_import(actor=None, data=csv_of(header, [["王五", factories.make_id_number(),
                                                                factories.COMMUNITY_A, "13800001234", ""]]),
                           file_name="x.csv")
    assert messages(report) == ["第1行：“手机”（D列）和“电话”（E列）是同一列，请删去其中一列"]
    header = ["姓名", "身份证号", "社区代码", "姓名"]
    report = elders_import(actor=None, data=csv_of(header, [["王五", factories.make_id_number(),
                                                                factories.COMMUNITY_A, "王六"]]), file_name="x.csv")
    assert messages(report) == ["第1行：“姓名”（A列）和“姓名”（D列）是同一列，请删去其中一列"]
    assert Elder.objects.count() == 0


def test_header_noise_is_ignored_and_missing_community_is_named(tree):
    header = ["*姓名", "身份证号码（必填）", " 社区 代码 "]
    ok = elders_import(actor=None, data=csv_of(header, [["王五", factories.make_id_number(), factories.COMMUNITY_A]]),
                       file_name="x.csv", dry_run=True)
    assert ok.ok, messages(ok)
    missing = elders_import(actor=None, data=csv_of(["姓名", "身份证号"], [["王五", factories.make_id_number()]]),
                            file_name="x.csv")
    assert messages(missing)[0].startswith("第1行：缺少必填列：社区代码（或所属社区）")
