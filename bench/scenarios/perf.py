"""Performance endpoints: `performance/data` for a one-year daily series and for 20 series at once, and
`performance/signatures` of a repository with 5,000 signatures.

The data goes in the way production data does: jobs carrying PERFHERDER_DATA artifacts, stored by the ingestion path
and its performance storage (`treeherder.perf.store`). Loaded with wrk through a real server process; the baseline is
the same response bytes served as a precomputed static response by the same process.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.databases import fresh_database, settle
from bench.harness import Result, by_size, progress
from bench.scenarios.reads import measure_cached_and_uncached
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor
from treeherder.perf.store import register as register_perf_storage
from treeherder.sample import DatasetSize, generate_pushes

REPO = "autoland"
DAYS = 365
SERIES_SUBTESTS = 19  # a summary and 19 subtests: the 20 series requested at once
WIDE_SUITES, WIDE_SUBTESTS = 100, 49  # 100 summaries of 49 subtests each: 5,000 signatures
YEAR = 365 * 86400


def _suite(name: str, subtests: int, rng: random.Random, level: float) -> dict:
    values = [round(rng.gauss(level + 10 * i, level * 0.02), 2) for i in range(subtests)]
    return {
        "name": name,
        "value": round(sum(values) / len(values), 2),
        "unit": "ms",
        "lowerIsBetter": True,
        "shouldAlert": False,
        "subtests": [
            {"name": f"subtest-{i:02d}", "value": value, "unit": "ms", "lowerIsBetter": True}
            for i, value in enumerate(values)
        ],
    }


def _perf_job(push: dict, n: int, suites: list[dict], tag: str) -> dict:
    """A completed test job of `push` carrying one PERFHERDER_DATA object with `suites`."""
    guid = f"{n:08x}-{tag:0>4.4}-4000-a000-{push['revision'][:12]}/0"
    return {
        "project": REPO,
        "revision": push["revision"],
        "job": {
            "job_guid": guid,
            "name": f"test-linux1804-64-shippable-qr/opt-talos-{tag}",
            "job_symbol": tag,
            "group_name": "Talos performance tests",
            "group_symbol": "T",
            "build_platform": {"platform": "linux1804-64-shippable-qr", "os_name": "linux", "architecture": "x86_64"},
            "machine_platform": {"platform": "linux1804-64-shippable-qr", "os_name": "linux", "architecture": "x86_64"},
            "option_collection": {"opt": True},
            "state": "completed",
            "result": "success",
            "submit_timestamp": push["push_timestamp"] + 60,
            "start_timestamp": push["push_timestamp"] + 120,
            "end_timestamp": push["push_timestamp"] + 900,
            "machine": "t-linux-talos-1",
            "who": push["author"],
            "reason": "scheduled",
            "tier": 1,
            "product_name": "firefox",
            "build_system_type": "taskcluster",
            "artifacts": [
                {
                    "type": "json",
                    "name": "performance_data",
                    "blob": {"performance_data": {"framework": {"name": "talos"}, "suites": suites}},
                }
            ],
        },
    }


def load_dataset(db, size: str) -> tuple[list[int], int]:
    """A year of daily pushes, each with a 20-series job; the newest also with a 5,000-signature job.

    Returns the 20 daily series' signature ids (summary first) and the signature count of the repository."""
    register_perf_storage()
    days, wide_suites = len_days(size), by_size(size, 2, WIDE_SUITES, WIDE_SUITES)
    pushes = generate_pushes(REPO, days, seed=17, size=DatasetSize(push_interval=86400, end_offset=3600))
    ingestor = Ingestor(db)
    ingestor.store_pushes(REPO, parse_push_collection(pushes))
    rng = random.Random(17)
    daily = [_perf_job(push, n, [_suite("daily-series", SERIES_SUBTESTS, rng, 250.0)], "ds") for n, push in enumerate(pushes)]
    for start in range(0, len(daily), 100):
        ingestor.store_jobs(REPO, parse_job_collection(daily[start : start + 100]))
    wide = [_suite(f"wide-{k:03d}", WIDE_SUBTESTS, rng, 100.0 + k) for k in range(wide_suites)]
    ingestor.store_jobs(REPO, parse_job_collection([_perf_job(pushes[-1], days, wide, "wide")]))
    s = t.performance_signature
    with db.read() as conn:
        daily_ids = [
            row.id
            for row in conn.execute(select(s.c.id, s.c.suite, s.c.test).where(s.c.suite == "daily-series").order_by(s.c.test, s.c.id))
        ]
        total = len(conn.execute(select(s.c.id)).all())
    assert len(daily_ids) == SERIES_SUBTESTS + 1, f"expected {SERIES_SUBTESTS + 1} daily series, found {len(daily_ids)}"
    return daily_ids, total


def len_days(size: str) -> int:
    return by_size(size, 30, DAYS, DAYS)


def run(size: str, backend: str) -> list[Result]:
    progress(f"performance endpoints on {backend}: storing a year of daily data and 5,000 signatures")
    results = []
    with fresh_database(backend) as db, tempfile.TemporaryDirectory(prefix="treeherder-bench-static-") as static:
        series, signatures = load_dataset(db, size)
        settle(db)
        one = f"/api/project/{REPO}/performance/data/?signature_id={series[1]}&interval={YEAR}"
        twenty = f"/api/project/{REPO}/performance/data/?interval={YEAR}&" + "&".join(f"signature_id={i}" for i in series)
        cases = {
            f"performance/data, one series of a year ({len_days(size)} points)": [one],
            "performance/data, 20 series of a year at once": [twenty],
            f"performance/signatures of a repository ({signatures:,} signatures)": [
                f"/api/project/{REPO}/performance/signatures/"
            ],
        }

        def check(http: httpx.Client) -> None:
            points = sum(len(v) for v in http.get(twenty).json().values())
            assert points >= 20 * min(DAYS - 1, len_days(size)), f"expected 20 daily series, the API gave {points} points"

        results += measure_cached_and_uncached(db.url, Path(static), cases, backend, size=size, check=check)[0]
    return results
