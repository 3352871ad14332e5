"""`wirestream demo` (what `make run` runs): the whole pipeline on the bundled sample pages.

1. A cluster: `--bootstrap`, `KAFKA_BOOTSTRAP`, a detached `wirestream kafka` broker, or else
   a local broker started here (and stopped at the end).
2. Topics of its own: a fresh `demo-<hex>.` prefix (or `--topic-prefix`), `--partitions`
   each (the DLQ has one), so the demo never replays another deployment's backlog or writes
   into its changelog; on a cluster it did not start it deletes them at the end (unless
   `--keep-topics`, or the prefix was given).
3. `wirestream serve normalizer|deduplicator|enricher` as child processes, each with its own
   metrics port and its log in `.run/logs/<service>.log`.
4. The samples (`samples/envelopes.ndjson`) published to the raw topic, as `wirestream
   produce` would.
5. Every normalized item printed as it arrives (status, story id, version, dateline,
   headline or teaser), dead letters too, and a running summary: new, update, duplicate (the
   deduplicator's own count, read from its metrics) and dead-letter counts.

It runs until Ctrl-C or SIGTERM, or with `--once` until the sample data has flowed through
every stage (each consumer group has committed past everything upstream wrote), then stops
the services and the broker it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from wirestream.commands.tail import dead_letter_line, item_line
from wirestream.core.clients import admin, quiet_client_logs
from wirestream.core.config import Settings, settings_from_env
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs
from wirestream.devbroker.detached import find_cluster
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.devbroker.node import free_port
from wirestream.devbroker.subprocesses import stop_gracefully
from wirestream.pipeline import STAGES, stage_topics
from wirestream.producer.publisher import Publisher
from wirestream.producer.sources import Rejected, path_candidates

# The repository's sample envelopes (an editable install runs from the source tree), else the
# same path under the working directory.
SAMPLES = Path("samples") / "envelopes.ndjson"
REPO_SAMPLES = Path(__file__).resolve().parents[3] / SAMPLES
SUMMARY_EVERY = 2.0  # seconds between running summaries while items arrive
CHECK_EVERY = 0.5  # seconds between "has everything flowed through?" checks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples", type=Path, help=f"pages or envelopes to publish (default: {SAMPLES})"
    )
    parser.add_argument("--once", action="store_true", help="exit once the samples are through")
    parser.add_argument("--timeout", type=float, default=180.0, help="--once gives up after S s")
    parser.add_argument(
        "--topic-prefix",
        help="prefix for every topic and group (default: a fresh demo-<hex>. each run)",
    )
    parser.add_argument(
        "--keep-topics", action="store_true", help="keep the demo's own topics at the end"
    )
    parser.add_argument("--partitions", type=int, default=3, help="partitions per topic")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a broker")
    parser.add_argument("--run-dir", type=Path, default=Path(".run"), help="logs go to RUN/logs")


@dataclass(slots=True)
class Tally:
    """What came out of the pipeline so far."""

    statuses: Counter[str] = field(default_factory=Counter)  # new / update on the output
    duplicates: int = 0  # the deduplicator's count: duplicates are not published
    dead_letters: Counter[str] = field(default_factory=Counter)  # by reason

    def line(self) -> str:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.dead_letters.items()))
        return (
            f"summary: new {self.statuses['new']}  update {self.statuses['update']}"
            f"  duplicate {self.duplicates}  dead-letter {sum(self.dead_letters.values())}"
            + (f" ({reasons})" if reasons else "")
        )


@dataclass
class Service:
    """One `wirestream serve <stage>` child process."""

    stage: str
    group: str
    metrics_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start(self, bootstrap: str, topics: PipelineTopics) -> None:
        topic_flags = [
            arg
            for role, name in topics.by_role().items()
            for arg in (f"--topic-{role.replace('_', '-')}", name)
        ]
        command = [
            sys.executable, "-m", "wirestream.cli", "serve", self.stage,
            "--bootstrap", bootstrap, "--group-id", self.group,
            "--metrics-host", "127.0.0.1", "--metrics-port", str(self.metrics_port),
            *topic_flags,
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # A session of its own: a terminal's Ctrl-C reaches the demo only, which then stops
            # its children with SIGTERM (finish, commit, leave), never mid-start-up.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def exited(self) -> int | None:
        return self.process.poll() if self.process else None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (finish the batch, commit, leave the group), SIGKILL if it hangs."""
        if self.process is not None:
            stop_gracefully(self.process, timeout)

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def run(args: argparse.Namespace) -> int:
    quiet_client_logs()
    samples = args.samples or (REPO_SAMPLES if REPO_SAMPLES.exists() else SAMPLES)
    if not samples.exists():
        print(f"wirestream demo: no samples at {samples}", file=sys.stderr)
        return 2
    try:
        with _cluster(args.bootstrap) as (bootstrap, started_here):
            # Topics under a prefix of its own are the demo's to delete, on a cluster that
            # outlives it; a broker started here goes with its data anyway.
            own_topics = args.topic_prefix is None and not args.keep_topics and not started_here
            prefix = (
                f"demo-{secrets.token_hex(4)}." if args.topic_prefix is None else args.topic_prefix
            )
            return asyncio.run(_demo(args, bootstrap, samples, prefix, own_topics))
    except LocalKafkaError as error:
        print(f"wirestream demo: {error}", file=sys.stderr)
        return 1


