"""Building stored performance series for database and API tests."""

from __future__ import annotations

import random

from tests import factories
from treeherder.ingest.parse import parse_job_collection, parse_push_collection

REPO = "mozilla-central"
T0 = 1_700_000_000


def noisy(n: int, level: float, sd: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [level + rng.gauss(0, sd) for _ in range(n)]


def store_series(
    ingestor,
    series: dict[str, list[float]],
    framework: str = "talos",
    suite_fields: dict[str, dict] | None = None,
    after: int = 0,
) -> list[int]:
    """One push an hour per index, each with one job carrying one suite value per named series; `after` continues
    series of that many points stored before.

    Jobs get Taskcluster ids (task ``T<push index>``), as alerts link to them. Returns the push ids.
    """
    length = len(next(iter(series.values())))
    first_push = 5000 + after
    pushes = [factories.push(first_push + i, timestamp=T0 + 3600 * (after + i)) for i in range(length)]
    ids = ingestor.store_pushes(REPO, parse_push_collection(pushes))
    jobs = []
    for i, push in enumerate(pushes):
        suites = [
            {"name": name, "value": values[i], "subtests": [], **(suite_fields or {}).get(name, {})}
            for name, values in series.items()
        ]
        blob = {"performance_data": {"framework": {"name": framework}, "suites": suites}}
        jobs.append(
            factories.job(
                push["revision"],
                taskcluster_task_id=f"task{first_push + i:018d}",
                taskcluster_retry_id=0,
                artifacts=[{"type": "json", "name": "performance_data", "blob": blob}],
            )
        )
    ingestor.store_jobs(REPO, parse_job_collection(jobs))
    return [ids[p["revision"]] for p in pushes]
