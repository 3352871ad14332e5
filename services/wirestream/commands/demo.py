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
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer

from wirestream.commands.demo_flow import FlowWatch
from wirestream.core.clients import admin, quiet_client_logs, retrying
from wirestream.core.config import Settings, settings_from_env
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs
from wirestream.devbroker.detached import find_cluster
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.devbroker.node import free_port
from wirestream.devbroker.subprocesses import stop_gracefully
from wirestream.pipeline import STAGES
from wirestream.producer.publisher import Publisher
from wirestream.producer.sources import Rejected, path_candidates

# The repository's sample envelopes (an editable install runs from the source tree), else the
# same path under the working directory.
SAMPLES = Path("samples") / "envelopes.ndjson"
REPO_SAMPLES = Path(__file__).resolve().parents[3] / SAMPLES


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
        report = await retrying(lambda: ensure_topics(client, specs))  # a broker just started
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
