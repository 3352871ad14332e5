"""Kafka clients from `Settings`, in one place: which cluster a command talks to, an admin
client that closes itself, partition counts, and a topic read to its end. Every client's
keyword arguments (bootstrap, client id, SASL/TLS, then group or idempotence options) come
from `Settings.client_kwargs`, `consumer_kwargs` and `producer_kwargs`, so every command and
service honours the same security settings.

The cluster: `--bootstrap`, else `WIRESTREAM_BOOTSTRAP`, else `KAFKA_BOOTSTRAP`, else a broker
left running by `wirestream kafka start --detach`, else the default `127.0.0.1:9092`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from wirestream.core.config import Settings, settings_from
from wirestream.devbroker.detached import find_cluster


def cluster_address(explicit: str | None = None) -> str | None:
    """The cluster named by a flag or the environment, or a detached local broker; None when
    nothing names one."""
    return explicit or os.environ.get("WIRESTREAM_BOOTSTRAP") or find_cluster()


def command_settings(args: argparse.Namespace, service: str) -> Settings:
    """A command's settings (environment, then flags) on the cluster it should talk to."""
    settings = settings_from(args, service)
    return replace(settings, bootstrap=cluster_address(args.bootstrap) or settings.bootstrap)


@asynccontextmanager
async def admin(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client on the settings' cluster, closed on the way out."""
    client = AIOKafkaAdminClient(**settings.client_kwargs())
    await client.start()
    try:
        yield client
    finally:
        await client.close()


T = TypeVar("T")

BACKOFF_FIRST_S = 0.2
# How long an admin request is retried on retriable errors. The admin client sends a request
# to a node of its metadata picked at random, and a broker lost a moment ago stays in that
# metadata until the cluster fences it (about 10 s): a request sent its way fails at once
# with `NodeNotReadyError`, although the other brokers would answer it.
ADMIN_RETRY_S = 30.0
ADMIN_BACKOFF_MAX_S = 2.0


def doubling_delay(failures: int, max_s: float) -> float:
    """Seconds to wait after `failures` consecutive failures: 0.2 s doubling to `max_s`."""
    return min(BACKOFF_FIRST_S * 2 ** (failures - 1), max_s)


async def retrying(call: Callable[[], Awaitable[T]], window_s: float = ADMIN_RETRY_S) -> T:
    """`call()`, again after a growing pause (`doubling_delay`) while it fails with a
    retriable Kafka error, for up to `window_s`; then, or on any other error, the error is
    raised. Only for idempotent calls: a retried request may have taken effect."""
    deadline = time.monotonic() + window_s
    failures = 0
    while True:
        try:
            return await call()
        except KafkaError as exc:
            failures += 1
            pause = doubling_delay(failures, ADMIN_BACKOFF_MAX_S)
            if not exc.retriable or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)


async def partition_counts(settings: Settings, topics: Sequence[str]) -> dict[str, int]:
    """Partitions per topic; 0 for a topic that does not exist (yet)."""
    async with admin(settings) as client:
        described = await retrying(lambda: client.describe_topics(list(topics)))
    counts = {t["topic"]: len(t["partitions"]) for t in described if not t["error_code"]}
    return {topic: counts.get(topic, 0) for topic in topics}


async def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord] | None:
    """Every committed record of `topic`, from its start to its end when this began (None
    when the topic does not exist). No consumer group: nothing is committed."""
    partitions = (await partition_counts(settings, [topic]))[topic]
    if not partitions:
        return None
    tps = [TopicPartition(topic, p) for p in range(partitions)]
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


def quiet_client_logs() -> None:
    """aiokafka logs every failed connection attempt and metadata retry through stdlib logging;
    the commands report failures themselves, once, in their own words."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