@contextlib.contextmanager
def _cluster(explicit: str | None) -> Iterator[tuple[str, bool]]:
    """The cluster's address, and whether this demo started it."""
    existing = find_cluster(explicit)
    if existing:
        print(f"cluster: {existing}", flush=True)
        yield existing, False
        return
    print("starting a local Kafka broker (first run resolves its jars with Maven)...", flush=True)
    with LocalKafka() as kafka:
        print(f"cluster: local Kafka {kafka.version} at {kafka.bootstrap}", flush=True)
        yield kafka.bootstrap, True


async def _demo(
    args: argparse.Namespace, bootstrap: str, samples: Path, prefix: str, own_topics: bool
) -> int:
    topics = PipelineTopics().with_prefix(prefix)
    settings = replace(
        settings_from_env("demo", {}), bootstrap=bootstrap, topics=topics, topic_prefix=prefix
    )
    async with admin(settings) as client:
        specs = pipeline_topic_specs(topics, partitions=args.partitions)
        report = await ensure_topics(client, specs)
    print(
        f"topics: {prefix}wire.* (created {len(report.created)}, existing"
        f" {len(report.existing)}{'; deleted at the end' if own_topics else ''})",
        flush=True,
    )
    try:
        return await _run_pipeline(args, settings, samples)
    finally:
        if own_topics and report.created:
            await _delete_topics(settings, report.created)
            print(f"deleted the demo's {len(report.created)} topics", flush=True)


async def _delete_topics(settings: Settings, names: list[str]) -> None:
    async with admin(settings) as client:
        await client.delete_topics(names)


