"""`wirestream topics create|list`: the pipeline topics on a cluster.

The cluster is `--bootstrap`, else `$WIRESTREAM_BOOTSTRAP` or `$KAFKA_BOOTSTRAP`, else the
broker left running by `wirestream kafka start --detach`; the admin client honours the same
security settings (SASL, TLS) as every other command.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka.errors import KafkaError

from wirestream.core.clients import admin, cluster_address, command_settings, retrying
from wirestream.core.config import Settings, add_settings_arguments
from wirestream.core.topics import (
    DEFAULT_PARTITIONS,
    TopicError,
    ensure_topics,
    pipeline_topic_specs,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create the pipeline topics that do not exist")
    listing = actions.add_parser("list", help="list the cluster's topics and partition counts")
    create.add_argument(
        "--prefix",
        default="",
        help="put this in front of every topic name (after WIRESTREAM_TOPIC_* overrides)",
    )
    create.add_argument(
        "--partitions",
        type=int,
        default=DEFAULT_PARTITIONS,
        help="partitions of the pipeline topics and the dedup changelog (default: %(default)s)",
    )
    for action in (create, listing):
        add_settings_arguments(action)


def run(args: argparse.Namespace) -> int:
    if cluster_address(args.bootstrap) is None:
        print(
            "wirestream topics: no cluster: pass --bootstrap, set KAFKA_BOOTSTRAP, "
            "or run `wirestream kafka start --detach`",
            file=sys.stderr,
        )
        return 2
    settings = command_settings(args, "topics")
    try:
        if args.action == "create":
            return asyncio.run(_create(settings, args.prefix, args.partitions))
        return asyncio.run(_list(settings))
    except (TopicError, KafkaError, OSError) as error:
        print(f"wirestream topics: {error}", file=sys.stderr)
        return 1


async def _create(settings: Settings, prefix: str, partitions: int) -> int:
    specs = pipeline_topic_specs(settings.topics.with_prefix(prefix), partitions=partitions)
    async with admin(settings) as client:  # retried as `serve --create-topics` is
        report = await retrying(lambda: ensure_topics(client, specs))
    for spec in specs:
        state = "created" if spec.name in report.created else "exists"
        policy = spec.config.get("cleanup.policy", "delete")
        print(f"{state:8} {spec.name:28} partitions={spec.partitions} cleanup.policy={policy}")
    for name, (wanted, actual) in report.partition_mismatch.items():
        print(f"warning: {name} has {actual} partitions, the spec says {wanted}", file=sys.stderr)
    return 0


async def _list(settings: Settings) -> int:
    async with admin(settings) as client:
        described = await retrying(client.describe_topics)
    for topic in sorted(described, key=lambda t: t["topic"]):
        if not topic["is_internal"]:
            print(f"{topic['topic']:28} partitions={len(topic['partitions'])}")
    return 0
