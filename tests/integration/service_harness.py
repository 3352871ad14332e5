"""Helpers for the service tests: fresh topics, services run in-process or as `wirestream serve`
subprocesses, and readers that see exactly what a `read_committed` downstream consumer sees."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition, errors

from wirestream.commands.serve import binding_for
from wirestream.core.clients import admin
from wirestream.core.config import Settings, settings_from_env
from wirestream.core.http import Health
from wirestream.core.metrics import Metrics
from wirestream.core.runtime.service import StageService
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs
from wirestream.devbroker.subprocesses import die_with_parent

# What a group coordinator answers while it is still loading on a fresh broker.
COORDINATOR_STARTING = (
    errors.GroupCoordinatorNotAvailableError,
    errors.CoordinatorLoadInProgressError,
    errors.NotCoordinatorError,
)
# Group timings the broker allows at their lowest (group.min.session.timeout.ms = 6 s), so a
# killed member leaves its group quickly.
FAST = {"session_timeout_ms": 6_000, "heartbeat_interval_ms": 1_000, "batch_timeout_ms": 100}
WAIT_S = 60.0


async def fresh_topics(
    bootstrap: str, name: str, partitions: int, raw_partitions: int | None = None
) -> PipelineTopics:
    """The pipeline topics under a prefix no other test uses."""
    topics = PipelineTopics().with_prefix(f"{name}-{uuid.uuid4().hex[:8]}.")
    specs = [
        replace(spec, partitions=raw_partitions)
        if spec.name == topics.raw and raw_partitions
        else spec
        for spec in pipeline_topic_specs(topics, partitions=partitions)
    ]
    async with admin(Settings(bootstrap=bootstrap)) as client:
        await ensure_topics(client, specs)
    return topics


def service_settings(
    bootstrap: str, topics: PipelineTopics, service: str, **kw: object
) -> Settings:
    settings = settings_from_env(service, {"KAFKA_BOOTSTRAP": bootstrap})
    group = f"{topics.raw}.{service}"
    return replace(settings, topics=topics, group_id=group, metrics_port=0, **{**FAST, **kw})


def service_env(bootstrap: str, topics: PipelineTopics, service: str) -> dict[str, str]:
    """Environment for a `wirestream serve` subprocess with the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESTREAM_")}
    env |= {f"WIRESTREAM_TOPIC_{role.upper()}": name for role, name in topics.by_role().items()}
    env |= {
        "KAFKA_BOOTSTRAP": bootstrap,
        "WIRESTREAM_GROUP_ID": f"{topics.raw}.{service}",
        "WIRESTREAM_METRICS_PORT": "0",
        **{f"WIRESTREAM_{k.upper()}": str(v) for k, v in FAST.items()},
    }
    return env


@dataclass
class RunningService:
    service: StageService
    metrics: Metrics
    health: Health
    stop: asyncio.Event
    task: asyncio.Task


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[RunningService]:
    """A service for `settings.service`, run in this event loop until the block ends."""
    metrics, health, stop = Metrics(settings.service), Health(), asyncio.Event()
    service = StageService(settings, binding_for(settings.service, settings), metrics, health)
    task = asyncio.create_task(service.run(stop))
    try:
        yield RunningService(service, metrics, health, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def produce(
    bootstrap: str, topic: str, records: Sequence[tuple[bytes | None, bytes]]
) -> list[int]:
    """Write (key, value) records in order; the partition each landed on."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2**21)
    await producer.start()
    try:
        partitions = []
        for key, value in records:
            metadata = await producer.send_and_wait(topic, value, key=key)
            partitions.append(metadata.partition)
        return partitions
    finally:
        await producer.stop()


class TopicReader:
    """Follows a topic as a `read_committed` downstream consumer does."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.records: list[ConsumerRecord] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_bytes=2**22,
        )

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def poll(self) -> None:
        fetched = await self._consumer.getmany(timeout_ms=100)
        for records in fetched.values():
            self.records.extend(records)

    async def until(self, count: int, timeout: float = WAIT_S) -> list[ConsumerRecord]:
        deadline = time.monotonic() + timeout
        while len(self.records) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.topic}: {len(self.records)} of {count} records")
            await self.poll()
        return self.records

    async def drain(self) -> list[ConsumerRecord]:
        """Everything committed up to now (the last stable offsets)."""
        partitions = self._consumer.assignment()
        while not partitions:
            await self.poll()
            partitions = self._consumer.assignment()
        ends = await self._consumer.end_offsets(list(partitions))
        for tp, end in ends.items():
            while await self._consumer.position(tp) < end:
                await self.poll()
        return self.records

    def values(self) -> list[dict]:
        return [orjson.loads(r.value) for r in self.records]


