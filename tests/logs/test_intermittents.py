"""Intermittent marking from group results: upstream's retrigger scenarios on one push."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.logs.conftest import LogServer
from treeherder.db import tables as t
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.logs.fetch import FetchOptions
from treeherder.logs.service import LogParsingService

REPO = "mozilla-central"
LOCAL = FetchOptions(allowlist=("127.0.0.1",), retries=0, timeout=5)
JOB_NAME = "test-linux1804-64/opt-mochitest-browser-chrome-e10s-1"

# (errorsummary files in job order, expected classification of the first two jobs) from the fixtures' README.
SCENARIOS = [
    (["mbc", "mbc_infra"], (1, 8)),
    (["mbc_infra", "mbc_pass"], (8, 1)),
    (["mbc", "mbc_2", "mbc_pass"], (8, 8)),
    (["mbc", "mbc_cf1", "mbc_cf2"], (1, 1)),
    (["mbc", "mbc_cf1"], (1, 1)),
    (["mbc", "mbc_cf1_pass", "mbc_cf2_pass", "mbc_cf3_pass"], (8, 1)),
    (["mbc", "mbc"], (1, 1)),
    (["mbc", "mbc_2"], (8, 8)),
    (["mbc", "mbc_2", "mbc"], (1, 8)),
    (["mbc_infra", "mbc_pass", "mbc_infra"], (1, 1)),
]


def _file(short: str) -> str:
    return "mochitest-browser-chrome" + short.removeprefix("mbc") + "_errorsummary.log"


def _classifications(database, job_ids: list[int]) -> list[int]:
    with database.read() as conn:
        rows = dict(
            conn.execute(select(t.job.c.id, t.job.c.failure_classification_id).where(t.job.c.id.in_(job_ids))).all()
        )
    return [rows[job_id] for job_id in job_ids]


@pytest.mark.parametrize(("files", "expected"), SCENARIOS, ids=["+".join(files) for files, _ in SCENARIOS])
def test_retrigger_scenarios(database, ingestor, log_server: LogServer, shared_fixtures: Path, files, expected):
    folder = shared_fixtures / "logs" / "errorsummary"
    push = factories.push()
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    service = LogParsingService(database, LOCAL)
    job_ids = []
    for index, short in enumerate(files):
        path = f"/{index}/{_file(short)}"
        log_server.add_body(path, (folder / _file(short)).read_bytes())
        job = factories.job(
            push["revision"],
            result="success" if "_pass" in short else "testfailed",
            name=JOB_NAME + ("-cf" if "_cf" in short else ""),
            job_type_name=JOB_NAME + ("-cf" if "_cf" in short else ""),
            log_references=[{"name": "errorsummary_json", "url": log_server.url(path), "parse_status": "pending"}],
        )
        stored = ingestor.store_jobs(REPO, parse_job_collection([job]))
        job_id = stored.job_ids[job["job"]["job_guid"]]
        job_ids.append(job_id)
        with database.read() as conn:
            log_id = conn.execute(select(t.job_log.c.id).where(t.job_log.c.job_id == job_id)).scalar_one()
        assert service.parse(log_id).status == "parsed"
    assert tuple(_classifications(database, job_ids[:2])) == expected


def _store_job(ingestor, database, log_server, folder, repo, push, short, index, **fields) -> tuple[int, int]:
    path = f"/{repo}/{index}/{_file(short)}"
    log_server.add_body(path, (folder / _file(short)).read_bytes())
    job = factories.job(
        push["revision"],
        result="success" if "_pass" in short else "testfailed",
        name=JOB_NAME,
        log_references=[{"name": "errorsummary_json", "url": log_server.url(path), "parse_status": "pending"}],
        **fields,
    )
    job["project"] = repo
    job_id = ingestor.store_jobs(repo, parse_job_collection([job])).job_ids[job["job"]["job_guid"]]
    with database.read() as conn:
        log_id = conn.execute(select(t.job_log.c.id).where(t.job_log.c.job_id == job_id)).scalar_one()
    return job_id, log_id


@pytest.mark.parametrize(("repo", "expected"), [("mozilla-central", (8, 1)), ("try", (1, 1))])
def test_older_pushes_are_judged_on_all_results_except_on_try(
    database, ingestor, log_server: LogServer, shared_fixtures: Path, repo: str, expected
) -> None:
    folder = shared_fixtures / "logs" / "errorsummary"
    service = LogParsingService(database, LOCAL)
    older, newer = factories.push(timestamp=1_700_000_000), factories.push(timestamp=1_700_000_000 + 3600)
    ingestor.store_pushes(repo, parse_push_collection([older, newer]))
    first, first_log = _store_job(ingestor, database, log_server, folder, repo, older, "mbc", 0)
    second, second_log = _store_job(ingestor, database, log_server, folder, repo, newer, "mbc_2", 1)
    service.parse(first_log)
    service.parse(second_log)
    # The older job's failed groups passed in the newer run; the newer job is judged on its own push only.
    assert tuple(_classifications(database, [first, second])) == expected


def test_sheriff_classifications_are_kept_and_demotion_respects_new_failures(
    database, ingestor, log_server: LogServer, shared_fixtures: Path
) -> None:
    folder = shared_fixtures / "logs" / "errorsummary"
    service = LogParsingService(database, LOCAL)
    push = factories.push()
    ingestor.store_pushes(REPO, parse_push_collection([push]))
    first, first_log = _store_job(ingestor, database, log_server, folder, REPO, push, "mbc", 0)
    second, second_log = _store_job(ingestor, database, log_server, folder, REPO, push, "mbc_2", 1)
    third, third_log = _store_job(ingestor, database, log_server, folder, REPO, push, "mbc", 2)
    service.parse(first_log)
    with database.write() as conn:
        conn.execute(t.text_log_error.insert().values(job_id=first, line="abort: x", line_number=1, new_failure=True))
    service.parse(second_log)
    assert _classifications(database, [first, second]) == [8, 8]
    with database.write() as conn:
        conn.execute(t.job.update().where(t.job.c.id == second).values(failure_classification_id=4))
    service.parse(third_log)
    # The first job no longer qualifies: back to 6 because it has a new failure line; 4 is a person's call.
    assert _classifications(database, [first, second, third]) == [6, 4, 1]
