"""Production refuses to start without real secrets; development makes local ones."""

import os
import subprocess
import sys


def _run(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYANG_") and k != "DATABASE_URL"}
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
