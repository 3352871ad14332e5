"""Rescaling the deduplicator 1 → 3 → 1 instances during a run: every partition handed over
carries its state through the changelog, so the decisions (status, story, version per item
id) are those of one uninterrupted instance on the same input."""

from __future__ import annotations

import signal

import orjson
import pytest
from fault_harness import (
    Account,
    FaultResult,
    decision,
    expect,
    ids,
    raw_corpus,
    read_all,
    services,
    wait_until,
)

from integration.service_harness import (
    TopicReader,
    caught_up,
    fresh_topics,
    produce,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

PARTITIONS = 6


@pytest.mark.timeout(300)
async def test_deduplicator_scaled_1_3_1_decides_as_one_instance(kafka_bootstrap, fault_results):
    raw = raw_corpus(seed=53, stories=45)
    topics = await fresh_topics(kafka_bootstrap, "rescale", partitions=PARTITIONS)
    expected = expect(raw, topics.raw, PARTITIONS)
    records = [(emit.key.encode(), orjson.dumps(emit.item)) for _, emit in expected.items]
    thirds = [records[i * len(records) // 3 : (i + 1) * len(records) // 3] for i in range(3)]
    group = f"{topics.raw}.deduplicator"

    async with (
        services(kafka_bootstrap, topics, batch_sizes={"deduplicator": 10}) as pool,
        TopicReader(kafka_bootstrap, topics.unique) as out,
    ):
        first = await pool.start("deduplicator")
        partitions = await produce(kafka_bootstrap, topics.items, thirds[0])
        await wait_until(1, out)

        # 1 → 3: two more members join; partitions move to them with their state.
        added = [await pool.start("deduplicator", f"deduplicator-{n}") for n in (2, 3)]
        partitions += await produce(kafka_bootstrap, topics.items, thirds[1])  # while joining
        await wait_for(
            lambda: all(p.logged("partitions_assigned") for p in added), "three members", 90
        )
        await caught_up(kafka_bootstrap, group, topics.items, 120)

        # 3 → 1: the two leave gracefully; the first takes all partitions back.
        for process in added:
            process.process.send_signal(signal.SIGTERM)
        partitions += await produce(kafka_bootstrap, topics.items, thirds[2])  # while leaving
        for n, process in enumerate(added, start=2):
            assert await process.wait() == 0, process.logged("service_failed")
            pool.stopped.append(pool.running.pop(f"deduplicator-{n}"))
        await caught_up(kafka_bootstrap, group, topics.items, 120)
        await out.drain()
        members = [first, *added]

    expected_partitions = [p for p, _ in expected.items]
    assert partitions == expected_partitions  # the reference partitions as the producer did
    got = {item["id"]: decision(item) for item in (orjson.loads(r.value) for r in out.records)}
    account = Account.of(list(expected.unique), ids(out.records))
    fault_results.append(
        FaultResult(
            "deduplicator rescaled 1 → 3 → 1 mid-run (exactly_once)",
            len(records),
            account.expected,
            account.written,
            account.lost,
            account.duplicated,
            f"{sum(got[i] != d for i, d in expected.unique.items() if i in got)} decisions differ",
        )
    )
    assert account.lost == account.duplicated == 0, account.missing
    assert got == expected.unique
    restored = [
        sum(line["changelog_records"] for line in member.logged("state_restored"))
        for member in members
    ]
    assert all(n > 0 for n in restored[1:]), restored  # joiners took over partitions with state
    assert len(first.logged("partitions_assigned")) >= 3  # 1 → 3 and 3 → 1 moved its partitions
    assert await read_all(kafka_bootstrap, topics.dlq) == []
