"""Every benchmark scenario at a tiny size on SQLite, so the harness cannot rot unnoticed."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bench.__main__ import DATABASE_SCENARIOS, PLAIN_SCENARIOS, main

FIELDS = {"scenario", "database", "value", "unit", "baseline_value", "ratio", "target_ratio", "meets_target"}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the read benchmarks need wrk (apt-get install wrk)")
def test_every_scenario_runs_at_tiny_size(tmp_path, capsys):
    path = tmp_path / "latest.json"
    assert main(["--size", "tiny", "--database", "sqlite"], results_path=path) == 0

    payload = json.loads(path.read_text())
    assert payload["size"] == "tiny"
    results = payload["results"]
    for result in results:
        assert FIELDS <= result.keys()
        assert result["value"] > 0 and result["baseline_value"] > 0, result
        assert result["database"] in ("sqlite", "-")
    names = " | ".join(r["scenario"] for r in results)
    expected = ["log parsing", "store path", "REST + Hawk", "job list", "push list (count=10)", "push list (count=50)",
                "server peak memory", "performance/data, one series", "performance/data, 20 series",
                "performance/signatures"]  # fmt: skip
    if os.environ.get("TEST_BROKER_URL"):
        expected += ["Pulse via RabbitMQ", "worker peak memory"]
    for fragment in expected:
        assert fragment in names, f"no result for {fragment!r} in: {names}"
    table = capsys.readouterr().out
    assert all(r["scenario"] in table for r in results)
    assert set(DATABASE_SCENARIOS) | set(PLAIN_SCENARIOS) == {"logs", "ingest", "rest", "pulse", "reads", "perf"}
