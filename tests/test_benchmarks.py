"""The benchmark harness (benchmarks/) keeps working: the generator writes a valid city,
and the import benchmark runs end to end on a small file and checks its own counts."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import synth_city  # noqa: E402


def test_synthetic_city_covers_every_demo_community_with_its_street(tmp_path):
    communities = synth_city.demo_communities()
    regions = dict(csv.reader((ROOT / "yiyang/regions/data/futian_demo.csv").open(encoding="utf-8")))
    assert len(communities) >= 50
    for code, street in communities:
        assert code[9:] != "000" and regions[code[:9] + "000"] == street

    out = tmp_path / "city.csv"
    assert synth_city.main(["--elders", "3000", "--seed", "5", "--out", str(out), "--today", "2026-11-23"]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == synth_city.HEADER and len(rows) == 3001
    body = rows[1:]
    assert len({r[1] for r in body}) == 3000
    assert {r[3] for r in body} == {c for c, _ in communities}
    street_of = dict(communities)
    assert all(r[4].startswith("深圳市福田区" + street_of[r[3]]) for r in body)
    again = tmp_path / "again.csv"
    synth_city.main(["--elders", "3000", "--seed", "5", "--out", str(again), "--today", "2026-11-23"])
    assert again.read_bytes() == out.read_bytes()


def test_import_benchmark_runs_on_a_temp_sqlite_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "YIYANG_VAR_DIR")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/import_elders.py"), "--rows", "400", "--json", str(tmp_path / "r.json")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert figures["rows"] == figures["elders"] == figures["registered_events"] == 400
    assert figures["ceiling_rows_per_s"] > 0 and figures["real_rows_per_s"] > 0 and figures["ratio"] > 0
    assert figures["database"].startswith("SQLite")
    assert "ratio    real/ceiling" in result.stdout
