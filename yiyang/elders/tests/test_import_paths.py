"""The importer's paths for large files (issue 12): rows checked and encrypted by worker
processes give what checking them here gives — the same report, the same stored rows; the
elder table's secondary indexes dropped for a large load come back exactly as the migrations
made them; a large import that fails leaves nothing, indexes included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from tests import factories
from yiyang.core import pii
from yiyang.core.models import Event
from yiyang.elders import importing
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Elder, ElderCategory, EmergencyContact, ImportBatch
from yiyang.elders.tests.test_importing import bad_check_digit, csv_bytes, row

pytestmark = pytest.mark.django_db(transaction=False)


def _rows(n=60):
    rows = []
    for i in range(n):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=97 * i)
        region = (factories.COMMUNITY_A, factories.COMMUNITY_A2, factories.COMMUNITY_B)[i % 3]
        rows.append(row(姓名=("王秀英", "李桂兰", "张玉梅")[i % 3] if i % 5 else "陈凤英",
                        身份证号=factories.make_id_number(born, sex="M" if i % 2 else "F"), 社区代码=region,
                        联系电话="" if i % 7 == 0 else f"1380000{i:04d}", 居住地址=f"梅林一村{i}栋",
                        人员类别="低保" if i % 4 == 0 else "", 紧急联系人="" if i % 3 == 0 else "李明",
                        紧急联系人电话="" if i % 3 == 0 else "13900005678"))
    # Suspected duplicates (same street, name and birth date or phone) and an under-60.
    rows.append(row(姓名="王秀英", 身份证号=factories.make_id_number(dt.date(1930, 10, 19)), 社区代码=factories.COMMUNITY_A,
                    联系电话="13800000001"))
    rows.append(row(姓名="赵小年", 身份证号=factories.make_id_number(dt.date(1975, 5, 5))))
    return rows


def _stored():
    """The import's rows as plain values, by ID number: what a reader of the registry sees."""
    out = {}
    for e in Elder.objects.order_by("name"):
        out[e.id_number] = (
            e.name, e.birth_date, e.sex, e.phone, e.phone_bidx, e.address, e.region_id, e.living_situation,
            e.match_name_birth_bidx, e.match_name_phone_bidx, e.not_in_difficulty, e.active,
            sorted(ElderCategory.objects.filter(elder=e).values_list("category__code", flat=True)),
            [(c.name, c.phone) for c in EmergencyContact.objects.filter(elder=e)],
            sorted((ev.type, ev.payload.get("row", 0)) for ev in Event.objects.filter(elder_id=e.pk)),
        )
    return out


def _import(data, monkeypatch, *, parallel, **settings):
    monkeypatch.setattr(importing, "PARALLEL_MIN_ROWS", 10 if parallel else 10**9)
    monkeypatch.setattr(importing, "CHUNK_ROWS", 7)
    monkeypatch.setattr(importing, "WRITE_CHUNK", 20)  # a large file is written as it is checked
    for k, v in settings.items():
        monkeypatch.setattr(importing, k, v)
    with transaction.atomic():
        report = elders_import(actor=None, data=data, file_name="x.csv")
        stored = _stored()
        transaction.set_rollback(True)  # the next path starts from the same empty registry
    return report.as_dict(), stored


@pytest.mark.parametrize("registered", [False, True])
def test_the_parallel_path_gives_the_same_report_and_stored_rows_as_the_serial_one(tree, monkeypatch, registered):
    if registered:  # a suspected duplicate of a registered elder: same street, name and birth date
        factories.make_elder(None, factories.COMMUNITY_A, name="王秀英",
                             id_number=factories.make_id_number(dt.date(1930, 10, 19), sex="M"))
    data = csv_bytes(_rows())
    serial_report, serial_rows = _import(data, monkeypatch, parallel=False)
    parallel_report, parallel_rows = _import(data, monkeypatch, parallel=True)
    assert serial_report["committed"] and serial_report["warning_count"] >= 2
    assert parallel_report | {"batch_id": None} == serial_report | {"batch_id": None}
    assert parallel_rows == serial_rows and len(serial_rows) == 62 + registered
    assert any("已登记的老人" in w["message"] for w in serial_report["warnings"]) == registered
    # Encrypted with the field keys the workers inherited: they decrypt here (in _stored), and
    # the blind index of an ID number finds its elder.
    with transaction.atomic():
        monkeypatch.setattr(importing, "PARALLEL_MIN_ROWS", 10)
        elders_import(actor=None, data=data, file_name="x.csv")
        some = next(iter(serial_rows))
        assert Elder.objects.filter(id_number_bidx=pii.blind_index(some, "elder.id_number")).exists()
        transaction.set_rollback(True)


