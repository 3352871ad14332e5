"""A stalled consumer: the enricher is frozen (SIGSTOP) while tens of megabytes of items pile
up on its input, and freezes again while it drains them, each time past its session timeout
(so every freeze costs a rebalance mid-batch). The backlog stays in Kafka, not in the service:
it drains it in bounded batches, its peak memory grows by far less than the backlog, its lag
is visible on its own /metrics while it catches up, and no item is lost or doubled."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from fault_harness import Account, FaultResult, expect, ids, raw_corpus, read_all, services

from integration.service_harness import fresh_topics, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

T = TypeVar("T")
BACKLOG = 3_000
STALLS = 4  # freezes in all: one while the backlog is written, three while it drains
STALL_S = 7.0  # past the services' 6 s session timeout: each freeze costs a rebalance
BODY_BYTES = 20_000
LAG = re.compile(r'^wirestream_consumer_lag_records\{[^}]*topic="([^"]+)"[^}]*\} (\S+)$', re.M)


def backlog_items(template: dict, count: int) -> list[tuple[bytes, bytes]]:
    """`count` distinct stories, each a long item: what a burst of full articles looks like."""
    sentence = template["body_text"].split("\n")[0] + " "
    body = (sentence * (BODY_BYTES // len(sentence) + 1))[:BODY_BYTES]
    records = []
    for n in range(count):
        item = {**template, "id": f"stall-{n}", "story_id": f"stall-story-{n}", "body_text": body}
        records.append((item["story_id"].encode(), orjson.dumps(item)))
    return records


async def produce_fast(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key) for key, value in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def group_lag(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """End offsets minus the group's committed offsets: the lag as the broker sees it (exact
    for an input written without transactions, whose markers would take offsets too)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await ends.start()
    try:
        committed = await retried(lambda: admin.list_consumer_group_offsets(group))
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        end = await ends.end_offsets(tps)
    finally:
        await ends.stop()
        await admin.close()
    return sum(end[tp] - (committed[tp].offset if tp in committed else 0) for tp in tps)


async def retried(call: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
    """`call()` again while the group coordinator is still loading (a fresh broker creates
    its offsets topic on first use)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except GroupCoordinatorNotAvailableError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def uncommitted_trace(bootstrap: str, topic: str, missing: set[str]) -> list:
    """Where the missing items are when aborted and open transactions are read too."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        isolation_level="read_uncommitted", fetch_max_bytes=2**22,
    )  # fmt: skip
    await consumer.start()
    found = []
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(3)])
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [
                    (r.partition, r.offset)
                    for r in records
                    if orjson.loads(r.value)["id"] in missing
                ]
    finally:
        await consumer.stop()
    return found


def item_id(record: ConsumerRecord) -> str:
    return orjson.loads(record.value)["id"]


def memory_kib(pid: int, field: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of a process, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def scraped_lag(exposition: str, topic: str) -> float:
    return sum(float(value) for name, value in LAG.findall(exposition) if name == topic)


@pytest.mark.timeout(300)
async def test_a_stalled_enricher_keeps_its_backlog_in_kafka_and_shows_its_lag(
    kafka_bootstrap, fault_results
):
    topics = await fresh_topics(kafka_bootstrap, "stall", partitions=3)
    expected = expect(raw_corpus(seed=59, stories=10), topics.raw, 3)
    template = next(emit.item for _, emit in expected.items if emit.item["kind"] == "article")
    template = {**template, "dedup": {"status": "new"}, "version": 1}
    warmup = backlog_items(template, 200)
    backlog = backlog_items(template, BACKLOG)
    backlog = [(b"b" + key, value.replace(b'"stall-', b'"late-')) for key, value in backlog]
    backlog_bytes = sum(len(value) for _, value in backlog)
    group = f"{topics.raw}.enricher"

    # The stall and the backlog are the point, not entity recognition: the CRF model costs
    # ~25 µs a word, and 3,000 copies of a long article would take minutes of CPU to tag.
    without_model = {"WIRESTREAM_ENRICHERS": "dateline,agencies,countries,topics"}
    async with services(
        kafka_bootstrap, topics, batch_sizes={"enricher": 50}, extra_env=without_model
    ) as pool:
        enricher = await pool.start("enricher")
        await produce_fast(kafka_bootstrap, topics.unique, warmup)
        await wait_for(lambda: enricher.logged("http_listening"), "metrics endpoint")
        url = enricher.logged("http_listening")[0]["url"]
        deadline = time.monotonic() + 120
        while await group_lag(kafka_bootstrap, group, topics.unique, 3) > 0:
            assert time.monotonic() < deadline, "warm-up not processed"
            await asyncio.sleep(0.5)
        pid = enricher.process.pid
        resident_before = memory_kib(pid, "VmRSS")

        enricher.process.send_signal(signal.SIGSTOP)
        try:
            await produce_fast(kafka_bootstrap, topics.unique, backlog)
            stalled_lag = await group_lag(kafka_bootstrap, group, topics.unique, 3)
        finally:
            enricher.process.send_signal(signal.SIGCONT)

        peak_lag, scrapes, stalls = 0.0, 0, 1
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 180
            while True:
                async with http.get(f"{url}/metrics") as response:
                    exposition = await response.text()
                scrapes += 1
                lag = scraped_lag(exposition, topics.unique)
                peak_lag = max(peak_lag, lag)
                if await group_lag(kafka_bootstrap, group, topics.unique, 3) == 0:
                    break
                if lag and stalls < STALLS:  # stalls again mid-drain, past its session
                    stalls += 1
                    enricher.process.send_signal(signal.SIGSTOP)
                    await asyncio.sleep(STALL_S)
                    enricher.process.send_signal(signal.SIGCONT)
                assert time.monotonic() < deadline, f"backlog not drained, peak lag {peak_lag}"
                await asyncio.sleep(0.25)
            await asyncio.sleep(1.5)  # the gauge is refreshed at most once a second
            async with http.get(f"{url}/metrics") as response:
                final_lag = scraped_lag(await response.text(), topics.unique)
        peak_growth = memory_kib(pid, "VmHWM") - resident_before

    written = Account.of(
        [orjson.loads(value)["id"] for _, value in warmup + backlog],
        ids(await read_all(kafka_bootstrap, topics.normalized)),
    )
    fault_results.append(
        FaultResult(
            f"enricher frozen {STALLS}× for {STALL_S:.0f} s (SIGSTOP) with a "
            f"{backlog_bytes / 2**20:.0f} MiB backlog (exactly_once)",
            len(warmup) + len(backlog),
            written.expected,
            written.written,
            written.lost,
            written.duplicated,
            f"peak lag on /metrics {peak_lag:.0f}; peak RSS growth {peak_growth / 1024:.0f} MiB",
        )
    )
    assert written.lost == written.duplicated == 0, (
        await uncommitted_trace(kafka_bootstrap, topics.normalized, set(written.missing)),
        await group_lag(kafka_bootstrap, group, topics.unique, 3),
        [line for line in enricher.lines if line.get("level") in ("warning", "error")][:20],
    )
    assert stalled_lag == len(backlog)  # the broker holds the backlog
    assert peak_lag >= len(backlog) / 2, f"lag not visible in {scrapes} scrapes"
    assert final_lag == 0
    # Batches bound what is held: the peak grows by far less than the backlog it drained.
    assert peak_growth * 1024 < backlog_bytes / 2, f"{peak_growth} KiB for {backlog_bytes} B"
