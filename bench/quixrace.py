"""Issue 16's race: `wirestream serve pipeline` against a Quix Streams application running the
same chain (bench/quix_peer.py), both exactly-once, on the same broker, draining the same
preloaded backlog, in interleaved rounds; the two sides' outputs are checked equal.

Each run of either side: fresh topics (same partition count), the service started as its own
process and warmed up with one page (start-up, group join and gazetteer out of the timing), then
`endtoend.drain_backlog`: the corpus written to the raw topic in one transaction, timed from its
commit to the last expected output read `read_committed`, CPU of the service and of the broker
read from /proc over that span, peak RSS (VmHWM) of the service. Rounds alternate the order
(wirestream, quix; quix, wirestream; ...) so a drift of the machine's speed favours neither.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from bench import endtoend
from bench.endtoend import Broker, Expected, Service
from bench.quix_peer import BATCH, COMMIT_INTERVAL_S, LINGER_MS
from bench.report import median_of, progress
from wirestream.core.topics import PipelineTopics

SIDES = {
    "wirestream": "`wirestream serve pipeline`, exactly-once",
    "quix": "Quix Streams app, same chain, exactly-once",
}


@dataclass(slots=True)
class Outputs:
    """What a run wrote, as read back: the records, decoded after the timing."""

    records: list[tuple[str, bytes | None, int, bytes]] = field(default_factory=list)

    def on_record(self, topic: str, record: ConsumerRecord, _: float) -> None:
        self.records.append((topic, record.key, record.partition, record.value))

    def decisions(self, topics: PipelineTopics) -> dict[str, Any]:
        """Per published item id: its dedup decision, story, version, key and partition; per
        dead letter: reason, stage and the raw record's partition and offset."""
        items: dict[str, tuple[Any, ...]] = {}
        letters: Counter[tuple[Any, ...]] = Counter()
        identical: dict[str, bytes] = {}
        for topic, key, partition, value in self.records:
            record = orjson.loads(value)
            if topic == topics.normalized:
                dedup = record.get("dedup") or {}
                story = (record.get("story_id"), record.get("version"))
                items[record["id"]] = (dedup.get("status"), *story, key, partition)
                if isinstance(record.get("provenance"), dict):  # each run has its own topics
                    record["provenance"]["topic"] = None
                identical[record["id"]] = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
            else:
                origin = record.get("origin") or {}
                where = (origin.get("partition"), origin.get("offset"))
                letters[(record["reason"], record["stage"], *where)] += 1
        return {"items": items, "letters": letters, "bytes": identical}


def run(expected: Expected, on: Broker, rounds: int) -> dict[str, Any]:
    """`rounds` interleaved pairs of drains; figures per run, medians and ratios."""
    return asyncio.run(_race(expected, on, rounds))


async def _race(expected: Expected, on: Broker, rounds: int) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    reference: tuple[str, dict[str, Any]] | None = None
    differences: list[str] = []
    items = len(expected.records) * expected.items_per_record
    chain_us: list[float] = []
    for number in range(1, rounds + 1):
        progress(f"quix race: round {number} of {rounds}, the chain in-process ...")
        chain_us.append(round(endtoend.chain_cpu_seconds(expected.records) / items * 1e6))
        order = list(SIDES) if number % 2 else list(reversed(SIDES))
        for side in order:
            progress(f"quix race: round {number} of {rounds}, {SIDES[side]} ...")
            row, seen = await _drain(side, on, expected)
            service = row.get("service_cpu_us_per_item")
            runtime = service - chain_us[-1] if service else None
            runs.append({"round": number, "side": side, **row, "runtime_cpu_us_per_item": runtime})
            if reference is None:
                reference = (f"{side} round {number}", seen)
            else:
                differences += _differences(reference, (f"{side} round {number}", seen))
    return {
        "setup": _setup(expected, on),
        "runs": runs,
        "chain_cpu_us_per_item": chain_us,
        "summary": _summary(runs),
        "same_outputs": not differences,
        "differences": differences[:5],
        "published": expected.published,
        "dead_letters": expected.dead_letters,
    }


