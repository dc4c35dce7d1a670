"""Faults under load: the database restarting, the broker restarting, a worker killed mid-task, the disk filling up.

Each test shows what happened to the data: every job submitted is stored in its final state (the clients retried
what the outage refused, the listener reconnected, the work was redelivered), or, for the full disk, the write is
refused with a clear error and the database stays intact and usable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories
from tests.auth.hawk_client import issue
from tests.conftest import REPO_ROOT, REQUIRE_SERVICES
from tests.reliability import load
from tests.reliability.figures import FIGURES
from tests.reliability.processes import Process, Server, service_env
from tests.reliability.test_soak import stored_jobs, wait_for
from treeherder.db import schema
from treeherder.db.engine import Database

SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services.sh"


class PrivateServices:
    """A throwaway PostgreSQL and RabbitMQ pair from scripts/services.sh, ours to stop and start at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        result = subprocess.run(
            [str(SERVICES_SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=300, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"services.sh start failed:\n{result.stderr[-3000:]}")
        self.env = dict(
            line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines() if line.startswith("export ")
        )
        self.postgres_url = self.env["TEST_POSTGRES_URL"]
        self.broker_url = self.env["TEST_BROKER_URL"]
        self.pg_data = folder / "pg" / "db"
        self.pg_port = (folder / "pg" / "port").read_text().strip()
        self.rabbit = folder / "rabbitmq"

    def _pg_ctl(self, *args: str) -> None:
        binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
        runas = ["runuser", "-u", self.pg_data.owner(), "--"] if os.getuid() == 0 else []
        subprocess.run([*runas, str(binary), "-D", str(self.pg_data), *args], check=True, capture_output=True, timeout=120)

    def stop_postgres(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start_postgres(self) -> None:
        options = f"-p {self.pg_port} -k {self.pg_data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.pg_data.parent / "server.log"), "-w", "-o", options, "start")

    def _rabbitmqctl(self, *args: str) -> None:
        env = {**os.environ, "HOME": str(self.rabbit), "RABBITMQ_NODENAME": (self.rabbit / "node").read_text().strip()}
        subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", *args], env=env, check=True, capture_output=True, timeout=120)

    def stop_broker(self) -> None:
        self._rabbitmqctl("stop_app")

    def start_broker(self) -> None:
        self._rabbitmqctl("start_app")

    def stop(self) -> None:
        subprocess.run([str(SERVICES_SCRIPT), "stop", str(self.folder)], capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def private_services():
    if not os.environ.get("TEST_POSTGRES_URL") or not shutil.which("runuser") and os.getuid() == 0:
        if REQUIRE_SERVICES:
            pytest.fail("the fault tests need PostgreSQL and RabbitMQ (scripts/services.sh)")
        pytest.skip("PostgreSQL/RabbitMQ not available (run `make test`)")
    # Not under pytest's private temporary folder: PostgreSQL runs as another user, who must reach its data.
    folder = Path(tempfile.mkdtemp(prefix="treeherder-faults-"))
    folder.chmod(0o755)
    services = PrivateServices(folder)
    try:
        yield services
    finally:
        services.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_database(private_services):
    """The private PostgreSQL, migrated, with a fresh database for each test."""
    name = f"faults_{uuid.uuid4().hex[:8]}"
    admin = private_services.postgres_url.rsplit("/", 1)[0] + "/postgres"
    from treeherder.db.engine import scratch_engine
    from sqlalchemy import text

    engine = scratch_engine(admin)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    db = Database(private_services.postgres_url.rsplit("/", 1)[0] + "/" + name)
    schema.init(db)
    try:
        yield db
    finally:
        db.dispose()


def _submit_pushes(url: str, database: Database, count: int) -> list[str]:
    pushes = [factories.push() for _ in range(count)]
    credential = issue(database, f"pushes-{uuid.uuid4().hex[:6]}")
    poster = load.SignedPoster(url, load.Credential(credential.client_id, credential.secret))
    assert poster.post(load.PUSH_PATH, pushes), poster.failures
    poster.close()
    return [push["revision"] for push in pushes]


@pytest.mark.slow
def test_postgresql_restarting_under_load_loses_no_job(private_services, private_database, tmp_path):
    database = private_database
    server = Server(service_env(database.url, tmp_path), tmp_path / "server.log").start()
    try:
        revisions = _submit_pushes(server.url, database, 3)
        credential = issue(database, "restart-poster")
        guids = [str(uuid.uuid4()) for _ in range(200)]
        result: dict = {}

        def post() -> None:
            # A client that retries a refused request (503, or a dropped connection) for up to a minute.
            result.update(
                load.post_jobs(server.url, load.Credential(credential.client_id, credential.secret), revisions, guids, 10, 60.0)
            )

        poster = threading.Thread(target=post)
        poster.start()
        wait_for(lambda: len(stored_jobs(database)) >= 20, 60, "the first jobs")
        private_services.stop_postgres()
        FIGURES["faults injected: PostgreSQL stopped and restarted"] += 1
        time.sleep(3)  # the poster keeps posting into the outage
        private_services.start_postgres()
        poster.join(120)
        assert not poster.is_alive()
        # The server is still up and serving once the database is back.
        with httpx_client(server.url) as http:
            assert http.get("/__heartbeat__").status_code == 200
    finally:
        server.stop()
    stored = stored_jobs(database)
    lost = [g for g in guids if stored.get(g, ("", "", 0))[:2] != ("completed", load.final_result(g))]
    FIGURES["fault jobs submitted"] += len(guids)
    FIGURES["fault jobs lost"] += len(lost)
    FIGURES["fault requests refused during the outage (retried)"] += result["unavailable"]
    assert result["failed"] == 0, result["failures"]
    assert result["unavailable"] > 0, "the outage was not noticed: the fault was not injected under load"
    assert lost == []
    output = server.output()
    assert "Traceback" not in output, output[-3000:]


def httpx_client(url: str):
    import httpx

    return httpx.Client(base_url=url, headers={"User-Agent": load.USER_AGENT}, timeout=30)


@pytest.mark.slow
def test_broker_restarting_under_load_loses_no_pulse_job(private_services, private_database, tmp_path, shared_fixtures):
    database = private_database
    broker = private_services.broker_url
    exchange = f"exchange/faults-{uuid.uuid4().hex[:8]}/v1/jobs"
    env = service_env(database.url, tmp_path)
    server = Server(env, tmp_path / "server.log").start()
    listener = Process(
        ["pulse-listen", "--kind", "jobs", "--batch-wait", "0.1", "--queue-prefix", f"queue/faults-{uuid.uuid4().hex[:8]}"],
        {**env, "PULSE_URL": broker, "PULSE_JOB_SOURCES": f"{exchange}.#"},
        tmp_path / "listener.log",
    ).start()
    template = str(shared_fixtures / "pulse" / "jobs" / "job_data.json")
    try:
        revisions = _submit_pushes(server.url, database, 2)
        first = [f"{uuid.uuid4()}/0" for _ in range(40)]
        second = [f"{uuid.uuid4()}/0" for _ in range(40)]
        time.sleep(1.5)  # the listener declares its queue before anything is published
        load.publish_jobs(broker, exchange, template, revisions, first)
        # Restart while the listener is working through the first half.
        private_services.stop_broker()
        FIGURES["faults injected: RabbitMQ stopped and restarted"] += 1
        time.sleep(2)
        private_services.start_broker()
        load.publish_jobs(broker, exchange, template, revisions, second)

        def all_done() -> bool:
            stored = stored_jobs(database)
            return all(stored.get(g, ("", ""))[:2] == ("completed", "success") for g in first + second)

        wait_for(all_done, 90, lambda: f"every Pulse job after the restart:\n{listener.output()[-3000:]}")
        assert listener.process.poll() is None, "the listener gave up instead of reconnecting"
    finally:
        listener.stop()
        server.stop()
    FIGURES["fault jobs submitted"] += 80
    stored = stored_jobs(database)
    FIGURES["fault jobs lost"] += sum(1 for g in first + second if g not in stored)
    assert all(stored[g][2] == 1 for g in first + second)


# --- a worker killed in the middle of a task ----------------------------------------------------------------------

from tests.work.conftest import (  # noqa: E402 - fixtures shared with the background-work tests
    WorkerProcess,
    broker_url,  # noqa: F401
    log_status,
    log_server,  # noqa: F401
    store_job_with_log,
    worker_env,  # noqa: F401
)


@pytest.mark.slow
def test_a_worker_killed_mid_task_has_its_task_redelivered(
    database, ingestor, settings, broker_url, worker_env, log_server, shared_fixtures, tmp_path  # noqa: F811
):
    import dataclasses
    import signal

    from sqlalchemy import func, select

    from treeherder.db import tables as t
    from treeherder.work import dispatch

    first_fetch = threading.Event()
    raw = (shared_fixtures / "logs" / "xpcshell-crash.log.gz").read_bytes()

    def stalls_the_first_fetch(handler, hit: int) -> None:
        if hit == 1:
            first_fetch.set()
            time.sleep(20)  # the worker is killed meanwhile; this answer goes nowhere
            return
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    log_server.routes["/slow.log.gz"] = stalls_the_first_fetch
    stored = store_job_with_log(ingestor, log_server.url("/slow.log.gz"))
    (log_id, job_id, _name, _result) = stored.pending_logs[0]
    first = WorkerProcess(worker_env, tmp_path / "worker-killed.log").wait_ready()
    second = None
    try:
        assert dispatch(dataclasses.replace(settings, broker_url=broker_url), database, stored) == 1
        assert first_fetch.wait(60), f"the worker never fetched the log:\n{first.output()[-3000:]}"
        first.process.send_signal(signal.SIGKILL)  # mid-task: the log is being downloaded
        first.process.wait(10)
        FIGURES["faults injected: worker killed mid-task"] += 1
        assert log_status(database, log_id) == "pending"
        second = WorkerProcess(worker_env, tmp_path / "worker-second.log").wait_ready()
        wait_for(lambda: log_status(database, log_id) == "parsed", 90, lambda: second.output()[-3000:])
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert log_server.hits["/slow.log.gz"] >= 2, "the task was not run again"
    with database.read() as conn:
        lines = conn.execute(select(t.text_log_error.c.line_number).where(t.text_log_error.c.job_id == job_id)).scalars().all()
        assert conn.execute(select(func.count()).select_from(t.job_log).where(t.job_log.c.job_id == job_id)).scalar_one() == 1
    assert lines and len(lines) == len(set(lines)), "the redelivered task stored the errors twice"


# --- the disk under the SQLite file filling up --------------------------------------------------------------------


@pytest.fixture
def small_filesystem(tmp_path) -> Iterator[Path]:
    """A 16 MB tmpfs mounted for the test (root only); skipped with the reason where mounting is impossible."""
    mount_point = Path(tempfile.mkdtemp(prefix="treeherder-full-disk-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root and mount rights): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
        mount_point.rmdir()


def _fill(path: Path, leave_free_bytes: int) -> Path:
    """A ballast file that takes the filesystem's free space but ``leave_free_bytes``."""
    stats = os.statvfs(path)
    ballast = path / "ballast"
    size = stats.f_bavail * stats.f_frsize - leave_free_bytes
    with ballast.open("wb") as out:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            written = out.write(chunk[: min(len(chunk), size)])
            size -= written
    return ballast


@pytest.mark.slow
def test_a_full_disk_refuses_the_write_clearly_and_corrupts_nothing(small_filesystem, tmp_path):
    from sqlalchemy import text

    from tests.conftest import LiveServer, make_app
    from tests.auth.hawk_client import send
    from treeherder.config import load_settings
    import dataclasses

    url = f"sqlite:///{small_filesystem / 'treeherder.db'}"
    database = Database(url)
    schema.init(database)
    settings = dataclasses.replace(
        load_settings(), database_url=url, data_dir=tmp_path, throttle_jobs=(10**6, 60), embedded_worker=False
    )
    server = LiveServer(make_app(settings, database)).start()
    stored_guids: list[str] = []
    refused: list = []
    try:
        with server.client() as http:
            credential = issue(database, "disk-filler")
            push = factories.push()
            assert send(http, credential, "POST", load.PUSH_PATH, [push]).response.status_code == 200
            ballast = _fill(small_filesystem, leave_free_bytes=256 * 1024)
            for batch in range(400):
                guids = [str(uuid.uuid4()) for _ in range(50)]
                items = [load.rest_job(push["revision"], g, "completed", "success") for g in guids]
                # Long strings fill the disk sooner.
                for item in items:
                    item["job"]["reason"] = "x" * 2000
                response = send(http, credential, "POST", load.JOBS_PATH, items).response
                if response.status_code == 200:
                    stored_guids.extend(guids)
                    continue
                refused.append((response, guids))
                break
            assert refused, "the disk never filled up"
            response, refused_guids = refused[0]
            FIGURES["faults injected: disk full under the SQLite file"] += 1
            assert response.status_code == 507, response.text
            assert response.json()["detail"].startswith("The database has no space left; nothing was stored.")
            # Reads still work on a full disk.
            assert http.get(f"/api/project/{load.PROJECT}/push/").status_code == 200
            # Space freed: the same collection is stored.
            ballast.unlink()
            again = send(http, credential, "POST", load.JOBS_PATH, [load.rest_job(push["revision"], g, "completed", "success") for g in refused_guids])
            assert again.response.status_code == 200, again.response.text
            stored_guids.extend(refused_guids)
    finally:
        server.stop()
    with database.read() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    stored = stored_jobs(database)
    database.dispose()
    FIGURES["fault jobs submitted"] += len(stored_guids)
    FIGURES["fault jobs lost"] += len(set(stored_guids) - set(stored))
    assert set(stored) == set(stored_guids), "a refused batch was partly stored, or a stored one lost"
