"""Read paths: the job list of a 9,000-job push (pages of 2,000) and the push list (10 and 50 pushes).

Each is loaded with wrk through a real server process; the baseline is the same response bytes served as a
precomputed static response by the same process (bench.app), so the ratio is what the API itself costs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from collections.abc import Callable
import tempfile
from pathlib import Path

import httpx

from bench.databases import fresh_database, settle
from bench.harness import Result, by_size, peak_memory_result, progress
from bench.load import run_wrk
from bench.server import USER_AGENT, running_server
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor
from treeherder.sample import DatasetSize, generate_jobs, generate_pushes

REPO = "autoland"
BIG_PUSH_JOBS = 9000
PAGE = 2000


def big_push_size(size: str) -> int:
    """Jobs of the big pushes (smaller in the smoke test only)."""
    return by_size(size, 2 * PAGE + 10, BIG_PUSH_JOBS, BIG_PUSH_JOBS)


TYPICAL_PUSH_JOBS = 500  # the push size of upstream's published job-list figure (68 requests/s)


@dataclass(frozen=True)
class LoadedPushes:
    big: int  # the newest push: BIG_PUSH_JOBS jobs
    typical: int  # the push before the big ones: TYPICAL_PUSH_JOBS jobs


def load_dataset(db, size: str) -> LoadedPushes:
    """Pushes with a realistic number of jobs, the newest of which are 9,000-job pushes, and one 500-job push.

    quick: 60 pushes of ~40 jobs and one 9,000-job push; large: 100 pushes averaging ~2,000 jobs, the newest three
    of 9,000 jobs (a busy production day). The push before the big ones has 500 jobs in both."""
    count, share, scale, big_pushes = by_size(size, (5, 0.02, 1, 1), (60, 0.04, 1, 1), (100, 0.8, 3, 3))
    big_push_jobs = big_push_size(size)
    pushes = generate_pushes(REPO, count, seed=5, size=DatasetSize())
    ingestor = Ingestor(db)
    ids = ingestor.store_pushes(REPO, parse_push_collection(pushes))
    batch: list[dict] = []
    stored = 0

    def add(job: dict) -> None:
        nonlocal stored
        batch.append(job)
        if len(batch) == 1000:
            ingestor.store_jobs(REPO, parse_job_collection(batch))
            stored += len(batch)
            batch.clear()
            if stored % 20000 == 0:
                progress(f"  loaded {stored} jobs")

    normal, typical, big = pushes[: -big_pushes - 1], pushes[-big_pushes - 1], pushes[-big_pushes:]
    for job in generate_jobs(REPO, normal, share, seed=5, final_push_running=False, matrix_scale=scale):
        add(job)
    for _, job in zip(range(TYPICAL_PUSH_JOBS), generate_jobs(REPO, [typical], 1.0, seed=599, final_push_running=False)):
        add(job)
    for k, push in enumerate(big):
        generated = generate_jobs(REPO, [push], 1.0, seed=600 + k, final_push_running=False, matrix_scale=12)
        for _, job in zip(range(big_push_jobs), generated):
            add(job)
    if batch:
        ingestor.store_jobs(REPO, parse_job_collection(batch))
        stored += len(batch)
    progress(f"  {stored} jobs in {count} pushes ({stored / count:,.0f} per push)")
    return LoadedPushes(big=ids[pushes[-1]["revision"]], typical=ids[typical["revision"]])


CONNECTIONS = 8


def compare_with_static(
    base_url: str, http: httpx.Client, static: Path, name: str, paths: list[str], backend: str, *, size: str
) -> Result:
    """Load `paths` with wrk, then the same response bytes served as static responses by the same server process.

    The server must be `bench.app:create_bench_app` with BENCH_STATIC_DIR=`static`."""
    seconds = by_size(size, 1, 3, 15)
    static_paths = []
    for path in paths:
        response = http.get(path)
        response.raise_for_status()
        key = f"{hashlib.sha1(path.encode()).hexdigest()}.json"
        (static / key).write_bytes(response.content)
        static_paths.append(f"/bench-static/{key}")
    progress(f"{name} on {backend}: {seconds} s of load, {CONNECTIONS} connections")
    real = run_wrk(base_url, paths, seconds=seconds, connections=CONNECTIONS)
    baseline = run_wrk(base_url, static_paths, seconds=seconds, connections=CONNECTIONS)
    return Result(
        scenario=name,
        database=backend,
        value=real.requests_per_second,
        unit="req/s",
        baseline_value=baseline.requests_per_second,
        target_ratio=0.30,
        notes="baseline: the same bytes served as a precomputed response by the same process",
        extra={
            "p50_ms": real.p50_ms,
            "p99_ms": real.p99_ms,
            "baseline_p50_ms": baseline.p50_ms,
            "baseline_p99_ms": baseline.p99_ms,
            "errors": real.errors,
            "connections": CONNECTIONS,
            "response_bytes": sum((static / p.rsplit("/", 1)[1]).stat().st_size for p in static_paths),
        },
    )


def measure_cached_and_uncached(
    database_url: str,
    static: Path,
    cases: dict[str, list[str]],
    backend: str,
    *,
    size: str,
    check: Callable[[httpx.Client], None] | None = None,
) -> tuple[list[Result], float]:
    """Each case against its static baseline, twice: as deployed (repeated requests are answered from the response
    cache while their data is unchanged, which is how the web UI polls), then with the cache off, so that every
    response is built from the database. Returns the results and the server's peak RSS in MB."""
    results = []
    peak_rss = 0.0
    for cache_mb, label in (("32", ""), ("0", ", cache off")):
        env = {"BENCH_STATIC_DIR": str(static), "RESPONSE_CACHE_MB": cache_mb}
        with running_server(database_url, app="bench.app:create_bench_app", env=env) as server:
            with httpx.Client(base_url=server.url, headers={"User-Agent": USER_AGENT}, timeout=120) as http:
                if check:
                    check(http)
                for name, paths in cases.items():
                    results.append(compare_with_static(server.url, http, static, name + label, paths, backend, size=size))
            peak_rss = max(peak_rss, server.peak_rss_megabytes())
    return results, peak_rss