async def _run_pipeline(args: argparse.Namespace, settings: Settings, samples: Path) -> int:
    bootstrap, topics, prefix = settings.bootstrap, settings.topics, settings.topic_prefix
    logs = args.run_dir / "logs"
    services = [
        Service(stage, f"{prefix}wirestream-{stage}", free_port(), logs / f"{stage}.log")
        for stage in STAGES
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with admin(settings) as client:
        watch = await FlowWatch.start(settings, services, client)
        try:
            for service in services:
                service.start(bootstrap, topics)
                print(
                    f"{service.stage}: pid {service.process.pid}  metrics {service.metrics_url}"
                    f"  log {service.log_path}"
                )
            await _await_ready(services)
            published = await _publish(settings, samples)
            print(f"published {published} samples from {samples} to {topics.raw}", flush=True)
            if not args.once:
                print("following the output; Ctrl-C stops everything this demo started", flush=True)
            return await watch.follow(stop, once=args.once, timeout=args.timeout)
        finally:
            await watch.close()
            for service in services:
                service.stop()
            print("stopped the services", flush=True)


async def _await_ready(services: list[Service], timeout: float = 90.0) -> None:
    """Wait until every service answers /readyz (its partitions assigned), or fail with the
    log of one that died."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        pending = list(services)
        while pending:
            for service in list(pending):
                if service.exited() is not None:
                    raise SystemExit(
                        f"wirestream demo: {service.stage} exited:\n{service.log_tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    url = service.metrics_url.replace("/metrics", "/readyz")
                    async with http.get(url) as response:
                        if response.status == 200:
                            pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.stage for s in pending)
                raise SystemExit(f"wirestream demo: not ready after {timeout:.0f}s: {names}")
            await asyncio.sleep(0.3)


async def _publish(settings: Settings, samples: Path) -> int:
    producer = AIOKafkaProducer(**settings.producer_kwargs(), linger_ms=5)
    await producer.start()
    try:
        publisher = Publisher(producer, settings.topics.raw, on_reject=_say_rejected)
        for candidate in path_candidates(samples):
            await publisher.submit(candidate)
        await publisher.drain()
    finally:
        await producer.stop()
    return publisher.stats.published


def _say_rejected(rejected: Rejected) -> None:
    print(f"sample rejected: {rejected.where}: {rejected.message}", file=sys.stderr)


class FlowWatch:
    """Reads what the stages write (read_committed, from the moment the demo starts), prints
    it, and tells when the data has flowed through: every group has committed past everything
    its upstream wrote, and everything the last stage wrote has been read."""

    def __init__(
        self,
        settings: Settings,
        services: list[Service],
        consumer: AIOKafkaConsumer,
        admin: AIOKafkaAdminClient,
        partitions: dict[str, list[TopicPartition]],
    ) -> None:
        self.settings = settings
        self.topics = settings.topics
        self.services = {s.stage: s for s in services}
        self.consumer = consumer
        self.admin = admin
        self.partitions = partitions
        self.tally = Tally()
        self.last_offset: dict[TopicPartition, int] = {}

    @classmethod
    async def start(
        cls, settings: Settings, services: list[Service], admin: AIOKafkaAdminClient
    ) -> FlowWatch:
        topics = settings.topics
        described = await admin.describe_topics(
            [topics.raw, topics.items, topics.unique, topics.normalized, topics.dlq]
        )
        partitions = {
            d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
            for d in described
        }
        consumer = AIOKafkaConsumer(
            **settings.client_kwargs(),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        followed = [topics.items, topics.unique, topics.normalized, topics.dlq]
        consumer.assign([tp for topic in followed for tp in partitions[topic]])
        await consumer.seek_to_end()  # what earlier runs left in these topics is not ours
        return cls(settings, services, consumer, admin, partitions)

    async def close(self) -> None:
        await self.consumer.stop()

    async def follow(self, stop: asyncio.Event, *, once: bool, timeout: float) -> int:
        started = last_summary = last_check = time.monotonic()
        shown = ""
        while not stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    self._show(record)
            now = time.monotonic()
            if now - last_summary >= SUMMARY_EVERY:
                last_summary = now
                await self._count_duplicates()
                if self.tally.line() != shown:
                    shown = self.tally.line()
                    print(shown, flush=True)
            self._check_services()
            if once and now - last_check >= CHECK_EVERY:
                last_check = now
                if await self.flowed_through():
                    await self._count_duplicates(attempts=5)
                    print(f"done: {self.tally.line()}", flush=True)
                    return 0
                if now - started > timeout:
                    print(f"wirestream demo: not through after {timeout:.0f}s", file=sys.stderr)
                    print(self.tally.line(), flush=True)
                    return 1
        await self._count_duplicates(attempts=5)
        print(f"stopping: {self.tally.line()}", flush=True)
        return 0

    def _show(self, record: ConsumerRecord) -> None:
        tp = TopicPartition(record.topic, record.partition)
        self.last_offset[tp] = record.offset
        if record.topic == self.topics.normalized:
            item = orjson.loads(record.value)
            self.tally.statuses[(item.get("dedup") or {}).get("status", "-")] += 1
            print(item_line(item), flush=True)
        elif record.topic == self.topics.dlq:
            letter = orjson.loads(record.value)
            self.tally.dead_letters[letter.get("reason", "?")] += 1
            print(dead_letter_line(letter), flush=True)

    def _check_services(self) -> None:
        for service in self.services.values():
            code = service.exited()
            if code is not None:
                raise SystemExit(
                    f"wirestream demo: {service.stage} exited ({code}):\n{service.log_tail()}"
                )

    async def flowed_through(self) -> bool:
        """Each stage has committed past all its input; all output has been read."""
        for stage in STAGES:
            topic = stage_topics(self.topics)[stage][0]
            if not await self._committed_past(topic, self.services[stage].group):
                return False
        return await self._read_to_end(self.topics.normalized) and await self._read_to_end(
            self.topics.dlq
        )

    async def _committed_past(self, topic: str, group: str) -> bool:
        """Whether `group` has committed past every record of `topic`. Offsets of transactional
        topics end with a commit marker a consumer never commits past, so for those (read by
        this watch) the bar is the last record actually read, once read to the end."""
        partitions = self.partitions[topic]
        committed = await self.admin.list_consumer_group_offsets(group, partitions=partitions)
        if topic == self.topics.raw:  # written by the idempotent producer: no markers
            ends = await self.consumer.end_offsets(partitions)
            return all(
                (committed[tp].offset if tp in committed else -1) >= end
                for tp, end in ends.items()
                if end > 0
            )
        if not await self._read_to_end(topic):
            return False
        return all(
            tp in committed and committed[tp].offset > self.last_offset[tp]
            for tp in partitions
            if tp in self.last_offset
        )

    async def _read_to_end(self, topic: str) -> bool:
        partitions = self.partitions[topic]
        ends = await self.consumer.end_offsets(partitions)
        return all([await self.consumer.position(tp) >= end for tp, end in ends.items()])

    async def _count_duplicates(self, attempts: int = 1) -> None:
        """The deduplicator's duplicate decisions, from its /metrics. A failed scrape keeps the
        last count (the next summary tries again); the final one tries `attempts` times."""
        url = self.services["deduplicator"].metrics_url
        for attempt in range(attempts):
            try:
                async with (
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http,
                    http.get(url) as response,
                ):
                    text = await response.text()
                break
            except (aiohttp.ClientError, TimeoutError):
                if attempt == attempts - 1:
                    return
                await asyncio.sleep(0.5)
        self.tally.duplicates = int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == "wirestream_dedup_decisions"
                for sample in family.samples
                if sample.name.endswith("_total") and sample.labels.get("status") == "duplicate"
            )
        )
