"""Exceptions raised while turning Pulse messages into jobs and pushes.

The listener uses the class of an exception to decide what to do with the message:
a :class:`PulseMessageError` can never succeed however often it is retried, so the
message goes to the dead-letter queue; any other exception (a network failure while
fetching a task definition, a database outage, a push that has not arrived yet) is
worth retrying.
"""

from __future__ import annotations

from typing import Any


class PulseMessageError(Exception):
    """A Pulse message that can never be processed; ``reason`` says why."""

    def __init__(self, reason: str, body: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.body = body


class InvalidJobMessage(PulseMessageError):
    """A job message that does not validate against ``pulse-job.yml``.

    ``path`` is the JSON path of the offending element (``$`` for the message itself).
    """

    def __init__(self, reason: str, body: Any = None, path: str = "$") -> None:
        super().__init__(reason, body)
        self.path = path


class UnsupportedExchangeError(PulseMessageError):
    """A message arrived from an exchange that no transform knows how to read."""
