"""Time-bank transfers per second under concurrent clients, next to the database's
one-commit-per-row ceiling measured in the same run, with the ledger's invariants checked
after (DESIGN §6, issue 11).

    YIYANG_PG_DURABLE=1 bash scripts/with-postgres.sh python benchmarks/timebank.py   # PostgreSQL, fsync on
    python benchmarks/timebank.py --clients 8 --seconds 10                 # SQLite (a temp file)

The database: a fresh SQLite file in a temporary directory, or the (empty, throw-away)
PostgreSQL database ``DATABASE_URL`` names. ``scripts/with-postgres.sh`` starts its server
without durability (``fsync=off``…) for tests; ``YIYANG_PG_DURABLE=1`` keeps PostgreSQL's
defaults — the figures of docs/benchmarks.md are taken so. The run prints the settings it
measured under.

Set-up: ``--accounts`` members with their accounts (bulk rows), each given ``--balance``
hundredths of a credit by one service booking through ``ledger.ledger_book``.

Measured, each for ``--seconds`` with ``--clients`` processes (one database connection each)
released together:

* **transfers**: each client books random transfers between two accounts through
  ``ledger.ledger_book`` — the ledger's one write path: both account rows locked
  ``FOR UPDATE`` in key order, balances checked after the lock, the transaction row, two
  entries hashed into their accounts' chains, both accounts' caches moved, one commit. On
  PostgreSQL that is one call of the ``timebank_book`` function in autocommit (one round
  trip, ``yiyang/timebank/ledger_sql.py``);
* **ceiling**: each client inserts rows of the entries' shape (same columns, the unique hash)
  into a scratch table, one row per commit.

After: ``ledger.ledger_verify`` (every hash and link, each transaction balanced, no holder
below zero, caches = sums), the total over all accounts zero, and the count of transfer
transactions equal to what the clients reported. The bar: ≥ 500 transfers/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from import_elders import configure_environment, cpu_model, ram_gib  # noqa: E402

BAR_PER_S = 500
TREE = [("440000000000", "广东省"), ("440300000000", "深圳市"), ("440304000000", "福田区"),
        ("440304006000", "梅林街道"), ("440304006001", "梅京社区")]
COMMUNITY = "440304006001"


def setup_world(accounts: int, balance: int) -> list[int]:
    from django.db import transaction
    from django.utils import timezone

    from yiyang.regions.models import Region
    from yiyang.regions.services import region_tree_load
    from yiyang.stations.models import ServicePoint
    from yiyang.timebank.ledger import ledger_book, point_account
    from yiyang.timebank.models import Account, Category, Member

    region_tree_load(rows=[{"code": c, "name": n} for c, n in TREE], version="bench")
    region = Region.objects.get(code=COMMUNITY)
    now = timezone.now()
    with transaction.atomic():
        point = ServicePoint.objects.create(name="基准测试服务点", kind=ServicePoint.Kind.TIME_BANK, region=region)
        members = Member.objects.bulk_create([
            Member(name=f"成员{i}", id_number_enc=b"x", id_number_bidx=f"bench{i:026d}", birth_date="1960-01-01",
                   sex="M", region=region) for i in range(accounts)], batch_size=1000)
        Account.objects.bulk_create([
            Account(kind=Account.Kind.PERSON, member=m, region_code=COMMUNITY, name=m.name, created_at=now)
            for m in members], batch_size=1000)
        ids = list(Account.objects.filter(kind=Account.Kind.PERSON).order_by("pk").values_list("pk", flat=True))
        issuing = point_account(point)
        legs: list[tuple[Any, int]] = [(issuing, -balance * len(ids))]
        legs += [(Account(pk=pk), balance) for pk in ids]
        ledger_book(category=Category.SERVICE, legs=legs, region_code=COMMUNITY, reason="基准测试初始积分")
    return ids


def _transfers(args: tuple[list[int], float, int, Any]) -> tuple[int, int]:
    ids, start_at, seconds, seed = args
    from yiyang.timebank.ledger import InsufficientCredits, ledger_book
    from yiyang.timebank.models import Account, Category

    rng = random.Random(seed)
    accounts = {pk: Account(pk=pk) for pk in ids}  # a client holds its account objects, as callers do
    done = refused = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    while time.time() < end:
        a, b = rng.sample(ids, 2)
        try:
            amount = rng.randint(1, 50)
            ledger_book(category=Category.TRANSFER, legs=[(accounts[a], -amount), (accounts[b], amount)],
                        region_code=COMMUNITY)
            done += 1
        except InsufficientCredits:
            refused += 1
    from django.db import connection

    connection.close()
    return done, refused


def _ceiling(args: tuple[int, float, int]) -> int:
    client, start_at, seconds = args
    from django.db import connection

    n = 0
    with connection.cursor() as cur:
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            # Autocommit: one INSERT, one commit.
            cur.execute("INSERT INTO bench_ceiling (account_id, seq, amount, balance_after, created_at, prev_hash, hash)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [client, n, 7, 7, "2026-01-01 00:00:00", "0" * 64, f"{client:08d}{n:056d}"])
            n += 1
    connection.close()
    return n


def run_clients(fn: Any, per_client: list[Any]) -> list[Any]:
    from django.db import connections

    connections.close_all()  # no connection crosses the fork
    ctx = mp.get_context("fork")
    with ctx.Pool(len(per_client)) as pool:
        return pool.map(fn, per_client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time-bank transfers per second vs one-commit-per-row ceiling.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--balance", type=int, default=100_000, help="hundredths of a credit per account")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 below the bar (PostgreSQL)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.accounts < 2:
        parser.error("need --clients ≥ 1, --seconds > 0, --accounts ≥ 2")
    workdir = Path(tempfile.mkdtemp(prefix="yiyang-bench-timebank-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    configure_environment(workdir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum

    from yiyang.timebank.ledger import ledger_verify
    from yiyang.timebank.models import Account, Category, Entry, LedgerTransaction

    call_command("migrate", verbosity=0)
    settings_seen: dict[str, str] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for name in ("fsync", "synchronous_commit", "full_page_writes", "server_version"):
                cur.execute(f"SHOW {name}")
                settings_seen[name] = cur.fetchone()[0]
    else:
        with connection.cursor() as cur:
            for name in ("journal_mode", "synchronous"):
                cur.execute(f"PRAGMA {name}")
                settings_seen[name] = str(cur.fetchone()[0])
    with connection.cursor() as cur:
        pk = ("bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT")
        cur.execute(f"CREATE TABLE bench_ceiling (id {pk}, account_id bigint NOT NULL, seq bigint NOT NULL, "
                    "amount bigint NOT NULL, balance_after bigint NOT NULL, created_at timestamp NOT NULL, "
                    "prev_hash varchar(64) NOT NULL, hash varchar(64) NOT NULL UNIQUE)")

    t0 = time.perf_counter()
    ids = setup_world(args.accounts, args.balance)
    setup_s = time.perf_counter() - t0

    load_before = os.getloadavg()
    start = time.time() + 1.5
    results = run_clients(_transfers, [(ids, start, args.seconds, 1000 + i) for i in range(args.clients)])
    done = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    start = time.time() + 1.5
    rows = sum(run_clients(_ceiling, [(i, start, args.seconds) for i in range(args.clients)]))

    t1 = time.perf_counter()
    report = ledger_verify()
    verify_s = time.perf_counter() - t1
    total = Entry.objects.aggregate(s=Sum("amount"))["s"] or 0
    cached = Account.objects.aggregate(s=Sum("balance"))["s"] or 0
    booked = LedgerTransaction.objects.filter(category=Category.TRANSFER).count()
    invariants = report.ok and total == 0 and cached == 0 and booked == done
    per_s = done / args.seconds
    ceiling = rows / args.seconds
    figures = {
        "database": f"{connection.vendor} {settings_seen.get('server_version', '')}".strip(),
        "settings": settings_seen, "clients": args.clients, "seconds": args.seconds, "accounts": args.accounts,
        "transfers": done, "refused_insufficient": refused, "transfers_per_s": round(per_s, 1),
        "ceiling_rows_per_s": round(ceiling, 1), "ratio": round(per_s / ceiling, 3) if ceiling else None,
        "bar_per_s": BAR_PER_S, "bar_met": per_s >= BAR_PER_S, "invariants_ok": invariants,
        "verify": {"entries": report.entries, "transactions": report.transactions, "accounts": report.accounts,
                   "problems": len(report.problems), "seconds": round(verify_s, 2)},
        "setup_s": round(setup_s, 1), "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "ram_gib":
                                                  round(ram_gib() or 0, 1), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    print(f"{figures['database']} {settings_seen} · {args.clients} clients × {args.seconds:g} s · "
          f"{args.accounts} accounts · load average before {load_before[0]:.2f}, after "
          f"{figures['load_average']['after'][0]:.2f} (1 min; other processes on the machine count)")
    print(f"transfers (ledger_book: 2 row locks, 2 chained entries, 1 commit): {per_s:,.0f}/s "
          f"({done} booked, {refused} refused for want of credits)")
    print(f"ceiling (one INSERT per commit, same clients):                  {ceiling:,.0f}/s")
    print(f"ratio {per_s / ceiling:.2f} · bar ≥ {BAR_PER_S}/s on PostgreSQL: {'met' if per_s >= BAR_PER_S else 'NOT met'}")
    print(f"invariants after the run: {'hold' if invariants else 'BROKEN'} — verify-ledger over {report.entries} "
          f"entries in {verify_s:.1f} s; Σ entries = {total}, Σ cached balances = {cached}, "
          f"transfer transactions = {booked}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    if not invariants:
        return 2
    if args.check and connection.vendor == "postgresql" and per_s < BAR_PER_S:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
