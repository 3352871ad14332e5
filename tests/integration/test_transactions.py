"""Exactly-once transactions bounded by time as well as by records, on a real broker: under a
backlog, the first outputs of a fetch become visible to a `read_committed` consumer while the
service is still processing the rest of that fetch (transactions commit beside the chain's
processing); without the time bound a transaction still holds at most a fetch's records."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from service_harness import TopicReader, caught_up, fresh_topics, service_settings

from wirestream.core.config import Settings
from wirestream.core.http import Health
from wirestream.core.metrics import Metrics
from wirestream.core.records import Emit, Origin, Outcome
from wirestream.core.runtime.codec import raw_bytes
from wirestream.core.runtime.ownership import OwnedPartition
from wirestream.core.runtime.service import StageService
from wirestream.core.runtime.translate import Binding, Outbox
from wirestream.core.topics import PipelineTopics

pytestmark = pytest.mark.kafka

RECORDS = 20
GATE_S = 30.0  # a deadlock guard: the old one-transaction-per-fetch loop waits it out


class GatedCopy:
    """Copies each record to the output. On the last record of the backlog it blocks the
    service's processing until a reader in another thread has seen an output
    `read_committed`: only outputs committed before the last record was processed can be
    seen then."""

    name = "gated-copy"

    def __init__(self, last: bytes, seen: threading.Event) -> None:
        self._last = last
        self._seen = seen
        self.saw_output_before_the_last_record: bool | None = None

    def process(self, record: bytes, origin: Origin) -> list[Outcome]:
        if record == self._last:
            self.saw_output_before_the_last_record = self._seen.wait(GATE_S)
        item = orjson.loads(record)
        return [Emit(item["id"], item)]


def backlog() -> list[bytes]:
    return [orjson.dumps({"id": f"item-{n:02}", "schema_version": "1.0.0"}) for n in range(RECORDS)]


async def preload(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """The whole backlog committed in one transaction, so one fetch can return all of it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic}.load")
    await producer.start()
    try:
        async with producer.transaction():
            for value in values:
                await producer.send(topic, value, key=b"one-partition")
    finally:
        await producer.stop()


def watch_first_output(bootstrap: str, topic: str, seen: threading.Event) -> threading.Thread:
    """A `read_committed` reader in its own thread and event loop: sets `seen` on its first
    record, so it keeps reading while the service's event loop is blocked."""

    async def read() -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            while not seen.is_set():
                if await consumer.getmany(timeout_ms=100):
                    seen.set()
        finally:
            await consumer.stop()

    thread = threading.Thread(target=asyncio.run, args=(read(),), daemon=True)
    thread.start()
    return thread


async def serve(
    settings: Settings,
    topics: PipelineTopics,
    stage: GatedCopy,
    service_type: type[StageService] = StageService,
) -> Metrics:
    binding = Binding("gated", [stage], raw_bytes, topics.raw, topics.normalized, topics.dlq, None)
    metrics, stop = Metrics(settings.service), asyncio.Event()
    service = service_type(settings, binding, metrics, Health())
    task = asyncio.create_task(service.run(stop))
    try:
        async with TopicReader(settings.bootstrap, topics.normalized) as out:
            await out.until(RECORDS)
            await caught_up(settings.bootstrap, settings.group, topics.raw)
            await out.drain()
            assert [orjson.loads(r.value)["id"] for r in out.records] == [
                f"item-{n:02}" for n in range(RECORDS)
            ]  # each record's output once, in order
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    return metrics


def commits(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("wirestream_commits_total", {"service": "gated"})


def commit_time(metrics: Metrics, sample: str) -> float | None:
    """The commit-time histogram's `count` or `sum`."""
    name = f"wirestream_commit_seconds_{sample}"
    return metrics.registry.get_sample_value(name, {"service": "gated"})


async def test_a_fetch_commits_its_first_outputs_before_its_last_record_is_processed(
    kafka_bootstrap,
):
    """With a record bound far above the backlog and the default time bound, the first
    record is a transaction of its own, committed while the rest of the fetch is processed:
    the first outputs are visible before the fetch is done."""
    topics = await fresh_topics(kafka_bootstrap, "txn-time", partitions=1)
    values = backlog()
    await preload(kafka_bootstrap, topics.raw, values)
    seen = threading.Event()
    reader = watch_first_output(kafka_bootstrap, topics.normalized, seen)
    stage = GatedCopy(values[-1], seen)
    settings = service_settings(kafka_bootstrap, topics, "gated")
    settings = replace(settings, batch_size=10_000)

    metrics = await serve(settings, topics, stage)
    reader.join(GATE_S)

    assert stage.saw_output_before_the_last_record is True
    assert 2 <= commits(metrics) < RECORDS  # the first record alone, then whole slices


async def test_without_the_time_bound_a_transaction_holds_at_most_a_fetch(kafka_bootstrap):
    """The record bound alone (an hour's time bound): transactions of at most `batch_size`
    records, however many are processed while one commits."""
    topics = await fresh_topics(kafka_bootstrap, "txn-records", partitions=1)
    values = backlog()
    await preload(kafka_bootstrap, topics.raw, values)
    seen = threading.Event()
    seen.set()  # nothing to wait for: the gate opens at once
    settings = service_settings(kafka_bootstrap, topics, "gated")
    settings = replace(
        settings, batch_size=4, transaction_ms=3_600_000, transaction_max_ms=3_600_000
    )

    metrics = await serve(settings, topics, GatedCopy(values[-1], seen))

    assert commits(metrics) >= RECORDS / 4
    # Every committed transaction timed, each one taking a round trip or more to the broker.
    assert commit_time(metrics, "count") == commits(metrics)
    assert commit_time(metrics, "sum") > commits(metrics) * 0.0005


class FailsAfterItsFirstCommit(StageService):
    """A bug in the bookkeeping after a transaction has committed (metrics, logs), once."""

    failed = False

    def _committed(self, owned: OwnedPartition, outbox: Outbox, seconds: float) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("bookkeeping after the commit")
        super()._committed(owned, outbox, seconds)


async def test_a_failure_after_a_commit_rolls_the_partition_back_and_loses_nothing(
    kafka_bootstrap,
):
    """The failure is the service's to report (counted, logged) and the partition starts
    again from its last commit: every record's output once, in order (`serve` checks)."""
    topics = await fresh_topics(kafka_bootstrap, "txn-after", partitions=1)
    values = backlog()
    await preload(kafka_bootstrap, topics.raw, values)
    seen = threading.Event()
    seen.set()
    settings = replace(service_settings(kafka_bootstrap, topics, "gated"), batch_size=4)

    metrics = await serve(settings, topics, GatedCopy(values[-1], seen), FailsAfterItsFirstCommit)

    suspended = metrics.registry.get_sample_value(
        "wirestream_broker_retries_total", {"service": "gated", "error": "RuntimeError"}
    )
    assert suspended == 1
