"""`wirestream story STORY_ID`: a story's versions in order, each with what it changed.

    wirestream story 5b0c3e1f9a2d4e67            # one line per version
    wirestream story 5b0c3e1f9a2d4e67 --format ndjson

The history is read from the deduplicator's changelog (`wire.dedup-changelog`): every
remembered version is one record there, and an update's record carries its `changes`. That
is the deduplicator's own state, written in the same transaction as its output, so the
history is exactly what the deduplicator decided — no second topic to keep consistent, no
extra write per item. It covers the dedup window (72 h by default): older versions have left
the state. A story's versions can sit in any changelog partition's records, so all are read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from aiokafka.errors import KafkaError

from wirestream.core.clients import command_settings, quiet_client_logs, read_topic
from wirestream.core.config import add_settings_arguments
from wirestream.deduplicator import state
from wirestream.deduplicator.changes import summary, unpack


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("story_id", help="the story's id (its first version's item id)")
    parser.add_argument("--format", choices=("pretty", "ndjson"), default="pretty")
    add_settings_arguments(parser)


def story_versions(
    records: Iterable[tuple[int, bytes | None, bytes | None]], story_id: str
) -> list[state.EntryRecord]:
    """The remembered versions of `story_id` among changelog records (partition, key,
    value), oldest first. Each partition is compacted on its own (keys repeat across
    partitions); a tombstone removes a version that left the window."""
    by_partition: dict[int, list[tuple[bytes, bytes | None]]] = defaultdict(list)
    for partition, key, value in records:
        if key is not None:
            by_partition[partition].append((key, value))
    needle = orjson.dumps(story_id)
    versions = [
        entry
        for partition_records in by_partition.values()
        for key, value in state.compact(partition_records).items()
        if state.is_entry_key(key) and needle in value
        for entry in [state.decode_entry(key, value)]
        if entry.story_id == story_id
    ]
    return sorted(versions, key=lambda entry: entry.version)


def version_line(entry: state.EntryRecord) -> str:
    """`v2  2026-01-30 10:40Z  update  dodental 12 → 27; +1 paragraph`."""
    when = datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%d %H:%MZ")
    if entry.version == 1:
        headline = unpack(entry.content).headline if entry.content else None
        what = f"new     {entry.item_id}" + (f"  “{headline}”" if headline else "")
    elif entry.changes:
        what = f"update  {summary(orjson.loads(entry.changes))}"
    else:
        what = "update  (changes unknown: decided before versions kept their text)"
    return f"v{entry.version:<3} {when}  {what}"


def version_record(entry: state.EntryRecord) -> bytes:
    return orjson.dumps(
        {
            "story_id": entry.story_id,
            "version": entry.version,
            "item_id": entry.item_id,
            "time": datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "changes": orjson.Fragment(entry.changes) if entry.changes else None,
        }
    )


def run(args: argparse.Namespace) -> int:
    settings = command_settings(args, "story")
    quiet_client_logs()
    topic = settings.topics.dedup_changelog  # --topic-dedup-changelog, --topic-prefix
    try:
        records = asyncio.run(read_topic(settings, topic))
    except KafkaError as error:
        print(f"wirestream story: {settings.bootstrap}: {error}", file=sys.stderr)
        return 1
    if records is None:
        print(f"wirestream story: topic {topic} does not exist", file=sys.stderr)
        return 1
    versions = story_versions(((r.partition, r.key, r.value) for r in records), args.story_id)
    if not versions:
        print(
            f"wirestream story: {args.story_id}: no versions in {topic} "
            "(unknown, or older than the dedup window)",
            file=sys.stderr,
        )
        return 1
    for entry in versions:
        if args.format == "ndjson":
            print(version_record(entry).decode())
        else:
            print(version_line(entry))
    return 0
