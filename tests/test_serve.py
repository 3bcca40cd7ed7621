"""``yiyang serve`` is one command: the web server and a worker beside it. Against a database
of its own (a temporary SQLite file, or a new database on the PostgreSQL server of the run):
build a small demo, serve, register an elder through the API, and see the worker give them
their entitlements within seconds; stopping serve stops both processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from yiyang.core.identifiers import id_check_char

ROOT = Path(__file__).resolve().parent.parent
PHONE = "13912345678"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_database(tmp_path):
    """A DATABASE_URL nobody else uses: a file under tmp_path, or a new PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'serve.sqlite3'}"
        return
    import psycopg

    name = f"yiyang_serve_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def api(base: str, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body else None
    req = urllib.request.Request(base + path, method=method, data=data, headers=headers)  # noqa: S310 - 127.0.0.1
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own server on localhost
        return json.loads(resp.read())


def shell(env: dict, code: str) -> str:
    out = subprocess.run([str(BIN / "yiyang"), "shell", "-v", "0", "-c", code], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return out.strip().splitlines()[-1]


def test_serve_runs_the_web_server_and_a_worker(tmp_path, own_database):
    env = {**os.environ, "YIYANG_VAR_DIR": str(tmp_path), "DATABASE_URL": own_database, "YIYANG_WORKERS": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_REPLICA_URL", None)  # the harness's replica copies another database than this one
    demo = subprocess.run([str(BIN / "yiyang"), "demo", "--elders", "30"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen([str(BIN / "yiyang"), "serve", "--port", str(port)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert api(base, "GET", "/healthz") == {"status": "ok"}
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        token = api(base, "POST", "/api/v1/auth/token",
                    {"username": "worker_440304006001", "password": "yiyang-demo"})["token"]
        id_number = "44030419400101002" + id_check_char("44030419400101002")
        elder = api(base, "POST", "/api/v1/elders", {
            "name": "王阿姨", "id_number": id_number, "region_code": "440304006001", "phone": PHONE,
            "categories": ["subsistence"]}, token)
        # No personal data in the access log (issue 7, A.4): searches go in the body ...
        assert api(base, "POST", "/api/v1/elders/search", {"id_number": id_number}, token)["count"] == 1
        assert api(base, "POST", "/api/v1/elders/search", {"q": PHONE}, token)["count"] == 1
        # ... and a client that still puts them in a URL is refused, its query string not logged.
        with pytest.raises(urllib.error.HTTPError) as refused:
            api(base, "GET", f"/api/v1/elders?id_number={id_number}&phone={PHONE}", token=token)
        assert refused.value.code == 400
        with urllib.request.urlopen(f"{base}/elders/?q={PHONE}", timeout=10) as page:  # noqa: S310 - localhost
            assert page.status == 200  # the login page, after a redirect whose next= holds the query
        count = f"from yiyang.entitlements.models import EntitlementStatus as S; print(S.objects.filter(elder_id='{elder['id']}', status='entitled').count())"
        deadline = time.monotonic() + 20
        while (entitled := int(shell(env, count))) == 0:
            assert time.monotonic() < deadline, "the worker beside the server did not react"
            time.sleep(0.5)
        assert entitled >= 5  # 86, 低保: 高龄津贴, 养老服务补贴, 助餐, …
    finally:
        serve.send_signal(signal.SIGTERM)
        out, _ = serve.communicate(timeout=30)
    text = out.decode(errors="replace")
    assert "含后台任务进程" in text and "后台任务进程" in text
    assert '"POST /api/v1/elders/search HTTP/1.1" 200' in text  # gunicorn's access log was captured
    assert id_number not in text and PHONE not in text
    # Both children stopped with serve: no process of the session is left.
    assert session_members(serve.pid) == []


def session_members(sid: int) -> list[int]:
    """Processes still alive in session ``sid`` (from /proc, no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
