"""Which cluster the client commands (produce, tail, dlq, demo) talk to: `--bootstrap`, else
`WIRESTREAM_BOOTSTRAP` / `KAFKA_BOOTSTRAP`, else a broker left running by
`wirestream kafka start --detach`, else the default — the same order `wirestream serve` uses."""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace

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
