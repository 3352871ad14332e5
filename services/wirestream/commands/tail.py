"""`wirestream tail`: follow `wire.normalized` (or any item topic) and print the items.

    wirestream tail                              # new items from now on, one line each
    wirestream tail --from-beginning --format ndjson --max 10 --timeout 30 > items.ndjson
    wirestream tail --format ninjs               # the items as IPTC ninjs 3.x, one per line

`--topic wire.dlq` follows the dead letters instead. Reads `read_committed`, as downstream
consumers do, without a consumer group (nothing is
committed). `--max N` stops after N items, `--timeout S` after S seconds without a new one;
the exit status is 1 when `--max` was not reached, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from wirestream.core.clients import command_settings, quiet_client_logs
from wirestream.core.config import Settings, add_settings_arguments
from wirestream.deduplicator.changes import summary
from wirestream.ninjs import to_ninjs

LINE_WIDTH = 120


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", help="topic to follow (default: the normalized topic)")
    parser.add_argument(
        "--format",
        choices=("pretty", "ndjson", "ninjs"),
        default="pretty",
        help="ninjs: each normalized item as an IPTC ninjs 3.x object, one per line",
    )
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest item")
    parser.add_argument("--max", type=int, metavar="N", help="stop after N items")
    parser.add_argument("--timeout", type=float, metavar="S", help="stop after S idle seconds")
    add_settings_arguments(parser)


def item_line(item: Any, width: int = LINE_WIDTH) -> str:
    """One line per item: dedup status, story id, version, dateline, then the headline (or the
    teaser's opening words), cut to `width`; an update adds a line with its changes
    (`changes_line`). Dead-letter records get `dead_letter_line`."""
    if not isinstance(item, dict):
        return f"{'?':<9} not an item: {str(item)[: width - 23]}"
    if "original_base64" in item:
        return dead_letter_line(item, width)
    dedup = item.get("dedup") or {}
    dateline = (item.get("dateline") or {}).get("raw") or "-"
    text = item.get("headline") or item.get("body_text") or ""
    head = (
        f"{dedup.get('status', '-'):<9} {str(item.get('story_id', '-'))[:12]:<12}"
        f" v{item.get('version', '-'):<2} {dateline[:24]:<24} | "
    )
    line = (head + " ".join(text.split()))[:width]
    if "changes" in item:
        return f"{line}\n{changes_line(item, width)}"
    return line


def changes_line(item: dict[str, Any], width: int = LINE_WIDTH) -> str:
    """`          update v3: dodental 12 → 27; +1 paragraph`, under the update's item line."""
    changes = item["changes"]
    what = summary(changes) if changes is not None else "changes unknown"
    return f"{'':<10}update v{item.get('version', '-')}: {what}"[:width]


def dead_letter_line(letter: dict[str, Any], width: int = LINE_WIDTH) -> str:
    """`DLQ`, the reason, the stage that gave up, and its message."""
    head = f"{'DLQ':<9} {letter.get('reason', '?'):<16} {letter.get('stage', '?'):<12} | "
    return (head + " ".join(str(letter.get("message", "")).split()))[:width]


def record_line(record: ConsumerRecord, form: str) -> str:
    """The printed form of one record: its value as is (ndjson) or its item line (pretty)."""
    if form == "ndjson":
        return record.value.decode("utf-8", errors="replace")
    try:
        if form == "ninjs":
            return orjson.dumps(to_ninjs(orjson.loads(record.value))).decode()
        return item_line(orjson.loads(record.value))
    except orjson.JSONDecodeError:
        return f"{'?':<9} offset {record.partition}/{record.offset}: not JSON"
    except (KeyError, TypeError, AttributeError):
        return f"{'?':<9} offset {record.partition}/{record.offset}: not a normalized item"


def run(args: argparse.Namespace) -> int:
    settings = command_settings(args, "tail")
    quiet_client_logs()
    try:
        return asyncio.run(tail(settings, args, sys.stdout))
    except KafkaError as error:
        print(f"wirestream tail: {settings.bootstrap}: {error}", file=sys.stderr)
        return 1


async def tail(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    topic = args.topic or settings.topics.normalized
    consumer = AIOKafkaConsumer(
        topic,
        **settings.client_kwargs(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await consumer.start()
    except KafkaError:
        await consumer.stop()
        raise
    printed = 0
    last_seen = time.monotonic()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for record in (r for records in batches.values() for r in records):
                print(record_line(record, args.format), file=out)
                printed += 1
                last_seen = time.monotonic()
                if args.max is not None and printed >= args.max:
                    return 0
            out.flush()
            if args.timeout is not None and time.monotonic() - last_seen > args.timeout:
                break
    finally:
        out.flush()
        await consumer.stop()
    return 1 if args.max is not None and printed < args.max else 0
