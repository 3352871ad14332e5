"""End-to-end figures on a real broker: throughput raw → normalized (exactly-once and
at-least-once) against a plain aiokafka passthrough, latency at a fixed offered rate, and the
peak memory of each service.

Every run gets fresh topics with the same partition count and a service started as its own
process (`wirestream serve ...`, or `python -m bench.passthrough`). A run first sends one
warm-up record and waits for it to come out, so start-up (imports, gazetteer, group join)
is not counted; then it sends the corpus and measures from the first send to the last output
record. Raw records are keyed by source and section, so a story's pages share a partition and
the pipeline's dedup decisions match the in-process ones (the expected output count).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.report import progress
from wirestream.core.local_kafka import LocalKafka, cluster_from_env
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs

PARTITIONS = 2  # one per core of the reference machine
MAX_RECORD = 900_000  # larger records never reach Kafka (broker and producer limits)
WARM_UP = b'{"bench": "warm-up"}'  # an invalid envelope: dead-lettered by the normalizer
ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".bench"


@dataclass(slots=True)
class Expected:
    """What the pipeline must output for the records sent (from the in-process chain)."""

    records: list[bytes]
    keys: list[bytes]
    published: int
    dead_letters: int
    items_per_record: float
    chain: str  # the stages `serve pipeline` chains


@dataclass(slots=True)
class Service:
    """A service process; peak memory read from /proc before it stops."""

    name: str
    process: subprocess.Popen[bytes]
    peak_rss_mib: float | None = None

    def read_peak(self) -> float | None:
        self.peak_rss_mib = peak_rss_mib(self.process.pid) or self.peak_rss_mib
        return self.peak_rss_mib

    def stop(self, timeout: float = 30.0) -> None:
        self.read_peak()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the process's peak resident set size."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@dataclass(slots=True)
class Collected:
    counts: dict[str, int] = field(default_factory=dict)
    first_ms: int | None = None
    last_ms: int | None = None
    last_seen: float | None = None  # time.time() of the last output record


def expected_outputs(records: list[bytes]) -> Expected:
    from wirestream.core.chain import Chain
    from wirestream.core.records import DeadLetter, Emit, Origin
    from wirestream.pipeline import build_stages

    sendable = [r for r in records if len(r) <= MAX_RECORD]
    chain = Chain(build_stages())  # exactly what `wirestream serve pipeline` runs
    published = dead = items = 0
    for record in sendable:
        for outcome in chain.process(record, Origin()):
            if isinstance(outcome, DeadLetter):
                dead += 1
            elif isinstance(outcome, Emit):
                items += 1
                published += outcome.publish
    keys = [_key(r) for r in sendable]
    return Expected(sendable, keys, published, dead, items / max(1, len(sendable)), chain.name)


def _key(record: bytes) -> bytes:
    """Source and section: every page of a section lands on one partition."""
    try:
        envelope = orjson.loads(record)
        url = envelope.get("url") or ""
        section = url.split("/")[3] if url.count("/") >= 3 else ""
        return f"{envelope.get('source')}/{section}".encode()
    except (orjson.JSONDecodeError, AttributeError, IndexError):
        return b"unreadable"


def run(records: list[bytes], *, quick: bool, rate: int) -> dict[str, Any]:
    """All end-to-end figures, on $KAFKA_BOOTSTRAP or on a local broker started for them."""
    progress("end to end: expected outputs from the in-process chain ...")
    expected = expected_outputs(records)
    LOGS.mkdir(exist_ok=True)
    bootstrap = cluster_from_env()
    if bootstrap:
        return asyncio.run(_all(bootstrap, expected, quick, rate, None, "an existing cluster"))
    progress("starting a local Kafka broker ...")
    with LocalKafka() as kafka:
        return asyncio.run(
            _all(kafka.bootstrap, expected, quick, rate, kafka.pid, f"Kafka {kafka.version}")
        )


async def _all(
    bootstrap: str, expected: Expected, quick: bool, rate: int, broker: int | None, what: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "setup": (
            f"{what}, single local broker, {PARTITIONS} partitions per topic; "
            f"`serve pipeline` chains {expected.chain}; "
            f"{len(expected.records):,} raw records ({expected.items_per_record:.1f} items each), "
            f"{expected.published:,} published items expected, {expected.dead_letters} dead "
            f"letters. Throughput counts from the first record sent to the last record out."
        ),
        "notes": [],
    }
    memory: list[dict[str, Any]] = []
    throughput = []
    progress("end to end: passthrough ...")
    base = await _throughput(bootstrap, "passthrough", expected, memory)
    throughput.append(base)
    for guarantee in ("exactly_once", "at_least_once"):
        progress(f"end to end: serve pipeline, {guarantee} ...")
        row = await _throughput(bootstrap, guarantee, expected, memory)
        row["ratio"] = (
            round(row["records_per_s"] / base["records_per_s"], 3)
            if row.get("records_per_s") and base.get("records_per_s")
            else None
        )
        throughput.append(row)
    out["throughput"] = throughput

    progress(f"end to end: latency at {rate} items/s ...")
    seconds = 8.0 if quick else 30.0
    out["latency"] = await _latency(bootstrap, expected, rate, seconds, memory)

    progress("end to end: the three services, each in its own process ...")
    out["services"] = await _three_services(bootstrap, expected, memory)
    if broker:
        memory.append({"service": "Kafka broker (JVM)", "peak_rss_mib": peak_rss_mib(broker)})
    out["memory"] = memory
    skipped = len(expected.records)
    out["notes"].append(
        f"Records over {MAX_RECORD:,} bytes (oversize inputs) are not sent: Kafka's default "
        f"message limit refuses them before any service sees them; {skipped:,} were sent."
    )
    return out


# -- topics and processes --------------------------------------------------------------------


def _topics(run: str) -> PipelineTopics:
    stamp = f"{os.getpid()}-{int(time.time() * 1000) % 10**8}"
    return PipelineTopics().with_prefix(f"bench-{stamp}-{run}.")


async def _create(bootstrap: str, topics: PipelineTopics) -> None:
    await ensure_topics(bootstrap, pipeline_topic_specs(topics, partitions=PARTITIONS))


def _serve(
    service: str, bootstrap: str, topics: PipelineTopics, guarantee: str, tag: str
) -> Service:
    env = {
        **os.environ,
        "WIRESTREAM_BOOTSTRAP": bootstrap,
        "WIRESTREAM_GUARANTEE": guarantee,
        "WIRESTREAM_GROUP_ID": f"{topics.raw}-{service}",
        "WIRESTREAM_METRICS_PORT": "0",
        "WIRESTREAM_METRICS_HOST": "127.0.0.1",
        "WIRESTREAM_LOG_LEVEL": "WARNING",
    }
    env.pop("WIRESTREAM_TOPIC_PREFIX", None)
    for role, name in topics.by_role().items():
        env[f"WIRESTREAM_TOPIC_{role.upper()}"] = name
    argv = [sys.executable, "-m", "wirestream.cli", "serve", service]
    return _spawn(f"{service} ({tag})", argv, env)


def _passthrough(bootstrap: str, source: str, target: str) -> Service:
    argv = [sys.executable, "-m", "bench.passthrough", bootstrap, source, target, f"{source}-g"]
    return _spawn("aiokafka passthrough", argv, dict(os.environ))


def _spawn(name: str, argv: list[str], env: dict[str, str]) -> Service:
    log = (LOGS / f"{name.split()[0]}.log").open("ab")
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Service(name, process)


@contextlib.contextmanager
def _running(*services: Service) -> Iterator[None]:
    try:
        yield
    finally:
        for service in services:
            service.stop()


# -- producing and collecting ----------------------------------------------------------------


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=1_048_576,
        linger_ms=5,
    )


async def _collect(
    bootstrap: str,
    topics: list[str],
    done: Callable[[dict[str, int]], bool],
    *,
    idle: float = 20.0,
    startup: float = 120.0,
    on_record: Callable[[str, bytes, float], None] | None = None,
    main: str | None = None,
) -> Collected:
    """Read `topics` (read_committed) until `done(counts)`, or nothing new for `idle` s."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    collected = Collected({topic: 0 for topic in topics})
    started = time.time()
    try:
        while not done(collected.counts):
            batch = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for tp, records in batch.items():
                collected.counts[tp.topic] += len(records)
                collected.last_seen = now
                for record in records:
                    if tp.topic == (main or topics[0]):
                        stamp = record.timestamp
                        collected.first_ms = min(collected.first_ms or stamp, stamp)
                        collected.last_ms = max(collected.last_ms or stamp, stamp)
                    if on_record:
                        on_record(tp.topic, record.value, now)
            waited = now - (collected.last_seen or started)
            if waited > (idle if collected.last_seen else startup):
                break
    finally:
        await consumer.stop()
    return collected


