"""`wirestream dlq list|replay`: what is in the dead-letter topic, and putting it back.

    wirestream dlq list                               # counts by reason, stages, origins
    wirestream dlq replay --reason not_an_article        # after a fix: back to the origin topic
    wirestream dlq replay --to wire.raw --dry-run     # what would go where

`replay` re-publishes each dead letter's original bytes (`original_base64`) to the topic it
came from (`origin.topic`), or to `--to`, with the original record's key and headers
(dead-letter 1.2.0; for older letters the key is what the origin topic is keyed by: the item's
`story_id` or `routing_key`, else the envelope's source). A header
`ws-replayed-from: <dlq topic>/<partition>/<offset>` traces each replay. Dead letters without
an origin topic (and no `--to`), without original bytes, or whose original was truncated to
fit the topic are skipped and counted, never silently.

Each letter is replayed once: the replays and an entry per letter in the replay ledger
(`wire.dlq-replays`, compacted, keyed by `<dlq topic>/<partition>/<offset>`) are written in
one transaction, and a later `replay` skips letters the ledger names (`--again` replays them
anyway). A replay that fails again is a new dead letter, replayed by the next `replay`.

`replay` exits with status 1 when it skipped any chosen letter, 2 for an unknown `--reason`.
Both read the topic from its start to the end as it is when the command starts
(`read_committed`, no consumer group).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError

from wirestream.core.clients import command_settings, quiet_client_logs, read_topic
from wirestream.core.config import Settings, add_settings_arguments
from wirestream.core.envelope import format_rfc3339
from wirestream.core.records import Reason
from wirestream.core.runtime.codec import HEADER_REPLAYED_FROM

TRUNCATED_MARK = "(original truncated to"
# Every reason a dead letter can carry, and `unreadable` for a DLQ record that is not one.
KNOWN_REASONS = frozenset({*(reason.value for reason in Reason), "unreadable"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="dead letters summarized by reason")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    replay = actions.add_parser("replay", help="re-publish original bytes after a fix")
    replay.add_argument("--reason", action="append", help="only this reason (repeatable)")
    replay.add_argument("--stage", action="append", help="only from this stage (repeatable)")
    replay.add_argument("--to", metavar="TOPIC", help="publish here instead of the origin topic")
    replay.add_argument("--dry-run", action="store_true", help="say what would be replayed")
    replay.add_argument(
        "--again", action="store_true", help="also letters the replay ledger says were replayed"
    )
    for command in (listing, replay):
        command.add_argument("--topic", help="dead-letter topic (default: wire.dlq)")
        add_settings_arguments(command)


@dataclass(frozen=True, slots=True)
class Letter:
    """One record of the dead-letter topic, where it sits, and its parsed body (None when
    the record is not a JSON object)."""

    partition: int
    offset: int
    record: dict[str, Any] | None

    @property
    def reason(self) -> str:
        return str(self.record.get("reason")) if self.record else "unreadable"


@dataclass(slots=True)
class ReasonSummary:
    count: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    origins: Counter[str] = field(default_factory=Counter)
    last_failed_at: str = ""
    example: str = ""

    def add(self, letter: Letter) -> None:
        record = letter.record or {}
        self.count += 1
        self.stages[str(record.get("stage"))] += 1
        self.origins[str((record.get("origin") or {}).get("topic"))] += 1
        failed_at = str(record.get("failed_at") or "")
        if failed_at >= self.last_failed_at:
            self.last_failed_at = failed_at
            self.example = str(record.get("message") or "")


def summarize(letters: Iterable[Letter]) -> dict[str, ReasonSummary]:
    summaries: dict[str, ReasonSummary] = defaultdict(ReasonSummary)
    for letter in letters:
        summaries[letter.reason].add(letter)
    return dict(sorted(summaries.items(), key=lambda kv: -kv[1].count))


def replay_key(original: bytes, source: str | None) -> bytes | None:
    """The key the original had on its topic: `story_id` (wire.unique), `routing_key`
    (wire.items), else the envelope's source (wire.raw)."""
    try:
        document = orjson.loads(original)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        for name in ("story_id", "routing_key", "source"):
            value = document.get(name)
            if isinstance(value, str) and value:
                return value.encode()
    return source.encode() if source else None


@dataclass(frozen=True, slots=True)
class Replay:
    """Where one dead letter goes back to, or why it cannot."""

    letter: Letter
    topic: str | None = None
    key: bytes | None = None
    value: bytes = b""
    skipped: str | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def original_key_and_headers(
    record: dict[str, Any], original: bytes
) -> tuple[bytes | None, tuple[tuple[str, bytes], ...]]:
    """The key and headers the original record had (dead-letter 1.2.0), else the key its
    topic is keyed by; a previous replay's trace header is left out (the replay adds its own)."""
    encoded_key = record.get("original_key_base64")
    if encoded_key is not None:
        key = base64.b64decode(encoded_key, validate=True)
    else:  # an older letter, or one not read from Kafka (a producer's file of rejections)
        key = replay_key(original, record.get("source"))
    headers = tuple(
        (header["name"], base64.b64decode(header["value_base64"]))
        for header in record.get("original_headers") or ()
        if header["name"] != HEADER_REPLAYED_FROM
    )
    return key, headers


