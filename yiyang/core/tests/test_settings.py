"""Production refuses to start without real secrets; development makes local ones."""

import os
import subprocess
import sys


def _run(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YIYANG_") and k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    env.update(env_extra, YIYANG_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); print('ok')"], env=env,
                          capture_output=True, text=True)


def test_production_without_keys_refuses_to_start(tmp_path):
    out = _run({"YIYANG_ENV": "production"}, tmp_path)
    assert out.returncode != 0
    assert "YIYANG_SECRET_KEY" in out.stderr


def test_production_without_blind_index_key_refuses_to_start(tmp_path):
    out = _run({"YIYANG_ENV": "production", "YIYANG_SECRET_KEY": "x" * 50,
                "YIYANG_FIELD_KEY": "1:" + "A" * 43 + "="}, tmp_path)
    assert out.returncode != 0
    assert "YIYANG_BLIND_INDEX_KEY" in out.stderr


def test_production_with_keys_starts(tmp_path):
    out = _run({"YIYANG_ENV": "production", "YIYANG_SECRET_KEY": "x" * 50,
                "YIYANG_FIELD_KEY": "1:" + "A" * 43 + "=", "YIYANG_BLIND_INDEX_KEY": "B" * 43 + "="}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "field_key").exists()


def test_development_writes_local_keys(tmp_path):
    out = _run({}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "field_key").exists() and (tmp_path / "secret_key").exists()
    assert oct((tmp_path / "field_key").stat().st_mode)[-3:] == "600"


def test_production_refuses_debug(tmp_path):
    keys = {"YIYANG_ENV": "production", "YIYANG_SECRET_KEY": "x" * 50, "YIYANG_FIELD_KEY": "1:" + "A" * 43 + "=",
            "YIYANG_BLIND_INDEX_KEY": "B" * 43 + "="}
    out = _run({**keys, "YIYANG_DEBUG": "1"}, tmp_path)
    assert out.returncode != 0 and "DEBUG" in out.stderr and "生产模式不能开启 DEBUG" in out.stderr


def _settings_value(env_extra, tmp_path, expr):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YIYANG_") and k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    env.update(env_extra, YIYANG_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; "
                          f"print(repr({expr}))"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_debug_is_off_in_production_and_on_in_development_by_default(tmp_path):
    keys = {"YIYANG_ENV": "production", "YIYANG_SECRET_KEY": "x" * 50, "YIYANG_FIELD_KEY": "1:" + "A" * 43 + "=",
            "YIYANG_BLIND_INDEX_KEY": "B" * 43 + "="}
    assert _settings_value(keys, tmp_path, "settings.DEBUG") == "False"
    assert _settings_value({}, tmp_path, "settings.DEBUG") == "True"


def test_persistent_connections_on_postgresql_only(tmp_path):
    pg = {"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x"}
    assert _settings_value(pg, tmp_path, "settings.DATABASES['default']['CONN_MAX_AGE']") == "60"
    assert _settings_value(pg, tmp_path, "settings.DATABASES['default']['CONN_HEALTH_CHECKS']") == "True"
    assert _settings_value({}, tmp_path, "settings.DATABASES['default']['CONN_MAX_AGE']") == "0"


def test_postgresql_connections_open_without_jit(tmp_path):
    """The JIT compiled slices of the entitlements recompute for 1.4 s each (docs/architecture.md §7)."""
    pg = {"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x?options=-c%20statement_timeout%3D0",
          "DATABASE_REPLICA_URL": "postgres://u:p@127.0.0.2:5432/x"}
    assert _settings_value(pg, tmp_path, "settings.DATABASES['default']['OPTIONS']['options']") == (
        "'-c statement_timeout=0 -c jit=off'")
    assert _settings_value(pg, tmp_path, "settings.DATABASES['replica']['OPTIONS']['options']") == "'-c jit=off'"
    assert "options" not in _settings_value({}, tmp_path, "settings.DATABASES['default']['OPTIONS']")


def test_gunicorn_workers_follow_the_cores(monkeypatch):
    import importlib

    import config.gunicorn as conf

    monkeypatch.delenv("YIYANG_WORKERS", raising=False)
    monkeypatch.delenv("YIYANG_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    conf = importlib.reload(conf)
    assert (conf.workers, conf.threads, conf.worker_class) == (3, 4, "gthread")
    assert "%(U)s" in conf.access_log_format and "%(r)s" not in conf.access_log_format  # no query strings
    monkeypatch.setenv("YIYANG_WORKERS", "5")
    monkeypatch.setenv("YIYANG_THREADS", "2")
    conf = importlib.reload(conf)
    assert (conf.workers, conf.threads) == (5, 2)
    monkeypatch.delenv("YIYANG_WORKERS")
    monkeypatch.delenv("YIYANG_THREADS")
    importlib.reload(conf)


def test_development_pages_say_debug_is_on(client, settings, django_user_model):
    settings.DEBUG = True
    page = client.get("/accounts/login/").content.decode()
    assert 'id="dev-banner"' in page and "开发模式" in page
    settings.DEBUG = False
    assert 'id="dev-banner"' not in client.get("/accounts/login/").content.decode()
