"""End-to-end figures on a real broker: throughput raw → normalized (exactly-once and
at-least-once) against a plain aiokafka passthrough, latency at a fixed offered rate, what an
idle service costs against the broker alone, and the peak memory of each service.

Every run gets fresh topics with the same partition count and a service started as its own
process (`wirestream serve ...`, or `python -m bench.passthrough`). A run first sends one
warm-up record and waits for it to come out, so start-up (imports, gazetteer, group join)
is not counted. A throughput run then drains a preloaded backlog: the whole corpus is written
to the raw topic in one transaction while the services wait (reading `read_committed`, they see
none of it), and the clock starts at its commit (t0) and stops when the last expected output is
read `read_committed`; neither the load generator nor start-up is in the timing. Raw records are
keyed by source and section, so a story's pages share a partition and the pipeline's dedup
decisions match the in-process ones (the expected output count).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from bench.report import progress
from wirestream.core.clients import admin
from wirestream.core.config import Settings
from wirestream.core.topics import PipelineTopics, ensure_topics, pipeline_topic_specs
from wirestream.devbroker.detached import cluster_from_env
from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.devbroker.subprocesses import die_with_parent, stop_gracefully

PARTITIONS = 2  # one per core of the reference machine
IDLE_S = 15.0  # how long an idle service is watched
MAX_RECORD = 900_000  # larger records never reach Kafka (broker and producer limits)
ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".bench"


@dataclass(slots=True)
class Expected:
    """What the pipeline must output for the records sent (from the in-process chain)."""

    records: list[bytes]
    keys: list[bytes]
    published: int  # by `serve pipeline`
    dead_letters: int
    items_per_record: float
    chain: str  # the stages `serve pipeline` chains
    published_by_services: int  # by the normalizer → deduplicator → enricher services


@dataclass(slots=True)
class Service:
    """A service process; peak memory read from /proc before it stops."""

    name: str
    process: subprocess.Popen[bytes]
    peak_rss_mib: float | None = None

    def read_peak(self) -> float | None:
        self.peak_rss_mib = peak_rss_mib(self.process.pid) or self.peak_rss_mib
        return self.peak_rss_mib

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def main_thread_cpu_seconds(self) -> float:
        """The main thread's: a wirestream service's event loop (its chain runs in another)."""
        return cpu_seconds(self.process.pid, thread=self.process.pid)

    def stop(self, timeout: float = 30.0) -> None:
        self.read_peak()
        stop_gracefully(self.process, timeout)


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User and system CPU time of a process, all its threads, so far (0 once it is gone);
    of one of its threads when `thread` (a thread id) is given."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat"
    try:
        with open(path) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_value(path: str, key: str) -> int | None:
    """The number a /proc `status` file gives for `key` (kB for memory); None once the
    process is gone."""
    try:
        with open(path) as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wake_ups(pid: int) -> int:
    """Times the process's main thread (a service's event loop) has gone to sleep and been
    woken: its voluntary context switches so far (0 once it is gone)."""
    return status_value(f"/proc/{pid}/task/{pid}/status", "voluntary_ctxt_switches") or 0


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the process's peak resident set size."""
    kib = status_value(f"/proc/{pid}/status", "VmHWM")
    return round(kib / 1024, 1) if kib is not None else None


@dataclass(slots=True)
class Collected:
    counts: dict[str, int] = field(default_factory=dict)
    last_seen: float | None = None  # time.time() of the last output record


@dataclass(slots=True)
class Drained:
    """A preloaded backlog drained: from its commit to the last expected output read."""

    collected: Collected
    complete: bool
    seconds: float | None
    service_cpu_s: float
    broker_cpu_s: float | None
    main_thread_cpu_s: float  # of the services' main threads: their event loops
    commit_s: float  # the backlog's commit call, from request to acknowledgement


def expected_outputs(records: list[bytes]) -> Expected:
    from bench.inprocess import pipeline_stages
    from wirestream.core.chain import Chain
    from wirestream.pipeline import build_stages

    sendable = [r for r in records if len(r) <= MAX_RECORD]
    pipeline = Chain(build_stages())  # exactly what `wirestream serve pipeline` runs
    published, dead, items = _outcomes(pipeline, sendable)
    by_services, _, _ = _outcomes(Chain(pipeline_stages()), sendable)
    keys = [_key(r) for r in sendable]
    per_record = items / max(1, len(sendable))
    return Expected(sendable, keys, published, dead, per_record, pipeline.name, by_services)


