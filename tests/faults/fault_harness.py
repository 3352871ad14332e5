"""What the fault tests share: a labelled raw corpus and what a correct pipeline makes of it,
the three services as `wirestream serve` subprocesses, and the accounting of every raw record
(its items on the output, or its dead letter) after a fault.

The expectation is computed in-process with the same stages and the same partitioning
(aiokafka's default partitioner on the routing key), so it is what one uninterrupted
instance of each service writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2

from integration.service_harness import (
    ServeProcess,
    TopicReader,
    caught_up,
    produce,
    service_env,
)
from wirestream.core.records import DeadLetter, Emit, Origin
from wirestream.core.topics import PipelineTopics
from wirestream.deduplicator import Deduplicator
from wirestream.enricher import Enricher
from wirestream.generator import generate
from wirestream.normalizer import Normalizer

SERVICES = ("normalizer", "deduplicator", "enricher")
# The broker's default record limit: the corpus' deliberately oversize page cannot be written.
MAX_RAW_BYTES = 900_000
CATCH_UP_S = 120.0
# Raw records of the runs at volume: CI's short default, or what `make test-cluster` and
# `make chaos` ask for.
RECORDS_ENV = "WIRESTREAM_FAULT_RECORDS"


# The services' enricher chain in the fault runs (`WIRESTREAM_ENRICHERS`'s names): all by
# default; a run at volume may leave out the entity model, whose CRF bounds the throughput
# of two shared cores (the run's note says so).
ENRICHERS_ENV = "WIRESTREAM_FAULT_ENRICHERS"


def fault_records(default: int) -> int:
    return int(os.environ.get(RECORDS_ENV) or default)


def fault_chain() -> dict[str, str]:
    """The services' `WIRESTREAM_ENRICHERS` for this run, when `WIRESTREAM_FAULT_ENRICHERS`
    names a chain."""
    names = os.environ.get(ENRICHERS_ENV, "").strip()
    return {"WIRESTREAM_ENRICHERS": names} if names else {}


def raw_corpus(seed: int, stories: int) -> list[bytes]:
    """Generated raw envelopes in arrival order, bad inputs included (not the oversize one,
    which no producer can write to the topic)."""
    return [r for r in generate(seed, stories).records() if len(r) <= MAX_RAW_BYTES]


def raw_corpus_of(seed: int, records: int) -> list[bytes]:
    """The first `records` raw envelopes of a corpus large enough to hold them."""
    raw = raw_corpus(seed, records)  # a story yields one raw record or more
    if len(raw) < records:
        raise ValueError(f"corpus of {len(raw)} raw records, {records} wanted")
    return raw[:records]


def partition_of(key: str, partitions: int) -> int:
    """Where aiokafka's default partitioner puts a keyed record."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def decision(item: dict) -> tuple:
    return item["dedup"]["status"], item["story_id"], item["version"]


@dataclass
class Expectation:
    """What the services must write for `raw` (one raw partition, in order)."""

    raw: list[bytes]
    items: list[tuple[int, Emit]] = field(default_factory=list)  # (wire.items partition, item)
    unique: dict[str, tuple] = field(default_factory=dict)  # published id -> decision
    letters: Counter[tuple[str, int]] = field(default_factory=Counter)  # (stage, raw offset)

    @property
    def item_ids(self) -> list[str]:
        return [emit.item["id"] for _, emit in self.items]


