"""The pipeline's Kafka topics: names (configurable), partitions, retention and compaction.

wire.raw ─► wire.items ─► wire.unique ─► wire.normalized (─► wire.ninjs),  every stage ─► wire.dlq
                └─ wire.dedup-changelog (the deduplicator's state, one partition per
                   wire.items partition)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
DEFAULT_PARTITIONS = 6
DEFAULT_DEDUP_WINDOW_MS = 72 * HOUR_MS
TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code
MAX_REPLICATION = 3


def durability(brokers: int) -> tuple[int, int]:
    """Replication factor and ``min.insync.replicas`` for a cluster of `brokers`: three copies
    of which two must have a write before it is acknowledged once there are three brokers, so
    an acknowledged record survives the loss of any one broker and the topic stays writable
    while one is down (one and one on a single development broker)."""
    replication = max(1, min(MAX_REPLICATION, brokers))
    return replication, max(1, replication - 1)


@dataclass(frozen=True, slots=True)
class PipelineTopics:
    """Topic names by role, defaults as in the README's flow; every one can be overridden."""

    raw: str = "wire.raw"
    items: str = "wire.items"
    unique: str = "wire.unique"
    normalized: str = "wire.normalized"
    dlq: str = "wire.dlq"
    dedup_changelog: str = "wire.dedup-changelog"
    ninjs: str = "wire.ninjs"  # IPTC ninjs 3.x of wire.normalized (`serve ninjs`)
    dlq_replays: str = "wire.dlq-replays"  # which dead letters `dlq replay` sent back, once each

    def with_prefix(self, prefix: str) -> PipelineTopics:
        """The same roles under ``<prefix><name>``, e.g. ``staging.wire.raw`` or per test."""
        return replace(self, **{role: prefix + name for role, name in self.by_role().items()})

    def by_role(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PipelineTopics:
        """Names from ``WIRESTREAM_TOPIC_<ROLE>`` (e.g. ``WIRESTREAM_TOPIC_RAW``), then
        ``WIRESTREAM_TOPIC_PREFIX`` in front of all of them."""
        names = {
            role: environ[f"WIRESTREAM_TOPIC_{role.upper()}"]
            for role in (f.name for f in fields(cls))
            if environ.get(f"WIRESTREAM_TOPIC_{role.upper()}")
        }
        return cls(**names).with_prefix(environ.get("WIRESTREAM_TOPIC_PREFIX", ""))


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """What a topic should look like when created."""

    name: str
    partitions: int
    replication: int | None = None  # None: sized to the cluster by `durability`
    config: Mapping[str, str] = field(default_factory=dict)

    def sized_for(self, brokers: int) -> TopicSpec:
        """This spec with the replication (and ``min.insync.replicas``) a cluster of `brokers`
        gets; an explicit replication is kept."""
        if self.replication is not None:
            return self
        replication, min_insync = durability(brokers)
        config = {"min.insync.replicas": str(min_insync), **self.config}
        return replace(self, replication=replication, config=config)

    def new_topic(self) -> NewTopic:
        if self.replication is None:
            raise TopicError(f"topic {self.name!r} has no replication factor: size it first")
        return NewTopic(
            self.name, self.partitions, self.replication, topic_configs=dict(self.config)
        )


def pipeline_topic_specs(
    topics: PipelineTopics | None = None,
    *,
    partitions: int = DEFAULT_PARTITIONS,
    dlq_partitions: int = 1,
    replication: int | None = None,
    story_retention_ms: int = 30 * DAY_MS,
    dlq_retention_ms: int = 14 * DAY_MS,
    dedup_window_ms: int = DEFAULT_DEDUP_WINDOW_MS,
) -> list[TopicSpec]:
    """The pipeline's topics with their partition counts and retention policies."""
    topics = topics or PipelineTopics()
    # wire.unique and wire.normalized are keyed by story_id: compaction keeps the latest
    # version of every story, so a new subscriber reading from the start sees each story once,
    # in its newest version. `delete` as well bounds the disk a years-long wire would otherwise
    # fill: stories untouched for `story_retention_ms` age out (archives belong downstream).
    story_table = {"cleanup.policy": "compact,delete", "retention.ms": str(story_retention_ms)}
    # The dedup state only matters inside the dedup window, so its changelog follows Kafka
    # Streams' windowed-store changelogs: compacted (latest state per key), and deleted a day
    # after the window so restoring a partition never replays state that has expired anyway.
    changelog = {
        "cleanup.policy": "compact,delete",
        "retention.ms": str(dedup_window_ms + DAY_MS),
    }
    return [
        TopicSpec(topics.raw, partitions, replication),
        TopicSpec(topics.items, partitions, replication),
        TopicSpec(topics.unique, partitions, replication, story_table),
        TopicSpec(topics.normalized, partitions, replication, story_table),
        # Few dead letters; one partition keeps them in arrival order for whoever replays them.
        TopicSpec(topics.dlq, dlq_partitions, replication, {"retention.ms": str(dlq_retention_ms)}),
        # Partition p of the changelog holds the state for partition p of wire.items.
        TopicSpec(topics.dedup_changelog, partitions, replication, changelog),
        # Keyed by story id like wire.normalized: the latest ninjs version of every story.
        TopicSpec(topics.ninjs, partitions, replication, story_table),
        # Keyed by dead letter (`<dlq>/<partition>/<offset>`), written in the replay's own
        # transaction: compaction keeps one entry per replayed letter, as long as the DLQ.
        TopicSpec(
            topics.dlq_replays,
            dlq_partitions,
            replication,
            {"cleanup.policy": "compact,delete", "retention.ms": str(dlq_retention_ms)},
        ),
    ]


class TopicError(RuntimeError):
    """A topic could not be created: the cluster refused it, or its spec is incomplete."""


@dataclass(frozen=True, slots=True)
class TopicReport:
    """What ``ensure_topics`` found and did."""

    created: list[str]
    existing: list[str]
    # Existing topics whose partition count differs from the spec: name -> (wanted, actual).
    # Kafka cannot shrink a topic, and growing one moves keys, so this is reported, not fixed.
    partition_mismatch: dict[str, tuple[int, int]]


async def ensure_topics(
    admin: AIOKafkaAdminClient, specs: Iterable[TopicSpec], *, timeout_s: float = 30.0
) -> TopicReport:
    """Create the topics that do not exist yet; existing ones are left as they are. Specs
    without a replication factor get the one the cluster's size calls for (`durability`).

    Idempotent, and safe when another process creates the same topics concurrently. Returns
    once every topic's partitions show in the broker's metadata, so callers can produce at
    once. ``admin`` is a started client (`core.clients.admin`).
    """
    specs = list(specs)
    present = set(await admin.list_topics())
    brokers = len((await admin.describe_cluster())["brokers"])
    missing = [spec.sized_for(brokers) for spec in specs if spec.name not in present]
    created: list[str] = []
    raced: list[str] = []
    if missing:
        response = await admin.create_topics([spec.new_topic() for spec in missing])
        for topic, code, *message in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif code == TOPIC_ALREADY_EXISTS:
                raced.append(topic)
            else:
                detail = message[0] if message and message[0] else f"error code {code}"
                raise TopicError(f"creating topic {topic!r} failed: {detail}")
    counts = await _settled_partition_counts(admin, [spec.name for spec in specs], timeout_s)
    existing = [spec.name for spec in specs if spec.name in present or spec.name in raced]
    mismatch = {
        spec.name: (spec.partitions, counts[spec.name])
        for spec in specs
        if spec.name in existing and counts[spec.name] != spec.partitions
    }
    return TopicReport(created=created, existing=existing, partition_mismatch=mismatch)


async def _settled_partition_counts(
    admin: AIOKafkaAdminClient, names: list[str], timeout_s: float
) -> dict[str, int]:
    """Partition count per topic, waiting until the metadata lists every topic with a leader
    for each partition (a just-created topic shows up empty for a moment)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        described = await admin.describe_topics(names)
        counts = {
            topic["topic"]: len(topic["partitions"])
            for topic in described
            if topic["error_code"] == 0
            and topic["partitions"]
            and all(partition["leader"] >= 0 for partition in topic["partitions"])
        }
        if len(counts) == len(set(names)):
            return counts
        if asyncio.get_running_loop().time() > deadline:
            pending = sorted(set(names) - set(counts))
            raise TopicError(f"topics not in the metadata after {timeout_s:.0f}s: {pending}")
        await asyncio.sleep(0.1)
