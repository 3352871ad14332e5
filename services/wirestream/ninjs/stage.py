"""The ninjs stage: `wire.normalized` → `wire.ninjs`, one ninjs 3.x object per story version,
keyed by story id (a compacted topic keeps each story's latest version)."""

from __future__ import annotations

from typing import Any

import orjson

from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.ninjs.mapping import to_ninjs


class NinjsWriter:
    """`Stage`: a normalized item in, its ninjs object out (or a dead letter). Never raises."""

    name = "ninjs"

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        try:
            if not isinstance(record, dict):
                raise TypeError(f"record is a {type(record).__name__}, not an item")
            return [Emit(record["story_id"], to_ninjs(record))]
        except (KeyError, TypeError, AttributeError) as error:
            message = f"not a normalized item: {type(error).__name__}: {error}"
            return [DeadLetter(Reason.INVALID_ITEM, message, _bytes(record), self.name, origin)]


def _bytes(record: Any) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:
        return repr(record).encode("utf-8", "replace")
