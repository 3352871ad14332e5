"""The stages as Kafka services on a real broker: end to end, rebalances, kill -9, poison."""

from __future__ import annotations

import base64
import gc
import signal
from collections import Counter
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from service_harness import (
    ServeProcess,
    TopicReader,
    caught_up,
    committed_total,
    fresh_topics,
    group_members,
    last_committed,
    produce,
    running,
    service_env,
    service_settings,
    wait_for,
)

from schema_check import assert_valid
from wirestream.core.chain import Chain
from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import Deduplicator
from wirestream.enricher import Enricher
from wirestream.generator import generate
from wirestream.normalizer import Normalizer, decode_page
from wirestream.pipeline import build_stages

pytestmark = pytest.mark.kafka

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


def envelope(body: str, source: str = "test") -> bytes:
    return orjson.dumps(
        {
            "source": source,
            "fetched_at": "2026-11-26T10:00:00Z",
            "content_type": "text/plain",
            "body": body,
        }
    )


def corpus_envelopes(seed: int, stories: int) -> list[bytes]:
    corpus = generate(seed, stories, bad_rate=0)
    return [orjson.dumps(e) for e in corpus.envelopes]


def normalized(envelopes: list[bytes]) -> list[Emit]:
    """The items the normalizer makes of the envelopes, in order (keyed by routing key)."""
    stage = Normalizer()
    return [o for e in envelopes for o in stage.process(e, Origin()) if isinstance(o, Emit)]


def dedup_reference(items: list[Emit], partitions: list[int]) -> dict[str, tuple]:
    """What one deduplicator decides per published item, fed partition by partition."""
    stage = Deduplicator()
    published = {}
    for emit, partition in zip(items, partitions, strict=True):
        (out,) = stage.process(emit.item, Origin(partition=partition))
        if out.publish:
            published[out.item["id"]] = decision(out.item)
    return published


def decision(item: dict) -> tuple:
    return item["dedup"]["status"], item["story_id"], item["version"]


def item_records(items: list[Emit]) -> list[tuple[bytes, bytes]]:
    return [(e.key.encode(), orjson.dumps(e.item)) for e in items]


async def test_pages_in_normalized_items_out_as_in_process(kafka_bootstrap):
    """Raw pages through the three services equal the in-process chain, in schema."""
    pages = [envelope(decode_page(p.read_bytes())) for p in sorted(PAGES.glob("*.txt"))]
    envelopes = pages + corpus_envelopes(11, 12) + [b"\xff\xfe not a page"]
    # One raw partition keeps arrival order, so dedup decisions are the in-process ones.
    topics = await fresh_topics(kafka_bootstrap, "e2e", partitions=3, raw_partitions=1)
    await produce(kafka_bootstrap, topics.raw, [(b"test", e) for e in envelopes])

    stages = [Normalizer(), Deduplicator(), Enricher()]
    expected, expected_dead = {}, 0
    for raw in envelopes:
        outcomes = [raw]
        for stage in stages:
            outcomes = [
                o
                for value in outcomes
                for o in stage.process(value, Origin(partition=0))
                if not isinstance(o, Emit) or o.publish
            ]
            expected_dead += sum(not isinstance(o, Emit) for o in outcomes)
            outcomes = [o.item for o in outcomes if isinstance(o, Emit)]
        expected |= {item["id"]: item for item in outcomes}

    names = ("normalizer", "deduplicator", "enricher")
    async with (
        running(service_settings(kafka_bootstrap, topics, names[0])) as normalizer,
        running(service_settings(kafka_bootstrap, topics, names[1])) as deduplicator,
        running(service_settings(kafka_bootstrap, topics, names[2])),
        TopicReader(kafka_bootstrap, topics.normalized) as out,
        TopicReader(kafka_bootstrap, topics.dlq) as dlq,
    ):
        await out.until(len(expected))
        await dlq.until(expected_dead)
        await wait_for(lambda: deduplicator.health.ready, "deduplicator ready")
        await caught_up(kafka_bootstrap, f"{topics.raw}.enricher", topics.unique)
        await out.drain()
        assert normalizer.health.ready
    metrics = deduplicator.metrics.exposition().decode()

    got = {item["id"]: item for item in out.values()}
    assert len(out.records) == len(got) == len(expected)  # no item written twice
    # The routing key sends likely duplicates to one wire.items partition, so state kept per
    # partition decides as the single in-process state does.
    assert {i: decision(item) for i, item in got.items()} == {
        i: decision(item) for i, item in expected.items()
    }
    for record, item in zip(out.records, out.values(), strict=True):
        assert_valid("normalized-item.v1", item)
        assert record.key == item["story_id"].encode()
        headers = dict(record.headers)
        assert headers["ws-schema-version"] == item["schema_version"].encode()
        assert headers["ws-source-topic"] == topics.raw.encode()
        assert int(headers["ws-source-offset"]) == item["provenance"]["offset"]
    for letter in dlq.values():
        assert_valid("dead-letter.v1", letter)
    assert 'wirestream_dedup_decisions_total{service="deduplicator",status="new"}' in metrics


