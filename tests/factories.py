"""Factories for test data in the REST submission formats (each call gives a fresh, valid object)."""

from __future__ import annotations

import hashlib
import itertools

_counter = itertools.count(1)


def revision(seed: object) -> str:
    return hashlib.sha1(str(seed).encode()).hexdigest()


def push(n: int | None = None, *, commits: int = 1, timestamp: int | None = None, author: str = "dev@example.org") -> dict:
    n = next(_counter) if n is None else n
    revisions = [
        {"revision": revision(f"push{n}-commit{c}"), "author": f"Dev <{author}>", "comment": f"Bug {n} - change {c}"}
        for c in range(commits)
    ]
    return {
        "revision": revisions[-1]["revision"],
        "author": author,
        "push_timestamp": timestamp if timestamp is not None else 1_700_000_000 + n * 60,
        "revisions": revisions,
    }


def job(push_revision: str, *, guid: str | None = None, state: str = "completed", result: str = "success", **fields) -> dict:
    guid = guid or f"job-{next(_counter)}"
    body = {
        "job_guid": guid,
        "name": "test-linux64/opt-mochitest-1",
        "job_symbol": "1",
        "group_name": "Mochitests",
        "group_symbol": "M",
        "build_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
        "machine_platform": {"platform": "linux64", "os_name": "linux", "architecture": "x86_64"},
        "option_collection": {"opt": True},
        "state": state,
        "result": result if state == "completed" else "unknown",
        "submit_timestamp": 1_700_000_100,
        "start_timestamp": 1_700_000_200 if state != "pending" else 0,
        "end_timestamp": 1_700_000_900 if state == "completed" else 0,
        "machine": "worker-1",
        "who": "dev@example.org",
        "reason": "scheduled",
        "product_name": "firefox",
        "build_system_type": "taskcluster",
    }
    body.update(fields)
    return {"project": "mozilla-central", "revision": push_revision, "job": body}
