"""The unmodified treeherder-client 4.0.0 from PyPI (with requests-hawk) submits jobs to this server.

The client runs in its own virtual environment, as its users run it; credentials come from `treeherder credentials
create`; the jobs are read back through the read API with the same client, and from the database (for the fields the
API does not show, such as the product).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests import factories
from tests.auth.stored import job_count, stored_job
from treeherder.ingest.parse import parse_push_collection

pytestmark = pytest.mark.slow

REPO = "mozilla-central"

# Runs inside the client's environment: builds a collection with the 4.0.0 API and posts it.
SUBMIT_SCRIPT = r"""
import json, os, sys
from requests.exceptions import HTTPError
from thclient import TreeherderClient, TreeherderJob, TreeherderJobCollection

revision = os.environ["REVISION"]
collection = TreeherderJobCollection()

done = TreeherderJob()
done.add_revision(revision)
done.add_project("mozilla-central")
done.add_coalesced_guid(["coalesced-guid"])
done.add_job_guid("client4-completed")
done.add_job_name("Mochitest Browser Chrome")
done.add_job_symbol("bc1")
done.add_group_name("Mochitests")
done.add_group_symbol("M")
done.add_description("browser-chrome, chunk 1")
done.add_product_name("firefox")
done.add_state("completed")
done.add_result("testfailed")
done.add_reason("scheduled")
done.add_who("ci@example.org")
done.add_tier(2)
done.add_submit_timestamp(1700000100)
done.add_start_timestamp(1700000200)
done.add_end_timestamp(1700000900)
done.add_machine("tst-linux64-042")
done.add_build_info("linux", "linux64", "x86_64")
done.add_machine_info("linux", "linux64", "x86")
done.add_option_collection({"debug": True})
done.add_log_reference("buildbot_text", "https://logs.example.org/bc1.txt.gz", parse_status="parsed")
done.add_artifact("Job Info", "json", {"job_details": [
    {"title": "CPU", "value": "x86_64", "content_type": "text"},
    {"title": "artifact uploaded", "value": "report.html", "url": "https://logs.example.org/report.html",
     "content_type": "link"}]})
collection.add(done)

waiting = collection.get_job()
waiting.add_revision(revision[:12])
waiting.add_project("mozilla-central")
waiting.add_job_guid("client4-pending")
waiting.add_job_name("Build")
waiting.add_job_symbol("B")
waiting.add_state("pending")
waiting.add_submit_timestamp(1700000050)
waiting.add_build_info("windows", "windows10-64", "x86_64")
waiting.add_machine_info("windows", "windows10-64", "x86_64")
waiting.add_option_collection({"opt": True})
collection.add(waiting)

def post(secret):
    client = TreeherderClient(server_url=os.environ["SERVER_URL"], client_id=os.environ["CLIENT_ID"], secret=secret)
    try:
        response = client.post_collection("mozilla-central", collection)
    except HTTPError as error:
        response = error.response
    return {"status": response.status_code, "body": response.json(),
            "server_authorization": response.headers.get("Server-Authorization")}

outcome = {"wrong_secret": post("not-the-secret"), "ok": post(os.environ["SECRET"])}