def plan_replay(letter: Letter, to: str | None) -> Replay:
    record = letter.record
    if record is None:
        return Replay(letter, skipped="not a dead-letter record")
    topic = to or (record.get("origin") or {}).get("topic")
    if not topic:
        return Replay(letter, skipped="no origin topic (give --to)")
    if TRUNCATED_MARK in str(record.get("message") or ""):
        return Replay(letter, skipped="original was truncated")
    try:
        original = base64.b64decode(record.get("original_base64") or "", validate=True)
    except (binascii.Error, ValueError):
        return Replay(letter, skipped="original_base64 is not base64")
    if not original:
        return Replay(letter, skipped="no original bytes")
    try:
        key, headers = original_key_and_headers(record, original)
    except (binascii.Error, ValueError, KeyError, TypeError):
        return Replay(letter, skipped="original key or headers are not readable")
    return Replay(letter, topic, key, original, headers=headers)


def selected(letter: Letter, reasons: list[str] | None, stages: list[str] | None) -> bool:
    record = letter.record or {}
    return (not reasons or letter.reason in reasons) and (
        not stages or record.get("stage") in stages
    )


async def read_letters(settings: Settings, topic: str) -> list[Letter]:
    """Every committed record of the topic, from its start to its end when this began."""
    records = await read_topic(settings, topic)
    if records is None:
        raise SystemExit(f"wirestream dlq: topic {topic} does not exist")
    return [_letter(record) for record in records]


def _letter(record: ConsumerRecord) -> Letter:
    try:
        value = orjson.loads(record.value)
    except orjson.JSONDecodeError:
        value = None
    return Letter(record.partition, record.offset, value if isinstance(value, dict) else None)


async def replayed_letters(settings: Settings, ledger: str) -> set[str]:
    """The letters (`<dlq>/<partition>/<offset>`) the replay ledger says were replayed."""
    records = await read_topic(settings, ledger)
    if records is None:
        raise SystemExit(
            f"wirestream dlq: the replay ledger {ledger} does not exist"
            " (create it with `wirestream topics create`)"
        )
    return {record.key.decode() for record in records if record.key and record.value}


async def replay(settings: Settings, dlq_topic: str, plans: list[Replay]) -> int:
    """Publish the planned replays and their ledger entries in one transaction: all of them
    or, after a crash, none; the number replayed."""
    producer = AIOKafkaProducer(
        **settings.producer_kwargs(),
        max_request_size=2**21,
        transactional_id=f"{settings.group}.{dlq_topic}",
    )
    await producer.start()
    ledger = settings.topics.dlq_replays
    try:
        async with producer.transaction():
            for plan in plans:
                trace = _trace(dlq_topic, plan.letter)
                headers = [*plan.headers, (HEADER_REPLAYED_FROM, trace)]
                await producer.send(plan.topic, plan.value, key=plan.key, headers=headers)
                entry = {"to": plan.topic, "replayed_at": format_rfc3339(datetime.now(UTC))}
                await producer.send(ledger, orjson.dumps(entry), key=trace)
    finally:
        await producer.stop()
    return len(plans)


def _trace(topic: str, letter: Letter) -> bytes:
    return f"{topic}/{letter.partition}/{letter.offset}".encode()


def run(args: argparse.Namespace) -> int:
    settings = command_settings(args, "dlq")
    quiet_client_logs()
    try:
        return _run(args, settings)
    except KafkaError as error:
        print(f"wirestream dlq: {settings.bootstrap}: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    topic = args.topic or settings.topics.dlq
    if args.action == "replay" and (unknown := sorted(set(args.reason or ()) - KNOWN_REASONS)):
        print(
            f"wirestream dlq: unknown reason {', '.join(unknown)}; known reasons:"
            f" {', '.join(sorted(KNOWN_REASONS))}",
            file=sys.stderr,
        )
        return 2
    letters = asyncio.run(read_letters(settings, topic))
    if args.action == "list":
        _print_summary(summarize(letters), args.format)
        return 0
    chosen = [letter for letter in letters if selected(letter, args.reason, args.stage)]
    if not args.again:
        done = asyncio.run(replayed_letters(settings, settings.topics.dlq_replays))
        before = len(chosen)
        chosen = [letter for letter in chosen if _trace(topic, letter).decode() not in done]
        if before > len(chosen):
            print(f"skipping {before - len(chosen)} already replayed (--again replays them)")
    plans = [plan_replay(letter, args.to) for letter in chosen]
    ready = [plan for plan in plans if plan.skipped is None]
    for plan in plans:
        if plan.skipped is not None:
            where = f"{topic}/{plan.letter.partition}/{plan.letter.offset}"
            print(f"wirestream dlq: skipped {where}: {plan.skipped}", file=sys.stderr)
    targets = Counter(plan.topic for plan in ready)
    if args.dry_run:
        print(f"would replay {len(ready)} of {len(chosen)}: {dict(targets)}")
        return 0
    replayed = asyncio.run(replay(settings, topic, ready)) if ready else 0
    skipped = len(plans) - len(ready)
    print(f"replayed {replayed} of {len(chosen)} dead letters: {dict(targets)}; {skipped} skipped")
    return 1 if skipped else 0


def _print_summary(summaries: dict[str, ReasonSummary], form: str) -> None:
    if form == "json":
        rows = [
            {
                "reason": reason,
                "count": s.count,
                "stages": dict(s.stages),
                "origins": dict(s.origins),
                "last_failed_at": s.last_failed_at,
                "example": s.example,
            }
            for reason, s in summaries.items()
        ]
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    print(f"{'reason':<18} {'count':>6}  {'stages':<24} {'last failed':<24} example")
    for reason, s in summaries.items():
        stages = ",".join(sorted(s.stages))
        print(f"{reason:<18} {s.count:>6}  {stages:<24} {s.last_failed_at:<24} {s.example[:60]}")
    print(f"{'total':<18} {sum(s.count for s in summaries.values()):>6}")
