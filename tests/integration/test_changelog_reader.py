"""On a real broker: a changelog partition is read back from its beginning to its end, and
between restores the reader holds no partition, so an idle stateful service does not fetch
the changelog in the background (it did, every 20 ms, for as long as it ran)."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer

from wirestream.core.config import Settings
from wirestream.core.runtime.changelog import ChangelogReader

pytestmark = pytest.mark.kafka


async def _write(
    bootstrap: str, topic: str, changes: list[tuple[int, bytes, bytes | None]]
) -> None:
    producer = AIOKafkaProducer(**Settings(bootstrap=bootstrap).producer_kwargs())
    await producer.start()
    try:
        for partition, key, value in changes:
            await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def test_reads_each_partition_to_its_end_and_then_lets_go(
    kafka_bootstrap: str, make_topics
) -> None:
    (changelog,) = await make_topics("changelog", partitions=2)
    await _write(
        kafka_bootstrap,
        changelog,
        [(0, b"story-a", b"v1"), (1, b"story-b", b"v1"), (0, b"story-a", b"v2"), (0, b"x", None)],
    )
    reader = ChangelogReader(Settings(bootstrap=kafka_bootstrap))
    await reader.start()
    try:
        assert await reader.read(changelog, 0) == [
            (b"story-a", b"v1"),
            (b"story-a", b"v2"),
            (b"x", None),  # a tombstone: the key's state is gone
        ]
        assert reader.assignment() == set()
        assert await reader.read(changelog, 1) == [(b"story-b", b"v1")]
        assert reader.assignment() == set()

        # A partition assigned again (a rebalance) is read again, with what came since.
        await _write(kafka_bootstrap, changelog, [(1, b"story-b", b"v2")])
        assert await reader.read(changelog, 1) == [(b"story-b", b"v1"), (b"story-b", b"v2")]
        assert reader.assignment() == set()
    finally:
        await reader.stop()
