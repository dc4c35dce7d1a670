"""Publish JSON messages to a Pulse exchange (``treeherder publish-to-pulse``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kombu
import orjson

from .listener import ensure_topic_exchange


def read_messages(path: Path) -> list[Any]:
    """Read the messages of a file: a JSON array (one message per item), one JSON value, or JSON Lines."""
    data = path.read_bytes()
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return [orjson.loads(line) for line in data.splitlines() if line.strip()]
    return parsed if isinstance(parsed, list) else [parsed]


def publish_messages(url: str, exchange: str, routing_key: str, messages: Iterable[Any]) -> int:
    """Publish each message as persistent JSON to topic exchange ``exchange``; return the count.

    The exchange is declared (durable, topic) when it does not exist yet. Publishing
    waits for the broker's confirmation, so a returned count means the messages are
    with the broker.
    """
    count = 0
    with kombu.Connection(url, transport_options={"confirm_publish": True}) as connection:
        connection.connect()
        ensure_topic_exchange(connection, exchange)
        with connection.channel() as channel:
            producer = kombu.Producer(channel)
            for message in messages:
                producer.publish(
                    orjson.dumps(message),
                    exchange=exchange,
                    routing_key=routing_key,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                )
                count += 1
    return count
