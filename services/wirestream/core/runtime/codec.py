"""How the runtime reads records and traces them: decoding an input record's value for the
first stage, and the `ws-*` headers every record the services write carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from wirestream.core.records import Reason

# Tracing headers on every record the services write.
HEADER_SCHEMA_VERSION = "ws-schema-version"
HEADER_SOURCE_TOPIC = "ws-source-topic"
HEADER_SOURCE_PARTITION = "ws-source-partition"
HEADER_SOURCE_OFFSET = "ws-source-offset"
HEADER_SOURCE_TIMESTAMP = "ws-source-timestamp"  # raw record timestamp, ms since the epoch
# On a record `wirestream dlq replay` wrote back to its source topic: dlq topic/partition/offset.
HEADER_REPLAYED_FROM = "ws-replayed-from"


class DecodeError(ValueError):
    """An input record that is not what the first stage takes; becomes a dead letter."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


Decoder = Callable[[bytes | None], Any]


def raw_bytes(value: bytes | None) -> bytes:
    """The normalizer takes the raw envelope bytes as they are (it dead-letters bad ones)."""
    return value or b""


def item_dict(value: bytes | None) -> dict[str, Any]:
    """Later stages take the item dict a previous stage wrote."""
    if not value:
        raise DecodeError(Reason.EMPTY, "empty record")
    try:
        item = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(Reason.INVALID_ITEM, f"not JSON: {exc}") from None
    if not isinstance(item, dict):
        raise DecodeError(Reason.INVALID_ITEM, f"not a JSON object but {type(item).__name__}")
    return item


@dataclass(frozen=True, slots=True)
class SourceTrace:
    """The raw record an item descends from: taken from the tracing headers of the input
    record when a previous stage wrote them, else the input record itself is the raw one."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None

    @classmethod
    def of(cls, record: ConsumerRecord) -> SourceTrace:
        headers = dict(record.headers or ())
        try:
            return cls(
                headers[HEADER_SOURCE_TOPIC].decode(),
                int(headers[HEADER_SOURCE_PARTITION]),
                int(headers[HEADER_SOURCE_OFFSET]),
                int(headers[HEADER_SOURCE_TIMESTAMP])
                if HEADER_SOURCE_TIMESTAMP in headers
                else None,
            )
        except (KeyError, ValueError, UnicodeDecodeError):
            return cls(record.topic, record.partition, record.offset, record.timestamp)

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            (HEADER_SOURCE_TOPIC, self.topic.encode()),
            (HEADER_SOURCE_PARTITION, str(self.partition).encode()),
            (HEADER_SOURCE_OFFSET, str(self.offset).encode()),
        ]
        if self.timestamp_ms is not None:
            headers.append((HEADER_SOURCE_TIMESTAMP, str(self.timestamp_ms).encode()))
        return headers
