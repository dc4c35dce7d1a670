"""Streaming, bounded decompression of log bodies (gzip detected by its magic bytes)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

GZIP_MAGIC = b"\x1f\x8b"
#: Largest piece of output produced from one decompress call, so a small highly
#: compressed input can never balloon in memory at once.
OUTPUT_BLOCK = 1 << 20


class CorruptLogError(ValueError):
    """The body claims to be gzip but cannot be decompressed (or is truncated)."""


class LogTooLargeError(ValueError):
    """The (decompressed) body exceeds the configured byte limit."""

    def __init__(self, limit: int, what: str = "decompressed") -> None:
        super().__init__(f"log exceeds the {what} size limit of {limit} bytes")
        self.limit = limit


def iter_decompressed(chunks: Iterable[bytes], max_bytes: int | None = None) -> Iterator[bytes]:
    """Yield the log body from *chunks*, gunzipping it when it starts with the gzip magic.

    Concatenated gzip members are supported.  Plain bodies pass through unchanged.
    Raises :class:`CorruptLogError` for a broken or truncated gzip stream and
    :class:`LogTooLargeError` once more than *max_bytes* of output were produced.
    """
    source = iter(chunks)
    head = b""
    for chunk in source:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    if not head:
        return
    if head.startswith(GZIP_MAGIC):
        body = _gunzip(_prepend(head, source))
    else:
        body = _prepend(head, source)
    produced = 0
    for block in body:
        if not block:
            continue
        produced += len(block)
        if max_bytes is not None and produced > max_bytes:
            raise LogTooLargeError(max_bytes)
        yield block


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits=31)
    member_started = False
    try:
        for chunk in chunks:
            data = chunk
            while data:
                member_started = True
                yield decompressor.decompress(data, OUTPUT_BLOCK)
                while decompressor.unconsumed_tail:
                    yield decompressor.decompress(decompressor.unconsumed_tail, OUTPUT_BLOCK)
                if decompressor.eof:
                    # Another gzip member may follow (e.g. logs appended in pieces).
                    data = decompressor.unused_data
                    decompressor = zlib.decompressobj(wbits=31)
                    member_started = False
                    if data and not data.startswith(GZIP_MAGIC[:1]):
                        # Trailing garbage after a complete member: ignored, as gzip(1) does.
                        return
                else:
                    data = b""
        tail = decompressor.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise CorruptLogError(f"corrupt gzip data: {exc}") from exc
    if member_started and not decompressor.eof:
        raise CorruptLogError("truncated gzip data")
