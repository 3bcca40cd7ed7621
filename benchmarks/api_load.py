"""The elder API under load: N synthetic elders, a real server (``yiyang serve --no-worker``:
gunicorn with ``config/gunicorn.py``), C concurrent clients for S seconds hitting the elder
list, one elder's archive, one elder's entitlements and ``/healthz`` in the same run.

    python benchmarks/api_load.py --elders 200000                                  # SQLite (temp file)
    bash scripts/with-postgres.sh python benchmarks/api_load.py --elders 200000    # PostgreSQL

**Bar (issue 12): the p99 of the elder list, the detail and the entitlements each ≤ 3 × the p99
of /healthz in the same run, and zero errors.** /healthz runs one ``SELECT 1``: its p99 is what
the server's queue alone costs a request under this load, so the ratio is what the work of a
page adds to it.

The elders come through the real import (``elders_import`` of a ``benchmarks/synth_city.py``
file, as ``benchmarks/import_elders.py`` loads them); the caller is the district's
administrator, who sees all of them. Each client is a keep-alive HTTP/1.1 connection that
asks, in turn, for a page of the list, an archive, its entitlements and /healthz, each answer
checked (status 200, and for the list that it holds items). The list is walked page by page
from a random place in it: by cursor where the server answers ``next_cursor``; by ``page``
numbers (OFFSET) from a random page where it does not (the code before keyset pagination), so
that both read at random depths. The archives are random elders.

Before the load it prints the query plans of the list's queries (``EXPLAIN``): which index
serves the first page, a deep page, a community, a category, a name and an ID-number search.

The database: without ``DATABASE_URL`` (or an SQLite one) a fresh SQLite file in a temporary
directory; otherwise the PostgreSQL database it names, which must hold no elders. Fresh random
keys; nothing under ``var/`` is read or written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from import_elders import configure_environment, cpu_model, load, ram_gib  # noqa: E402

BAR = 3.0
PASSWORD = "bench-load-Pass-2026"  # noqa: S105 - a throw-away account in a throw-away database
KINDS = ("list", "detail", "entitlements", "healthz")
NEXT = re.compile(rb'"next_cursor":\s*"([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# -- set-up in this process ------------------------------------------------------------------


def build(n: int, seed: int, workdir: Path) -> dict[str, Any]:
    """Migrate, load the region tree, import ``n`` elders, make the district administrator."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from synth_city import REGIONS_CSV, write_city_csv

    from yiyang.accounts.models import User
    from yiyang.elders.importing import elders_import
    from yiyang.elders.models import Elder
    from yiyang.regions.models import Region
    from yiyang.regions.services import region_tree_load_csv

    call_command("migrate", interactive=False, verbosity=0)
    if Elder.objects.exists():
        raise SystemExit("error: this database already holds elders; use a throw-away one (scripts/with-postgres.sh)")
    region_tree_load_csv(text=REGIONS_CSV.read_text(encoding="utf-8"), version="2023-demo", source="benchmark")
    district = Region.objects.get(code="440304000000")
    User.objects.create(username="bench_district", role="district_admin", region=district,
                        password=make_password(PASSWORD), full_name="区管理员")
    path = workdir / "city.csv"
    write_city_csv(path, n, seed=seed, today=timezone.localdate())
    t = time.perf_counter()
    report = elders_import(actor=None, data=path.read_bytes(), file_name=path.name, source="benchmark")
    if not report.committed:
        raise SystemExit(f"error: the import was refused: {report.errors[:3]}")
    return {"import_seconds": round(time.perf_counter() - t, 1)}


def sample_ids(k: int, seed: int) -> list[str]:
    from yiyang.elders.models import Elder

    ids = [str(pk) for pk in Elder.objects.filter(active=True).values_list("pk", flat=True)]
    return random.Random(seed).sample(ids, min(k, len(ids)))


