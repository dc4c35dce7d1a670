"""Job ingestion through the REST API: Hawk-signed collections of 100 jobs from several concurrent clients."""

from __future__ import annotations

import io
import multiprocessing
import os
import time

import httpx
import mohawk
import orjson

from bench.databases import fresh_database
from bench.harness import Result, by_size, progress
from bench.scenarios.ingest import BATCH, raw_insert_rate
from bench.server import USER_AGENT, running_server
from treeherder.auth.credentials import create_credential
from treeherder.ingest.parse import parse_push_collection
from treeherder.ingest.store import Ingestor
from treeherder.sample import DatasetSize, generate_jobs, generate_pushes

CLIENTS = 4


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post_collections(args: tuple[str, str, str, list[bytes]]) -> int:
    url, client_id, secret, bodies = args
    credentials = {"id": client_id, "key": secret, "algorithm": "sha256"}
    target = f"{url}/api/project/autoland/jobs/"
    with httpx.Client(timeout=120) as http:
        for body in bodies:
            # A file object: mohawk pretty-prints bytes content into a debug message while hashing it.
            sender = mohawk.Sender(credentials, target, "POST", content=io.BytesIO(body), content_type="application/json")
            response = http.post(
                target,
                content=body,
                headers={
                    "Authorization": sender.request_header,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                },
            )
            if response.status_code != 200:
                raise RuntimeError(f"POST failed: {response.status_code} {response.text[:300]}")
    return len(bodies)


def _warm_up(_: int) -> None:
    time.sleep(0.2)


def run(size: str, backend: str) -> list[Result]:
    pushes = generate_pushes("autoland", by_size(size, 1, 6, 40), seed=11, size=DatasetSize())
    jobs = list(generate_jobs("autoland", pushes, share=by_size(size, 0.2, 1.0, 1.0), seed=11, final_push_running=False))
    progress(f"REST ingestion on {backend}: {len(jobs)} jobs, {CLIENTS} clients, collections of {BATCH}")
    with fresh_database(backend) as db:
        Ingestor(db).store_pushes("autoland", parse_push_collection(pushes))
        issued = create_credential(db, "bench", description="benchmark client")
        baseline = raw_insert_rate(db, len(jobs))
        with running_server(db.url) as server:
            runs = iter(range(100))

            def submit() -> int:
                n = next(runs)
                bodies = [
                    orjson.dumps(
                        [{**j, "job": {**j["job"], "job_guid": f"{j['job']['job_guid'][:40]}/{n}"}} for j in jobs[i : i + BATCH]]
                    )
                    for i in range(0, len(jobs), BATCH)
                ]
                shares = [bodies[k::CLIENTS] for k in range(CLIENTS)]
                with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
                    # Start and import in every client before the clock starts.
                    pool.map(_warm_up, range(CLIENTS))
                    start, server_cpu = time.perf_counter(), cpu_seconds(server.pid)
                    pool.map(_post_collections, [(server.url, issued.client_id, issued.secret, share) for share in shares])
                    elapsed = time.perf_counter() - start
                    # Diagnostic: the server's CPU per request, less swayed by other load on the machine than a rate.
                    submit.cpu_per_request = (cpu_seconds(server.pid) - server_cpu) / len(bodies)  # type: ignore[attr-defined]
                # best_rate times the whole call; report the posting time only (pool start-up excluded).
                submit.elapsed = elapsed  # type: ignore[attr-defined]
                return len(jobs)

            rates = []
            cpu_per_request = []
            for _ in range(by_size(size, 1, 2, 3)):
                submit()
                rates.append(len(jobs) / submit.elapsed)  # type: ignore[attr-defined]
                cpu_per_request.append(submit.cpu_per_request)  # type: ignore[attr-defined]
            value = max(rates)
            rss = server.peak_rss_megabytes()
    return [
        Result(
            scenario=f"job ingestion, REST + Hawk ({CLIENTS} clients, collections of {BATCH})",
            database=backend,
            value=value,
            unit="jobs/s",
            baseline_value=baseline,
            target_ratio=0.20,
            notes="baseline: raw executemany of rows of the same width into a scratch table",
            extra={
                "server_peak_rss_mb": round(rss, 1),
                "server_cpu_ms_per_request": round(1000 * min(cpu_per_request), 2),
            },
        )
    ]
