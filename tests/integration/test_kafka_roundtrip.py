"""Against the real broker: produce and consume through aiokafka, topic creation, broker stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from wirestream.core.clients import admin, partition_counts
from wirestream.core.config import Settings
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs
from wirestream.devbroker import local_kafka
from wirestream.devbroker.detached import pid_alive
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.local_kafka import LocalKafka

pytestmark = pytest.mark.kafka

WAIT_S = 30.0


def story(i: int) -> dict[str, object]:
    return {
        "story_id": f"story-{i % 4}",
        "version": i // 4 + 1,
        "headline": f"Beving bij Ankara, {i} doden",
        "body_text": "ANKARA (ANP/AFP) - Een aardbeving… “quote” ’s-Hertogenbosch",
    }


async def consume(consumer: AIOKafkaConsumer, count: int) -> list[ConsumerRecord]:
    records = []
    for _ in range(count):
        records.append(await asyncio.wait_for(consumer.getone(), WAIT_S))
    return records


def group_consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        value_deserializer=orjson.loads,
    )


async def test_produce_consume_commit_and_resume_in_the_same_group(
    kafka_bootstrap, make_topics, topic_name
):
    (topic,) = await make_topics("stories", partitions=3)
    total, first_batch = 24, 10
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, value_serializer=orjson.dumps, acks="all"
    )
    await producer.start()
    sent = {}
    try:
        for i in range(total):
            headers = [("schema_version", b"1.0.0"), ("seq", str(i).encode())]
            meta = await producer.send_and_wait(
                topic, story(i), key=story(i)["story_id"].encode(), headers=headers
            )
            sent[(meta.partition, meta.offset)] = i
    finally:
        await producer.stop()
    # One key, one partition: the per-story ordering the pipeline relies on.
    partitions_by_key = {}
    for (partition, _), i in sent.items():
        partitions_by_key.setdefault(story(i)["story_id"], set()).add(partition)
    assert all(len(parts) == 1 for parts in partitions_by_key.values())

    group = topic_name("group")
    first = group_consumer(kafka_bootstrap, topic, group)
    await first.start()
    try:
        processed = await consume(first, first_batch)
        # Commit exactly what was processed, not whatever was prefetched.
        done = {}
        for record in processed:
            done[TopicPartition(record.topic, record.partition)] = record.offset + 1
        await first.commit(done)
    finally:
        await first.stop()

    second = group_consumer(kafka_bootstrap, topic, group)
    await second.start()
    try:
        for tp, offset in done.items():
            assert await second.committed(tp) == offset
        resumed = await consume(second, total - first_batch)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(second.getone(), 2.0)  # nothing left over
    finally:
        await second.stop()

    seen = [(r.partition, r.offset) for r in processed + resumed]
    assert sorted(seen) == sorted(sent), "each record consumed exactly once across the two"
    for record in processed + resumed:
        i = sent[(record.partition, record.offset)]
        assert record.key == story(i)["story_id"].encode()
        assert record.value == story(i)
        assert dict(record.headers) == {"schema_version": b"1.0.0", "seq": str(i).encode()}
    # Within a story, versions arrive in the order they were produced.
    for key in partitions_by_key:
        versions = [r.value["version"] for r in processed + resumed if r.key == key.encode()]
        assert versions == sorted(versions)


async def topic_configs(bootstrap: str, names: list[str]) -> dict[str, dict[str, str]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    async with admin(Settings(bootstrap=bootstrap)) as client:
        responses = await client.describe_configs(resources)
    configs = {}
    for response in responses:
        for _code, _message, _type, name, entries in response.resources:
            configs[name] = {entry[0]: entry[1] for entry in entries}
    return configs


async def test_ensure_topics_creates_the_pipeline_topics_once(kafka_bootstrap, topic_name):
    topics = PipelineTopics().with_prefix(topic_name("pipeline") + ".")
    specs = pipeline_topic_specs(topics, partitions=4)
    names = [spec.name for spec in specs]

    settings = Settings(bootstrap=kafka_bootstrap)
    async with admin(settings) as client:
        first = await ensure_topics(client, specs)
        assert first.created == names and first.existing == []
        again = await ensure_topics(client, specs)
    assert again.created == [] and again.existing == names
    assert again.partition_mismatch == {}

    counts = await partition_counts(settings, names)
    assert counts[topics.dedup_changelog] == counts[topics.items] == 4
    assert counts[topics.dlq] == 1
    configs = await topic_configs(kafka_bootstrap, names)
    assert configs[topics.unique]["cleanup.policy"] == "compact,delete"
    assert configs[topics.normalized]["cleanup.policy"] == "compact,delete"
    assert configs[topics.dedup_changelog]["cleanup.policy"] == "compact,delete"
    assert configs[topics.raw]["cleanup.policy"] == "delete"


async def test_ensure_topics_reports_an_existing_topic_with_other_partitions(
    kafka_bootstrap, make_topics
):
    (name,) = await make_topics("items", partitions=2)
    specs = pipeline_topic_specs(PipelineTopics(items=name), partitions=3)
    existing_only = [spec for spec in specs if spec.name == name]
    async with admin(Settings(bootstrap=kafka_bootstrap)) as client:
        report = await ensure_topics(client, existing_only)
    assert report.created == []
    assert report.partition_mismatch == {name: (3, 2)}


def test_stopped_broker_leaves_no_jvm_and_no_directory():
    kafka = LocalKafka(start_timeout=180)
    with kafka:
        pid, directory = kafka.pid, kafka.directory
        assert pid is not None and directory is not None
        assert pid_alive(pid)
        assert kafka.broker_version == kafka.version
    assert not pid_alive(pid)
    assert not directory.exists()
    assert kafka.process is None


def test_a_failed_start_cleans_up(monkeypatch):
    made = []
    mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(**kwargs):
        made.append(Path(mkdtemp(**kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    # Something else holds the port, so the broker cannot bind and exits.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        kafka = LocalKafka(port=squatter.getsockname()[1], start_timeout=180)
        with pytest.raises(LocalKafkaError, match="exited with code"):
            kafka.start()
    assert kafka.process is None
    (directory,) = made
    assert not directory.exists()
    assert not _brokers_in(directory)


def test_a_picked_port_taken_before_the_broker_binds_it_is_replaced(monkeypatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks = iter([taken])
        real_free_port = local_kafka.free_port
        monkeypatch.setattr(local_kafka, "free_port", lambda: next(picks, None) or real_free_port())
        with LocalKafka(start_timeout=180) as kafka:
            assert kafka.port != taken
            assert kafka.broker_version == kafka.version


def test_the_watchdog_stops_the_broker_when_its_owner_is_killed(tmp_path):
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from wirestream.devbroker.local_kafka import LocalKafka
                kafka = LocalKafka(start_timeout=180).start()
                print(kafka.pid, kafka.directory, flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert owner.stdout is not None
        pid_text, directory = owner.stdout.readline().split()
        pid = int(pid_text)
        assert pid_alive(pid)
        owner.send_signal(signal.SIGKILL)  # no atexit, no finally: only the watchdog is left
        owner.wait()
        deadline = time.monotonic() + 60
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not pid_alive(pid)
        while Path(directory).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not Path(directory).exists()
        assert not _brokers_in(Path(directory))
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def _brokers_in(directory: Path) -> list[int]:
    """Pids of live broker JVMs whose command line mentions `directory`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        ours = b"kafka.Kafka" in command and str(directory).encode() in command
        if ours and pid_alive(int(proc.name)):
            found.append(int(proc.name))
    return found
