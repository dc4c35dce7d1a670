"""Bounded streaming decompression."""

from __future__ import annotations

import gzip

import pytest

from treeherder.logs.decompress import CorruptLogError, LogTooLargeError, iter_decompressed
from treeherder.logs.parser import parse_log_bytes


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_plain_body_passes_through() -> None:
    assert b"".join(iter_decompressed(_chunks(b"hello\nworld\n", 1))) == b"hello\nworld\n"


def test_gzip_detected_by_magic_in_tiny_chunks() -> None:
    body = b"line\n" * 1000
    assert b"".join(iter_decompressed(_chunks(gzip.compress(body), 1))) == body


def test_concatenated_members() -> None:
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert b"".join(iter_decompressed([data])) == b"one\ntwo\n"


def test_corrupt_gzip_raises() -> None:
    data = bytearray(gzip.compress(b"abort: x\n" * 100))
    data[20:30] = b"\x00" * 10
    with pytest.raises(CorruptLogError):
        parse_log_bytes(bytes(data))


def test_truncated_gzip_raises() -> None:
    data = gzip.compress(b"some log line\n" * 1000)
    with pytest.raises(CorruptLogError, match="truncated"):
        b"".join(iter_decompressed([data[: len(data) // 2]]))


def test_decompressed_size_limit() -> None:
    bomb = gzip.compress(b"\n" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(LogTooLargeError):
        parse_log_bytes(bomb, max_bytes=1_000_000)
    assert parse_log_bytes(bomb, max_bytes=5_000_000).line_count == 5_000_000
