"""Soak: the three services (exactly-once) at a steady offered rate for a long time, with a
small dedup window that fills and evicts. Samples every service's RSS and each consumer
group's lag, and reports latency percentiles per window, the RSS slope after warm-up and the
largest lag. Not in CI: `make soak` (`python -m bench.soak --minutes 30 --rate 4`).

The raw records cycle through a generated corpus, each send with a fresh envelope id (so
every send is a new raw record, and a story seen a cycle earlier is new again once the
window has evicted it). Latency is from a raw record's send to each of its output items
(matched by `provenance.raw_id`).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.endtoend import (
    LOGS,
    MAX_RECORD,
    PARTITIONS,
    Service,
    _create,
    _percentiles,
    _producer,
    _running,
    _serve,
    _topics,
    _warm_up,
    status_value,
)
from wirestream.core.topics import PipelineTopics
from wirestream.devbroker.detached import cluster_from_env
from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.generator import generate
from wirestream.pipeline import DEDUP_ENTRIES_ENV, STAGES

SAMPLE_S = 10.0


@dataclass
class Soak:
    """What a soak run observed."""

    window_s: float
    sent: dict[str, float] = field(default_factory=dict)  # raw id -> send time
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (time, ms)
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # MiB over time
    lag: list[tuple[float, int]] = field(default_factory=list)  # (time, summed lag)
    offered: int = 0
    outputs: int = 0


def corpus(seed: int, records: int) -> list[bytes]:
    raw = [r for r in generate(seed, records).records() if len(r) <= MAX_RECORD]
    # Envelopes only: the deliberately broken inputs would dead-letter on every cycle.
    return [r for r in raw if r.startswith(b"{") and b'"body":"' in r][:records]


def offers(raw: list[bytes]) -> Iterator[tuple[str, bytes]]:
    """The corpus over and over, each send a new raw record (its own envelope id)."""
    for n, record in enumerate(itertools.cycle(raw)):
        envelope = orjson.loads(record)
        envelope["id"] = f"soak-{n}"
        yield envelope["id"], orjson.dumps(envelope)


async def offer(
    bootstrap: str, topic: str, raw: list[bytes], rate: float, until: float, soak: Soak
) -> None:
    producer = _producer(bootstrap)
    await producer.start()
    try:
        started = time.time()
        for index, (raw_id, value) in enumerate(offers(raw)):
            due = started + index / rate
            if due >= until:
                break
            if due > time.time():
                await asyncio.sleep(due - time.time())
            soak.sent[raw_id] = time.time()
            await producer.send(topic, value, key=raw_id.encode())
            soak.offered += 1
        await producer.flush()
    finally:
        await producer.stop()


async def collect(bootstrap: str, topic: str, until: float, soak: Soak) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        while time.time() < until:
            batch = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batch.values():
                for record in records:
                    raw_id = orjson.loads(record.value)["provenance"]["raw_id"]
                    if raw_id in soak.sent:
                        soak.latencies.append((now, (now - soak.sent[raw_id]) * 1000))
                    soak.outputs += 1
    finally:
        await consumer.stop()


def rss_mib(pid: int) -> float | None:
    kib = status_value(f"/proc/{pid}/status", "VmRSS")
    return kib / 1024 if kib is not None else None


async def group_lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, groups: dict[str, str]
) -> int:
    """Records the groups have not committed yet, summed over their input topics."""
    total = 0
    for group, topic in groups.items():
        committed = await admin.list_consumer_group_offsets(group)
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
        total += sum(
            end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items()
        )
    return total


async def sample(
    bootstrap: str, services: list[Service], groups: dict[str, str], until: float, soak: Soak
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await ends.start()
    try:
        while time.time() < until:
            now = time.time()
            for service in services:
                rss = rss_mib(service.process.pid)
                if rss is not None:
                    soak.rss.setdefault(service.name.split()[0], []).append((now, rss))
            soak.lag.append((now, await group_lag(admin, ends, groups)))
            await asyncio.sleep(SAMPLE_S)
    finally:
        await ends.stop()
        await admin.close()


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (time s, value) points, per hour."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 3600


def report(soak: Soak, began: float, warm_up_s: float) -> dict[str, Any]:
    windows = []
    end = max([t for t, _ in soak.latencies] + [began])
    for start in itertools.count(began, soak.window_s):
        if start >= end:
            break
        inside = [ms for t, ms in soak.latencies if start <= t < start + soak.window_s]
        lags = [lag for t, lag in soak.lag if start <= t < start + soak.window_s]
        windows.append(
            {
                "minutes": f"{(start - began) / 60:g}-{(start - began + soak.window_s) / 60:g}",
                "outputs": len(inside),
                **_percentiles(inside),
                "max_lag": max(lags, default=None),
            }
        )
    settled = began + warm_up_s
    memory = {
        name: {
            "first_mib": round(points[0][1], 1),
            "after_warm_up_mib": round(
                next((v for t, v in points if t >= settled), points[-1][1]), 1
            ),
            "last_mib": round(points[-1][1], 1),
            "slope_mib_per_h": round(
                slope_per_hour([p for p in points if p[0] >= settled]) or 0.0, 2
            ),
        }
        for name, points in soak.rss.items()
    }
    return {
        "offered_raw": soak.offered,
        "outputs": soak.outputs,
        "windows": windows,
        "rss": memory,
        "max_lag": max((lag for _, lag in soak.lag), default=None),
        "last_lag": soak.lag[-1][1] if soak.lag else None,
    }


async def run(
    bootstrap: str, minutes: float, rate: float, entries: int, seed: int
) -> dict[str, Any]:
    topics: PipelineTopics = _topics("soak")
    LOGS.mkdir(exist_ok=True)  # the services' logs
    await _create(bootstrap, topics)
    extra = {DEDUP_ENTRIES_ENV: str(entries)}
    services = [_serve(stage, bootstrap, topics, "exactly_once", "soak", extra) for stage in STAGES]
    groups = {
        f"{topics.raw}-normalizer": topics.raw,
        f"{topics.raw}-deduplicator": topics.items,
        f"{topics.raw}-enricher": topics.unique,
    }
    raw = corpus(seed, max(1_000, int(rate * 150)))  # a cycle of about 150 s
    with _running(*services):
        await _warm_up(bootstrap, topics.raw, topics.normalized)
        soak = Soak(window_s=min(300.0, minutes * 60 / 3))
        began = time.time()
        until = began + minutes * 60
        drained = until + 60  # the last records' way through
        await asyncio.gather(
            offer(bootstrap, topics.raw, raw, rate, until, soak),
            collect(bootstrap, topics.normalized, drained, soak),
            sample(bootstrap, services, groups, drained, soak),
        )
        exited = {s.name: s.process.returncode for s in services if s.process.poll() is not None}
    result = report(soak, began, warm_up_s=min(300.0, minutes * 60 / 5))
    result |= {
        "minutes": minutes,
        "rate_raw_per_s": rate,
        "dedup_max_entries": entries,
        "corpus_cycle": len(raw),
        "exited": exited,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=4.0, help="raw records offered per second")
    parser.add_argument("--dedup-entries", type=int, default=500, help="dedup window per partition")
    parser.add_argument("--seed", type=int, default=83)
    args = parser.parse_args(argv)
    bootstrap = cluster_from_env()
    if bootstrap:
        result = asyncio.run(run(bootstrap, args.minutes, args.rate, args.dedup_entries, args.seed))
    else:
        with LocalKafka() as kafka:
            result = asyncio.run(
                run(kafka.bootstrap, args.minutes, args.rate, args.dedup_entries, args.seed)
            )
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 1 if result["exited"] else 0


if __name__ == "__main__":
    sys.exit(main())