async def _drain(side: str, on: Broker, expected: Expected) -> tuple[dict[str, Any], dict]:
    topics = endtoend._topics(side)
    await endtoend._create(on.bootstrap, topics)
    service = _start(side, on.bootstrap, topics)
    want = {topics.normalized: expected.published + 1, topics.dlq: expected.dead_letters}
    outputs = Outputs()
    with endtoend._running(service):
        await endtoend._warm_up(on.bootstrap, topics.raw, topics.normalized)
        drained = await endtoend.drain_backlog(
            on.bootstrap, topics.raw, expected, [service], want, on.pid, outputs.on_record
        )
    warm_up = orjson.loads(endtoend.warm_up_record())["id"]
    outputs.records = [r for r in outputs.records if not _is_warm_up(r, warm_up)]
    row = {
        "complete": drained.complete,
        "outputs": drained.collected.counts[topics.normalized] - 1,
        "dead_letters": drained.collected.counts[topics.dlq],
        **endtoend.drain_figures(drained, len(expected.records), expected.items_per_record),
        "peak_rss_mib": service.peak_rss_mib,
    }
    return row, outputs.decisions(topics)


def _start(side: str, bootstrap: str, topics: PipelineTopics) -> Service:
    if side == "wirestream":
        return endtoend._serve("pipeline", bootstrap, topics, "exactly_once", "quix race")
    argv = [sys.executable, "-m", "bench.quix_peer", bootstrap, topics.raw]
    argv += [topics.normalized, topics.dlq, f"{topics.raw}-quix"]
    return endtoend._spawn("quix peer", argv, dict(os.environ))


def _is_warm_up(record: tuple[str, bytes | None, int, bytes], raw_id: str) -> bool:
    """The warm-up page's item: its provenance names the warm-up envelope."""
    item = orjson.loads(record[3])
    return (item.get("provenance") or {}).get("raw_id") == raw_id


def _differences(
    reference: tuple[str, dict[str, Any]], other: tuple[str, dict[str, Any]]
) -> list[str]:
    """Where a run's outputs differ from the first run's: ids, decisions, dead letters."""
    (a_name, a), (b_name, b) = reference, other
    found = []
    for what in ("items", "letters"):
        if a[what] != b[what]:
            only_a = len(set(a[what]) - set(b[what]))
            only_b = len(set(b[what]) - set(a[what]))
            changed = sum(1 for k in set(a[what]) & set(b[what]) if a[what][k] != b[what][k])
            found.append(
                f"{what}: {b_name} against {a_name}: {only_a} only in the first, "
                f"{only_b} only in the second, {changed} different"
            )
    if not found and a["bytes"] != b["bytes"]:
        first = next(k for k in a["bytes"] if a["bytes"][k] != b["bytes"].get(k))
        ours, theirs = orjson.loads(a["bytes"][first]), orjson.loads(b["bytes"][first])
        fields = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        found.append(f"item bytes: {b_name} against {a_name}, item {first} differs in {fields}")
    return found


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per side, and per round the ratio wirestream / quix."""
    keys = (
        "items_per_s",
        "service_cpu_us_per_item",
        "runtime_cpu_us_per_item",
        "broker_cpu_us_per_item",
        "peak_rss_mib",
    )
    medians = {
        side: {key: median_of((r.get(key) for r in runs if r["side"] == side), 3) for key in keys}
        for side in SIDES
    }
    ratios: dict[str, list[float]] = {"throughput": [], "broker_cpu": [], "service_cpu": []}
    by_round: dict[int, dict[str, dict[str, Any]]] = {}
    for row in runs:
        by_round.setdefault(row["round"], {})[row["side"]] = row
    for pair in by_round.values():
        ours, peer = pair.get("wirestream", {}), pair.get("quix", {})
        for name, key in (
            ("throughput", "items_per_s"),
            ("broker_cpu", "broker_cpu_us_per_item"),
            ("service_cpu", "service_cpu_us_per_item"),
        ):
            ratio = _ratio(ours.get(key), peer.get(key))
            if ratio is not None:
                ratios[name].append(ratio)
    return {
        "medians": medians,
        "ratios": ratios,
        "median_ratios": {name: median_of(values, 3) for name, values in ratios.items()},
    }


def _ratio(ours: float | None, peer: float | None) -> float | None:
    return round(ours / peer, 3) if ours and peer else None


def _setup(expected: Expected, on: Broker) -> str:
    return (
        f"{on.what}, one broker for both sides, {endtoend.PARTITIONS} partitions per topic; "
        f"{len(expected.records):,} raw records preloaded in one transaction "
        f"({expected.items_per_record:.1f} items each), {expected.published:,} published items "
        f"and {expected.dead_letters} dead letters expected; chain {expected.chain} on both "
        f"sides; the peer commits every {BATCH} records or {COMMIT_INTERVAL_S} s and its "
        f"producer lingers up to {LINGER_MS} ms."
    )
