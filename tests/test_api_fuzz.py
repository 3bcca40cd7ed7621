"""A bounded schemathesis run against the live API (issue 7, A.15): every operation of the
OpenAPI document, with generated valid and invalid input, against a real server thread;
no answer may be a 5xx, and every answer must match the document (status code listed,
content type, body schema). Bounded by examples per operation and a time budget, so it
adds well under a minute to the suite; a fixed seed makes a failure reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.api import api
from tests import factories

BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Operations that would end the run's own credentials (it would then only see 401s).
EXCLUDED = r"/api/v1/auth/(logout|tokens/\{token_id\})$"


@pytest.mark.django_db(transaction=True)
def test_the_live_api_survives_a_bounded_schemathesis_run(live_server, tmp_path):
    # A transactional test that ran before in this process flushed the tables the data
    # migrations fill (categories, visit rules): put them back the way the migrations do.
    import importlib

    from django.apps import apps

    importlib.import_module("yiyang.elders.migrations.0002_default_categories").forwards(apps, None)
    importlib.import_module("yiyang.visits.migrations.0002_default_rules").load(apps, None)
    factories.load_tree()
    admin = factories.make_user("fuzz_admin", "district_admin", "440304000000")
    for n in range(3):
        factories.make_elder(admin, name=f"测试{'甲乙丙'[n]}")
    from yiyang.accounts.services import api_token_issue

    token = api_token_issue(user=admin)
    # The document the server serves, read once here (a slow machine should not time the load out).
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(api.get_openapi_schema()))
    run = subprocess.run(  # noqa: S603 - our own venv's schemathesis against our own server thread
        [str(BIN / "st"), "run", str(schema), "--url", f"{live_server.url}",
         "--checks", CHECKS, "--max-examples", "8", "--max-time", "45", "--seed", "7", "--workers", "1",
         "--exclude-path-regex", EXCLUDED, "--header", f"Authorization: Bearer {token}",
         "--request-timeout", "20", "--no-color", "--suppress-health-check", "all",
         "--generation-database", "none", "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,  # its cache stays out of the checkout
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "operations" in run.stdout.lower() or "passed" in run.stdout.lower(), run.stdout[-2000:]