def expect(
    raw: Sequence[bytes], raw_topic: str, partitions: int, pipeline: bool = False
) -> Expectation:
    """`pipeline`: as `serve pipeline` decides, with the dedup state of the one raw partition
    (not per wire.items partition)."""
    expected = Expectation(list(raw))
    # The enricher dead-letters an item only for its own checks (a routing key, readable
    # text), which run whatever its chain; an enricher that fails marks the item and keeps
    # it. So the empty chain decides every dead letter as the services' full chain does,
    # without the entity model's cost (most of the reference run at volume).
    normalizer, deduplicator, enricher = Normalizer(), Deduplicator(), Enricher(enrichers=[])
    for offset, value in enumerate(raw):
        for outcome in normalizer.process(value, Origin(raw_topic, 0, offset)):
            if isinstance(outcome, DeadLetter):
                expected.letters["normalizer", offset] += 1
            else:
                partition = 0 if pipeline else partition_of(outcome.key, partitions)
                expected.items.append((partition, outcome))
    for partition, emit in expected.items:
        (outcome,) = deduplicator.process(emit.item, Origin(partition=partition))
        raw_offset = emit.item["provenance"]["offset"]
        if isinstance(outcome, DeadLetter):
            expected.letters["deduplicator", raw_offset] += 1
        elif outcome.publish:
            (enriched,) = enricher.process(outcome.item, Origin(partition=partition))
            if isinstance(enriched, DeadLetter):
                expected.letters["enricher", raw_offset] += 1
            else:
                expected.unique[outcome.item["id"]] = decision(outcome.item)
    return expected


@dataclass(frozen=True)
class Account:
    """Every expected record found once, missing, or found more than once."""

    expected: int
    written: int
    lost: int
    duplicated: int
    missing: list = field(default_factory=list)

    @classmethod
    def of(cls, expected: Iterable, written: Iterable) -> Account:
        want, got = Counter(expected), Counter(written)
        missing = sorted((want - got).elements(), key=str)
        extra = got - want
        return cls(
            sum(want.values()), sum(got.values()), len(missing), sum(extra.values()), missing
        )


def letter_key(record: ConsumerRecord) -> tuple[str, int]:
    """(stage, raw offset) of a dead letter: the raw record it descends from is traced in
    its headers."""
    offset = int(dict(record.headers)["ws-source-offset"])
    return orjson.loads(record.value)["stage"], offset


@dataclass(frozen=True)
class FaultResult:
    """One row of the README table."""

    fault: str
    records_in: int
    expected_out: int
    records_out: int
    lost: int
    duplicated: int
    note: str = ""

    @classmethod
    def of(cls, fault: str, records_in: int, accounts: Iterable[Account], note: str) -> FaultResult:
        """A row from the accounts of every output (items, dead letters) summed."""
        accounts = list(accounts)
        return cls(
            fault,
            records_in,
            sum(a.expected for a in accounts),
            sum(a.written for a in accounts),
            sum(a.lost for a in accounts),
            sum(a.duplicated for a in accounts),
            note,
        )


@dataclass(frozen=True)
class RunOutcome:
    """What a run wrote, accounted against its expectation."""

    items: Account
    letters: Account
    decisions_differ: int  # items written with another status, story or version

    @property
    def accounts(self) -> tuple[Account, Account]:
        return self.items, self.letters

    def assert_exact(self) -> None:
        """Exactly once: nothing lost, nothing doubled, every decision as expected."""
        assert self.items.lost == self.letters.lost == 0, (self.items.missing[:10], self.letters)
        assert self.items.duplicated == self.letters.duplicated == 0
        assert self.decisions_differ == 0


async def run_outcome(bootstrap: str, topics: PipelineTopics, expected: Expectation) -> RunOutcome:
    """The final output and the DLQ now, by item id and by (stage, raw offset)."""
    out = await read_all(bootstrap, topics.normalized)
    dlq = await read_all(bootstrap, topics.dlq)
    got = {item["id"]: decision(item) for item in (orjson.loads(r.value) for r in out)}
    differ = sum(got[i] != d for i, d in expected.unique.items() if i in got)
    return RunOutcome(
        Account.of(list(expected.unique), ids(out)),
        Account.of(expected.letters.elements(), map(letter_key, dlq)),
        differ,
    )


