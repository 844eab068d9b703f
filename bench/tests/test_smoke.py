"""`python -m bench` end to end at a tiny scale on SQLite, without locust (about a minute)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_sqlite  # conftest: the SQLite suite runs it

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RSS read from /proc")
def test_the_bench_runs_end_to_end_at_a_tiny_scale(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIMPIA_DATA_DIR")}
    command = [sys.executable, "-m", "bench", "--scales", "0.01", "--databases", "sqlite"]
    command += ["--repeat", "2", "--no-locust", "--import-rows", "200", "--output", str(tmp_path)]
    command += ["--data-root", str(tmp_path / "data")]
    subprocess.run(command, cwd=REPOSITORY, env=env, check=True, timeout=300)
    results = json.loads((tmp_path / "results.json").read_text())
    run = results["runs"]["sqlite-s0.01"]
    assert run["generation"]["seconds"] > 0 and run["counts"]["agreements"] == 2
    reads = {r["name"]: r for r in run["reads"]}
    for name in ("home", "agreements_api", "compliance_api", "plan_tree_api", "report_pdf"):
        assert reads[name]["status"] == 200, reads[name]
        assert reads[name]["n"] == 2 and reads[name]["p95_ms"] >= reads[name]["median_ms"] > 0
        assert reads[name]["queries"] > 0 and reads[name]["peak_rss_mb"] > 0
    assert reads["compliance_api"]["floor"]["label"] == "SQL GROUP BY"
    assert reads["compliance_api"]["ratio"] > 0
    assert run["import"]["rows"] > 150 and run["import"]["floor"]["rows_per_s"] > 0
    text = (tmp_path / "results.md").read_text()
    assert "## sqlite at S0.01" in text and "compliance API, largest agreement" in text
    assert not (tmp_path / "data" / "sqlite-s0.01").exists()  # removed without --keep