async def test_serve_pipeline_chains_the_stages_in_one_process(kafka_bootstrap):
    envelopes = corpus_envelopes(5, 8)
    topics = await fresh_topics(kafka_bootstrap, "pipeline", partitions=1)
    await produce(kafka_bootstrap, topics.raw, [(b"test", e) for e in envelopes])
    chain = Chain(build_stages())
    expected = [
        (o.key, o.item["id"])
        for e in envelopes
        for o in chain.process(e, Origin(partition=0))
        if isinstance(o, Emit) and o.publish
    ]

    async with (
        running(service_settings(kafka_bootstrap, topics, "pipeline")) as pipeline,
        TopicReader(kafka_bootstrap, topics.normalized) as out,
    ):
        await out.until(len(expected))
        await caught_up(kafka_bootstrap, f"{topics.raw}.pipeline", topics.raw)
        await out.drain()
        assert pipeline.health.ready

    assert [(r.key.decode(), orjson.loads(r.value)["id"]) for r in out.records] == expected
    assert {dict(r.headers)["ws-source-topic"] for r in out.records} == {topics.raw.encode()}


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
async def test_two_deduplicators_and_a_rebalance_decide_as_one(kafka_bootstrap, guarantee):
    items = normalized(corpus_envelopes(23, 30))
    half, late = len(items) // 2, len(items) * 3 // 4
    topics = await fresh_topics(kafka_bootstrap, "rebalance", partitions=4)
    first = await produce(kafka_bootstrap, topics.items, item_records(items[:half]))

    settings = service_settings(
        kafka_bootstrap, topics, "deduplicator", batch_size=20, guarantee=guarantee
    )
    async with (
        TopicReader(kafka_bootstrap, topics.unique) as out,
        running(settings) as one,
    ):
        await caught_up(kafka_bootstrap, settings.group, topics.items)  # state on every partition
        async with running(settings) as two:
            # The second member joins (revoking and reassigning every partition) while more
            # items stream in and the first member works on them; the rest comes after.
            second = await produce(kafka_bootstrap, topics.items, item_records(items[half:late]))
            await wait_for(lambda: two.health.ready and one.health.ready, "both ready")
            third = await produce(kafka_bootstrap, topics.items, item_records(items[late:]))
            await caught_up(kafka_bootstrap, settings.group, topics.items)
        await out.drain()

    # Read once both have stopped: a commit is visible before the service counts it.
    labels = {"service": "deduplicator", "topic": topics.items}
    shares = [
        svc.metrics.registry.get_sample_value("wirestream_records_consumed_total", labels)
        for svc in (one, two)
    ]
    restored = two.metrics.registry.get_sample_value(
        "wirestream_changelog_restored_records_total", {"service": "deduplicator"}
    )
    rebalances = one.metrics.registry.get_sample_value(
        "wirestream_rebalances_total", {"service": "deduplicator", "event": "assigned"}
    )

    expected = dedup_reference(items, first + second + third)
    got = {item["id"]: decision(item) for item in out.values()}
    assert len(out.records) == len(got)
    assert got == expected
    assert all(share > 0 for share in shares), shares  # both instances did part of the work
    assert rebalances >= 2  # the first instance was reassigned when the second joined
    assert restored > 0  # the second took over partitions with state, from the changelog
    failures = [
        svc.metrics.registry.get_sample_value(
            "wirestream_commit_failures_total", {"service": "deduplicator"}
        )
        for svc in (one, two)
    ]
    assert sum(shares) >= len(items), (shares, failures)


