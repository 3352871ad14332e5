"""Chaos at volume: raw records keep arriving while a loop kills a random service with -9
and starts it again (a few seconds after the last one is back, spread over the run: 6 kills
in CI, 12 at 50,000 raw records), and once scales the deduplicator 1 → 3 → 1. Exactly
once: every raw record is on the output or in the DLQ once, and every decision (status,
story, version per item id) is that of the in-process run.

CI runs it on 600 raw records; `make chaos` on 50,000 (`WIRESTREAM_FAULT_RECORDS`)."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from collections.abc import Sequence

import pytest
from fault_harness import (
    SERVICES,
    FaultResult,
    Services,
    expect,
    fault_records,
    produce_all,
    raw_corpus_of,
    run_outcome,
    services,
)

from integration.service_harness import TopicReader, fresh_topics, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

PARTITIONS = 6
RECORDS = fault_records(600)
# Kills spread over the run: one each time the output has grown by another share of 90 %
# of it. A kill every few seconds until then would, at volume, be hundreds of restarts
# (each a model load and a 6 s session timeout) rather than the run's work.
KILLS = max(6, RECORDS // 4_000)
PAUSE_S = 3.0  # the restarted victim works this long before the next kill
BACK_S = 240.0  # generous: a restart on two shared cores, behind a rebalance
DRAIN_S = max(1200.0, RECORDS * 0.5)  # grows with the volume, generous on shared cores


async def feed(bootstrap: str, topic: str, raw: Sequence[bytes], chunks: int) -> None:
    """The raw records in `chunks` slices, a second apart: the stream goes on during chaos."""
    size = -(-len(raw) // chunks)
    for start in range(0, len(raw), size):
        await produce_all(bootstrap, topic, raw[start : start + size])
        await asyncio.sleep(1.0)


async def working(watch: TopicReader, seconds: float) -> None:
    """Let the services work for `seconds`, following the output meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await watch.poll()


async def progressed(watch: TopicReader, count: float) -> None:
    """Follow the output until it holds `count` records."""
    while len(watch.records) < count:
        await watch.poll()


async def kill_and_restart(pipeline: Services, victim: str, watch: TopicReader) -> None:
    await pipeline.kill(victim)
    back = await pipeline.start(victim)
    await wait_for(lambda: bool(back.logged("partitions_assigned")), f"{victim} back", BACK_S)
    await working(watch, PAUSE_S)


async def rescale_deduplicator(pipeline: Services, watch: TopicReader) -> list[int]:
    """1 → 3 → 1: two more instances join (restoring state), then leave with SIGTERM; the
    changelog records each joiner restored."""
    added = [await pipeline.start("deduplicator", f"deduplicator-{n}") for n in (2, 3)]
    await wait_for(lambda: all(p.logged("partitions_assigned") for p in added), "joined", BACK_S)
    await working(watch, PAUSE_S)
    for process in added:
        process.process.send_signal(signal.SIGTERM)
    for n, process in enumerate(added, start=2):
        assert await process.wait(BACK_S) == 0, process.logged("service_failed")
        pipeline.stopped.append(pipeline.running.pop(f"deduplicator-{n}"))
    return [sum(line["changelog_records"] for line in p.logged("state_restored")) for p in added]


@pytest.mark.timeout(900 + 3 * DRAIN_S)
async def test_kill_9_loop_and_a_rescale_at_volume_decide_as_the_in_process_run(
    kafka_bootstrap, fault_results
):
    raw = raw_corpus_of(seed=79, records=RECORDS)
    topics = await fresh_topics(kafka_bootstrap, "chaos", partitions=PARTITIONS, raw_partitions=1)
    reference = time.monotonic()
    expected = expect(raw, topics.raw, PARTITIONS)
    reference = time.monotonic() - reference
    chaos = random.Random(79)
    kills: Counter[str] = Counter()
    restored: list[int] = []
    began = time.monotonic()
    async with (
        services(kafka_bootstrap, topics) as pipeline,
        TopicReader(kafka_bootstrap, topics.normalized) as watch,
    ):
        for service in SERVICES:
            await pipeline.start(service)
        feeding = asyncio.create_task(feed(kafka_bootstrap, topics.raw, raw, chunks=20))
        # KILLS kills and the rescale (midway), spread over the first 90 % of the output.
        share = 0.9 * len(expected.unique) / (KILLS + 2)
        while sum(kills.values()) < KILLS or not restored:
            done = sum(kills.values()) + bool(restored)
            await progressed(watch, share * done)
            if not restored and sum(kills.values()) >= KILLS // 2:
                restored = await rescale_deduplicator(pipeline, watch)
                continue
            victim = chaos.choice(SERVICES)
            await kill_and_restart(pipeline, victim, watch)
            kills[victim] += 1
        await feeding
        await pipeline.finished(DRAIN_S)
        exited = pipeline.exited()
    took = time.monotonic() - began

    checked = time.monotonic()
    outcome = await run_outcome(kafka_bootstrap, topics, expected)
    checked = time.monotonic() - checked
    fault_results.append(
        FaultResult.of(
            "chaos: kill -9 of a random service, restarted, spread over the run "
            f"({sum(kills.values())} kills: "
            + ", ".join(f"{s} {n}" for s, n in kills.items())
            + "), deduplicator rescaled 1 → 3 → 1 (exactly_once)",
            len(raw),
            outcome.accounts,
            f"{outcome.decisions_differ} decisions differ; ran {took:.0f} s (in-process run "
            f"{reference:.0f} s, output read and checked in {checked:.0f} s)",
        )
    )
    assert exited == {}
    assert all(n > 0 for n in restored), restored  # the joiners took partitions with state
    outcome.assert_exact()
