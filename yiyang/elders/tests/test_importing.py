"""Import from CSV / Excel: row-by-row report in plain Chinese, all or nothing."""

import csv
import io
import json
import subprocess
import sys

import pytest
from openpyxl import Workbook

from tests import factories
from yiyang.core.identifiers import id_check_char
from yiyang.core.models import Event
from yiyang.elders.importing import COLUMNS, elders_import
from yiyang.elders.models import Elder, EmergencyContact, ImportBatch


def csv_bytes(rows, header=COLUMNS, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def row(**kw):
    values = {
        "姓名": "李桂兰", "身份证号": factories.make_id_number(), "联系电话": "13800001234",
        "社区代码": factories.COMMUNITY_A, "居住地址": "梅林一村3栋201", "居住情况": "独居",
        "人员类别": "低保、重度残疾", "紧急联系人": "李明", "紧急联系人电话": "13900005678",
    }
    values.update(kw)
    return [values[c] for c in COLUMNS]


def bad_check_digit(id_number):
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


def test_valid_file_is_written_with_categories_contacts_and_events(tree):
    data = csv_bytes([row(), row(姓名="张建国", 人员类别="", 紧急联系人="", 紧急联系人电话="")])
    report = elders_import(actor=None, data=data, file_name="名单.csv")
    assert report.ok and report.committed and report.rows == 2 and report.valid == 2
    assert Elder.objects.count() == 2
    li = Elder.objects.get(name="李桂兰")
    assert sorted(li.categories.values_list("name", flat=True)) == ["低保", "重度残疾"]
    assert li.living_situation == "alone"
    assert li.contacts.get().phone == "13900005678"
    assert li.import_batch == ImportBatch.objects.get()
    assert Event.objects.filter(type="elder.registered", elder_id=li.pk, payload__source="import").exists()
    assert Event.objects.filter(type="elders.import_committed").count() == 1


def test_one_bad_row_writes_nothing_and_is_reported_by_row_and_column(tree):
    good = factories.make_id_number()
    rows = [row(), row(身份证号=bad_check_digit(good)), row(联系电话="12812345678"), row(社区代码="440304999001")]
    report = elders_import(actor=None, data=csv_bytes(rows), file_name="x.csv")
    assert not report.ok and not report.committed
    assert [str(e) for e in report.errors] == [
        "第3行 身份证号：最后一位（校验位）与前17位对不上，请核对身份证号是否抄错",
        "第4行 联系电话：不是有效的手机号（11位，以13–19开头）或固定电话（区号-号码）",
        "第5行 社区代码：440304999001 不是本系统区划中的社区代码（应为12位社区代码）",
    ]
    assert report.valid == 1
    assert Elder.objects.count() == 0 and EmergencyContact.objects.count() == 0
    assert not Event.objects.exists() and not ImportBatch.objects.exists()


def test_duplicates_within_the_file_and_with_the_registry(tree, superuser):
    existing = factories.make_elder(superuser)
    dup = factories.make_id_number()
    rows = [row(身份证号=dup), row(身份证号=dup.lower() if dup.endswith("X") else dup),
            row(身份证号=existing.id_number)]
    report = elders_import(actor=None, data=csv_bytes(rows), file_name="x.csv")
    assert [str(e) for e in report.errors] == ["第3行 身份证号：与第2行重复", "第4行 身份证号：该身份证号已登记，请勿重复建档"]
    assert Elder.objects.count() == 1


def test_missing_required_column(tree):
    report = elders_import(actor=None, data=csv_bytes([["王五"]], header=["姓名"]), file_name="x.csv")
    assert not report.ok
    assert report.errors[0].row == 1 and "身份证号、社区代码" in report.errors[0].message


def test_unknown_category_and_living_situation(tree):
    report = elders_import(actor=None, data=csv_bytes([row(人员类别="低保;外星人", 居住情况="树上")]), file_name="x.csv")
    messages = [str(e) for e in report.errors]
    assert "第2行 居住情况：“树上”不是可选的居住情况" in messages[0]
    assert messages[1].startswith("第2行 人员类别：未知的人员类别：外星人（可填：高龄、失能、失智、")


def test_dry_run_writes_nothing(tree):
    report = elders_import(actor=None, data=csv_bytes([row()]), file_name="x.csv", dry_run=True)
    assert report.ok and not report.committed
    assert Elder.objects.count() == 0


def test_gbk_csv_from_chinese_excel(tree):
    report = elders_import(actor=None, data=csv_bytes([row()], encoding="gb18030"), file_name="x.csv")
    assert report.committed and Elder.objects.get().name == "李桂兰"


def test_fifteen_digit_id_in_file_is_converted(tree):
    report = elders_import(actor=None, data=csv_bytes([row(身份证号="440304450308123")]), file_name="x.csv")
    assert report.committed
    first17 = "44030419450308123"
    assert Elder.objects.get().id_number == first17 + id_check_char(first17)


def xlsx_bytes(rows, id_as_number=False):
    wb = Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for r in rows:
        if id_as_number:
            r = list(r)
            r[1] = float(r[1][:17])
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_import(tree):
    report = elders_import(actor=None, data=xlsx_bytes([row(), row()]), file_name="名单.xlsx")
    assert report.committed and Elder.objects.count() == 2


def test_xlsx_id_stored_as_number_is_explained(tree):
    report = elders_import(actor=None, data=xlsx_bytes([row()], id_as_number=True), file_name="名单.xlsx")
    assert not report.ok
    assert "数字格式" in report.errors[0].message and report.errors[0].column == "身份证号"


def test_unsupported_file_type(tree):
    from yiyang.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="xlsx"):
        elders_import(actor=None, data=b"x", file_name="名单.xls")


