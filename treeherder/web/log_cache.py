"""Job logs cached on disk as plain text plus a line index, so the log viewer can read any range of lines quickly.

A log is downloaded once (through :mod:`treeherder.logs.fetch`, with its address checks and size limits),
decompressed, its line breaks normalised the way the log parser counts lines (``\\n``, ``\\r\\n`` and a lone ``\\r``
each end a line, so line *n* here is line *n* of the stored error lines), and written to
``<data dir>/log-cache/<sha256 of the URL>.log``. Beside it, ``.idx`` holds the byte offset at which every line
starts (unsigned 64-bit, little endian), so a range of lines is one ``seek`` and one ``read``, whatever the size.

Logs of the bundled sample data live in this package and are served by this server under ``/sample-logs/``; those
are read from the package directly instead of over HTTP (the fetcher rightly refuses loopback addresses).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from treeherder.logs.decompress import iter_decompressed
from treeherder.logs.fetch import FetchOptions, fetch_log

#: The cache is trimmed (oldest files first) when it grows beyond this many bytes.
CACHE_BUDGET_BYTES = 2 * 1024**3
#: The viewer does not keep logs whose decompressed text is larger than this.
MAX_LOG_TEXT_BYTES = 512 * 1024**2

_SAMPLE_LOG_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class CachedLog:
    """A log in the cache: its text file and the start offset of each line (plus the end offset of the text)."""

    text_path: Path
    offsets: array

    @property
    def line_count(self) -> int:
        return len(self.offsets) - 1

    def lines(self, start: int, end: int) -> list[str]:
        """Lines ``start`` (inclusive) to ``end`` (exclusive), 0-based, without their line breaks."""
        start = max(0, min(start, self.line_count))
        end = max(start, min(end, self.line_count))
        if start == end:
            return []
        with self.text_path.open("rb") as handle:
            handle.seek(self.offsets[start])
            block = handle.read(self.offsets[end] - self.offsets[start])
        return block.decode("utf-8", errors="replace").split("\n")[: end - start]


def _line_offsets(text: bytes) -> array:
    """Start offset of every line of *text* (whose lines all end in ``\\n``), and its length at the end."""
    offsets = array("Q", [0])
    find = text.find
    position = find(b"\n")
    while position != -1:
        offsets.append(position + 1)
        position = find(b"\n", position + 1)
    if offsets[-1] != len(text):
        # The last line has no line break.
        offsets.append(len(text))
    return offsets


def _normalise(blocks: Iterator[bytes]) -> bytes:
    data = b"".join(blocks)
    if b"\r" in data:
        # Two plain replaces run at memory speed (a regex substitution is several times slower on big logs).
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


class LogCache:
    """Downloads job logs on first use and serves their lines from disk afterwards. Safe across threads."""

    def __init__(
        self, directory: Path, options: FetchOptions, site_url: str = "", budget_bytes: int = CACHE_BUDGET_BYTES
    ) -> None:
        self.directory = directory
        self.options = options
        self.budget_bytes = budget_bytes
        self.sample_prefix = f"{site_url.rstrip('/')}/sample-logs/" if site_url else None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()
        return self.directory / f"{key}.log", self.directory / f"{key}.idx"

    def _lock_for(self, url: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(url, threading.Lock())

    def get(self, url: str) -> CachedLog:
        """The cached log at *url*, downloading it first if needed (one download per URL at a time).

        Raises the fetcher's errors (:class:`~treeherder.logs.fetch.LogFetchError`,
        :class:`~treeherder.logs.decompress.LogTooLargeError`, ...) when the log cannot be read.
        """
        text_path, index_path = self._paths(url)
        cached = self._load(text_path, index_path)
        if cached is not None:
            return cached
        with self._lock_for(url):
            cached = self._load(text_path, index_path)
            if cached is not None:
                return cached
            text = self._download(url)
            offsets = _line_offsets(text)
            self.directory.mkdir(parents=True, exist_ok=True)
            self._write_atomically(text_path, text)
            if sys.byteorder != "little":
                offsets.byteswap()
            self._write_atomically(index_path, offsets.tobytes())
            if sys.byteorder != "little":
                offsets.byteswap()
        self._trim()
        return CachedLog(text_path, offsets)

    def _load(self, text_path: Path, index_path: Path) -> CachedLog | None:
        # The index is written last, so its presence means the text is complete.
        try:
            raw = index_path.read_bytes()
        except FileNotFoundError:
            return None
        offsets = array("Q")
        offsets.frombytes(raw)
        if sys.byteorder != "little":
            offsets.byteswap()
        now = time.time()
        os.utime(index_path, (now, now))
        return CachedLog(text_path, offsets)

    def _download(self, url: str) -> bytes:
        if self.sample_prefix and url.startswith(self.sample_prefix):
            name = url[len(self.sample_prefix) :]
            if _SAMPLE_LOG_NAME.fullmatch(name):
                packaged = resources.files("treeherder.data").joinpath("sample_logs", name)
                if packaged.is_file():
                    return _normalise(iter_decompressed([packaged.read_bytes()], MAX_LOG_TEXT_BYTES))
        return fetch_log(url, _normalise, self.options)

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)

    def _trim(self) -> None:
        """Drop the least recently used logs while the cache is over its budget."""
        entries = []
        total = 0
        for index_path in self.directory.glob("*.idx"):
            text_path = index_path.with_suffix(".log")
            try:
                size = index_path.stat().st_size + text_path.stat().st_size
                used = index_path.stat().st_mtime
            except FileNotFoundError:
                continue
            entries.append((used, index_path, text_path, size))
            total += size
        if total <= self.budget_bytes:
            return
        for _used, index_path, text_path, size in sorted(entries):
            index_path.unlink(missing_ok=True)
            text_path.unlink(missing_ok=True)
            total -= size
            if total <= self.budget_bytes:
                break
