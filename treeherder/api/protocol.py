"""The HTTP protocol `treeherder serve` runs: uvicorn's h11 protocol with a deadline for request headers.

uvicorn waits for a request's headers for as long as the client likes, so a client trickling them in a byte at a
time (slowloris) holds a connection open for ever. Here a connection must deliver a complete request head within
REQUEST_READ_TIMEOUT seconds of opening, and of each response on a kept-alive connection, or it is closed. (The body
has its own deadline, in the Hawk middleware that reads it.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from treeherder.config import get_settings

# For uvicorn's ``http=`` option (an import string, so that it also reaches `--workers` processes).
PROTOCOL = "treeherder.api.protocol:TimedH11Protocol"


class TimedH11Protocol(H11Protocol):
    """H11Protocol that closes connections whose request head is not complete in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = float(get_settings().request_read_timeout)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle and self._head_deadline is not None:
            # A complete request head arrived: the deadline is met.
            self._head_deadline.cancel()
            self._head_deadline = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request head did not arrive in time")
            self.transport.close()

