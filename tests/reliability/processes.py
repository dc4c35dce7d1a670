"""Real server processes for the soak and fault tests: `treeherder serve` and `treeherder pulse-listen`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

TREEHERDER = str(Path(sys.executable).with_name("treeherder"))


def service_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a treeherder process on ``database_url`` with no background work of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "BROKER_", "PULSE_", "THROTTLE_"))}
    env.update(
        DATABASE_URL=database_url,
        TREEHERDER_DATA_DIR=str(data_dir),
        EMBEDDED_WORKER="off",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Process:
    """A treeherder command in its own process group, with its output in a file (read back for the report)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [TREEHERDER, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class Server(Process):
    """`treeherder serve` on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port)], {**env, "SITE_URL": self.url}, log)

    def start(self, timeout: float = 60) -> Server:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited:\n{self.output()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/__lbheartbeat__", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.output()[-3000:]}")


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