def test_the_parallel_path_reports_errors_as_the_serial_one(tree, monkeypatch):
    rows = _rows(40)
    rows[3][1] = bad_check_digit(rows[3][1])  # across chunks of 7: rows 5, 30 (a duplicate of 5), 40
    rows[28][1] = rows[3][1]
    rows[29][1] = rows[4][1]  # a duplicate of a valid row in another chunk
    rows[38][3] = "440304999001"
    data = csv_bytes(rows)
    serial, serial_rows = _import(data, monkeypatch, parallel=False)
    parallel, parallel_rows = _import(data, monkeypatch, parallel=True)
    assert not serial["committed"] and serial["error_count"] >= 4
    assert parallel | {"batch_id": None} == serial | {"batch_id": None}
    assert parallel_rows == serial_rows == {}


@pytest.mark.parametrize("late", ["error", "registered"])
def test_a_problem_after_rows_were_written_undoes_them_and_reports_as_the_serial_path(tree, monkeypatch, late):
    """Written in chunks of 20 as checked: a bad row 55, or an ID number registered before in
    row 50, comes after two chunks were written — they are undone, the report is the serial one."""
    rows = _rows()
    if late == "error":
        rows[53][2] = "12812345678"
    else:
        factories.make_elder(None, factories.COMMUNITY_A, id_number=rows[48][1])
    data = csv_bytes(rows)
    monkeypatch.setattr(importing, "REBUILD_MIN_ROWS", 10)
    before = _indexes()
    serial, serial_rows = _import(data, monkeypatch, parallel=False)
    parallel, parallel_rows = _import(data, monkeypatch, parallel=True)
    assert not serial["committed"] and serial["error_count"] == 1
    assert parallel | {"batch_id": None} == serial | {"batch_id": None}
    assert parallel_rows == serial_rows
    assert Elder.objects.count() == (0 if late == "error" else 1) and _indexes() == before


def _indexes():
    return sorted(importing._secondary_indexes())


@pytest.mark.parametrize("parallel", [False, True])
def test_a_large_load_into_a_small_table_rebuilds_the_indexes_the_migrations_made(tree, monkeypatch, parallel):
    before = _indexes()
    assert {"elder_active_region_name_id", "elder_region", "elder_phone_bidx"} <= {name for name, _ in before}
    during = []
    real_insert = importing.bulk_insert

    def insert(model, fields, rows):
        if model is Elder:
            during.append(_indexes())
        return real_insert(model, fields, rows)

    monkeypatch.setattr(importing, "bulk_insert", insert)
    report, stored = _import(csv_bytes(_rows()), monkeypatch, parallel=parallel, REBUILD_MIN_ROWS=10)
    assert report["committed"] and len(stored) == 62
    assert during and all(d == [] for d in during)  # dropped for the load
    assert _indexes() == before  # and made again by the very statements of the migrations
    with transaction.atomic():  # made again in the transaction that wrote the rows: they hold them
        elders_import(actor=None, data=csv_bytes(_rows()), file_name="x.csv")
        for e in Elder.objects.all()[:5]:
            assert Elder.objects.filter(phone_bidx=e.phone_bidx, active=True, region_id=e.region_id).exists()
        transaction.set_rollback(True)


def test_a_load_into_a_larger_table_keeps_its_indexes(tree, monkeypatch):
    factories.make_elder(None, factories.COMMUNITY_A)
    factories.make_elder(None, factories.COMMUNITY_B)
    before = _indexes()
    monkeypatch.setattr(importing, "REBUILD_MIN_ROWS", 1)
    with transaction.atomic():
        with importing._indexes_rebuilt(1) as dropped:
            assert not dropped and _indexes() == before  # the table holds more rows than the load
        with importing._indexes_rebuilt(2) as dropped:
            assert dropped and not _indexes()
        assert _indexes() == before
        transaction.set_rollback(True)
    assert _indexes() == before


@pytest.mark.parametrize("step", ["elders", "events"])  # the indexes dropped, and built again
def test_a_large_import_that_fails_while_writing_leaves_nothing_and_the_indexes_intact(tree, monkeypatch, step):
    before = _indexes()
    real_insert = importing.bulk_insert

    def insert(model, fields, rows):
        if step == "elders" and model is Elder:
            real_insert(model, fields, [next(iter(rows))])
            assert not _indexes()  # failing while they are dropped
            raise RuntimeError("disk full")
        return real_insert(model, fields, rows)

    def events(rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "bulk_insert", insert)
    monkeypatch.setattr(importing, "events_record_bulk", events)
    monkeypatch.setattr(importing, "REBUILD_MIN_ROWS", 10)
    monkeypatch.setattr(importing, "PARALLEL_MIN_ROWS", 10)
    monkeypatch.setattr(importing, "CHUNK_ROWS", 7)
    monkeypatch.setattr(importing, "WRITE_CHUNK", 20)
    with pytest.raises(RuntimeError):
        elders_import(actor=None, data=csv_bytes(_rows()), file_name="x.csv")
    assert not Elder.objects.exists() and not ImportBatch.objects.exists() and not Event.objects.exists()
    assert _indexes() == before
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"