def test_import_outside_jurisdiction_is_refused_per_row(tree):
    admin = factories.make_user("sa", "street_admin", "440304006000")
    report = elders_import(actor=admin, data=csv_bytes([row(), row(社区代码=factories.COMMUNITY_B)]), file_name="x.csv")
    assert [str(e) for e in report.errors] == ["第3行 社区代码：该社区不在您的管辖范围内"]
    assert Elder.objects.count() == 0


def test_worker_role_may_not_import(tree):
    from yiyang.core.exceptions import ForbiddenError

    worker = factories.make_user("w", "commissioner", factories.COMMUNITY_A)
    with pytest.raises(ForbiddenError):
        elders_import(actor=worker, data=csv_bytes([row()]), file_name="x.csv")


@pytest.mark.django_db(transaction=True)
def test_cli_json_report_and_exit_status(tmp_path, settings):
    """`yiyang import elders FILE --json` in a separate process against its own database."""
    import os

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}", YIYANG_VAR_DIR=str(tmp_path))
    yiyang = [sys.executable, "-m", "yiyang.cli"]
    subprocess.run([*yiyang, "demo", "--elders", "0"], env=env, check=True, capture_output=True)
    bad = tmp_path / "bad.csv"
    good_id = factories.make_id_number()
    bad.write_bytes(csv_bytes([row(身份证号=good_id), row(身份证号=bad_check_digit(factories.make_id_number()))]))
    out = subprocess.run([*yiyang, "import", "elders", str(bad), "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["rows"] == 2 and report["valid"] == 1
    assert report["errors"] == [{"row": 3, "column": "身份证号", "message": "最后一位（校验位）与前17位对不上，请核对身份证号是否抄错"}]
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row(身份证号=good_id)]))
    dry = subprocess.run([*yiyang, "import", "elders", str(good), "--dry-run", "--json"], env=env,
                         capture_output=True, text=True)
    assert dry.returncode == 0 and json.loads(dry.stdout)["committed"] is False
    real = subprocess.run([*yiyang, "import", "elders", str(good)], env=env, capture_output=True, text=True)
    assert real.returncode == 0 and "已导入" in real.stdout
    again = subprocess.run([*yiyang, "import", "elders", str(good), "--json"], env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "已登记" in again.stdout