@dataclass
class Services:
    """The three services as subprocesses on one topic set."""

    bootstrap: str
    topics: PipelineTopics
    guarantee: str = "exactly_once"
    batch_sizes: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=fault_chain)
    running: dict[str, ServeProcess] = field(default_factory=dict)
    stopped: list[ServeProcess] = field(default_factory=list)

    def group(self, service: str) -> str:
        return f"{self.topics.raw}.{service}"

    def env(self, service: str) -> dict[str, str]:
        env = service_env(self.bootstrap, self.topics, service)
        env["WIRESTREAM_GUARANTEE"] = self.guarantee
        env["WIRESTREAM_BATCH_SIZE"] = str(self.batch_sizes.get(service, 100))
        return env | self.extra_env

    async def start(self, service: str, instance: str | None = None) -> ServeProcess:
        """Start `service`, known as `instance` (default: the service's name)."""
        process = ServeProcess([service], self.env(service))
        await process.start()
        self.running[instance or service] = process
        return process

    async def kill(self, instance: str) -> None:
        process = self.running.pop(instance)
        await process.kill()
        self.stopped.append(process)

    async def stop_all(self) -> None:
        for instance, process in list(self.running.items()):
            assert process.process is not None
            if process.process.returncode is None:
                process.process.terminate()
            with contextlib.suppress(TimeoutError):
                await process.wait(timeout=30)
            if process.process.returncode is None:
                await process.kill()
            self.stopped.append(self.running.pop(instance))

    def logs(self) -> list[dict]:
        return [line for p in [*self.stopped, *self.running.values()] for line in p.lines]

    async def finished(self, timeout: float = CATCH_UP_S, which: Sequence[str] = SERVICES) -> None:
        """Every service (of `which`) has committed past everything its upstream committed."""
        inputs = {
            "normalizer": self.topics.raw,
            "deduplicator": self.topics.items,
            "enricher": self.topics.unique,
            "pipeline": self.topics.raw,
        }
        for service in which:
            try:
                await caught_up(self.bootstrap, self.group(service), inputs[service], timeout)
            except AssertionError as behind:
                # A service that exited is the likeliest cause: say so with its last words.
                last = {
                    name: [line for line in p.lines if line.get("level") != "info"][-5:]
                    for name, p in self.running.items()
                    if p.process is not None and p.process.returncode is not None
                }
                raise AssertionError(
                    f"{behind}; exited: {self.exited()}; last lines: {last}"
                ) from behind

    def exited(self) -> dict[str, int]:
        """Instances that are no longer running although nobody stopped them: name -> code."""
        return {
            name: p.process.returncode
            for name, p in self.running.items()
            if p.process is not None and p.process.returncode is not None
        }


@contextlib.asynccontextmanager
async def services(
    bootstrap: str, topics: PipelineTopics, **options: object
) -> AsyncIterator[Services]:
    running = Services(bootstrap, topics, **options)  # type: ignore[arg-type]
    try:
        yield running
    finally:
        await running.stop_all()


async def paced(bootstrap: str, topic: str, raw: Sequence[bytes], chunks: int, pause: float):
    """Write `raw` in `chunks` slices with a pause between them, so the stream goes on while
    a fault is injected."""
    size = -(-len(raw) // chunks)
    for start in range(0, len(raw), size):
        await produce(bootstrap, topic, [(b"wire", value) for value in raw[start : start + size]])
        await asyncio.sleep(pause)


async def produce_all(bootstrap: str, topic: str, raw: Sequence[bytes]) -> None:
    """Write `raw` in order, pipelined (an idempotent producer keeps the order and writes
    every record once), for runs at volume."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=1_048_576,
        max_request_size=MAX_RAW_BYTES + 65_536,
    )
    await producer.start()
    try:
        for start in range(0, len(raw), 1_000):
            sent = [await producer.send(topic, v, key=b"wire") for v in raw[start : start + 1_000]]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def partition_leaders(bootstrap: str, topics: Iterable[str]) -> Counter[int]:
    """How many partitions of `topics` each broker leads."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return Counter(p["leader"] for t in described for p in t["partitions"])


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Everything committed on `topic` now, as a `read_committed` consumer sees it."""
    async with TopicReader(bootstrap, topic) as reader:
        return list(await reader.drain())


async def wait_until(count: int, reader: TopicReader, timeout: float = CATCH_UP_S) -> None:
    deadline = time.monotonic() + timeout
    while len(reader.records) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{reader.topic}: {len(reader.records)} of {count} records")
        await reader.poll()


def ids(records: Iterable[ConsumerRecord]) -> list[str]:
    return [orjson.loads(r.value)["id"] for r in records]
