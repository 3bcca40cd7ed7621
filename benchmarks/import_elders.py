"""Import N synthetic elders through the real import path and compare it with the
database's own ceiling measured in the same run (DESIGN §6, PERFORMANCE.md).

    python benchmarks/import_elders.py --rows 1000000                          # SQLite (temp file)
    bash scripts/with-postgres.sh python benchmarks/import_elders.py --rows 1000000   # PostgreSQL

The database: without ``DATABASE_URL`` (or with an SQLite one) a fresh SQLite file in a
temporary directory — never ``var/yiyang.sqlite3``; otherwise the PostgreSQL database that
``DATABASE_URL`` names, which must hold no elders (use a throw-away server). Field keys
are fresh random ones (nothing under ``var/`` is read or written).

Measured, on the same rows:

(a) CEILING — the physical one (issue 12): a raw insert with the same field encryption and
    nothing else: for each row AES-GCM of 身份证号, phone and address and the HMAC blind
    indexes of 身份证号 and phone (``pii.encrypt`` / ``pii.blind_index``), the two
    suspected-duplicate keys (HMAC of street|name|birth date and street|name|phone), birth date
    and sex sliced out of the ID number, then ``executemany`` (SQLite, the driver's own cursor)
    or ``COPY`` (PostgreSQL) in one transaction into a scratch table with the elder table's
    columns and constraints and ONLY the primary key and the unique ID-number blind index (no
    secondary index). No validation, no ORM, no other table. Before issue 12 the scratch
    table had all the elder table's indexes (9 on SQLite, 13 on PostgreSQL then): ≈ 7.8k rows/s
    at 1 M against ≈ 30k for this one.
(b) REAL — ``elders_import(actor=None, data=<the CSV bytes>, …)``: CSV parsing, full
    validation of every row, duplicate checks in the file and in the database, encryption,
    blind indexes, elders + categories + contacts + one event per elder, one transaction.

Then it checks the result is complete (elders = N, one ``elder.registered`` event per
elder, categories and contacts as in the file) and prints rows/s of both and their ratio.
The bar is real ≥ 1/3 of the ceiling.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import gc
import io
import json
import os
import platform
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

BAR = 1 / 3
SCRATCH = "bench_ceiling_elder"


# -- machine -------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def load() -> str:
    """1/5/15-minute load averages: on a shared machine, context for the figures."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# -- set-up (before django.setup) -----------------------------------------------------------


def configure_environment(workdir: Path) -> str:
    """Point settings at a throw-away database and fresh keys. Returns a description."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        if url:
            print(f"note: ignoring DATABASE_URL={url} — the SQLite benchmark always uses a temp file",
                  file=sys.stderr)
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["YIYANG_VAR_DIR"] = str(workdir)  # local secrets and static root go here, not var/
    # The figures are the primary's; a replica (YIYANG_PG_REPLICA=1 harness) holds another database.
    os.environ.pop("DATABASE_REPLICA_URL", None)
    os.environ["YIYANG_FIELD_KEY"] = "1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["YIYANG_BLIND_INDEX_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ.setdefault("YIYANG_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("YIYANG_ENV", "development")
    # As in production: DEBUG makes Django log (and, on SQLite, re-quote) every query.
    os.environ["YIYANG_DEBUG"] = "0"
    return os.environ["DATABASE_URL"]


# -- the ceiling ----------------------------------------------------------------------------


def create_scratch_table(connection, table: str) -> None:
    """The physical ceiling's table (issue 12): ``table``'s columns, NOT NULL / CHECK and foreign
    key constraints, and of its indexes only the primary key and the unique ID-number blind
    index — the two a table of elders cannot do without — named SCRATCH."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            # The CREATE TABLE statement holds the primary key and the UNIQUE constraint (its
            # automatic index); the secondary indexes are separate CREATE INDEX statements.
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            cur.execute(cur.fetchone()[0].replace(f'"{table}"', qn(SCRATCH), 1))
        else:
            cur.execute(f"CREATE TABLE {qn(SCRATCH)} (LIKE {qn(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            # LIKE … INCLUDING CONSTRAINTS copies NOT NULL and CHECK; the keys are added here.
            cur.execute(f"ALTER TABLE {qn(SCRATCH)} ADD PRIMARY KEY ({qn('id')}), "
                        f"ADD UNIQUE ({qn('id_number_bidx')})")
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            for i, (_name, definition) in enumerate(cur.fetchall()):
                cur.execute(f"ALTER TABLE {qn(SCRATCH)} ADD CONSTRAINT {qn(f'{SCRATCH}_fk{i}')} {definition}")


def scratch_indexes(connection) -> list[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"PRAGMA index_list({connection.ops.quote_name(SCRATCH)})")
            return [f"{r[1]}{' (unique)' if r[2] else ''}" for r in cur.fetchall()]
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [SCRATCH])
        return [r[0] for r in cur.fetchall()]


