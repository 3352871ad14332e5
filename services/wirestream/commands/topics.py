"""`wirestream topics create|list`: the pipeline topics on a cluster.

The cluster is `--bootstrap`, else `$KAFKA_BOOTSTRAP`, else the broker left running by
`wirestream kafka start --detach`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from wirestream.core.topics import (
    DEFAULT_PARTITIONS,
    PipelineTopics,
    TopicError,
    ensure_topics,
    pipeline_topic_specs,
)
from wirestream.devbroker.detached import find_cluster


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create the pipeline topics that do not exist")
    listing = actions.add_parser("list", help="list the cluster's topics and partition counts")
    for action in (create, listing):
        action.add_argument("--bootstrap", help="host:port of the cluster")
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


def run(args: argparse.Namespace) -> int:
    bootstrap = find_cluster(args.bootstrap)
    if bootstrap is None:
        print(
            "wirestream topics: no cluster: pass --bootstrap, set KAFKA_BOOTSTRAP, "
            "or run `wirestream kafka start --detach`",
            file=sys.stderr,
        )
        return 2
    try:
        if args.action == "create":
            return asyncio.run(_create(bootstrap, args.prefix, args.partitions))
        return asyncio.run(_list(bootstrap))
    except (TopicError, KafkaError, OSError) as error:
        print(f"wirestream topics: {error}", file=sys.stderr)
        return 1


async def _create(bootstrap: str, prefix: str, partitions: int) -> int:
    topics = PipelineTopics.from_env().with_prefix(prefix)
    specs = pipeline_topic_specs(topics, partitions=partitions)
    report = await ensure_topics(bootstrap, specs)
    for spec in specs:
        state = "created" if spec.name in report.created else "exists"
        policy = spec.config.get("cleanup.policy", "delete")
        print(f"{state:8} {spec.name:28} partitions={spec.partitions} cleanup.policy={policy}")
    for name, (wanted, actual) in report.partition_mismatch.items():
        print(f"warning: {name} has {actual} partitions, the spec says {wanted}", file=sys.stderr)
    return 0


async def _list(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    for topic in sorted(described, key=lambda t: t["topic"]):
        if not topic["is_internal"]:
            print(f"{topic['topic']:28} partitions={len(topic['partitions'])}")
    return 0