async def test_kill_9_mid_stream_then_restart_writes_every_input_once(kafka_bootstrap):
    items = normalized(corpus_envelopes(31, 40))
    poison = [(b"x", b"\x00\x01 garbage"), (b"x", b"{not json"), (b"x", b"[]")]
    records = item_records(items)
    records[len(records) // 3 : len(records) // 3] = poison[:2]
    records.append(poison[2])
    topics = await fresh_topics(kafka_bootstrap, "kill9", partitions=3)
    partitions = await produce(kafka_bootstrap, topics.items, records)
    item_partitions = [
        p for (k, v), p in zip(records, partitions, strict=True) if (k, v) not in poison
    ]
    expected = dedup_reference(items, item_partitions)

    env = service_env(kafka_bootstrap, topics, "deduplicator")
    group = env["WIRESTREAM_GROUP_ID"]
    args = ["deduplicator", "--batch-size", "5"]
    async with (
        TopicReader(kafka_bootstrap, topics.unique) as out,
        TopicReader(kafka_bootstrap, topics.dlq) as dlq,
    ):
        victim = ServeProcess(args, env)
        await victim.start()
        await out.until(1)  # a first transaction committed: state in the changelog
        await victim.kill()
        # Killed mid-stream: part of the input is committed, not all of it.
        assert 0 < await committed_total(kafka_bootstrap, group) < len(records)
        assert victim.process.returncode == -signal.SIGKILL
        assert not victim.logged("service_stopped")

        successor = ServeProcess(args, env)
        await successor.start()
        await caught_up(kafka_bootstrap, group, topics.items)
        (listening,) = successor.logged("http_listening")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{listening['url']}/readyz") as response:
                assert response.status == 200
            async with http.get(f"{listening['url']}/metrics") as response:
                exposition = await response.text()
        successor.process.send_signal(signal.SIGTERM)
        assert await successor.wait() == 0  # graceful: batch finished, group left
        assert await group_members(kafka_bootstrap, group) == 0  # left, not timed out
        (received,) = successor.logged("signal_received")
        assert received["signal"] == "SIGTERM"
        (stopped,) = successor.logged("service_stopped")
        # The on-call engineer sees where each partition stopped and how long the drain took.
        assert sum(stopped["committed_offsets"].values()) == len(records)
        assert set(stopped["committed_offsets"]) == {f"{topics.items}/{p}" for p in range(3)}
        assert stopped["drain_seconds"] >= 0
        assert sum(line["changelog_records"] for line in successor.logged("state_restored")) > 0
        await out.drain()
        await dlq.drain()

    assert 'wirestream_consumer_lag_records{partition="0",service="deduplicator"' in exposition
    assert 'wirestream_records_consumed_total{service="deduplicator"' in exposition
    ids = Counter(item["id"] for item in out.values())
    assert [i for i, n in ids.items() if n > 1] == []  # nothing written twice
    assert {item["id"]: decision(item) for item in out.values()} == expected
    originals = sorted(base64.b64decode(d["original_base64"]) for d in dlq.values())
    assert originals == sorted(v for _, v in poison)
    logged = victim.logged("dead_letter") + successor.logged("dead_letter")
    assert {(line["topic"], line["offset"]) for line in logged} == {
        (d["origin"]["topic"], d["origin"]["offset"]) for d in dlq.values()
    }
    assert all(line["service"] == "deduplicator" for line in logged)


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
async def test_poison_records_go_to_the_dlq_and_the_partition_moves_on(kafka_bootstrap, guarantee):
    page = envelope((PAGES / "nl_binnenland.txt").read_text())
    huge = b"\xfe" * 900_000
    poison = [
        b"\x00\xff\x13 binary",
        b"{broken json",
        b"",
        envelope("no dateline here at all"),
        huge,
    ]
    records = [(b"s", p) for pair in zip(poison, [page] * len(poison), strict=True) for p in pair]
    topics = await fresh_topics(kafka_bootstrap, "poison", partitions=1)
    await produce(kafka_bootstrap, topics.raw, records)
    per_page = len(normalized([page]))

    async with (
        running(
            service_settings(kafka_bootstrap, topics, "normalizer", guarantee=guarantee)
        ) as normalizer,
        TopicReader(kafka_bootstrap, topics.items) as out,
        TopicReader(kafka_bootstrap, topics.dlq) as dlq,
    ):
        await dlq.until(len(poison))
        await out.until(per_page * len(poison))  # every page after a poison record came out
        await caught_up(kafka_bootstrap, f"{topics.raw}.normalizer", topics.raw)
        await out.drain()
        await dlq.drain()
    metrics = normalizer.metrics.exposition().decode()  # stopped: every commit counted

    letters = dlq.values()
    assert [d["origin"]["offset"] for d in letters] == [0, 2, 4, 6, 8]
    assert {d["origin"]["topic"] for d in letters} == {topics.raw}
    for letter in letters:
        assert_valid("dead-letter.v1", letter)
    for letter, original in zip(letters[:4], poison, strict=False):
        assert base64.b64decode(letter["original_base64"]) == original
    reasons = [d["reason"] for d in letters]
    assert reasons[2] == "empty" and reasons[3] == "not_an_article"
    assert reasons[4] in ("binary", "undecodable")
    # Too big to carry whole in a dead letter: its head is kept, and the message says so.
    assert huge.startswith(base64.b64decode(letters[4]["original_base64"]))
    assert "truncated" in letters[4]["message"]
    assert len(out.records) == per_page * len(poison)
    assert 'wirestream_dead_letters_total{reason="empty"' in metrics


async def test_a_fenced_producer_commits_nothing_and_the_partition_is_taken_back(kafka_bootstrap):
    """Another owner initializing the partition's transactional id (what a new group member
    does) fences this instance: its batch aborts, and it resumes from the committed offset."""
    page = envelope((PAGES / "nl_binnenland.txt").read_text())
    per_page = len(normalized([page]))
    topics = await fresh_topics(kafka_bootstrap, "fenced", partitions=1)
    settings = service_settings(kafka_bootstrap, topics, "normalizer")
    await produce(kafka_bootstrap, topics.raw, [(b"s", page)])

    async with (
        running(settings) as normalizer,
        TopicReader(kafka_bootstrap, topics.items) as out,
    ):
        await out.until(per_page)
        usurper = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap,
            transactional_id=f"{settings.group}.{topics.raw}.0",
        )
        await usurper.start()  # bumps the epoch: the service's producer is now a zombie
        await usurper.stop()
        await produce(kafka_bootstrap, topics.raw, [(b"s", page)] * 3)
        await out.until(4 * per_page)
        await caught_up(kafka_bootstrap, settings.group, topics.raw)
        await out.drain()
    reg = normalizer.metrics.registry
    aborts = reg.get_sample_value("wirestream_transaction_aborts_total", {"service": "normalizer"})
    retries = reg.get_sample_value(
        "wirestream_broker_retries_total", {"service": "normalizer", "error": "ProducerFenced"}
    )

    # aiokafka leaves a fenced producer's batch drain-waiter future unobserved; collect it now,
    # not during some later `ast.parse` (CPython 3.11.7 raises SystemError when a finalizer
    # that formats a traceback runs inside one).
    gc.collect()
    assert len(out.records) == 4 * per_page  # the fenced batch was written once, later
    assert [int(dict(r.headers)["ws-source-offset"]) for r in out.records][::per_page] == [
        0,
        1,
        2,
        3,
    ]
    assert aborts >= 1 and retries >= 1