def plans() -> list[tuple[str, str]]:
    """EXPLAIN of the list's queries as the district administrator's list runs them."""
    from django.db import connection

    from yiyang.accounts.models import User
    from yiyang.elders import selectors
    from yiyang.elders.models import Elder

    user = User.objects.get(username="bench_district")
    ids = list(Elder.objects.filter(active=True).order_by("region_id", "name", "id").values_list("pk", flat=True))
    if not ids:
        return []
    middle = Elder.objects.get(pk=ids[len(ids) // 2])
    some = Elder.objects.filter(active=True).order_by("pk").first()
    assert some is not None
    cases: list[tuple[str, Any]] = [
        ("first page", selectors.elder_list_for(user, selectors.ElderFilters())),
        ("one community", selectors.elder_list_for(user, selectors.ElderFilters(region=middle.region_id))),
        ("category 低保", selectors.elder_list_for(user, selectors.ElderFilters(category="subsistence"))),
        ("name contains", selectors.elder_list_for(user, selectors.ElderFilters(name=middle.name[1:]))),
        ("ID number", selectors.elder_list_for(user, selectors.ElderFilters(id_number=some.id_number))),
    ]
    seek = getattr(selectors, "_seek", None)
    if seek is not None:
        cases.insert(1, ("deep page (cursor)", selectors.elder_list_for(
            user, selectors.ElderFilters(), seek=seek(True, middle.region_id, middle.name, middle.pk))))
    else:
        cases.insert(1, ("deep page (OFFSET)", selectors.elder_list_for(user, selectors.ElderFilters())[len(ids) // 2:]))
    out = []
    for label, qs in cases:
        if qs.query.low_mark == 0 and qs.query.high_mark is None:
            qs = qs[:21]
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
            else:
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            out.append((label, "\n".join(str(r[-1]) for r in cur.fetchall())))
    return out


# -- the load ----------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
                           "Connection: keep-alive\r\n\r\n").encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def client_loop(port: int, token: str, ids: list[str], total: int, until: float, rng: random.Random,
                      lat: dict[str, list[float]], errors: dict[str, list[str]]) -> None:
    client = Client(port, token)
    cursor: str | None = None
    page: int | None = None
    turn = rng.randrange(len(KINDS))
    pages = max(1, total // 20)
    while time.perf_counter() < until:
        kind = KINDS[turn % len(KINDS)]
        turn += 1
        elder = rng.choice(ids)
        if kind == "list":
            if cursor is None and page is None:  # a random place in the list
                start = rng.randrange(pages)
                cursor = f"n{start + 1}.{elder.replace('-', '')}" if NEXT_SUPPORTED[0] else None
                page = None if NEXT_SUPPORTED[0] else start + 1
            path = "/api/v1/elders?page_size=20" + (f"&cursor={cursor}" if cursor else f"&page={page}")
        elif kind == "detail":
            path = f"/api/v1/elders/{elder}"
        elif kind == "entitlements":
            path = f"/api/v1/elders/{elder}/entitlements"
        else:
            path = "/healthz"
        t = time.perf_counter()
        try:
            status, body = await client.get(path)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors[kind].append(f"{type(exc).__name__}: {exc}")
            await client.close()
            continue
        lat[kind].append(time.perf_counter() - t)
        if status != 200 or (kind == "list" and b'"items":[' not in body.replace(b" ", b"")) or (
                kind == "list" and b'"items":[]' in body.replace(b" ", b"")):
            errors[kind].append(f"{status} {path[:60]} {body[:120]!r}")
            cursor = page = None
            continue
        if kind == "list":
            m = NEXT.search(body)
            if m:
                cursor, page = m.group(1).decode(), None
            elif page is not None and page < pages:
                page += 1
            else:
                cursor = page = None
    await client.close()


NEXT_SUPPORTED = [True]


async def run_load(port: int, token: str, ids: list[str], total: int, clients: int, seconds: float,
                   seed: int) -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: dict[str, list[str]] = {k: [] for k in KINDS}
    # Does the server page by cursor? One request tells (the code before keyset pagination does not).
    probe = Client(port, token)
    _status, body = await probe.get("/api/v1/elders?page_size=1")
    await probe.close()
    NEXT_SUPPORTED[0] = b"next_cursor" in body
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(client_loop(port, token, ids, total, until, random.Random(seed + i), lat, errors)
                           for i in range(clients)))
    return lat, errors, time.perf_counter() - started


def token_for(port: int) -> str:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",  # noqa: S310
                                 data=json.dumps({"username": "bench_district", "password": PASSWORD}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - our own server on localhost
        return json.loads(resp.read())["token"]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: the server stopped (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("error: the server did not answer /healthz")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="yiyang-api-load-"))
    try:
        return run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:  # noqa: C901 - one linear script
    url = configure_environment(workdir)
    os.environ.pop("YIYANG_WORKERS", None)
    os.environ.pop("YIYANG_THREADS", None)
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# elder API under load — {date}")
    print(f"machine  {cpu_model()}, {os.cpu_count()} cores, {ram_gib() or 0:.1f} GiB RAM, load {load()}")
    t = time.perf_counter()
    facts = build(args.elders, args.seed, workdir)
    from django.db import connection

    vendor = connection.vendor
    print(f"data     {args.elders:,} elders imported in {facts['import_seconds']} s ({vendor}); "
          f"set-up {time.perf_counter() - t:.0f} s")
    shown_plans = plans()
    for label, plan in shown_plans:
        print(f"plan     {label}:\n" + "\n".join(f"           {line}" for line in plan.splitlines()))
    ids = sample_ids(2000, args.seed)
    connection.close()

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url}
    log = (workdir / "server.log").open("wb")
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen([str(bin_dir / "yiyang"), "serve", "--no-worker", "--port", str(port)],  # noqa: S603
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(port, server)
        token = token_for(port)
        load_before = load()
        lat, errors, elapsed = asyncio.run(run_load(port, token, ids, args.elders, args.clients, args.seconds,
                                                    args.seed))
        load_after = load()
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()

    health_p99 = percentile(lat["healthz"], 99)
    results: dict[str, Any] = {
        "date": date, "database": vendor, "elders": args.elders, "clients": args.clients, "seconds": args.seconds,
        "cpu": cpu_model(), "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
        "list_by_cursor": NEXT_SUPPORTED[0], **facts, "endpoints": {},
    }
    print(f"load     {args.clients} clients × {elapsed:.1f} s, list by {'cursor' if NEXT_SUPPORTED[0] else 'page number'}; "
          f"machine load {load_before} before, {load_after} after")
    print(f"{'':12} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99/healthz':>11} {'errors':>6}")
    met = True
    for kind in KINDS:
        xs = lat[kind]
        p50, p99 = percentile(xs, 50) * 1000, percentile(xs, 99) * 1000
        ratio = percentile(xs, 99) / health_p99 if health_p99 else float("nan")
        n_err = len(errors[kind])
        results["endpoints"][kind] = {"requests": len(xs), "per_s": round(len(xs) / elapsed, 1),
                                      "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "ratio": round(ratio, 2),
                                      "errors": n_err, "mean_ms": round(statistics.fmean(xs) * 1000, 1) if xs else None}
        print(f"{kind:12} {len(xs):>9,} {len(xs) / elapsed:>7.1f} {p50:>8.1f} {p99:>8.1f} {ratio:>11.2f} {n_err:>6}")
        if n_err:
            met = False
            for e in errors[kind][:3]:
                print(f"             error: {e}")
        if kind != "healthz" and not (ratio <= BAR):
            met = False
    results["bar_met"] = met
    results["plans"] = dict(shown_plans)
    print(f"bar      each p99 ≤ {BAR:g} × /healthz p99, zero errors: {'MET' if met else 'NOT MET'}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