# Read back through the API with the same client library. Without credentials: 4.0.0 signs every request, and with
# today's mohawk a signed GET (no body) fails inside the client before it is sent.
reader = TreeherderClient(server_url=os.environ["SERVER_URL"])
jobs = reader.get_jobs("mozilla-central", count=10)
outcome["jobs"] = {job["job_guid"]: job for job in jobs}
outcome["logs"] = {job["job_guid"]: reader.get_job_log_url("mozilla-central", job_id=job["id"]) for job in jobs}
outcome["details"] = reader.get_job_details(job_guid="client4-completed")
print(json.dumps(outcome))
"""


@pytest.fixture(scope="session")
def client4_python(tmp_path_factory) -> Path:
    """A virtual environment holding treeherder-client 4.0.0 and requests-hawk from PyPI, nothing of ours."""
    env_dir = tmp_path_factory.mktemp("client4") / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "treeherder-client==4.0.0",
         "requests-hawk"],
        check=True, env=environment, capture_output=True, text=True, timeout=300, cwd=env_dir,
    )
    return python


def create_credential_with_the_cli(database, client_id: str) -> dict:
    environment = {**os.environ, "DATABASE_URL": database.url, "LOG_LEVEL": "WARNING"}
    run = subprocess.run(
        [sys.executable, "-m", "treeherder.cli", "credentials", "create", client_id, "--description", "client 4"],
        capture_output=True, text=True, env=environment, timeout=120, check=True,
    )
    return json.loads(run.stdout)


def test_client_4_submits_a_job_collection(client4_python, live_server, database, ingestor):
    pushed = factories.push(commits=2)
    ingestor.store_pushes(REPO, parse_push_collection([pushed]))
    credential = create_credential_with_the_cli(database, "client4-ci")
    environment = {
        "PATH": os.environ["PATH"], "SERVER_URL": live_server.url, "REVISION": pushed["revision"],
        "CLIENT_ID": credential["client_id"], "SECRET": credential["secret"],
    }
    run = subprocess.run([client4_python, "-c", SUBMIT_SCRIPT], capture_output=True, text=True, env=environment,
                         timeout=120, cwd=client4_python.parent)
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)

    assert outcome["wrong_secret"]["status"] == 403
    assert outcome["wrong_secret"]["body"] == {"detail": "Hawk authentication failed"}
    assert outcome["ok"]["status"] == 200
    assert outcome["ok"]["body"] == {"message": "Job successfully updated"}
    assert outcome["ok"]["server_authorization"].startswith("Hawk mac=")
    assert job_count(database) == 2

    done = stored_job(database, "client4-completed")
    expected = {
        "push_revision": pushed["revision"], "repository": REPO, "state": "completed", "result": "testfailed",
        "tier": 2, "who": "ci@example.org", "reason": "scheduled", "submit_timestamp": 1700000100,
        "start_timestamp": 1700000200, "end_timestamp": 1700000900, "job_type_name": "Mochitest Browser Chrome",
        "job_type_symbol": "bc1", "job_group_name": "Mochitests", "job_group_symbol": "M", "machine": "tst-linux64-042",
        "product": "firefox", "options": "debug", "option_collection_hash": "32faaecac742100f7753f0c1d0aa0add01b4046b",
        "build_os": "linux", "build_platform": "linux64", "build_architecture": "x86_64",
        "machine_os": "linux", "machine_platform": "linux64", "machine_architecture": "x86",
    }
    assert {key: done[key] for key in expected} == expected
    assert [(log["name"], log["url"]) for log in done["logs"]] == [("buildbot_text", "https://logs.example.org/bc1.txt.gz")]
    assert done["details"] == [
        {"title": "CPU", "value": "x86_64", "url": None},
        {"title": "artifact uploaded", "value": "report.html", "url": "https://logs.example.org/report.html"},
    ]

    # The same through the read API, as the 4.0.0 client reads it.
    api_job = outcome["jobs"]["client4-completed"]
    expected_api = {
        "state": "completed", "result": "testfailed", "tier": 2, "who": "ci@example.org", "reason": "scheduled",
        "submit_timestamp": 1700000100, "start_timestamp": 1700000200, "end_timestamp": 1700000900,
        "job_type_name": "Mochitest Browser Chrome", "job_type_symbol": "bc1", "job_group_name": "Mochitests",
        "job_group_symbol": "M", "machine_name": "tst-linux64-042", "build_os": "linux", "build_platform": "linux64",
        "build_architecture": "x86_64", "machine_platform_os": "linux", "platform": "linux64",
        "machine_platform_architecture": "x86", "option_collection_hash": "32faaecac742100f7753f0c1d0aa0add01b4046b",
        "platform_option": "debug", "build_system_type": "buildbot",
    }
    assert {key: api_job[key] for key in expected_api} == expected_api
    assert [(log["name"], log["url"], log["parse_status"]) for log in outcome["logs"]["client4-completed"]] == [
        ("buildbot_text", "https://logs.example.org/bc1.txt.gz", "parsed")
    ]
    assert [(d["title"], d["value"], d["url"]) for d in outcome["details"]] == [
        ("CPU", "x86_64", None), ("artifact uploaded", "report.html", "https://logs.example.org/report.html")
    ]
    assert outcome["jobs"]["client4-pending"]["state"] == "pending"

    waiting = stored_job(database, "client4-pending")
    assert (waiting["state"], waiting["result"], waiting["push_revision"]) == ("pending", "unknown", pushed["revision"])
    assert (waiting["build_os"], waiting["build_platform"], waiting["options"]) == ("windows", "windows10-64", "opt")
    assert waiting["product"] == "unknown" and waiting["start_timestamp"] == 0
