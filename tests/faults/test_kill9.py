"""kill -9 of each service mid-stream, then a restart: every raw record is accounted for on the
final output or in the DLQ. Exactly-once: each exactly once (by item id), with the decisions
of an uninterrupted run. At-least-once: nothing lost; the duplicates are counted."""

from __future__ import annotations

import asyncio
import signal

import orjson
import pytest
from fault_harness import (
    SERVICES,
    Account,
    FaultResult,
    decision,
    expect,
    ids,
    letter_key,
    paced,
    raw_corpus,
    read_all,
    services,
    wait_until,
)

from integration.service_harness import TopicReader, committed_total, fresh_topics

pytestmark = pytest.mark.kafka

PARTITIONS = 3
# The representative case runs in `make test`; the rest with `make test-faults`.
CASES = [
    pytest.param(victim, guarantee, marks=() if representative else pytest.mark.faults)
    for victim in SERVICES
    for guarantee in ("exactly_once", "at_least_once")
    for representative in [(victim, guarantee) == ("normalizer", "exactly_once")]
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("victim", "guarantee"), CASES)
async def test_kill_9_mid_stream_then_restart(kafka_bootstrap, victim, guarantee, fault_results):
    raw = raw_corpus(seed=47, stories=30)
    topics = await fresh_topics(
        kafka_bootstrap, f"kill9-{victim}", partitions=PARTITIONS, raw_partitions=1
    )
    expected = expect(raw, topics.raw, PARTITIONS)
    victim_output, victim_expected = {
        "normalizer": (topics.items, expected.item_ids),
        "deduplicator": (topics.unique, list(expected.unique)),
        "enricher": (topics.normalized, list(expected.unique)),
    }[victim]
    # Small batches for the victim: many commits, so the kill lands between and inside them.
    options = {"guarantee": guarantee, "batch_sizes": {victim: 2}}
    async with (
        services(kafka_bootstrap, topics, **options) as pipeline,
        TopicReader(kafka_bootstrap, victim_output) as watch,
    ):
        for service in SERVICES:
            await pipeline.start(service)
        feed = asyncio.create_task(paced(kafka_bootstrap, topics.raw, raw, chunks=6, pause=0.5))
        await wait_until(len(victim_expected) // 3, watch)
        killed = pipeline.running[victim]
        await pipeline.kill(victim)
        assert killed.process.returncode == -signal.SIGKILL
        assert not killed.logged("service_stopped")  # no graceful commit, no group left
        consumed = await committed_total(kafka_bootstrap, pipeline.group(victim))
        await pipeline.start(victim)
        await feed
        await pipeline.finished()
        finished = await committed_total(kafka_bootstrap, pipeline.group(victim))

    out = await read_all(kafka_bootstrap, topics.normalized)
    dlq = await read_all(kafka_bootstrap, topics.dlq)
    at_victim = Account.of(victim_expected, ids(await read_all(kafka_bootstrap, victim_output)))
    items = Account.of(list(expected.unique), ids(out))
    letters = Account.of(expected.letters.elements(), map(letter_key, dlq))
    fault_results.append(
        FaultResult.of(
            f"kill -9 {victim} mid-stream, restart ({guarantee})",
            len(raw),
            (items, letters),
            f"{at_victim.duplicated} duplicated on the {victim}'s own output",
        )
    )

    # Killed mid-stream: the victim had committed part of its input, not all of it.
    assert 0 < consumed < finished
    assert items.lost == letters.lost == at_victim.lost == 0, (items.missing, letters.missing)
    if guarantee == "exactly_once":
        assert items.duplicated == letters.duplicated == at_victim.duplicated == 0
        assert {i["id"]: decision(i) for i in (orjson.loads(r.value) for r in out)} == (
            expected.unique
        )
