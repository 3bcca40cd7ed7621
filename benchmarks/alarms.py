"""Emergency calls under load: raised → first responder notified, p99 ≤ 1 s with 200 alarms a
minute arriving (DESIGN §6, issue 10), next to ``/healthz`` measured under the same load in the
same run.

    python benchmarks/alarms.py                                  # SQLite, 200 a minute for 120 s
    python benchmarks/alarms.py --rate 200 --seconds 60
    bash scripts/with-postgres.sh python benchmarks/alarms.py    # PostgreSQL (throw-away server)

What runs is the real thing: ``gunicorn`` serving Yiyang (2 processes × 4 threads, as
``yiyang serve``) and one ``yiyang worker`` beside it (its escalation job ticking), on a fresh
SQLite file in a temporary directory or the empty PostgreSQL database ``DATABASE_URL`` names; a
fake SMS gateway in this process (``yiyang.alarms.tests.fakegateway``) is the gateway the
server's settings point at. One elder per alarm, each with a pendant (its own key) and a
responsible worker with a work phone, so no press merges into another.

The load is open-loop: a press every 60/rate seconds whatever the answers, each a
``POST /api/v1/alarms`` with the device's key and an ``Idempotency-Key``; beside it, a
``GET /healthz`` at the same rate. *Notified* is the moment the fake gateway receives the SMS
to the alarm's first responder (its ``Idempotency-Key`` names the outbox row, hence the alarm);
the latency is that moment minus the moment the press was sent (one clock: same machine). Every
alarm must be stored once and notified once; none lost.

Printed (and ``--json``): p50 / p95 / p99 / max of press → notified and of the POST's answer,
of ``/healthz``, their ratios, and the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

from import_elders import configure_environment, cpu_model, ram_gib  # noqa: E402

BAR_S = 1.0
COMMUNITIES = [("440304006001", "梅京社区"), ("440304006002", "上梅林社区"), ("440304007001", "景田北社区"),
               ("440304007002", "莲花东社区")]
TREE = [("440000000000", "广东省"), ("440300000000", "深圳市"), ("440304000000", "福田区"),
        ("440304006000", "梅林街道"), ("440304007000", "莲花街道"), *COMMUNITIES]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(values: list[float]) -> dict[str, float | None]:
    r = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731 - ms
    return {"n": len(values), "p50_ms": r(pct(values, 0.5)), "p95_ms": r(pct(values, 0.95)),
            "p99_ms": r(pct(values, 0.99)), "max_ms": r(max(values) if values else None)}


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build(n: int) -> list[str]:
    """The tree, a worker with a phone per community, ``n`` elders with a pendant each; the
    devices' keys."""
    from django.contrib.auth.hashers import make_password

    from yiyang.accounts.models import User
    from yiyang.alarms import services
    from yiyang.alarms.models import AlarmProfile
    from yiyang.core.identifiers import id_check_char
    from yiyang.elders.services import elder_register
    from yiyang.regions.models import Region
    from yiyang.regions.services import region_tree_load

    region_tree_load(rows=[{"code": c, "name": n_} for c, n_ in TREE], version="bench")
    password = make_password("bench-pass-1")
    root = User.objects.create(username="bench_root", role="city_admin", is_superuser=True, password=password)
    workers = [User.objects.create(username=f"w_{code}", role="commissioner", region=Region.objects.get(code=code),
                                   full_name=f"专员{i}", phone=f"1390000{i:04d}", password=password)
               for i, (code, _name) in enumerate(COMMUNITIES)]
    keys = []
    for i in range(n):
        code = COMMUNITIES[i % len(COMMUNITIES)][0]
        first17 = f"440304{1930 + i % 30:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        data = {
            "name": "测试老人" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12], "id_number": first17 + id_check_char(first17), "region_code": code,
            "phone": f"1700{i:07d}", "address": "深圳市福田区测试路1号", "living_situation": "alone",
            "categories": []}
        try:
            elder = elder_register(actor=root, data=data)
        except Exception as exc:
            raise SystemExit(f"elder {i}: {getattr(exc, 'errors', exc)}") from exc
        AlarmProfile.objects.create(elder=elder, region_code=code, responder=workers[i % len(workers)])
        _device, key = services.device_register(actor=root, elder=elder, serial=f"BENCH-{i:05d}")
        keys.append(key)
    return keys


