"""Records that flow between stages, independent of Kafka.

A stage turns one input into a list of outcomes: `Emit` (an item for the next topic, with its
message key) or `DeadLetter` (a rejected input with its reason and original bytes).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEAD_LETTER_SCHEMA_VERSION = "1.3.0"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an input record came from: enough to trace it back to its offset."""

    topic: str | None = None
    partition: int = 0
    offset: int | None = None
    timestamp_ms: int | None = None  # the Kafka record timestamp, for end-to-end latency


class Reason(StrEnum):
    """Dead-letter reason codes: stable, low-cardinality, safe as a metric label."""

    EMPTY = "empty"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    OVERSIZE = "oversize"
    INVALID_ENVELOPE = "invalid_envelope"
    NO_DATELINE = "no_dateline"  # no longer written (1.3.0): an article without one is news
    NO_ITEMS = "no_items"
    INVALID_ITEM = "invalid_item"
    STAGE_ERROR = "stage_error"
    # Agency formats (1.1.0): an XML bomb or external entity, broken XML, an unknown root.
    UNSAFE_XML = "unsafe_xml"
    MALFORMED_XML = "malformed_xml"
    UNKNOWN_FORMAT = "unknown_format"
    # 1.3.0: a cookie wall, consent banner, error or login page, or an empty shell.
    NOT_AN_ARTICLE = "not_an_article"


@dataclass(frozen=True, slots=True)
class Emit:
    """An item for the stage's output topic. `key` is the Kafka message key."""

    key: str
    item: dict[str, Any]
    publish: bool = True  # False for dedup duplicates unless the caller asks for them
    decision: str | None = None  # the deduplication decision (new, update, ...), counted


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected input: why, and the original bytes so it can be replayed after a fix."""

    reason: Reason
    message: str
    original: bytes
    stage: str
    origin: Origin = field(default_factory=Origin)
    source: str | None = None  # the envelope's source, when it could be read
    # The original record's key and headers (1.2.0): a replay lands where the original did.
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    def to_record(self, failed_at: str) -> dict[str, Any]:
        """The dead-letter record as published (schemas/dead-letter.v1.json)."""
        return {
            "schema_version": DEAD_LETTER_SCHEMA_VERSION,
            "reason": self.reason.value,
            "message": self.message,
            "stage": self.stage,
            "failed_at": failed_at,
            "source": self.source,
            "origin": {
                "topic": self.origin.topic,
                "partition": self.origin.partition,
                "offset": self.origin.offset,
            },
            "original_base64": _base64(self.original),
            "original_key_base64": None if self.key is None else _base64(self.key),
            "original_headers": [
                {"name": name, "value_base64": _base64(value)} for name, value in self.headers
            ],
        }


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


Outcome = Emit | DeadLetter
