"""On a real broker: a transaction's messages written as whole record batches per partition
arrive where the default partitioner sends them, in order within each partition, with their
keys, values and headers; batches that fill up and the in-flight limit split the writing
without losing or reordering anything."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer
from service_harness import TopicReader

from wirestream.core.config import Settings
from wirestream.core.partitioning import partition_for
from wirestream.core.runtime.sending import acknowledged, enqueue
from wirestream.core.runtime.translate import Message

pytestmark = pytest.mark.kafka

PARTITIONS = 4


async def test_batches_land_per_partition_in_order_with_keys_values_and_headers(
    kafka_bootstrap: str, make_topics
) -> None:
    items, changelog = await make_topics("items", "changelog", partitions=PARTITIONS)
    places = [b"~9f3a22c1d0b4e7a8"] + [b"geonames:%d" % n for n in range(2759790, 2759801)]
    messages = [
        Message(
            items,
            f"item {i} ".encode() * (40 if i % 7 == 0 else 1),  # some fill a small batch
            places[i % len(places)],
            (("schema_version", b"1.4"), ("ws-source-offset", str(i).encode())),
        )
        for i in range(60)
    ]
    messages += [Message(changelog, f"state {i}".encode(), b"k%d" % i, (), 2) for i in range(5)]
    messages.append(Message(changelog, None, b"k0", (), 2))  # a tombstone
    producer = AIOKafkaProducer(
        **Settings(bootstrap=kafka_bootstrap).producer_kwargs()
        | {"max_batch_size": 600, "transactional_id": f"sending-{uuid.uuid4().hex}"}
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        pending = await enqueue(producer, messages, max_in_flight=7)
        await acknowledged(pending)
        await producer.commit_transaction()
    finally:
        await producer.stop()

    async with TopicReader(kafka_bootstrap, items) as outputs:
        records = await outputs.until(60)
    async with TopicReader(kafka_bootstrap, changelog) as state:
        records += await state.until(6)
    assert len(records) == len(messages)
    partitions = list(range(PARTITIONS))
    for topic in (items, changelog):
        for partition in partitions:
            sent = [
                m
                for m in messages
                if m.topic == topic
                and (m.partition if m.partition is not None else partition_for(m.key, partitions))
                == partition
            ]
            got = sorted(
                (r for r in records if r.topic == topic and r.partition == partition),
                key=lambda r: r.offset,
            )
            assert [(r.key, r.value, tuple(r.headers)) for r in got] == [
                (m.key, m.value, m.headers) for m in sent
            ]
    assert {r.partition for r in records if r.topic == items} == set(partitions)