async def _warm_up(bootstrap: str, raw: str, watch: list[str]) -> None:
    """One record through the running service; returns once it has come out."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        for partition in range(PARTITIONS):
            await producer.send_and_wait(raw, WARM_UP, key=b"warm-up", partition=partition)
    finally:
        await producer.stop()
    await _collect(bootstrap, watch, lambda c: sum(c.values()) >= PARTITIONS, idle=60)


async def _send_all(bootstrap: str, raw: str, expected: Expected) -> float:
    """Send the corpus as fast as the producer goes; returns the time of the first send."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        first = time.time()
        sends = [
            await producer.send(raw, record, key=key)
            for record, key in zip(expected.records, expected.keys, strict=True)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
    return first


async def _throughput(
    bootstrap: str, mode: str, expected: Expected, memory: list[dict[str, Any]]
) -> dict[str, Any]:
    topics = _topics(mode.replace("_", ""))
    if mode == "passthrough":
        await _create(bootstrap, topics)
        service = _passthrough(bootstrap, topics.raw, topics.normalized)
        watch = [topics.normalized]
        want = {topics.normalized: len(expected.records) + PARTITIONS}
        name = "plain aiokafka passthrough (at-least-once)"
    else:
        await _create(bootstrap, topics)
        service = _serve("pipeline", bootstrap, topics, mode, mode)
        watch = [topics.normalized, topics.dlq]
        want = {
            topics.normalized: expected.published,
            topics.dlq: expected.dead_letters + PARTITIONS,
        }
        name = f"{mode.replace('_', '-')} (wirestream serve pipeline)"
    with _running(service):
        await _warm_up(bootstrap, topics.raw, watch)
        warm = {t: n for t, n in want.items()}
        collector = asyncio.create_task(
            _collect(bootstrap, watch, lambda c: all(c[t] >= n for t, n in warm.items()))
        )
        first_send = await _send_all(bootstrap, topics.raw, expected)
        collected = await collector
        service.read_peak()
    memory.append({"service": service.name, "peak_rss_mib": service.peak_rss_mib})
    out_count = collected.counts[watch[0]] - (PARTITIONS if mode == "passthrough" else 0)
    seconds = (collected.last_ms or 0) / 1000 - first_send if collected.last_ms else None
    complete = all(collected.counts[t] >= n for t, n in want.items())
    row: dict[str, Any] = {
        "name": name if complete else f"{name} — INCOMPLETE {collected.counts} of {want}",
        "records": len(expected.records),
        "outputs": out_count,
        "seconds": round(seconds, 2) if seconds else None,
    }
    if seconds and seconds > 0:
        row["records_per_s"] = round(len(expected.records) / seconds)
        if mode != "passthrough":
            items = len(expected.records) * expected.items_per_record
            row["items_per_s"] = round(items / seconds)
    return row


async def _latency(
    bootstrap: str, expected: Expected, rate: int, seconds: float, memory: list[dict[str, Any]]
) -> dict[str, Any]:
    """Raw records offered at `rate` items/s; latency of each output record from the send of
    its raw record, for the exactly-once pipeline and for the passthrough."""
    per_record = max(1.0, expected.items_per_record)
    records_per_s = rate / per_record
    count = min(len(expected.records), max(1, int(records_per_s * seconds)))
    ours, elapsed = await _timed_offer(
        bootstrap, "exactly_once", expected, count, records_per_s, memory
    )
    base, _ = await _timed_offer(bootstrap, "passthrough", expected, count, records_per_s, memory)
    stats, baseline = _percentiles(ours), _percentiles(base)
    return {
        "name": "exactly-once pipeline vs passthrough",
        "offered_items_per_s": rate,
        "achieved_items_per_s": round(count * per_record / max(elapsed, 1e-9)),
        "records": count,
        "outputs": len(ours),
        "p50_ms": stats["p50"],
        "p99_ms": stats["p99"],
        "max_ms": stats["max"],
        "baseline_p50_ms": baseline["p50"],
        "baseline_p99_ms": baseline["p99"],
    }


async def _timed_offer(
    bootstrap: str,
    mode: str,
    expected: Expected,
    count: int,
    records_per_s: float,
    memory: list[dict[str, Any]],
) -> tuple[list[float], float]:
    """Milliseconds from each raw record's send to each of its output records, and how long
    the offering took."""
    topics = _topics(f"lat{mode.replace('_', '')}")
    if mode == "passthrough":
        await _create(bootstrap, topics)
        service = _passthrough(bootstrap, topics.raw, topics.normalized)
    else:
        await _create(bootstrap, topics)
        service = _serve("pipeline", bootstrap, topics, mode, "latency")
    sent: dict[str, float] = {}
    latencies: list[float] = []

    def on_record(topic: str, value: bytes, now: float) -> None:
        try:
            record = orjson.loads(value)
            raw_id = (record.get("provenance") or {}).get("raw_id") or record.get("id")
        except (orjson.JSONDecodeError, AttributeError):
            return
        if raw_id in sent:
            latencies.append((now - sent[raw_id]) * 1000)

    with _running(service):
        await _warm_up(bootstrap, topics.raw, [topics.normalized, topics.dlq])
        collector = asyncio.create_task(
            _collect(bootstrap, [topics.normalized], lambda c: False, idle=5.0, on_record=on_record)
        )
        started = await _offer(bootstrap, topics.raw, expected, count, records_per_s, sent)
        elapsed = time.time() - started
        await collector
        service.read_peak()
    memory.append({"service": f"{service.name}, latency run", "peak_rss_mib": service.peak_rss_mib})
    return latencies, elapsed


async def _offer(
    bootstrap: str,
    raw: str,
    expected: Expected,
    count: int,
    records_per_s: float,
    sent: dict[str, float],
) -> float:
    """Send `count` records evenly spaced; remember when each raw id was sent."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        started = time.time()
        for index in range(count):
            due = started + index / records_per_s
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            record = expected.records[index]
            raw_id = orjson.loads(record).get("id")
            sent[raw_id] = time.time()
            await producer.send(raw, record, key=expected.keys[index])
        await producer.flush()
    finally:
        await producer.stop()
    return started


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1], 1)}


async def _three_services(
    bootstrap: str, expected: Expected, memory: list[dict[str, Any]]
) -> dict[str, Any]:
    """normalizer, deduplicator and enricher as three processes, exactly-once, over the
    corpus: the output count and each one's peak memory."""
    topics = _topics("services")
    await _create(bootstrap, topics)
    services = [
        _serve(name, bootstrap, topics, "exactly_once", "own process")
        for name in ("normalizer", "deduplicator", "enricher")
    ]
    with _running(*services):
        collector = asyncio.create_task(
            _collect(
                bootstrap,
                [topics.normalized, topics.dlq],
                lambda c: (
                    c[topics.normalized] >= expected.published
                    and c[topics.dlq] >= expected.dead_letters
                ),
            )
        )
        first_send = await _send_all(bootstrap, topics.raw, expected)
        collected = await collector
        for service in services:
            service.read_peak()
    for service in services:
        memory.append({"service": service.name, "peak_rss_mib": service.peak_rss_mib})
    seconds = (collected.last_ms or 0) / 1000 - first_send if collected.last_ms else None
    return {
        "outputs": collected.counts[topics.normalized],
        "dead_letters": collected.counts[topics.dlq],
        "expected": expected.published,
        "seconds_including_startup": round(seconds, 2) if seconds else None,
    }
