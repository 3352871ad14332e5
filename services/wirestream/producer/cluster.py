"""Which cluster the client commands (produce, tail, dlq, demo) talk to: `--bootstrap`, else
`WIRESTREAM_BOOTSTRAP` / `KAFKA_BOOTSTRAP`, else a broker left running by
`wirestream kafka start --detach`, else the default — the same order `wirestream serve` uses."""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from wirestream.core.config import Settings, settings_from
from wirestream.devbroker.detached import find_cluster


def client_settings(args: argparse.Namespace, service: str) -> Settings:
    settings = settings_from(args, service)
    if args.bootstrap or os.environ.get("WIRESTREAM_BOOTSTRAP"):
        return settings
    return replace(settings, bootstrap=find_cluster() or settings.bootstrap)


def quiet_client_logs() -> None:
    """aiokafka logs every failed connection attempt and metadata retry through stdlib logging;
    the commands report failures themselves, once, in their own words."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


async def topic_partitions(settings: Settings, topic: str) -> list[int]:
    """The partition numbers of `topic`; empty when it does not exist."""
    admin = AIOKafkaAdminClient(**settings.client_kwargs())
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code"):
        return []
    return sorted(p["partition"] for p in described["partitions"])


async def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord] | None:
    """Every committed record of `topic`, from its start to its end when this began (None
    when the topic does not exist). No consumer group: nothing is committed."""
    partitions = await topic_partitions(settings, topic)
    if not partitions:
        return None
    tps = [TopicPartition(topic, p) for p in partitions]
    consumer = AIOKafkaConsumer(
        **settings.client_kwargs(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()