def request(url: str, *, body: dict | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",  # noqa: S310
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - our own server
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="alarms a minute (default 200)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the load lasts (default 120)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    total = max(1, int(args.rate * args.seconds / 60))
    workdir = Path(tempfile.mkdtemp(prefix="yiyang-bench-alarms-"))
    procs: list[subprocess.Popen] = []
    try:
        database = configure_environment(workdir)
        from yiyang.alarms.tests.fakegateway import FakeGateway

        gateway = FakeGateway().__enter__()
        os.environ["YIYANG_SMS_GATEWAY_URL"] = gateway.url + "/sms"
        os.environ["YIYANG_NOTIFY_TIMEOUT_S"] = "5"
        os.environ["YIYANG_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", interactive=False, verbosity=0)
        vendor = connection.vendor
        db_version = connection.cursor().connection.info.server_version if vendor == "postgresql" else None
        t = time.perf_counter()
        keys = build(total)
        build_s = time.perf_counter() - t
        connection.close()

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        bin_dir = os.path.dirname(sys.executable)
        procs.append(subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
            [os.path.join(bin_dir, "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", "from yiyang.cli import main; main(['worker'])"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if request(base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        for _ in range(5):  # warm every process a little
            request(base + "/healthz")

        sent_at: dict[str, float] = {}
        answers: list[float] = []
        statuses: dict[int, int] = {}
        health: list[float] = []
        lock = threading.Lock()

        def press(i: int) -> None:
            t0 = time.time()
            status, body = request(base + "/api/v1/alarms", body={"note": "bench"},
                                   headers={"Authorization": f"Bearer {keys[i]}", "Idempotency-Key": f"bench-{i}"})
            t1 = time.time()
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                answers.append(t1 - t0)
                if status in (200, 201):
                    sent_at[json.loads(body)["id"]] = t0

        def healthz() -> None:
            t0 = time.time()
            status, _ = request(base + "/healthz")
            with lock:
                health.append(time.time() - t0)
                statuses[-status] = statuses.get(-status, 0) + 1

        interval = 60.0 / args.rate
        start = time.time() + 0.5
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i in range(total):
                at = start + i * interval
                time.sleep(max(0.0, at - time.time()))
                pool.submit(press, i)
                time.sleep(max(0.0, at + interval / 2 - time.time()))
                pool.submit(healthz)
        deadline = time.time() + 15
        while time.time() < deadline and len(gateway.requests) < len(sent_at):
            time.sleep(0.1)

        from yiyang.alarms.models import Alarm, Delivery

        deliveries = dict(Delivery.objects.filter(channel="sms", step=0, loop=0)
                          .values_list("pk", "alarm_id"))
        notified: dict[str, float] = {}
        duplicates = 0
        for r in gateway.requests:
            key = r["headers"].get("Idempotency-Key", "")
            pk = int(key.rsplit("-", 1)[-1]) if key.startswith("alarm-delivery-") else None
            alarm_id = str(deliveries.get(pk, "")) if pk else ""
            if alarm_id in notified:
                duplicates += 1
            elif alarm_id:
                notified[alarm_id] = r["at"]
        latencies = [notified[a] - sent_at[a] for a in sent_at if a in notified]
        stored = Alarm.objects.count()
        result: dict[str, Any] = {
            "benchmark": "alarms", "database": f"{vendor}" + (f" {db_version}" if db_version else ""),
            "database_url": database.split("@")[-1], "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                                                                   "ram_gib": round(ram_gib() or 0, 1),
                                                                   "python": platform.python_version()},
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rate_per_min": args.rate,
            "seconds": args.seconds, "alarms_sent": total, "alarms_stored": stored, "alarms_answered": len(sent_at),
            "alarms_notified": len(notified), "duplicate_notifications": duplicates, "statuses": statuses,
            "build_s": round(build_s, 1), "press_to_notified": summary(latencies),
            "press_answer": summary(answers), "healthz": summary(health),
        }
        hp99 = result["healthz"]["p99_ms"] or 0
        result["ratio_notified_p99_to_healthz_p99"] = round(result["press_to_notified"]["p99_ms"] / hp99, 2) if (
            hp99 and result["press_to_notified"]["p99_ms"]) else None
        result["ratio_answer_p99_to_healthz_p99"] = round(result["press_answer"]["p99_ms"] / hp99, 2) if (
            hp99 and result["press_answer"]["p99_ms"]) else None
        p99 = result["press_to_notified"]["p99_ms"]
        result["bar_met"] = bool(p99 is not None and p99 <= BAR_S * 1000 and len(notified) == total == stored
                                 and duplicates == 0)
        print(f"alarms benchmark · {result['database']} · {total} alarms at {args.rate:g}/min · {result['date']}")
        print(f"machine  {result['machine']['cpu']} · {result['machine']['cores']} cores · "
              f"{result['machine']['ram_gib']} GiB")
        for name in ("press_to_notified", "press_answer", "healthz"):
            s = result[name]
            print(f"{name:18} n={s['n']:<5} p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  p99 {s['p99_ms']} ms  "
                  f"max {s['max_ms']} ms")
        print(f"ratio    notified p99 / healthz p99 = {result['ratio_notified_p99_to_healthz_p99']}; "
              f"answer p99 / healthz p99 = {result['ratio_answer_p99_to_healthz_p99']}")
        print(f"counts   sent {total} · stored {stored} · notified {len(notified)} · duplicates {duplicates} · "
              f"statuses {statuses}")
        print(f"bar      p99 ≤ {BAR_S * 1000:.0f} ms, none lost, none twice: {'met' if result['bar_met'] else 'NOT met'}")
        if args.json:
            Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        gateway.__exit__(None, None, None)
        return 0 if result["bar_met"] else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
