"""The benchmark's Quix Streams peer (bench/quix_peer.py) on the real broker: a small backlog of
generated pages, committed in one transaction, comes out as the items and dead letters
wirestream's chain makes of the same records at the same partitions and offsets."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from wirestream.core.chain import Chain
from wirestream.core.records import DeadLetter, Origin
from wirestream.devbroker.subprocesses import stop_gracefully
from wirestream.generator import generate
from wirestream.pipeline import build_stages

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
MAX_RECORD = 900_000  # the oversize page never reaches Kafka (the broker's message limit)


async def test_quix_peer_writes_what_the_chain_makes(kafka_bootstrap, make_topics):
    raw, output, dlq = await make_topics("raw", "output", "dlq", partitions=2)
    records = [r for r in generate(11, 6).records() if len(r) < MAX_RECORD]
    placed = await _preload(kafka_bootstrap, raw, records)

    chain = Chain(build_stages())  # what `serve pipeline` runs, fed the same origins
    items: dict[str, bytes] = {}
    reasons: list[str] = []
    for record, (partition, offset) in zip(records, placed, strict=True):
        for outcome in chain.process(record, Origin(raw, partition, offset)):
            if isinstance(outcome, DeadLetter):
                reasons.append(outcome.reason.value)
            elif outcome.publish:
                items[outcome.item["id"]] = orjson.dumps(outcome.item)
    assert items and reasons  # the corpus has duplicates held back and bad pages

    argv = [sys.executable, "-m", "bench.quix_peer", kafka_bootstrap, raw, output, dlq, raw]
    peer = subprocess.Popen(argv, cwd=ROOT, env=dict(os.environ))
    try:
        written = await _read(kafka_bootstrap, [output, dlq], len(items) + len(reasons))
    finally:
        stop_gracefully(peer, 30.0)

    out = {orjson.loads(v)["id"]: v for topic, v in written if topic == output}
    letters = [orjson.loads(v) for topic, v in written if topic == dlq]
    assert out == items
    assert sorted(letter["reason"] for letter in letters) == sorted(reasons)
    assert {letter["stage"] for letter in letters} <= {"normalizer", "deduplicator", "enricher"}


async def _preload(bootstrap: str, topic: str, records: list[bytes]) -> list[tuple[int, int]]:
    """All records in one transaction, keyed by page; their partitions and offsets."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic}-load")
    await producer.start()
    try:
        async with producer.transaction():
            sends = [
                await producer.send(topic, record, key=str(index % 3).encode())
                for index, record in enumerate(records)
            ]
            placed = [(m.partition, m.offset) for m in await asyncio.gather(*sends)]
    finally:
        await producer.stop()
    return placed


async def _read(bootstrap: str, topics: list[str], count: int) -> list[tuple[str, bytes]]:
    """`count` committed records of `topics`, then a moment more to catch any extra."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    read: list[tuple[str, bytes]] = []
    try:
        async with asyncio.timeout(WAIT_S):
            while len(read) < count:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    read += [(tp.topic, r.value) for r in records]
        for tp, records in (await consumer.getmany(timeout_ms=2000)).items():
            read += [(tp.topic, r.value) for r in records]
    finally:
        await consumer.stop()
    return read
