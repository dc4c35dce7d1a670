"""A deterministic, realistic dataset in the REST submission formats.

The same generator feeds `treeherder load-sample-data` (a small day of CI across a few repositories) and the
benchmark harness (many pushes of thousands of jobs). Everything is derived from a seed, so two runs produce the
same pushes, jobs, results and performance values.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# (platform, os, architecture, option sets it runs with)
PLATFORMS = (
    ("linux64", "linux", "x86_64", (("opt",), ("debug",), ("asan",))),
    ("linux64-shippable", "linux", "x86_64", (("opt",),)),
    ("linux1804-64-qr", "linux", "x86_64", (("opt",), ("debug",))),
    ("windows11-64", "windows", "x86_64", (("opt",), ("debug",))),
    ("windows11-64-shippable", "windows", "x86_64", (("opt",),)),
    ("windows11-32", "windows", "x86", (("opt",), ("debug",))),
    ("windows11-aarch64", "windows", "aarch64", (("opt",),)),
    ("macosx1015-64", "mac", "x86_64", (("opt",), ("debug",))),
    ("macosx1400-64-shippable", "mac", "aarch64", (("opt",),)),
    ("android-em-7-0-x86_64", "android", "x86_64", (("opt",), ("debug",))),
    ("android-hw-a55-14-0-aarch64", "android", "aarch64", (("opt",),)),
    ("linux2204-64-wayland", "linux", "x86_64", (("opt",), ("debug",), ("tsan",))),
)

# (group name, group symbol, job name stem, symbol stem, chunks, tier, weight of failure)
SUITES = (
    ("Build", "?", "build", "B", 1, 1, 0.5),
    ("Mochitests", "M", "mochitest-plain", "", 8, 1, 1.0),
    ("Mochitests", "M", "mochitest-browser-chrome", "bc", 6, 1, 1.4),
    ("Mochitests", "M", "mochitest-devtools-chrome", "dt", 4, 1, 1.0),
    ("Reftests", "R", "reftest", "R", 4, 1, 0.8),
    ("Reftests", "R", "crashtest", "C", 2, 1, 0.6),
    ("Web platform tests", "W", "web-platform-tests", "wpt", 8, 1, 1.2),
    ("XPCShell tests", "X", "xpcshell", "X", 4, 1, 0.9),
    ("GTest", "?", "gtest", "GTest", 1, 1, 0.4),
    ("Talos performance tests", "T", "talos-tp5o", "tp5o", 1, 2, 0.3),
    ("Browsertime", "Btime", "browsertime-speedometer3", "sp3", 1, 2, 0.3),
    ("Code coverage", "ccov", "ccov-mochitest", "m", 2, 3, 1.5),
)

LINT_JOBS = (("mozlint-eslint", "ES"), ("mozlint-flake8", "f8"), ("mozlint-clippy", "clippy"))

# A realistic mix of completed results (weights per thousand), before per-suite failure weighting.
RESULTS = (("success", 930), ("testfailed", 35), ("busted", 6), ("retry", 15), ("exception", 4), ("usercancel", 10))

AUTHORS = (
    "Ada Lovelace <ada@example.org>",
    "Grace Hopper <grace@example.org>",
    "Alan Turing <alan@example.org>",
    "Katherine Johnson <kj@example.org>",
    "Edsger Dijkstra <ewd@example.org>",
    "Barbara Liskov <liskov@example.org>",
    "Donald Knuth <knuth@example.org>",
    "Frances Allen <fran@example.org>",
)

COMPONENTS = ("DOM", "Layout", "Networking", "JavaScript Engine", "Graphics", "Media", "Storage", "Toolkit")

#: Bugs (a Bugzilla REST reply) whose summaries match error lines of the sample logs: the bugs cache of the sample.
SAMPLE_BUGS = Path(__file__).parent / "data" / "sample_bugs.json"

# Logs shipped with the package (treeherder/data/sample_logs/) that failed sample jobs point at.
SAMPLE_LOGS = (
    "mochitest-fail.log.gz",
    "reftest-fail.log.gz",
    "crashtest-timeout.log.gz",
    "taskcluster-timeout.log.gz",
    "asan_too_large.log.gz",
    "mochitest-crash.log.gz",
)

SAMPLE_REPOSITORIES = (("autoland", 30, 0.3), ("mozilla-central", 10, 0.5), ("try", 12, 0.15), ("mozilla-beta", 6, 0.35))


@dataclass(frozen=True)
class DatasetSize:
    """How much to generate: pushes per repository and the share of the job matrix each push runs."""

    repositories: tuple[tuple[str, int, float], ...] = SAMPLE_REPOSITORIES
    # The newest push lands this many seconds before "now" (the day the data is loaded, at midnight UTC), so the
    # sample always looks recent: the UI's and the API's default time windows show it, and cycle-data keeps it.
    end_offset: int = 3600
    push_interval: int = 1800
    # Fixed start instead (benchmarks and tests that need identical timestamps on every run).
    start_timestamp: int | None = None

    def first_push_time(self, count: int) -> int:
        if self.start_timestamp is not None:
            return self.start_timestamp
        today = int(time.time()) // 86400 * 86400
        return today - self.end_offset - count * self.push_interval


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()


def _uuid(*parts: object) -> str:
    h = hashlib.md5("/".join(str(p) for p in parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _slug(uuid: str) -> str:
    import base64

    return base64.urlsafe_b64encode(bytes.fromhex(uuid.replace("-", ""))).decode().rstrip("=")


def job_matrix(scale: int = 1) -> list[tuple]:
    """Every (platform row, suite chunk) combination the generator can schedule.

    `scale` multiplies the number of chunks of chunked suites, for the very large pushes of busy days."""
    matrix = []
    for platform, os_name, arch, option_sets in PLATFORMS:
        for options in option_sets:
            for suite in SUITES:
                group_name, group_symbol, stem, symbol, chunks, tier, weight = suite
                if stem.startswith(("talos", "browsertime")) and options != ("opt",):
                    continue
                if stem.startswith("ccov") and options != ("debug",):
                    continue
                for chunk in range(1, (chunks * scale if chunks > 1 else 1) + 1):
                    matrix.append((platform, os_name, arch, options, suite, chunk))
    return matrix


def generate_pushes(repository: str, count: int, seed: int, size: DatasetSize) -> list[dict]:
    rng = random.Random(f"{seed}/{repository}/pushes")
    first = size.first_push_time(count)
    pushes = []
    for n in range(count):
        commits = []
        for c in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
            author = rng.choice(AUTHORS)
            bug = 1_900_000 + rng.randrange(90_000)
            component = rng.choice(COMPONENTS)
            commits.append(
                {
                    "revision": _sha(repository, seed, n, c),
                    "author": author,
                    "comment": f"Bug {bug} - {component}: {rng.choice(_VERBS)} {rng.choice(_THINGS)} r={rng.choice(_REVIEWERS)}",
                }
            )
        tip = commits[-1]
        pushes.append(
            {
                "revision": tip["revision"],
                "author": tip["author"].split("<")[1].rstrip(">"),
                "push_timestamp": first + n * size.push_interval + rng.randrange(600),
                "revisions": commits,
            }
        )
    return pushes


_VERBS = ("Fix", "Implement", "Remove", "Speed up", "Refactor", "Handle", "Test", "Update")
_THINGS = (
    "crash when closing the last tab",
    "flexbox layout of nested grids",
    "HTTP/3 connection reuse",
    "the JIT's register allocator",
    "WebGPU buffer mapping",
    "media seeking in fragmented MP4",
    "IndexedDB quota checks",
    "about:preferences search",
)
_REVIEWERS = ("smaug", "emilio", "jandem", "jrmuizel", "padenot", "asuth", "Gijs", "valentin")


def generate_jobs(
    repository: str,
    pushes: list[dict],
    share: float,
    seed: int,
    *,
    site_url: str = "",
    final_push_running: bool = True,
    matrix_scale: int = 1,
) -> Iterator[dict]:
    """Job datums for the given pushes. The newest push is still running when `final_push_running`."""
    matrix = job_matrix(matrix_scale)
    for n, push in enumerate(pushes):
        rng = random.Random(f"{seed}/{repository}/{n}/jobs")
        # Performance suites run on every push so that their series are continuous.
        chosen = [row for row in matrix if _is_perf(row[4]) or rng.random() < share]
        newest = final_push_running and n == len(pushes) - 1
        yield from _lint_jobs(repository, push, n, rng, seed)
        for index, (platform, os_name, arch, options, suite, chunk) in enumerate(chosen):
            yield _job(repository, push, n, index, platform, os_name, arch, options, suite, chunk, rng, seed, newest, site_url)


def _is_perf(suite: tuple) -> bool:
    return suite[2].startswith(("talos", "browsertime"))


def _lint_jobs(repository: str, push: dict, n: int, rng: random.Random, seed: int) -> Iterator[dict]:
    for name, symbol in LINT_JOBS:
        uuid = _uuid(seed, repository, n, "lint", name)
        yield {
            "project": repository,
            "revision": push["revision"],
            "job": {
                "job_guid": f"{uuid}/0",
                "taskcluster_task_id": _slug(uuid),
                "taskcluster_retry_id": 0,
                "name": f"source-test-{name}",
                "job_symbol": symbol,
                "group_name": "Linting",
                "group_symbol": "L",
                "build_platform": {"platform": "lint", "os_name": "-", "architecture": "-"},
                "machine_platform": {"platform": "lint", "os_name": "-", "architecture": "-"},
                "option_collection": {"opt": True},
                "state": "completed",
                "result": "testfailed" if rng.random() < 0.02 else "success",
                "submit_timestamp": push["push_timestamp"] + 60,
                "start_timestamp": push["push_timestamp"] + 120,
                "end_timestamp": push["push_timestamp"] + 120 + rng.randrange(60, 600),
                "machine": f"lint-worker-{rng.randrange(40)}",
                "who": push["author"],
                "reason": "scheduled",
                "tier": 1,
                "product_name": "firefox",
                "build_system_type": "taskcluster",
            },
        }


def _job(repository, push, n, index, platform, os_name, arch, options, suite, chunk, rng, seed, newest, site_url):
    group_name, group_symbol, stem, symbol, chunks, tier, weight = suite
    option = options[0]
    name = f"test-{platform}/{option}-{stem}" + (f"-{chunk}" if chunks > 1 else "")
    if stem == "build":
        name = f"build-{platform}/{option}"
    job_symbol = f"{symbol}{chunk}" if chunks > 1 else symbol
    uuid = _uuid(seed, repository, n, index)
    submit = push["push_timestamp"] + 120 + rng.randrange(300)
    start = submit + rng.randrange(30, 900)
    end = start + rng.randrange(300, 3600)
    if newest:
        state = rng.choice(("pending", "running", "running", "completed", "completed", "completed"))
    else:
        state = "completed"
    result = "unknown"
    if state == "completed":
        roll = rng.randrange(1000)
        threshold = 0
        result = "success"
        for candidate, per_mille in RESULTS:
            scaled = per_mille if candidate == "success" else per_mille * weight
            threshold += scaled
            if roll < threshold:
                result = candidate
                break
        if roll >= threshold:
            result = "success"
    job = {
        "job_guid": f"{uuid}/0",
        "taskcluster_task_id": _slug(uuid),
        "taskcluster_retry_id": 0,
        "name": name,
        "job_symbol": job_symbol,
        "group_name": group_name,
        "group_symbol": group_symbol,
        "build_platform": {"platform": platform, "os_name": os_name, "architecture": arch},
        "machine_platform": {"platform": platform, "os_name": os_name, "architecture": arch},
        "option_collection": {option: True},
        "state": state,
        "result": result,
        "submit_timestamp": submit,
        "start_timestamp": start if state != "pending" else 0,
        "end_timestamp": end if state == "completed" else 0,
        "machine": f"{os_name}-worker-{rng.randrange(2000):04d}" if state != "pending" else "unknown",
        "who": push["author"],
        "reason": "scheduled",
        "tier": tier,
        "product_name": "firefox",
        "build_system_type": "taskcluster",
    }
    if state == "completed":
        if result in ("testfailed", "busted", "exception") and site_url:
            # Failed jobs point at real logs served by this server, for the parser to read.
            log_name = SAMPLE_LOGS[rng.randrange(len(SAMPLE_LOGS))]
            url, status = f"{site_url}/sample-logs/{log_name}", "pending"
        else:
            # Other logs do not exist anywhere; they are marked parsed so nothing tries to fetch them.
            url, status = f"https://logs.example.org/{_slug(uuid)}/live_backing.log", "parsed"
        job["log_references"] = [{"name": "live_backing_log", "url": url, "parse_status": status}]
        job["artifacts"] = [
            {
                "type": "json",
                "name": "Job Info",
                "blob": {
                    "job_details": [
                        {"title": "Worker type", "value": f"t-{os_name}-large", "content_type": "text"},
                        {"title": "artifact uploaded", "value": "target.json", "url": f"https://artifacts.example.org/{_slug(uuid)}/target.json", "content_type": "link"},
                    ]
                },
            }
        ]
        if _is_perf(suite):
            job["artifacts"].append(_perf_artifact(stem, platform, n, rng))
    elif state == "running":
        job["log_references"] = [
            {"name": "live_backing_log", "url": f"https://logs.example.org/{_slug(uuid)}/live.log", "parse_status": "parsed"}
        ]
    return {"project": repository, "revision": push["revision"], "job": job}


# Baselines of the sample performance series, and the push index from which some of them regress or improve.
_PERF_SUITES = {
    "talos-tp5o": ("talos", "tp5o", "ms", True, ("facebook.com", "wikipedia.org", "youtube.com", "amazon.com")),
    "browsertime-speedometer3": ("browsertime", "speedometer3", "score", False, ("TodoMVC-React", "TodoMVC-Vue", "Charts-chartjs")),
}


def _perf_artifact(stem: str, platform: str, n: int, rng: random.Random) -> dict:
    framework, suite, unit, lower_is_better, subtests = _PERF_SUITES[stem]
    # A step change at push 15 for some platforms: a regression for tp5o, an improvement for speedometer.
    shifted = n >= 15 and platform.startswith(("linux64", "windows11-64"))
    base = 250.0 if lower_is_better else 30.0
    step = 1.12 if shifted else 1.0
    sub = []
    for i, name in enumerate(subtests):
        mean = (base + 40 * i) * step
        value = rng.gauss(mean, mean * 0.015)
        sub.append({"name": name, "value": round(value, 2), "unit": unit, "lowerIsBetter": lower_is_better})
    summary = sum(s["value"] for s in sub) / len(sub)
    return {
        "type": "json",
        "name": "performance_data",
        "blob": {
            "performance_data": {
                "framework": {"name": framework},
                "suites": [
                    {
                        "name": suite,
                        "value": round(summary, 2),
                        "unit": unit,
                        "lowerIsBetter": lower_is_better,
                        "shouldAlert": True,
                        "subtests": sub,
                    }
                ],
            }
        },
    }


def sample_dataset(seed: int = 1, site_url: str = "", size: DatasetSize | None = None) -> Iterator[tuple[str, str, list[dict]]]:
    """Yield (repository, kind, items) batches: each repository's pushes, then its jobs in batches."""
    size = size or DatasetSize()
    for repository, push_count, share in size.repositories:
        pushes = generate_pushes(repository, push_count, seed, size)
        yield repository, "pushes", pushes
        batch: list[dict] = []
        for job in generate_jobs(repository, pushes, share, seed, site_url=site_url):
            batch.append(job)
            if len(batch) == 1000:
                yield repository, "jobs", batch
                batch = []
        if batch:
            yield repository, "jobs", batch
