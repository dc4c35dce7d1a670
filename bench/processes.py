"""Background `treeherder` processes for the benchmarks (Pulse listener, Celery worker) and their memory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@contextmanager
def treeherder_process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Run `treeherder ARGS...` with `env` added to the environment; stopped with SIGTERM afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "treeherder.cli", *args],
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Drain stderr so a chatty process never blocks on a full pipe; keep the tail for error messages.
    tail: list[bytes] = []

    def drain() -> None:
        for line in proc.stderr:
            tail.append(line)
            del tail[:-50]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc.stderr_tail = tail  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        stop_process(proc, timeout=20)


def stop_process(proc: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stderr_tail(proc: subprocess.Popen) -> str:
    return b"".join(getattr(proc, "stderr_tail", [])).decode(errors="replace")[-3000:]


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    out = [pid]
    for current in out:
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    out += [int(c) for c in children.read().split()]
        except OSError:
            continue
    return out


def peak_rss_megabytes(pid: int) -> float:
    """Peak resident set size of a process so far (Linux /proc VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_tree_megabytes(pid: int) -> float:
    """Sum of the peak resident set sizes of a process and its children, in MB (an upper bound)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += peak_rss_megabytes(member)
        except OSError:  # the child has exited
            continue
    return total


@contextmanager
def static_file_server(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (the logs jobs point at); yields the base URL."""

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