def chain_cpu_seconds(records: list[bytes]) -> float:
    """CPU time of a `serve pipeline` chain over the records without any Kafka around it, in a
    process started for it: like a service's, its chain has seen the warm-up page and none of
    the corpus. Here, it would find the corpus's words in the process-wide caches the expected
    outputs filled (the recogniser's features, folded words): 5% cheaper on the full corpus
    and 25% on the quick one, which flattered the baseline of the runtime's overhead."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as fresh:
        return fresh.submit(_chain_cpu_seconds, records).result()


def _chain_cpu_seconds(records: list[bytes]) -> float:
    from wirestream.core.chain import Chain
    from wirestream.core.records import Origin
    from wirestream.pipeline import build_stages, freeze_built

    chain = Chain(build_stages())  # built outside the timing: the gazetteer loads here
    freeze_built()  # as `serve` does
    chain.process(warm_up_record(), Origin())  # and the recogniser's models
    began = time.process_time()
    _outcomes(chain, records)
    return time.process_time() - began


def _outcomes(chain: Any, records: list[bytes]) -> tuple[int, int, int]:
    """Published items, dead letters and all items of a chain over the records."""
    from wirestream.core.records import DeadLetter, Emit, Origin

    published = dead = items = 0
    for record in records:
        for outcome in chain.process(record, Origin()):
            if isinstance(outcome, DeadLetter):
                dead += 1
            elif isinstance(outcome, Emit):
                items += 1
                published += outcome.publish
    return published, dead, items


@functools.cache
def warm_up_record() -> bytes:
    """A one-item page of a story outside the corpus, days older: it goes through every
    stage (loading the gazetteer, joining groups) without touching the corpus's decisions."""
    from wirestream.generator import GeneratorConfig, generate

    base = GeneratorConfig().base_time - timedelta(days=5)
    corpus = generate(1_000_003, 1, base_time=base, bad_rate=0, teaser_only_rate=0)
    return corpus.records()[0]


def _key(record: bytes) -> bytes:
    """Source and section: every page of a section lands on one partition."""
    try:
        envelope = orjson.loads(record)
        url = envelope.get("url") or ""
        section = url.split("/")[3] if url.count("/") >= 3 else ""
        return f"{envelope.get('source')}/{section}".encode()
    except (orjson.JSONDecodeError, AttributeError, IndexError):
        return b"unreadable"


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the runs go: the bootstrap address, the broker's pid when local (for its CPU and
    memory), and what it is."""

    bootstrap: str
    pid: int | None
    what: str


@contextlib.contextmanager
def broker() -> Iterator[Broker]:
    """The cluster at $KAFKA_BOOTSTRAP, or a local broker started for the runs."""
    LOGS.mkdir(exist_ok=True)
    bootstrap = cluster_from_env()
    if bootstrap:
        yield Broker(bootstrap, None, "an existing cluster")
        return
    progress("starting a local Kafka broker ...")
    with LocalKafka() as kafka:
        yield Broker(kafka.bootstrap, kafka.pid, f"Kafka {kafka.version}")


def run(expected: Expected, on: Broker, *, quick: bool, rate: int) -> dict[str, Any]:
    """All end-to-end figures on the broker `on`."""
    return asyncio.run(_all(on.bootstrap, expected, quick, rate, on.pid, on.what))


async def _all(
    bootstrap: str, expected: Expected, quick: bool, rate: int, broker: int | None, what: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "setup": (
            f"{what}, single local broker, {PARTITIONS} partitions per topic; "
            f"`serve pipeline` chains {expected.chain}; "
            f"{len(expected.records):,} raw records ({expected.items_per_record:.1f} items each), "
            f"{expected.published:,} published items expected from `serve pipeline` and "
            f"{expected.published_by_services:,} from the three services, "
            f"{expected.dead_letters} dead letters. Each run warms its services up with one "
            f"page; a throughput run then drains the corpus preloaded in one transaction, "
            f"timed from its commit to the last expected output read `read_committed`."
        ),
        "notes": [],
    }
    memory: list[dict[str, Any]] = []
    throughput = []
    for mode in THROUGHPUT_RUNS:
        progress(f"end to end: {THROUGHPUT_RUNS[mode]} ...")
        throughput.append(await _throughput(bootstrap, mode, expected, memory, broker))
    base = throughput[0].get("records_per_s")
    for row in throughput[1:]:
        rate_of = row.get("records_per_s")
        row["ratio"] = round(rate_of / base, 3) if rate_of and base else None
    out["throughput"] = throughput

    seconds = 8.0 if quick else 30.0
    out["latency"] = await _latency(bootstrap, expected, rate, seconds, memory)

    progress("end to end: an idle `serve pipeline` ...")
    out["idle"] = await _idle(bootstrap, broker, 5.0 if quick else IDLE_S)

    if broker:
        memory.append({"service": "Kafka broker (JVM)", "peak_rss_mib": peak_rss_mib(broker)})
    out["memory"] = memory
    out["notes"].append(
        f"Records over {MAX_RECORD:,} bytes (the oversize inputs) are not sent: Kafka's "
        f"default message size limit refuses them before any service could see them."
    )
    return out


# -- topics and processes --------------------------------------------------------------------


def _topics(run: str) -> PipelineTopics:
    stamp = f"{os.getpid()}-{int(time.time() * 1000) % 10**8}"
    return PipelineTopics().with_prefix(f"bench-{stamp}-{run}.")


async def _create(bootstrap: str, topics: PipelineTopics) -> None:
    async with admin(Settings(bootstrap=bootstrap)) as client:
        await ensure_topics(client, pipeline_topic_specs(topics, partitions=PARTITIONS))


def _serve(
    service: str,
    bootstrap: str,
    topics: PipelineTopics,
    guarantee: str,
    tag: str,
    extra: dict[str, str] | None = None,
) -> Service:
    env = {
        **os.environ,
        **(extra or {}),
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
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
    )
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
    on_record: Callable[[str, ConsumerRecord, float], None] | None = None,
    started: asyncio.Event | None = None,
) -> Collected:
    """Read `topics` (read_committed) until `done(counts)`, or nothing new for `idle` s;
    `started` is set once the consumer has its partitions."""
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
    begun = time.time()
    try:
        while not done(collected.counts):
            batch = await consumer.getmany(timeout_ms=100)
            if started and consumer.assignment():
                started.set()
            now = time.time()
            for tp, records in batch.items():
                collected.counts[tp.topic] += len(records)
                collected.last_seen = now
                if on_record:
                    for record in records:
                        on_record(tp.topic, record, now)
            waited = now - (collected.last_seen or begun)
            if waited > (idle if collected.last_seen else startup):
                break
    finally:
        await consumer.stop()
    return collected


async def _warm_up(bootstrap: str, raw: str, output: str) -> None:
    """One page through the running service(s); returns once its item has come out."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(raw, warm_up_record(), key=b"warm-up")
    finally:
        await producer.stop()
    await _collect(bootstrap, [output], lambda c: c[output] >= 1, idle=90)


