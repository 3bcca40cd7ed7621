"""Staged uploads wait encrypted, in a temporary folder under test (issue 7, A.16), and the
operator's docs say so — and that production needs YIYANG_BLIND_INDEX_KEY (A.17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from yiyang.elders.importing import COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def test_a_staged_upload_waits_encrypted_outside_the_checkout(superuser):
    id_number = factories.make_id_number()
    row = ["张桂兰", id_number, "13912345678", factories.COMMUNITY_A, "", "", "", "", ""]
    data = ("\n".join([",".join(COLUMNS), ",".join(row)]) + "\n").encode()
    before = set((ROOT / "var" / "imports").glob("*")) if (ROOT / "var" / "imports").exists() else set()
    c = Client()
    c.force_login(superuser)
    resp = c.post("/elders/import/", {"file": SimpleUploadedFile("名单.csv", data, content_type="text/csv")})
    assert resp.status_code == 200
    staged = list((Path(settings.VAR_DIR) / "imports").glob("*__名单.csv"))
    assert len(staged) == 1
    assert not str(staged[0]).startswith(str(ROOT))  # not in the checkout's var/
    blob = staged[0].read_bytes()
    assert id_number.encode() not in blob and b"13912345678" not in blob
    after = set((ROOT / "var" / "imports").glob("*")) if (ROOT / "var" / "imports").exists() else set()
    assert after == before


def test_production_refuses_to_start_without_the_blind_index_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYANG_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"YIYANG_ENV": "production", "YIYANG_SECRET_KEY": "x" * 50, "YIYANG_VAR_DIR": str(tmp_path),
                "YIYANG_FIELD_KEY": "1:" + "A" * 43 + "="})
    run = subprocess.run([sys.executable, "-c", "import config.settings"], cwd=ROOT, env=env,  # noqa: S603
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "YIYANG_BLIND_INDEX_KEY" in run.stderr


def test_the_operators_docs_say_what_the_code_does():
    privacy = (ROOT / "docs" / "privacy.md").read_text()
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert "waits in plain" not in privacy
    assert "**encrypted** with AES-GCM" in privacy
    assert "Production requires it" in privacy and "derived by\nHMAC" not in privacy
    assert "`YIYANG_BLIND_INDEX_KEY` is not required" not in architecture
    assert "`YIYANG_SECRET_KEY`, `YIYANG_FIELD_KEY` and `YIYANG_BLIND_INDEX_KEY` are set" in architecture
