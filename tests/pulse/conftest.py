"""A private RabbitMQ node for the Pulse listener tests.

The node gets its own ports, node name, data directory, Erlang cookie (HOME) and
epmd port, so it never meets a system broker. Set TEST_BROKER_URL to use an existing
broker instead. Tests are skipped only when no rabbitmq-server is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import kombu
import pytest

SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)
START_TIMEOUT = 90.0


def _server_binary() -> str | None:
    for candidate in SERVER_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("rabbitmq-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _broker_answers(url: str) -> bool:
    try:
        with kombu.Connection(url, connect_timeout=2) as connection:
            connection.connect()
            return True
    except Exception:  # noqa: BLE001 - any failure means "not up yet"
        return False


class RabbitNode:
    """A rabbitmq-server process started for the test session."""

    def __init__(self, binary: str, base: Path) -> None:
        self.base = base
        self.port = _free_port()
        self.epmd_port = _free_port()
        self.env = {
            **os.environ,
            "HOME": str(base),
            "RABBITMQ_NODENAME": f"thpulse{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(_free_port()),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        }
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (base / "enabled_plugins").write_text("[].\n")
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.log = (base / "server.out").open("wb")
        self.process = subprocess.Popen(
            [binary], cwd=base, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {(self.base / 'server.out').read_text()[-2000:]}")
            if _broker_answers(self.url):
                return
            time.sleep(0.3)
        raise RuntimeError("rabbitmq-server did not start in time")

    def ctl(self, *args: str) -> None:
        """Run rabbitmqctl against this node."""
        binary = Path(_server_binary() or "rabbitmq-server")
        subprocess.run(
            [str(binary.with_name("rabbitmqctl")), *args], env=self.env, check=True, capture_output=True, timeout=120
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            # The server runs in its own session, started here: end that group only.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        epmd = shutil.which("epmd") or next(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"), None)
        if epmd:
            # epmd detaches into its own session; ask the private instance to exit.
            subprocess.run([str(epmd), "-kill"], check=False, env=self.env, capture_output=True, timeout=10)
        self.log.close()


class ExternalNode:
    """The node `scripts/services.sh` started (TEST_RABBITMQ_DIR): rabbitmqctl only."""

    def __init__(self, data: Path) -> None:
        self.env = {**os.environ, "HOME": str(data), "RABBITMQ_NODENAME": (data / "node").read_text().strip()}

    ctl = RabbitNode.ctl


@pytest.fixture(scope="session")
def rabbitmq_node(tmp_path_factory):
    """A node the tests may administer with rabbitmqctl; None for a broker given only by TEST_BROKER_URL."""
    if os.environ.get("TEST_BROKER_URL"):
        data = os.environ.get("TEST_RABBITMQ_DIR")
        yield ExternalNode(Path(data)) if data and (Path(data) / "node").is_file() else None
        return
    binary = _server_binary()
    if binary is None:
        pytest.skip("rabbitmq-server is not installed")
    node = RabbitNode(binary, tmp_path_factory.mktemp("rabbitmq"))
    try:
        node.wait_until_up()
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def rabbitmq_url(rabbitmq_node):
    """AMQP URL of a broker the tests may freely use."""
    return os.environ.get("TEST_BROKER_URL") or rabbitmq_node.url
