"""Load generators for the soak and fault tests, each meant to run in its own process (multiprocessing, spawn).

Every generator returns a plain dict of counts, so that the test can assert on what each process saw: requests
answered, throttled (429, retried after Retry-After), failed (anything else, or a broken connection).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import mohawk
import orjson

from tests import factories

USER_AGENT = "treeherder-soak/1.0"
PROJECT = "mozilla-central"
JOBS_PATH = f"/api/project/{PROJECT}/jobs/"
PUSH_PATH = f"/api/project/{PROJECT}/push/"
# States a job goes through; each is posted (or published) as its own update.
STATES = ("pending", "running", "completed")


@dataclass(frozen=True)
class Credential:
    client_id: str
    secret: str


def rest_job(revision: str, guid: str, state: str, result: str) -> dict:
    """One job-collection item (treeherder-client's format) in the given state."""
    return factories.job(revision, guid=guid, state=state, result=result, who="soak@example.org")


def final_result(guid: str) -> str:
    """The result a REST-submitted job ends with (deterministic from its guid, so the test can check it)."""
    return "testfailed" if int(uuid.UUID(guid.split("/")[0]).int) % 3 == 0 else "success"


class SignedPoster:
    """Posts JSON with Hawk signatures; retries throttled (429) and, when asked, unreachable-server requests."""

    def __init__(self, base_url: str, credential: Credential, retry_unavailable_for: float = 0.0) -> None:
        self.base_url = base_url
        self.credential = credential
        self.retry_unavailable_for = retry_unavailable_for
        self.http = httpx.Client(base_url=base_url, headers={"User-Agent": USER_AGENT}, timeout=60)
        self.counts = {"requests": 0, "ok": 0, "throttled": 0, "unavailable": 0, "failed": 0}
        self.failures: list[str] = []

    def post(self, path: str, items: list) -> bool:
        """Post until stored (200); False if the server refused it for any reason but throttling or outage."""
        body = orjson.dumps(items)
        give_up_at = time.monotonic() + self.retry_unavailable_for
        while True:
            sender = mohawk.Sender(
                {"id": self.credential.client_id, "key": self.credential.secret, "algorithm": "sha256"},
                self.base_url + path,
                "POST",
                content=body,
                content_type="application/json",
            )
            headers = {"Authorization": sender.request_header, "Content-Type": "application/json"}
            self.counts["requests"] += 1
            try:
                response = self.http.post(path, content=body, headers=headers)
            except httpx.TransportError as exc:
                if time.monotonic() < give_up_at:
                    self.counts["unavailable"] += 1
                    time.sleep(0.2)
                    continue
                self.counts["failed"] += 1
                self.failures.append(repr(exc))
                return False
            if response.status_code == 200:
                self.counts["ok"] += 1
                return True
            if response.status_code == 429:
                self.counts["throttled"] += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code == 503 and time.monotonic() < give_up_at:
                self.counts["unavailable"] += 1
                time.sleep(0.2)
                continue
            self.counts["failed"] += 1
            self.failures.append(f"{response.status_code} {response.text[:300]}")
            return False

    def close(self) -> None:
        self.http.close()


def post_jobs(
    base_url: str, credential: Credential, revisions: list[str], guids: list[str], batch: int, retry_unavailable_for: float
) -> dict:
    """Submit each job in every state, ``batch`` jobs per collection; some batches also get a stale update afterwards
    (a "running" after "completed"), which must not move the job back."""
    poster = SignedPoster(base_url, credential, retry_unavailable_for)
    for start in range(0, len(guids), batch):
        chunk = guids[start : start + batch]
        for state in STATES:
            items = [rest_job(revisions[i % len(revisions)], g, state, final_result(g)) for i, g in enumerate(chunk)]
            poster.post(JOBS_PATH, items)
        if (start // batch) % 2 == 0:
            stale = [rest_job(revisions[i % len(revisions)], g, "running", "unknown") for i, g in enumerate(chunk)]
            poster.post(JOBS_PATH, stale)
    poster.close()
    return {**poster.counts, "failures": poster.failures[:20]}


def pulse_message(template: dict, revision: str, task_id: str, state: str) -> dict:
    message = copy.deepcopy(template)
    message["taskId"] = task_id
    message["origin"] = {**message["origin"], "project": PROJECT, "revision": revision}
    message["state"] = state
    message["result"] = "success" if state == "completed" else "unknown"
    # No logs or artifacts: nothing for a background worker to fetch from the internet.
    message.pop("logs", None)
    message.pop("jobInfo", None)
    if state == "pending":
        message.pop("timeStarted", None)
    if state != "completed":
        message.pop("timeCompleted", None)
    return message


def publish_jobs(broker_url: str, exchange: str, template_path: str, revisions: list[str], task_ids: list[str]) -> dict:
    """Publish every job in each state to a Pulse exchange (persistent, confirmed by the broker)."""
    from treeherder.pulse.publish import publish_messages

    template = json.loads(Path(template_path).read_text())[0]
    messages = [
        pulse_message(template, revisions[i % len(revisions)], task_id, state)
        for state in STATES
        for i, task_id in enumerate(task_ids)
    ]
    published = 0
    for start in range(0, len(messages), 20):
        published += publish_messages(broker_url, exchange, "primary.soak.mozilla-central", messages[start : start + 20])
    return {"published": published}


def read_until(base_url: str, deadline: float, stop_file: str) -> dict:
    """Read pushes and jobs in a loop until ``stop_file`` exists (or the deadline); every answer must be 200."""
    counts = {"requests": 0, "ok": 0, "failed": 0}
    failures: list[str] = []
    paths = [
        f"/api/project/{PROJECT}/push/?count=10",
        f"/api/project/{PROJECT}/jobs/?count=200",
        f"/api/jobs/?repo={PROJECT}&count=200",
        f"/api/project/{PROJECT}/push/?count=5&full=true",
    ]
    with httpx.Client(base_url=base_url, headers={"User-Agent": USER_AGENT}, timeout=60) as http:
        n = 0
        while time.monotonic() < deadline and not Path(stop_file).exists():
            path = paths[n % len(paths)]
            n += 1
            counts["requests"] += 1
            try:
                response = http.get(path)
            except httpx.TransportError as exc:
                counts["failed"] += 1
                failures.append(f"{path}: {exc!r}")
                continue
            if response.status_code == 200:
                counts["ok"] += 1
            else:
                counts["failed"] += 1
                failures.append(f"{path}: {response.status_code} {response.text[:200]}")
    return {**counts, "failures": failures[:20]}
