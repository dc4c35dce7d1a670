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
