"""What one exactly-once commit costs on the bench's broker: the floor under issue 16's
latency figures.

A partition's transaction in `serve pipeline` is begin, send its messages, add the consumed
offset to the transaction, wait for the acknowledgements, commit (service.py `_commit`).
This part times that sequence phase by phase with the service's producer settings, for
transactions of 1, 8 and 64 messages of an average published item's size, and counts the
broker requests each one took (aiokafka retries `AddPartitionsToTxn` when the previous
transaction's markers are not written yet). Baseline in the same run: the same messages
sent by an idempotent producer without a transaction and acknowledged.

A record that arrives while its partition's transaction commits waits for that commit and
then its own, so output latency under a steady stream is at least about one commit cycle and
up to two, before any processing."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from bench import endtoend
from bench.endtoend import Broker
from bench.report import progress
from wirestream.core.config import Settings
from wirestream.core.topics import PipelineTopics

SIZES = (1, 8, 64)  # messages per transaction
VALUE = b"x" * 3_000  # about a published item's encoded size
PHASES = ("begin", "send", "offsets", "acknowledged", "commit")


def run(on: Broker, *, quick: bool) -> dict[str, Any]:
    return asyncio.run(_run(on.bootstrap, 30 if quick else 100))


async def _run(bootstrap: str, transactions: int) -> dict[str, Any]:
    topics = endtoend._topics("commits")
    await endtoend._create(bootstrap, topics)
    rows = []
    for size in SIZES:
        progress(f"commits: {transactions} transactions of {size} message(s) ...")
        transactional = await _timed(bootstrap, topics, size, transactions, True)
        plain = await _timed(bootstrap, topics, size, transactions, False)
        rows.append(
            {
                "messages": size,
                **transactional,
                "plain_wall_ms": plain["wall_ms"],
                "plain_cpu_ms": plain["cpu_ms"],
                "wall_vs_plain": round(transactional["wall_ms"] / plain["wall_ms"], 1),
            }
        )
    return {"transactions": transactions, "rows": rows}


async def _timed(
    bootstrap: str, topics: PipelineTopics, size: int, count: int, transactional: bool
) -> dict[str, Any]:
    """Milliseconds of wall time per round (per phase, transactional) and of this process's
    CPU, and broker requests per transaction; after a few rounds of warm-up."""
    settings = Settings(bootstrap=bootstrap)
    extra = {"transactional_id": f"{topics.raw}-commits-{size}"} if transactional else {}
    producer = AIOKafkaProducer(**settings.producer_kwargs(), **extra)
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
    output = topics.normalized
    sends = [await producer.send(output, VALUE, key=b"story", partition=0) for _ in range(size)]
    if not transactional:
        await asyncio.gather(*sends)
        return
    phase("send")
    offsets = {TopicPartition(topics.raw, 0): OffsetAndMetadata(number + 1, "")}
    await producer.send_offsets_to_transaction(offsets, f"{topics.raw}-commits")
    phase("offsets")
    await asyncio.gather(*sends)
    phase("acknowledged")
    await producer.commit_transaction()
    phase("commit")


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