async def test_a_join_refused_at_start_up_is_retried_and_the_service_goes_on(kafka_bootstrap):
    """The coordinator refuses the service's first join: here a member of another assignment
    protocol holds the group; on a fresh or loaded cluster, a coordinator still loading or short
    of in-sync replicas refuses it so. The service retries, as it does a refusal once running,
    and processes once it is in. (It used to end at start-up: aiokafka's `start()`, subscribed,
    raises whatever the first join met.)"""
    page = envelope((PAGES / "nl_binnenland.txt").read_text())
    per_page = len(normalized([page]))
    topics = await fresh_topics(kafka_bootstrap, "refused", partitions=1)
    settings = service_settings(kafka_bootstrap, topics, "normalizer")
    await produce(kafka_bootstrap, topics.raw, [(b"s", page)])
    squatter = AIOKafkaConsumer(
        topics.raw,
        bootstrap_servers=kafka_bootstrap,
        group_id=settings.group,
        partition_assignment_strategy=(RangePartitionAssignor,),  # the service: round robin
        enable_auto_commit=False,
    )
    await squatter.start()
    try:
        async with (
            running(settings) as normalizer,
            TopicReader(kafka_bootstrap, topics.items) as out,
        ):
            refusals = {"service": "normalizer", "error": "InconsistentGroupProtocolError"}

            def refused() -> float:
                sample = "wirestream_broker_retries_total"
                return normalizer.metrics.registry.get_sample_value(sample, refusals) or 0

            await wait_for(lambda: refused() >= 2, "the join refused twice")
            assert not normalizer.task.done()
            assert not normalizer.health.ready
            await squatter.stop()  # leaves the group: the next join gets in
            await out.until(per_page)
            await caught_up(kafka_bootstrap, settings.group, topics.raw)
            assert normalizer.health.ready
    finally:
        await squatter.stop()
    assert len(out.records) == per_page


async def test_last_committed_reads_the_tail_as_a_full_read_would(kafka_bootstrap, monkeypatch):
    """Transactions on three partitions, an aborted one last on partition 0: the offsets found
    from each partition's tail (the span growing past the aborted records) are those of the
    last committed records a full `read_committed` read ends with."""
    topics = await fresh_topics(kafka_bootstrap, "tail", partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"{topics.raw}.tail"
    )
    await producer.start()
    try:
        for batch in range(5):
            async with producer.transaction():
                for n in range(30):
                    await producer.send(topics.items, f"{batch}-{n}".encode(), partition=n % 3)
        await producer.begin_transaction()
        for _ in range(20):
            await producer.send(topics.items, b"aborted", partition=0)
        await producer.abort_transaction()
    finally:
        await producer.stop()
    monkeypatch.setattr("service_harness.TAIL_SPAN", 4)

    tail = await last_committed(kafka_bootstrap, topics.items)

    async with TopicReader(kafka_bootstrap, topics.items) as reader:
        read = {(r.topic, r.partition): r.offset for r in await reader.drain()}
    assert {(tp.topic, tp.partition): offset for tp, offset in tail.items()} == read
    assert len(read) == 3
    assert await last_committed(kafka_bootstrap, topics.dlq) == {}
