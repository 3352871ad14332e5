"""The byte format of a partition's dedup state: changelog records and snapshots.

State is a set of key/value records, so it maps onto a compacted Kafka changelog topic (one
changelog partition per input partition): one record per remembered item version, a
tombstone (value None) when it leaves the window, and one `meta` record for the partition's
clock. Replaying the records in order rebuilds the state exactly; a snapshot is the same
records, length-prefixed into one blob.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable
from typing import NamedTuple

import orjson

FORMAT_VERSION = 2
META_KEY = b"meta"
_ENTRY_PREFIX = b"e:"
_HEADER = struct.Struct("<BI")  # format version, length of the JSON part
# Format 2 adds the version's changes (in the JSON part) and its packed content.
_HEADER_2 = struct.Struct("<BII")  # format version, JSON length, content length
_LENGTH = struct.Struct("<i")  # record lengths in a snapshot; -1 for a tombstone
_LITTLE_ENDIAN = sys.byteorder == "little"


class StateError(ValueError):
    """A changelog record or snapshot that cannot be read."""


class EntryRecord(NamedTuple):
    """One remembered item version as stored."""

    seq: int
    item_id: str
    story_id: str
    version: int
    time: float
    agencies: tuple[str, ...]
    place: str | None  # the dateline place, folded
    text_key: int  # stable hash of its exact text and place (finds verbatim repeats)
    shingles: bytes  # 32-bit shingle hashes, native byte order, in text order (see `hashes`)
    changes: bytes = b""  # JSON of the version's `changes` record (updates only)
    content: bytes = b""  # its packed content units (`changes.pack`); the story's latest only


class MetaRecord(NamedTuple):
    """The partition's clock: the latest item time seen, and the next entry sequence number."""

    watermark: float
    next_seq: int


def entry_key(seq: int) -> bytes:
    return _ENTRY_PREFIX + str(seq).encode()


def encode_entry(record: EntryRecord) -> bytes:
    head = orjson.dumps(
        [
            record.item_id,
            record.story_id,
            record.version,
            record.time,
            list(record.agencies),
            record.place,
            record.text_key,
            orjson.Fragment(record.changes) if record.changes else None,
        ]
    )
    header = _HEADER_2.pack(FORMAT_VERSION, len(head), len(record.content))
    return header + head + record.content + _little_endian(record.shingles)


def decode_entry(key: bytes, value: bytes) -> EntryRecord:
    """Reads format 2 and format 1 (written before versions kept their changes and content)."""
    try:
        seq = int(key[len(_ENTRY_PREFIX) :])
        version = value[0]
        if version == FORMAT_VERSION:
            _, head_len, content_len = _HEADER_2.unpack_from(value)
            start = _HEADER_2.size
        elif version == 1:
            _, head_len = _HEADER.unpack_from(value)
            start, content_len = _HEADER.size, 0
        else:
            raise StateError(f"unknown state format {version}")
        fields = orjson.loads(value[start : start + head_len])
        item_id, story_id, item_version, time, agencies, place, text_key = fields[:7]
        changes = orjson.dumps(fields[7]) if len(fields) > 7 and fields[7] is not None else b""
        content = value[start + head_len : start + head_len + content_len]
        shingles = _little_endian(value[start + head_len + content_len :])
    except (struct.error, orjson.JSONDecodeError, ValueError, TypeError, IndexError) as exc:
        raise StateError(f"bad entry record {key!r}: {exc}") from exc
    return EntryRecord(
        seq,
        item_id,
        story_id,
        item_version,
        time,
        tuple(agencies),
        place,
        text_key,
        shingles,
        changes,
        content,
    )


def pack_hashes(shingles: Iterable[int]) -> bytes:
    """Shingle hashes as stored: bytes, which (unlike lists or arrays) the garbage collector
    does not track, so a large window costs no collection time."""
    return array("I", shingles).tobytes()


def hashes(shingles: bytes) -> memoryview:
    """The stored shingle hashes as a sequence of ints, without copying."""
    return memoryview(shingles).cast("I")


def _little_endian(shingles: bytes) -> bytes:
    """Native-order hashes to the changelog's little-endian order, and back."""
    if len(shingles) % 4:
        raise ValueError("shingle hashes are not a whole number of 32-bit words")
    if _LITTLE_ENDIAN:
        return bytes(shingles)
    swapped = array("I", shingles)
    swapped.byteswap()
    return swapped.tobytes()


def encode_meta(meta: MetaRecord) -> bytes:
    # No item seen yet: the clock is at minus infinity, which JSON cannot hold.
    watermark = None if meta.watermark == float("-inf") else meta.watermark
    return orjson.dumps({"v": FORMAT_VERSION, "watermark": watermark, "seq": meta.next_seq})


def decode_meta(value: bytes) -> MetaRecord:
    try:
        fields = orjson.loads(value)
        watermark = fields["watermark"]
        return MetaRecord(
            float("-inf") if watermark is None else float(watermark), int(fields["seq"])
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StateError(f"bad meta record: {exc}") from exc


def is_entry_key(key: bytes) -> bool:
    return key.startswith(_ENTRY_PREFIX)


def compact(records: Iterable[tuple[bytes, bytes | None]]) -> dict[bytes, bytes]:
    """The live records after replaying a changelog: the last value per key, minus tombstones."""
    live: dict[bytes, bytes] = {}
    for key, value in records:
        if value is None:
            live.pop(key, None)
        else:
            live[key] = value
    return live


def pack_records(records: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    """Records as one snapshot blob."""
    parts: list[bytes] = []
    for key, value in records:
        parts.append(_LENGTH.pack(len(key)))
        parts.append(key)
        if value is None:
            parts.append(_LENGTH.pack(-1))
        else:
            parts.append(_LENGTH.pack(len(value)))
            parts.append(value)
    return b"".join(parts)


def unpack_records(blob: bytes) -> list[tuple[bytes, bytes | None]]:
    """The records of a snapshot blob."""
    records: list[tuple[bytes, bytes | None]] = []
    view = memoryview(blob)
    offset = 0
    try:
        while offset < len(blob):
            (key_len,) = _LENGTH.unpack_from(view, offset)
            offset += _LENGTH.size
            key = bytes(view[offset : offset + key_len])
            offset += key_len
            (value_len,) = _LENGTH.unpack_from(view, offset)
            offset += _LENGTH.size
            value = None if value_len < 0 else bytes(view[offset : offset + value_len])
            offset += max(value_len, 0)
            if key_len < 0 or offset > len(blob):
                raise StateError("truncated snapshot")
            records.append((key, value))
    except struct.error as exc:
        raise StateError(f"truncated snapshot: {exc}") from exc
    return records
