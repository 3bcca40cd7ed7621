"""No plain ID number, phone or address anywhere in the database (DESIGN §5)."""

import csv
import io
import os
import subprocess
import sys

from django.db import connection

from yiyang.core.synthetic import HEADER, synthetic_elder_rows
from yiyang.elders.importing import elders_import

COMMUNITIES = [("440304006001", "梅林街道"), ("440304006002", "梅林街道"), ("440304007001", "莲花街道")]


def _rows(n=60, seed=11):
    return list(synthetic_elder_rows(n, seed=seed, communities=COMMUNITIES))


def _csv(rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue().encode()


def _secrets(rows):
    """Every plain sensitive value: ID numbers, phones, addresses, contact phones."""
    values = set()
    for r in rows:
        values.update(v for v in (r[1], r[2], r[4], r[8]) if v)
    return values


def test_no_plain_value_in_any_table(tree):
    """Scan every column of every table, whatever the database (SQLite or PostgreSQL)."""
    rows = _rows()
    assert elders_import(actor=None, data=_csv(rows), file_name="x.csv").committed
    secrets = _secrets(rows)
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for record in cursor.fetchall():
                for value in record:
                    if isinstance(value, bytes | memoryview):
                        dump.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        dump.append(str(value))
    text = "\n".join(dump)
    assert "李" in text or "王" in text or "张" in text  # the scan sees real data (names are plain)
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_sqlite_database_file_holds_no_plain_id_or_phone(tmp_path):
    """The literal check: grep the database file (and its WAL) for every plain value."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}", YIYANG_VAR_DIR=str(tmp_path))
    cmd = [sys.executable, "-m", "yiyang.cli"]
    subprocess.run([*cmd, "demo", "--elders", "0"], env=env, check=True, capture_output=True)
    rows = _rows(200, seed=5)
    (tmp_path / "e.csv").write_bytes(_csv(rows))
    out = subprocess.run([*cmd, "import", "elders", str(tmp_path / "e.csv")], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("p.sqlite3*"))
    assert len(blob) > 100_000
    leaked = [s for s in _secrets(rows) if s.encode() in blob or s.encode("utf-16-le") in blob]
    assert leaked == []
    # …while the names, which are not secret, are there: the scan would have seen them.
    assert rows[0][0].encode() in blob
