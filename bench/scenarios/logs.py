"""Log parsing throughput (MB of uncompressed log per second), against just decompressing and splitting lines."""

from __future__ import annotations

import gzip
import zlib
from importlib import resources

from bench.harness import Result, best_rate, by_size, progress
from treeherder.logs.parser import parse_log_chunks

CHUNK = 1 << 20


def _sample_logs() -> list[bytes]:
    folder = resources.files("treeherder.data").joinpath("sample_logs")
    return [entry.read_bytes() for entry in sorted(folder.iterdir(), key=lambda e: e.name) if entry.name.endswith(".gz")]


def _chunks(data: bytes):
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def _decompress_and_split(compressed: bytes) -> int:
    """The baseline: stream-decompress and split into lines, doing nothing with them."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    carry = b""
    size = 0
    for block in _chunks(compressed):
        data = carry + inflater.decompress(block)
        lines = data.split(b"\n")
        carry = lines.pop()
        size += len(data) - len(carry)
    size += len(carry) + len(inflater.flush())
    return size


def run(size: str) -> list[Result]:
    logs = _sample_logs()
    repeat = by_size(size, 1, 1, 4)
    # One corpus: every sample log, repeated so the run is long enough to measure.
    corpus = by_size(size, logs[:2], logs * 2, logs * 6)
    uncompressed = sum(len(gzip.decompress(log)) for log in corpus)
    megabytes = uncompressed / 1e6
    progress(f"log parsing: {len(corpus)} logs, {megabytes:.0f} MB uncompressed")

    def baseline() -> int:
        for log in corpus:
            _decompress_and_split(log)
        return uncompressed

    def parse() -> int:
        for log in corpus:
            parse_log_chunks(_chunks(log))
        return uncompressed

    base = best_rate(baseline, repeat=repeat) / 1e6
    value = best_rate(parse, repeat=repeat) / 1e6
    return [
        Result(
            scenario="log parsing (gzip, error lines + PERFHERDER_DATA)",
            database="-",
            value=value,
            unit="MB/s",
            baseline_value=base,
            target_ratio=0.30,
            notes="baseline: decompress and split into lines only",
        )
    ]
