"""A real `treeherder serve` process on loopback for the benchmarks that go through HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bench.processes import peak_rss_megabytes, stop_process

USER_AGENT = "treeherder-bench/1.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def peak_rss_megabytes(self) -> float:
        return peak_rss_megabytes(self.pid)


@contextmanager
def running_server(database_url: str, *, app: str | None = None, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Serve `database_url` (already migrated) on a free port.

    `app` names another app factory (e.g. the benchmark app with a static baseline route)."""
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        # The benchmark measures throughput, not the per-credential throttle.
        "THROTTLE_JOBS": "100000000/minute",
        "THROTTLE_PUSH": "100000000/minute",
        "SITE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    if app:
        cmd = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    else:
        cmd = [sys.executable, "-m", "treeherder.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/__lbheartbeat__", headers={"User-Agent": USER_AGENT}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.1)
        yield Server(url, proc.pid)
    finally:
        stop_process(proc, timeout=15)
