"""The unmodified treeherder-client 5.0.0 and 4.0.0 from PyPI, each in its own virtual environment, against this
server on loopback.

The client pages `get_jobs` through `offset`/`count` in steps of 2,000 and stops at the first short page; when the
total asked for is a multiple of 2,000 its last request carries `count=0`, which must answer an empty page.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import TEST_REPOSITORY
from treeherder.ingest.parse import parse_job_collection, parse_push_collection

JOBS_IN_PUSH = 4500


@pytest.fixture(scope="session")
def client_python(tmp_path_factory):
    """client_python("5.0.0") -> a Python with that treeherder-client (and its dependencies) from the package index."""
    made: dict[str, Path] = {}

    def _python(version: str) -> Path:
        if version not in made:
            where = tmp_path_factory.mktemp(f"thclient-{version}-venv")
            venv.EnvBuilder(with_pip=True).create(where)
            python = where / "bin" / "python"
            requirement = f"treeherder-client=={version}"
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                pytest.fail(f"could not install {requirement}:\n{done.stderr[-2000:]}")
            made[version] = python
        return made[version]

    return _python


SCRIPT = textwrap.dedent(
    """
    import json, sys
    import requests
    from thclient import TreeherderClient
    from thclient.client import __version__

    server, project, guid = sys.argv[1:4]
    client = TreeherderClient(server_url=server)
    jobs_all = client.get_jobs(project, count=None)
    jobs_4500 = client.get_jobs(project, count=4500)
    jobs_4000 = client.get_jobs(project, count=4000)
    jobs_small = client.get_jobs(project, count=5, result="testfailed")
    pushes = client.get_pushes(project)
    # 4.0.0 still has the deprecated resultset getter (the PyPI build forwards only the project).
    resultsets = client.get_resultsets(project) if hasattr(client, "get_resultsets") else pushes
    one_push = client.get_pushes(project, revision=pushes[0]["revision"])
    repositories = client.get_repositories()
    print(json.dumps({
        "version": __version__,
        "user_agent": client.session.headers["User-Agent"],
        "jobs_all": [j["id"] for j in jobs_all],
        "jobs_4500": [j["id"] for j in jobs_4500],
        "jobs_4000": [j["id"] for j in jobs_4000],
        "jobs_small": [[j["id"], j["result"]] for j in jobs_small],
        "job_keys": sorted(jobs_all[0]),
        "pushes": [[p["id"], p["revision"], p["revision_count"]] for p in pushes],
        "one_push": [p["revision"] for p in one_push],
        "resultsets": [p["revision"] for p in resultsets],
        "repositories": [r["name"] for r in repositories],
        "option_collection_hash": client.get_option_collection_hash(),
        "failure_classifications": client.get_failure_classifications(),
        "job_log_url": client.get_job_log_url(project, job_id=jobs_all[0]["id"]),
        "job_details": client.get_job_details(job_guid=guid),
        "plain_requests_status": requests.get(server + "/api/repository/").status_code,
    }))
    """
)


@pytest.mark.parametrize("version", ["5.0.0", "4.0.0"])
def test_thclient_reads_pushes_jobs_and_repositories(version, client_python, live_server, ingestor):
    pushes = [factories.push(commits=3), factories.push()]
    ingestor.store_pushes(TEST_REPOSITORY, parse_push_collection(pushes))
    info = {"name": "Job Info", "type": "json", "blob": {"job_details": [{"title": "CPU usage", "value": "87%"}]}}
    logs = [{"name": "live_backing_log", "url": "https://example.org/live_backing.log", "parse_status": "parsed"}]
    jobs = [
        factories.job(pushes[0]["revision"], result="testfailed" if n % 100 == 0 else "success",
                      log_references=logs if n == 0 else [], artifacts=[info] if n == 1 else [])
        for n in range(JOBS_IN_PUSH)
    ]  # fmt: skip
    stored = ingestor.store_jobs(TEST_REPOSITORY, parse_job_collection(jobs))
    all_ids = sorted(stored.job_ids.values())
    assert len(all_ids) == JOBS_IN_PUSH

    done = subprocess.run(
        [str(client_python(version)), "-c", SCRIPT, live_server.url, TEST_REPOSITORY, jobs[1]["job"]["job_guid"]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)

    assert seen["version"] == version
    assert seen["user_agent"] == f"treeherder-pyclient/{version}"  # served, while plain `requests` is refused
    assert seen["plain_requests_status"] == 403
    assert seen["jobs_all"] == all_ids
    assert seen["jobs_4500"] == all_ids
    assert seen["jobs_4000"] == all_ids[:4000]
    assert [row[1] for row in seen["jobs_small"]] == ["testfailed"] * 5
    assert "job_guid" in seen["job_keys"] and "platform_option" in seen["job_keys"]
    assert [p[1] for p in seen["pushes"]] == [pushes[1]["revision"], pushes[0]["revision"]]
    assert [p[2] for p in seen["pushes"]] == [1, 3]
    assert seen["one_push"] == [pushes[1]["revision"]]
    assert seen["resultsets"] == [p[1] for p in seen["pushes"]]
    assert "mozilla-central" in seen["repositories"] and "autoland" in seen["repositories"]
    assert seen["option_collection_hash"] == {"102210fe594ee9b33d82058545b1ed14f4c8206e": [{"name": "opt"}]}
    assert {"id": 1, "name": "not classified"} in seen["failure_classifications"]
    assert [(log["name"], log["parse_status"]) for log in seen["job_log_url"]] == [("live_backing_log", "parsed")]
    assert [(d["title"], d["value"]) for d in seen["job_details"]] == [("CPU usage", "87%")]
