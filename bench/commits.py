"""What one exactly-once commit costs on the bench's broker: the floor under issue 16's
latency figures.

A partition's transaction in `serve pipeline` is begin, send its messages, add the consumed
offset to the transaction, wait for the acknowledgements, commit (service.py `_commit`).
This part times that sequence phase by phase with the service's producer settings, for
transactions of 1, 8 and 64 messages of an average published item's size, and counts the
broker requests each one took (aiokafka retries `AddPartitionsToTxn` when the previous
transaction's markers are not written yet). Baseline in the same run: the same messages
sent by an idempotent producer without a transaction and acknowledged.

The service retries a transaction's first `AddPartitionsToTxn` after 2 ms when the previous
commit's markers are still being written (`ownership.FIRST_ADD_RETRY_MS`); the same
transactions with aiokafka's own 20 ms there are the baseline for that, timed beside them
(which goes first alternates by size).

Writing a transaction's messages: the client CPU per message of `serve pipeline`'s way
(`sending.enqueue`: record batches built per partition and handed over whole) against
aiokafka's `send` per message (the runtime's way before), one transaction of 2,000 keyed
messages each, interleaved rounds.

A record that arrives while its partition's transaction commits waits for that commit and
then its own, so output latency under a steady stream is at least about one commit cycle and
up to two, before any processing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer import sender
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from bench import endtoend
from bench.endtoend import Broker
from bench.report import progress
from wirestream.core.config import Settings
from wirestream.core.runtime.ownership import FIRST_ADD_RETRY_MS, transactional_producer
from wirestream.core.runtime.sending import acknowledged, enqueue
from wirestream.core.runtime.translate import Message
from wirestream.core.topics import PipelineTopics

SIZES = (1, 8, 64)  # messages per transaction
VALUE = b"x" * 3_000  # about a published item's encoded size
PHASES = ("begin", "send", "offsets", "acknowledged", "commit")
WRITES = 2_000  # messages per transaction when timing the writing alone
SERVICE_RETRY = FIRST_ADD_RETRY_MS / 1000  # the first add's retry, as the service sets it
AIOKAFKA_RETRY = 0.02  # aiokafka's own (`sender.BACKOFF_OVERRIDE` as shipped)
# Keys as the normalizer routes by place: a few hundred places, each recurring.
PLACES = [f"geonames:{2_759_000 + n * 37}".encode() for n in range(300)]


def run(on: Broker, *, quick: bool) -> dict[str, Any]:
    return asyncio.run(_run(on.bootstrap, 30 if quick else 100))


async def _run(bootstrap: str, transactions: int) -> dict[str, Any]:
    topics = endtoend._topics("commits")
    await endtoend._create(bootstrap, topics)
    rows = []
    for number, size in enumerate(SIZES):
        progress(f"commits: {transactions} transactions of {size} message(s) ...")
        timed = {}
        for retry in (SERVICE_RETRY, AIOKAFKA_RETRY)[:: 1 if number % 2 == 0 else -1]:
            with _first_add_retry(retry):
                timed[retry] = await _timed(bootstrap, topics, size, transactions, True)
        transactional, baseline = timed[SERVICE_RETRY], timed[AIOKAFKA_RETRY]
        plain = await _timed(bootstrap, topics, size, transactions, False)
        rows.append(
            {
                "messages": size,
                **transactional,
                "plain_wall_ms": plain["wall_ms"],
                "plain_cpu_ms": plain["cpu_ms"],
                "wall_vs_plain": round(transactional["wall_ms"] / plain["wall_ms"], 1),
                "aiokafka_retry_wall_ms": baseline["wall_ms"],
                "aiokafka_retry_adds": baseline["requests"].get("AddPartitionsToTxn"),
                "wall_vs_aiokafka_retry": round(transactional["wall_ms"] / baseline["wall_ms"], 2),
            }
        )
    writes = []
    for number in range(3):
        progress(f"commits: writing {WRITES} messages, round {number + 1}/3 ...")
        batched = await _written(bootstrap, topics, per_message=False)
        one_by_one = await _written(bootstrap, topics, per_message=True)
        writes.append(
            {
                "round": number + 1,
                "batches_us": batched,
                "send_us": one_by_one,
                "ratio": round(one_by_one / batched, 2),
            }
        )
    retry_ms = {"service": SERVICE_RETRY * 1000, "aiokafka": AIOKAFKA_RETRY * 1000}
    return {"transactions": transactions, "rows": rows, "writes": writes, "retry_ms": retry_ms}


async def _timed(
    bootstrap: str, topics: PipelineTopics, size: int, count: int, transactional: bool
) -> dict[str, Any]:
    """Milliseconds of wall time per round (per phase, transactional) and of this process's
    CPU, and broker requests per transaction; after a few rounds of warm-up."""
    settings = Settings(bootstrap=bootstrap)
    producer = (
        transactional_producer(settings, f"{topics.raw}-commits-{size}")
        if transactional
        else AIOKafkaProducer(**settings.producer_kwargs())
    )
    requests = _count_requests(producer)
    await producer.start()
    phases: Counter[str] = Counter()
    try:
        for number in range(-5, count):  # the first five warm up connections and metadata
            if number == 0:
                phases.clear()
                requests.clear()
                cpu, began = time.process_time(), time.monotonic()
            await _round(producer, topics, size, number, transactional, phases)
        cpu, wall = time.process_time() - cpu, time.monotonic() - began
    finally:
        await producer.stop()
    row: dict[str, Any] = {"wall_ms": _per(wall, count), "cpu_ms": _per(cpu, count)}
    if transactional:
        row.update({f"{phase}_ms": _per(phases[phase], count) for phase in PHASES})
        row["requests"] = {name: round(n / count, 2) for name, n in sorted(requests.items())}
    return row


async def _round(
    producer: AIOKafkaProducer,
    topics: PipelineTopics,
    size: int,
    number: int,
    transactional: bool,
    phases: Counter[str],
) -> None:
    """One transaction as `_commit` makes it, or the same sends without one."""
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        phases[name] += now - mark
        mark = now

    if transactional:
        await producer.begin_transaction()
        phase("begin")
    messages = [Message(topics.normalized, VALUE, b"story", (), 0)] * size
    sends = await enqueue(producer, messages, Settings().max_in_flight)
    if not transactional:
        await acknowledged(sends)
        return
    phase("send")
    offsets = {TopicPartition(topics.raw, 0): OffsetAndMetadata(number + 1, "")}
    await producer.send_offsets_to_transaction(offsets, f"{topics.raw}-commits")
    phase("offsets")
    await acknowledged(sends)
    phase("acknowledged")
    await producer.commit_transaction()
    phase("commit")


async def _written(bootstrap: str, topics: PipelineTopics, *, per_message: bool) -> float:
    """Client CPU µs per message to write `WRITES` keyed messages in one transaction and have
    them acknowledged: by `enqueue`, or by one `send` each."""
    settings = Settings(bootstrap=bootstrap)
    kind = "send" if per_message else "batches"
    producer = transactional_producer(settings, f"{topics.raw}-writes-{kind}")
    await producer.start()
    output = topics.normalized
    messages = [
        Message(output, VALUE, PLACES[n % len(PLACES)], (("schema_version", b"1"),))
        for n in range(WRITES)
    ]
    try:
        await producer.begin_transaction()
        began = time.process_time()
        if per_message:
            sends = [
                await producer.send(output, m.value, key=m.key, headers=list(m.headers))
                for m in messages
            ]
        else:
            sends = await enqueue(producer, messages, settings.max_in_flight)
        await acknowledged(sends)
        cpu = time.process_time() - began
        await producer.commit_transaction()
    finally:
        await producer.stop()
    return round(cpu / WRITES * 1e6, 1)


@contextlib.contextmanager
def _first_add_retry(seconds: float) -> Iterator[None]:
    """aiokafka's retry of a transaction's first add (a module constant) set to `seconds`
    meanwhile."""
    before, sender.BACKOFF_OVERRIDE = sender.BACKOFF_OVERRIDE, seconds
    try:
        yield
    finally:
        sender.BACKOFF_OVERRIDE = before


def _count_requests(producer: AIOKafkaProducer) -> Counter[str]:
    """Broker requests the producer sends, by kind (its client's `send`, wrapped)."""
    counts: Counter[str] = Counter()
    client = producer.client
    send: Callable[..., Awaitable[Any]] = client.send

    async def counted(node_id: int, request: Any, **kwargs: Any) -> Any:
        counts[type(request).__name__.removesuffix("Request")] += 1
        return await send(node_id, request, **kwargs)

    client.send = counted  # type: ignore[method-assign]
    return counts


def _per(seconds: float, count: int) -> float:
    return round(seconds / count * 1000, 2)
