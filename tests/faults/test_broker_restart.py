"""The broker stops and starts again (same port, same data) while the three services run:
they reconnect, resume and finish, and every raw record is on the output or in the DLQ
exactly once, with the decisions of an uninterrupted run."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from fault_harness import (
    MAX_RAW_BYTES,
    SERVICES,
    Account,
    FaultResult,
    decision,
    expect,
    ids,
    letter_key,
    raw_corpus,
    read_all,
    services,
    wait_until,
)

from integration.service_harness import TopicReader, fresh_topics, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

PARTITIONS = 3
DOWNTIME_S = 5.0
RETRIED = ("partition_suspended", "fetch_failed")  # what a service logs for a retried error
# aiokafka's warnings and errors a service may log over the whole run: each kind passes once
# per 10 s (`RepeatGate`); 9-13 did here, where a dead broker used to make ~130 a second.
LIBRARY_TROUBLE_MAX = 25


async def trickle(bootstrap: str, topic: str, raw: list[bytes], fed: list[int]) -> None:
    """Write the raw records one by one, a pause between them, with an idempotent producer
    that waits out the broker's downtime (no record lost or doubled by its retries)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=90_000,
        max_request_size=MAX_RAW_BYTES + 65_536,
    )
    await producer.start()
    try:
        for offset, value in enumerate(raw):
            await producer.send_and_wait(topic, value, key=b"wire")
            fed.append(offset)
            await asyncio.sleep(0.4)
    finally:
        await producer.stop()


@pytest.mark.timeout(420)
async def test_services_ride_out_a_broker_restart(secured_kafka, fault_results):
    kafka = secured_kafka.kafka
    bootstrap = secured_kafka.plaintext
    raw = raw_corpus(seed=61, stories=30)
    topics = await fresh_topics(bootstrap, "restart", partitions=PARTITIONS, raw_partitions=1)
    expected = expect(raw, topics.raw, PARTITIONS)
    port = kafka.port

    async with (
        services(bootstrap, topics, batch_sizes={"deduplicator": 2}) as pipeline,
        TopicReader(bootstrap, topics.normalized) as watch,
    ):
        for service in SERVICES:
            await pipeline.start(service)
        await wait_for(
            lambda: all(p.logged("partitions_assigned") for p in pipeline.running.values()),
            "services ready",
        )
        fed: list[int] = []
        feed = asyncio.create_task(trickle(bootstrap, topics.raw, raw, fed))
        await wait_until(1, watch)
        fed_at_stop = len(fed)
        await asyncio.to_thread(kafka.restart, DOWNTIME_S)
        assert kafka.port == port  # the same address: clients reconnect to it
        assert not feed.done()  # the broker went down mid-stream
        await feed
        await pipeline.finished(timeout=240)
        survivors = {s: p.process.returncode for s, p in pipeline.running.items()}
        logs = pipeline.logs()
        library_trouble = {
            service: [
                line
                for line in process.lines
                if line.get("logger") and line.get("level") in ("warning", "error")
            ]
            for service, process in pipeline.running.items()
        }

    out = await read_all(bootstrap, topics.normalized)
    dlq = await read_all(bootstrap, topics.dlq)
    items = Account.of(list(expected.unique), ids(out))
    letters = Account.of(expected.letters.elements(), map(letter_key, dlq))
    retries = [line for line in logs if line.get("event") in RETRIED]
    held_back = sum(
        line.get("repeats_held_back", 0) for lines in library_trouble.values() for line in lines
    )
    fault_results.append(
        FaultResult.of(
            f"broker stopped for {DOWNTIME_S:.0f} s and restarted mid-run (exactly_once)",
            len(raw),
            (items, letters),
            f"stopped after {fed_at_stop} of {len(raw)} raw records; "
            f"{len(retries)} partition suspensions/fetch errors logged, no service exited; "
            f"library warnings per service {sorted(map(len, library_trouble.values()))}, "
            f"{held_back} repeats held back",
        )
    )
    assert survivors == dict.fromkeys(SERVICES, None)  # all still running: none gave up
    assert all(len(lines) <= LIBRARY_TROUBLE_MAX for lines in library_trouble.values()), {
        service: [line["event"][:80] for line in lines]
        for service, lines in library_trouble.items()
    }
    assert not [line for line in logs if line.get("event") == "service_failed"]
    assert items.lost == letters.lost == 0, (items.missing, letters.missing)
    assert items.duplicated == letters.duplicated == 0
    assert {i["id"]: decision(i) for i in (orjson.loads(r.value) for r in out)} == expected.unique