async def drain_backlog(
    bootstrap: str,
    raw: str,
    expected: Expected,
    services: list[Service],
    want: dict[str, int],
    broker: int | None,
    on_record: Callable[[str, ConsumerRecord, float], None] | None = None,
) -> Drained:
    """Write the corpus to `raw` in one transaction, commit it (t0), and read `want` records
    of each output topic (read_committed); CPU of the services and the broker from t0 on."""
    started = asyncio.Event()
    collector = asyncio.create_task(
        _collect(
            bootstrap,
            list(want),
            lambda c: all(c[t] >= n for t, n in want.items()),
            on_record=on_record,
            started=started,
        )
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        transactional_id=f"{raw}-backlog",
        max_request_size=1_048_576,
        linger_ms=5,
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        sends = [
            await producer.send(raw, record, key=key)
            for record, key in zip(expected.records, expected.keys, strict=True)
        ]
        await asyncio.gather(*sends)
        await started.wait()
        cpu = -sum(service.cpu_seconds() for service in services)
        loop_cpu = -sum(service.main_thread_cpu_seconds() for service in services)
        broker_cpu = -cpu_seconds(broker) if broker else None
        t0 = time.time()
        await producer.commit_transaction()
        commit_s = time.time() - t0
    finally:
        await producer.stop()
    collected = await collector
    cpu += sum(service.cpu_seconds() for service in services)
    loop_cpu += sum(service.main_thread_cpu_seconds() for service in services)
    if broker_cpu is not None and broker:
        broker_cpu += cpu_seconds(broker)
    for service in services:
        service.read_peak()
    seconds = collected.last_seen - t0 if collected.last_seen else None
    return Drained(
        collected,
        all(collected.counts[t] >= n for t, n in want.items()),
        round(seconds, 3) if seconds else None,
        round(cpu, 3),
        round(broker_cpu, 3) if broker_cpu is not None else None,
        round(loop_cpu, 3),
        commit_s,
    )


THROUGHPUT_RUNS = {
    "passthrough": "plain aiokafka passthrough (at-least-once)",
    "exactly_once": "exactly-once, `serve pipeline` (one process)",
    "at_least_once": "at-least-once, `serve pipeline` (one process)",
    "services": "exactly-once, three services (normalizer, deduplicator, enricher)",
}


def _start(mode: str, bootstrap: str, topics: PipelineTopics) -> list[Service]:
    if mode == "passthrough":
        return [_passthrough(bootstrap, topics.raw, topics.normalized)]
    if mode == "services":
        return [
            _serve(name, bootstrap, topics, "exactly_once", "own process")
            for name in ("normalizer", "deduplicator", "enricher")
        ]
    return [_serve("pipeline", bootstrap, topics, mode, mode)]


async def _throughput(
    bootstrap: str, mode: str, expected: Expected, memory: list[dict[str, Any]], broker: int | None
) -> dict[str, Any]:
    """Warmed-up service(s) draining the corpus preloaded in one transaction: raw records/s
    from its commit to the last output read."""
    topics = _topics(mode.replace("_", ""))
    await _create(bootstrap, topics)
    outputs = {
        "passthrough": len(expected.records),
        "services": expected.published_by_services,
    }.get(mode, expected.published)
    want = {topics.normalized: outputs + 1}  # + the warm-up page's one item
    if mode != "passthrough":
        want[topics.dlq] = expected.dead_letters
    services = _start(mode, bootstrap, topics)
    with _running(*services):
        await _warm_up(bootstrap, topics.raw, topics.normalized)
        drained = await drain_backlog(bootstrap, topics.raw, expected, services, want, broker)
    for service in services:
        memory.append({"service": service.name, "peak_rss_mib": service.peak_rss_mib})
    name = THROUGHPUT_RUNS[mode]
    counts = drained.collected.counts
    row: dict[str, Any] = {
        "name": name if drained.complete else f"{name}: INCOMPLETE, {counts} of {want}",
        "records": len(expected.records),
        "outputs": counts[topics.normalized] - 1,
        **drain_figures(drained, len(expected.records), expected.items_per_record),
    }
    if mode == "passthrough":  # it copies records: items are not its unit
        row = {k: v for k, v in row.items() if "item" not in k}
    return row


def drain_figures(drained: Drained, records: int, items_per_record: float) -> dict[str, Any]:
    """Rates of a drained backlog: per wall second, per CPU second of the service(s), and the
    broker's CPU per item (µs)."""
    items = records * items_per_record
    seconds, cpu, broker = drained.seconds, drained.service_cpu_s, drained.broker_cpu_s
    row: dict[str, Any] = {"seconds": round(seconds, 2) if seconds else None}
    if seconds and seconds > 0:
        row["records_per_s"] = round(records / seconds)
        row["items_per_s"] = round(items / seconds)
    if cpu > 0:
        row["service_cpu_s"] = round(cpu, 2)
        row["records_per_cpu_s"] = round(records / cpu)
        row["items_per_cpu_s"] = round(items / cpu)
        row["service_cpu_us_per_item"] = round(cpu / items * 1e6)
    if broker:
        row["broker_cpu_s"] = round(broker, 2)
        row["broker_cpu_us_per_item"] = round(broker / items * 1e6)
    return row


# Transactions that never grow: with an hour's time bound no backlog ever counts as lasting,
# so a partition commits what it has whenever its previous transaction has committed (at most a
# fetch's records). Before the runtime committed beside processing (issue 16) this setting gave
# one transaction per fetch; BENCHMARKS.md has that runtime's figures from runs of its commit.
NEVER_GROWING = {
    "WIRESTREAM_TRANSACTION_MS": "3600000",
    "WIRESTREAM_TRANSACTION_MAX_MS": "3600000",
}
LATENCY_RUNS = {  # name -> (mode, service environment, share of the rate)
    "exactly-once `serve pipeline`, default settings": ("exactly_once", {}, 1.0),
    "exactly-once `serve pipeline`, transactions never growing": (
        "exactly_once",
        NEVER_GROWING,
        1.0,
    ),
    "exactly-once `serve pipeline`, batch 50": (
        "exactly_once",
        {"WIRESTREAM_BATCH_SIZE": "50"},
        1.0,
    ),
    "exactly-once `serve pipeline`, a quarter of the rate": ("exactly_once", {}, 0.25),
    "plain aiokafka passthrough": ("passthrough", {}, 1.0),
}


async def _latency(
    bootstrap: str, expected: Expected, rate: int, seconds: float, memory: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Raw records offered at `rate` items/s; latency of each output record from the send of
    its raw record, for the exactly-once pipeline (default and small batches) and for the
    passthrough."""
    rows = []
    for name, (mode, extra, fraction) in LATENCY_RUNS.items():
        progress(f"end to end: latency, {name} ...")
        rows.append(
            await latency(bootstrap, name, mode, extra, expected, rate * fraction, seconds, memory)
        )
    return rows


async def latency(
    bootstrap: str,
    name: str,
    mode: str,
    extra: dict[str, str],
    expected: Expected,
    rate: float,
    seconds: float,
    memory: list[dict[str, Any]],
) -> dict[str, Any]:
    """One latency run: `expected`'s records offered at `rate` items/s for up to `seconds`
    to the service (`mode`: a guarantee, or "passthrough") run with `extra` in its
    environment. Percentiles of the milliseconds from each raw record's send to the read of
    each of its output records, and the share of one core the service used meanwhile: in
    all, and in its main thread (the event loop; the rest is a wirestream service's chain
    thread)."""
    per_record = max(1.0, expected.items_per_record)
    records_per_s = rate / per_record
    count = min(len(expected.records), max(1, int(records_per_s * seconds)))
    topics = _topics(f"lat{mode.replace('_', '')}")
    await _create(bootstrap, topics)
    if mode == "passthrough":
        service = _passthrough(bootstrap, topics.raw, topics.normalized)
    else:
        service = _serve("pipeline", bootstrap, topics, mode, f"latency run: {name}", extra)
    sent: dict[str, float] = {}
    latencies: list[float] = []

    def on_record(topic: str, message: ConsumerRecord, now: float) -> None:
        try:
            record = orjson.loads(message.value)
            raw_id = (record.get("provenance") or {}).get("raw_id") or record.get("id")
        except (orjson.JSONDecodeError, AttributeError):
            return
        if raw_id in sent:
            latencies.append((now - sent[raw_id]) * 1000)

    with _running(service):
        await _warm_up(bootstrap, topics.raw, topics.normalized)
        collector = asyncio.create_task(
            _collect(bootstrap, [topics.normalized], lambda c: False, idle=5.0, on_record=on_record)
        )
        cpu, loop = -service.cpu_seconds(), -service.main_thread_cpu_seconds()
        started = await _offer(bootstrap, topics.raw, expected, count, records_per_s, sent)
        elapsed = time.time() - started
        await collector
        cpu += service.cpu_seconds()
        loop += service.main_thread_cpu_seconds()
        service.read_peak()
    label = service.name if mode != "passthrough" else f"{service.name} (latency run)"
    memory.append({"service": label, "peak_rss_mib": service.peak_rss_mib})
    shares = {"cpu_share": cpu, "event_loop_share": loop}
    return {
        "name": name,
        "offered_items_per_s": round(rate),
        "achieved_items_per_s": round(count * per_record / max(elapsed, 1e-9)),
        "records": count,
        "outputs": len(latencies),
        **_percentiles(latencies),
        **{k: round(v / elapsed, 3) if elapsed > 0 else None for k, v in shares.items()},
    }


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


async def _idle(bootstrap: str, broker: int | None, seconds: float) -> list[dict[str, Any]]:
    """What a `serve pipeline` costs while no record comes (after one warm-up page): its CPU,
    its event loop's wake-ups, and the broker's CPU meanwhile, against the broker's with no
    service at all right after (the same run's baseline)."""
    topics = _topics("idle")
    await _create(bootstrap, topics)
    service = _serve("pipeline", bootstrap, topics, "exactly_once", "idle")
    with _running(service):
        await _warm_up(bootstrap, topics.raw, topics.normalized)
        await asyncio.sleep(2.0)  # the warm-up's commit and its acknowledgements settle
        served = await _quiet(seconds, broker, service.process.pid)
    alone = await _quiet(seconds, broker, None)
    return [
        {"run": "idle `serve pipeline` (exactly-once)", **served},
        {"run": "no service (the broker alone)", **alone},
    ]


async def _quiet(seconds: float, broker: int | None, pid: int | None) -> dict[str, Any]:
    """CPU shares of one core and wake-ups per second over `seconds` of waiting."""
    before = (cpu_seconds(pid), wake_ups(pid)) if pid else None
    broker_before = cpu_seconds(broker) if broker else None
    await asyncio.sleep(seconds)
    row: dict[str, Any] = {"seconds": seconds}
    if before is not None and pid:
        row["service_cpu_share"] = round((cpu_seconds(pid) - before[0]) / seconds, 4)
        row["wake_ups_per_s"] = round((wake_ups(pid) - before[1]) / seconds, 1)
    if broker and broker_before is not None:
        row["broker_cpu_share"] = round((cpu_seconds(broker) - broker_before) / seconds, 4)
    return row


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": round(ordered[-1], 1)}