# Offsets read back from a partition's end to find its last committed record; a transaction
# adds one marker per partition, an aborted one its records too, so this is nearly always
# enough, and the span grows until a record is found.
TAIL_SPAN = 1_000


async def last_committed(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """The offset of the last committed record of each partition of `topic` (none for an
    empty one), read from the partition's tail: at volume, reading a topic of 100,000s of
    records from its start cost more than the run it checked."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        fetch_max_bytes=2**22,
    )
    async with admin(Settings(bootstrap=bootstrap)) as client:
        (described,) = await client.describe_topics([topic])
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    await consumer.start()
    try:
        consumer.assign(partitions)
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)  # last stable offsets
        last: dict[TopicPartition, int] = {}
        for tp in partitions:
            span = TAIL_SPAN
            while tp not in last:
                start = max(begins[tp], ends[tp] - span)
                consumer.seek(tp, start)
                while await consumer.position(tp) < ends[tp]:
                    fetched = await consumer.getmany(tp, timeout_ms=100)
                    offsets = [r.offset for r in fetched.get(tp, ()) if r.offset < ends[tp]]
                    if offsets:
                        last[tp] = max(offsets)
                if start == begins[tp]:
                    break
                span *= 8
        return last
    finally:
        await consumer.stop()


async def caught_up(bootstrap: str, group: str, topic: str, timeout: float = WAIT_S) -> None:
    """Wait until `group` has committed past the last committed record of every partition
    of `topic` (a transaction's commit marker takes an offset no consumer commits past)."""
    last = await last_committed(bootstrap, topic)
    async with admin(Settings(bootstrap=bootstrap)) as client:
        deadline = time.monotonic() + timeout
        while True:
            try:
                committed = await client.list_consumer_group_offsets(group)
            except COORDINATOR_STARTING:  # a fresh broker creates __consumer_offsets first
                committed = {}
            behind = {
                tp: offset
                for tp, offset in last.items()
                if tp not in committed or committed[tp].offset <= offset
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{group} did not catch up on {behind}")
            await asyncio.sleep(0.2)


async def committed_total(bootstrap: str, group: str) -> int:
    """The sum of the offsets `group` has committed: how far it got."""
    async with admin(Settings(bootstrap=bootstrap)) as client:
        offsets = await client.list_consumer_group_offsets(group)
    return sum(o.offset for o in offsets.values())


async def group_members(bootstrap: str, group: str) -> int:
    """How many members the consumer group has right now."""
    async with admin(Settings(bootstrap=bootstrap)) as client:
        (response,) = await client.describe_consumer_groups([group])
    (described,) = response.to_object()["groups"]
    return len(described["members"])


@dataclass
class ServeProcess:
    """`wirestream serve <service>` as a child process, its JSON log lines collected."""

    args: list[str]
    env: dict[str, str]
    lines: list[dict] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wirestream.cli",
            "serve",
            *self.args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        """The JSON log lines; any other line (a traceback that got past the logger) as
        `{"unstructured": text}`, so that a report of the service's last lines shows it."""
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            try:
                self.lines.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                self.lines.append({"unstructured": line.decode(errors="replace").rstrip()})

    def logged(self, event: str) -> list[dict]:
        return [line for line in self.lines if line.get("event") == event]

    async def wait(self, timeout: float = WAIT_S) -> int:
        assert self.process is not None and self._reader is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await self._reader
        return code

    async def kill(self) -> None:
        """SIGKILL: no batch finished, no transaction aborted, no group left."""
        assert self.process is not None
        self.process.kill()
        await self.wait()