def run(size: str, backend: str) -> list[Result]:
    progress(f"reads on {backend}: loading the dataset")
    results = []
    with fresh_database(backend) as db, tempfile.TemporaryDirectory(prefix="treeherder-bench-static-") as static:
        loaded = load_dataset(db, size)
        settle(db)
        big_jobs = big_push_size(size)
        cases = {
            f"job list of a {big_jobs:,}-job push (count={PAGE}, all pages)": [
                f"/api/project/{REPO}/jobs/?push_id={loaded.big}&count={PAGE}&offset={offset}"
                for offset in range(0, big_jobs, PAGE)
            ],
            f"job list of a {TYPICAL_PUSH_JOBS}-job push (count={PAGE})": [
                f"/api/project/{REPO}/jobs/?push_id={loaded.typical}&count={PAGE}"
            ],
            "push list (count=10)": [f"/api/project/{REPO}/push/?count=10"],
            "push list (count=50)": [f"/api/project/{REPO}/push/?count=50"],
        }
        def check(http: httpx.Client) -> None:
            big_list, typical_list = list(cases.values())[:2]
            total = sum(len(http.get(p).json()["results"]) for p in big_list)
            assert total == big_jobs, f"expected {big_jobs} jobs, the API gave {total}"
            typical = len(http.get(typical_list[0]).json()["results"])
            assert typical == TYPICAL_PUSH_JOBS, f"expected {TYPICAL_PUSH_JOBS} jobs, the API gave {typical}"

        measured, peak_rss = measure_cached_and_uncached(db.url, Path(static), cases, backend, size=size, check=check)
        results += measured
        results.append(peak_memory_result("server peak memory (RSS) during the read benchmarks", backend, peak_rss))
    return results