def ceiling_insert(connection, rows: list[tuple[str, ...]], columns: list[str]) -> int:
    """Encrypt + blind-index + insert ``rows`` into SCRATCH in one transaction. Returns the
    number of rows written. Everything in here is timed by the caller."""
    from django.db import transaction
    from django.utils import timezone

    from yiyang.core import pii
    from yiyang.core.bulk import bulk_load, sorted_uuid4_hex
    from yiyang.elders.duplicates import NAME_BIRTH_CTX, NAME_PHONE_CTX

    encrypt, blind_index = pii.encrypt, pii.blind_index
    now = timezone.now()
    living = {"独居": "alone", "空巢": "empty_nest", "留守": "left_behind", "与子女同住": "with_children",
              "与其他亲属同住": "with_relatives", "入住养老机构": "in_institution", "其他": "other"}
    qn = connection.ops.quote_name
    col_sql = ", ".join(qn(c) for c in columns)

    def encrypted(as_text: bool):
        stamp = connection.ops.adapt_datetimefield_value(now) if as_text else now
        # The same keys as the real path: random uuid4s handed out in ascending order.
        for uid, (name, idn, phone, code, address, situation) in zip(sorted_uuid4_hex(len(rows)), rows, strict=True):
            birth = f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
            yield (
                uid, stamp, stamp, 1, name,
                encrypt(idn, "elder.id_number"), blind_index(idn, "elder.id_number"), birth,
                "M" if int(idn[16]) % 2 else "F",
                encrypt(phone, "elder.phone"), blind_index(phone, "elder.phone") or "",
                encrypt(address, "elder.address"), code, True, living.get(situation, situation), "", True, "",
                None, None, None,
                # The suspected-duplicate keys (elders.duplicates.match_keys): two more HMACs
                # into two more indexed columns, as the real path writes them.
                blind_index(f"{code[:9]}|{name}|{idn[6:14]}", NAME_BIRTH_CTX) or "",
                (blind_index(f"{code[:9]}|{name}|{phone}", NAME_PHONE_CTX) or "") if phone else "",
                False,  # not_in_difficulty
            )

    count = 0
    with transaction.atomic(), bulk_load():  # the same connection settings as the real path
        raw = connection.connection  # the driver's own connection: no Django cursor wrapper
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY {qn(SCRATCH)} ({col_sql}) FROM STDIN") as copy:
                for row in encrypted(as_text=False):
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {qn(SCRATCH)} ({col_sql}) VALUES ({', '.join('?' * len(columns))})"
            gen = encrypted(as_text=True)
            while batch := [r for _, r in zip(range(10_000), gen, strict=False)]:
                raw.executemany(sql, batch)
                count += len(batch)
    return count


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the elder import against the database's ceiling.")
    parser.add_argument("--rows", type=int, default=100_000, help="number of elders (default 100,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp directory (SQLite database, CSV) and the scratch table")
    parser.add_argument("--csv", type=Path, help="use this import CSV instead of generating one")
    parser.add_argument("--skip-ceiling", action="store_true", help="only run the real import (development)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the real import to this file")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit 1 when the real path is below the bar")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="yiyang-bench-"))
    try:
        return run(args, workdir)
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    configure_environment(workdir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from synth_city import REGIONS_CSV, write_city_csv

    from yiyang.core import pii
    from yiyang.core.bulk import _field_by_attname
    from yiyang.core.models import Event
    from yiyang.elders import events
    from yiyang.elders.importing import ELDER_COLUMNS, elders_import
    from yiyang.elders.models import Elder, ElderCategory, EmergencyContact, ImportBatch
    from yiyang.regions.models import Region
    from yiyang.regions.services import region_tree_load_csv

    started = time.perf_counter()
    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        db_version = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            db_version = f"PostgreSQL {cur.fetchone()[0]}"
    facts = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": db_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram_gib() or 0, 1),
    }
    if vendor == "postgresql":
        import psycopg

        facts["psycopg"] = psycopg.__version__
    print(f"# elder import benchmark — {facts['date']}")
    print(f"database {db_version} ({connection.settings_dict['NAME']}), Python {facts['python']}, "
          f"Django {facts['django']}")
    print(f"machine  {facts['cpu']}, {facts['cores']} cores, {facts['ram_gib']} GiB RAM, load {load()}")

    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    if Elder.objects.exists():
        print("error: this database already holds elders; the benchmark empties the elder tables, "
              "so it only runs on a throw-away database (scripts/with-postgres.sh)", file=sys.stderr)
        return 2
    region_tree_load_csv(text=REGIONS_CSV.read_text(encoding="utf-8"), version="2023-demo", source="benchmark")
    n_communities = Region.objects.filter(level=Region.Level.COMMUNITY).count()
    print(f"setup    migrated + region tree ({n_communities} communities) in {time.perf_counter() - t:.1f} s")

    # -- the rows ------------------------------------------------------------------------
    t = time.perf_counter()
    if args.csv:
        data = args.csv.read_bytes()
        file_name = args.csv.name
    else:
        path = workdir / "synthetic-city.csv"
        write_city_csv(path, args.rows, seed=args.seed, today=timezone.localdate())
        data = path.read_bytes()
        file_name = path.name
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = parsed[0], parsed[1:]
    del parsed
    col = {c: header.index(c) for c in header}
    n = len(body)
    expected_contacts = sum(1 for r in body if r[col["紧急联系人"]] or r[col["紧急联系人电话"]])
    expected_links = sum(len([p for p in r[col["人员类别"]].split("、") if p]) for r in body)
    rows = [(r[col["姓名"]], r[col["身份证号"]], r[col["联系电话"]], r[col["社区代码"]], r[col["居住地址"]],
             r[col["居住情况"]]) for r in body]
    # A few rows to look up afterwards by blind index and decrypt: the data really landed.
    samples = [body[i] for i in sorted({0, n // 2, n - 1}) if n]
    del body
    print(f"rows     {n:,} synthetic elders (seed {args.seed}), {len(data) / 1e6:.0f} MB of CSV, "
          f"made in {time.perf_counter() - t:.1f} s")
    results: dict[str, object] = {"rows": n, **facts}

    # -- (a) ceiling ------------------------------------------------------------------------
    if not args.skip_ceiling:
        create_scratch_table(connection, Elder._meta.db_table)
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        columns = [_field_by_attname(Elder._meta, c).column for c in ELDER_COLUMNS]  # the real path's columns
        written = ceiling_insert(connection, rows, columns)
        ceiling_s, ceiling_cpu = time.perf_counter() - t, time.process_time() - c
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(SCRATCH)}")
            in_table = cur.fetchone()[0]
        if written != n or in_table != n:
            print(f"error: ceiling wrote {written:,}, table holds {in_table:,}, expected {n:,}", file=sys.stderr)
            return 1
        results |= {"ceiling_seconds": round(ceiling_s, 2), "ceiling_rows_per_s": round(n / ceiling_s),
                    "ceiling_cpu_seconds": round(ceiling_cpu, 2)}
        print(f"ceiling  {n / ceiling_s:>9,.0f} rows/s  {ceiling_s:7.1f} s  (cpu {ceiling_cpu:6.1f} s)  raw "
              f"{'COPY' if vendor == 'postgresql' else 'executemany'} + AES-GCM×3 + HMAC×4 into "
              f"{Elder._meta.db_table}'s columns with only the primary key and the unique ID blind index "
              f"(indexes: {len(scratch_indexes(connection))})")
        if not args.keep:
            with connection.cursor() as cur:
                cur.execute(f"DROP TABLE {connection.ops.quote_name(SCRATCH)}")
    del rows
    gc.collect()

    # -- (b) the real import ---------------------------------------------------------------
    for model in (Event, EmergencyContact, ElderCategory, Elder, ImportBatch):
        model.objects.all().delete()  # empty already on a fresh database; never row by row here
    gc.collect()
    rss_before = peak_rss_mib()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t, c = time.perf_counter(), time.process_time()
    report = elders_import(actor=None, data=data, file_name=file_name, source="benchmark")
    real_s, real_cpu = time.perf_counter() - t, time.process_time() - c
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    if not report.committed:
        print(f"error: the import did not commit ({report.error_count} errors)", file=sys.stderr)
        for e in report.errors[:10]:
            print(f"  {e}", file=sys.stderr)
        return 1

    # -- honest figures: is everything there? ------------------------------------------------
    counts = {
        "elders": Elder.objects.count(),
        "registered_events": Event.objects.filter(type=events.REGISTERED).count(),
        "events": Event.objects.count(),
        "category_links": ElderCategory.objects.count(),
        "contacts": EmergencyContact.objects.count(),
    }
    problems = []
    if counts["elders"] != n:
        problems.append(f"elders {counts['elders']:,} != {n:,}")
    if counts["registered_events"] != n or counts["events"] < n:
        problems.append(f"events {counts['events']:,} (registered {counts['registered_events']:,}), expected ≥ {n:,}")
    if counts["category_links"] != expected_links:
        problems.append(f"category links {counts['category_links']:,} != {expected_links:,}")
    if counts["contacts"] != expected_contacts:
        problems.append(f"contacts {counts['contacts']:,} != {expected_contacts:,}")
    for r in samples:
        elder = Elder.objects.filter(id_number_bidx=pii.blind_index(r[col["身份证号"]], "elder.id_number")).first()
        if elder is None:
            problems.append(f"row with ID {r[col['身份证号']][:6]}… not found by its blind index")
        elif (elder.id_number, elder.phone, elder.address, elder.region_id) != (
                r[col["身份证号"]], r[col["联系电话"]], r[col["居住地址"]], r[col["社区代码"]]):
            problems.append("a sampled elder does not decrypt to its CSV row")
    if problems:
        print("error: the import is incomplete: " + "; ".join(problems), file=sys.stderr)
        return 1

    ratio = (n / real_s) / results["ceiling_rows_per_s"] if "ceiling_rows_per_s" in results else None
    results |= {
        "real_seconds": round(real_s, 2), "real_rows_per_s": round(n / real_s), "real_cpu_seconds": round(real_cpu, 2),
        "ratio": round(ratio, 3) if ratio is not None else None, "bar": round(BAR, 3),
        "peak_rss_mib": round(peak_rss_mib()), "peak_rss_mib_before_real": round(rss_before), **counts,
    }
    print(f"real     {n / real_s:>9,.0f} rows/s  {real_s:7.1f} s  (cpu {real_cpu:6.1f} s)  elders_import(): parse + validate + "
          f"duplicates + encrypt + elders/categories/contacts/events")
    print(f"checked  elders {counts['elders']:,} · events {counts['events']:,} "
          f"({counts['registered_events']:,} elder.registered) · categories {counts['category_links']:,} · "
          f"contacts {counts['contacts']:,} · {len(samples)} sampled rows found by blind index, decrypted intact")
    if ratio is not None:
        verdict = "meets the bar" if ratio >= BAR else "BELOW the bar"
        print(f"ratio    real/ceiling = {ratio:.2f}  (bar ≥ {BAR:.2f}: {verdict})")
    print(f"memory   peak RSS {results['peak_rss_mib']:,} MiB; total run {time.perf_counter() - started:.0f} s; "
          f"load {load()} (other work on the machine makes figures noisy: compare the ratio, not runs)")
    results["load_at_end"] = load()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.keep:
        print(f"database {connection.settings_dict['NAME']}")
    return 1 if args.check and ratio is not None and ratio < BAR else 0


if __name__ == "__main__":
    sys.exit(main())
