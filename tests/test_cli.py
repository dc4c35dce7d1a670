"""The `treeherder` command line, run as a user runs it (a subprocess on a real database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests import factories

pytestmark = pytest.mark.usefixtures("database")


def run(database, *args, env=None, check=True):
    environ = {**os.environ, "DATABASE_URL": database.url, "LOG_LEVEL": "WARNING", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "treeherder.cli", *args], capture_output=True, text=True, env=environ, timeout=120
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def test_init_is_idempotent(database):
    first = run(database, "init")
    second = run(database, "init")
    assert "database ready" in first.stdout and "database ready" in second.stdout


def test_load_pushes_then_jobs_from_several_files(database, tmp_path):
    push = factories.push(1, commits=2)
    jobs = [factories.job(push["revision"], guid=f"g{i}") for i in range(3)]
    for job in jobs:
        del job["project"]
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text("\n".join(json.dumps(j) for j in jobs))
    pushes_file = tmp_path / "pushes.json"
    pushes_file.write_text(json.dumps([push]))
    # Jobs given first on the command line: pushes are still stored before them.
    proc = run(database, "load", "--repo", "try", str(jobs_file), str(pushes_file))
    assert "stored 1 pushes and 3 jobs" in proc.stdout
    again = run(database, "load", "--repo", "try", str(jobs_file), str(pushes_file))
    assert "3 jobs unchanged" in again.stdout


def test_load_errors_are_one_clear_line(database, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([factories.job(factories.revision("x"), state="finished")]))
    proc = run(database, "load", str(bad), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "treeherder: error: invalid data: item 0: job.state: must be one of unscheduled, pending, running, "
        "completed, not 'finished'"
    ]
    orphan = tmp_path / "orphan.json"
    orphan.write_text(json.dumps([factories.job(factories.revision("x"))]))
    proc = run(database, "load", str(orphan), check=False)
    assert proc.returncode == 1 and "submit the push first" in proc.stderr
    no_repo = tmp_path / "norepo.json"
    no_repo.write_text(json.dumps([factories.push(1)]))
    proc = run(database, "load", str(no_repo), check=False)
    assert proc.returncode == 1 and "pass --repo NAME" in proc.stderr
    unknown = run(database, "load", "--repo", "nope", str(no_repo), check=False)
    assert unknown.returncode == 1 and "No repository with name: nope" in unknown.stderr


def test_unreachable_database_is_one_clear_line(database):
    proc = run(database, "init", env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("treeherder: error: cannot connect to the database")


def test_load_sample_data(database):
    from sqlalchemy import func, select

    from treeherder.db import tables as t

    proc = run(database, "load-sample-data")
    assert "stored 58 pushes" in proc.stdout
    with database.read() as conn:
        jobs = conn.execute(select(func.count()).select_from(t.job)).scalar()
        repos = conn.execute(select(func.count(func.distinct(t.push.c.repository_id)))).scalar()
        results = dict(conn.execute(select(t.job.c.result, func.count()).group_by(t.job.c.result)).all())
        platforms = conn.execute(select(func.count()).select_from(t.machine_platform)).scalar()
    assert jobs > 5000
    assert repos == 4
    assert results["success"] > jobs * 0.8
    assert {"testfailed", "busted", "retry", "exception", "usercancel"} <= set(results)
    assert platforms >= 10


def test_cycle_data_shows_progress_and_a_summary(database, tmp_path):
    push = factories.push(1)
    old = factories.job(push["revision"], guid="old", submit_timestamp=1_000_000_000)
    new = factories.job(push["revision"], guid="new", submit_timestamp=4_000_000_000 - 1)
    data = tmp_path / "data.json"
    data.write_text(json.dumps([push, old, new]))
    run(database, "load", "--repo", "mozilla-central", str(data))
    proc = run(database, "cycle-data", "--chunk-size", "1")
    assert "expired 1 jobs" in proc.stderr
    assert proc.stdout.startswith("expired 1 jobs, 0 performance data points")
    unknown = run(database, "cycle-data", "--repo", "nope", check=False)
    assert unknown.returncode == 1 and "No repository with name: nope" in unknown.stderr


def test_the_server_app_leaves_start_up_objects_out_of_garbage_collection(database, tmp_path):
    """`treeherder serve`'s app factory freezes what start-up built and collects young objects less often."""
    probe = (
        "import gc, sys; from treeherder.cli import server_app; server_app(); "
        "print(gc.get_freeze_count(), gc.get_threshold()[0])"
    )
    env = {**os.environ, "DATABASE_URL": database.url, "TREEHERDER_DATA_DIR": str(tmp_path), "BROKER_URL": ""}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    frozen, threshold = map(int, result.stdout.split()[-2:])
    assert frozen > 10_000
    assert threshold == 50_000
