"""Issue 16's runtime figures, in interleaved rounds on one broker, each beside its baseline
from the same rounds:

- **growing transactions**: `serve pipeline` (exactly-once) draining the corpus preloaded
  in one transaction, with its default settings (transactions grow while the backlog lasts)
  against transactions that never grow (`WIRESTREAM_TRANSACTION_MS` an hour, so each commits
  what was processed while the one before committed): time from the backlog's commit
  acknowledged to the first output read `read_committed`, the gaps a downstream consumer
  sees between reads that bring new output while the backlog drains (p50/p99/max), and the
  drain's rate;
- **runtime overhead**: that `serve pipeline`'s items per CPU-second against the same chain
  run without Kafka over the same records in a fresh process (`endtoend.chain_cpu_seconds`:
  its caches as cold as the service's); and, measured
  inside the service so that the machine's drift between processes stays out, its CPU split
  by thread: the event loop (main thread: Kafka I/O, transactions, metrics) against the
  chain's thread (stages, translation into messages);
- **three services**: normalizer, deduplicator and enricher as three processes draining the
  same backlog, their throughput against `serve pipeline`'s.

Latency at a fixed offered rate is in the `kafka` part (`endtoend.LATENCY_RUNS`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord

from bench import endtoend
from bench.endtoend import NEVER_GROWING, Broker, Expected
from bench.report import median_of, progress

VARIANTS = {  # name -> (services, their environment)
    "growing transactions (default)": (("pipeline",), {}),
    "transactions never growing": (("pipeline",), NEVER_GROWING),
    "three services (default)": (("normalizer", "deduplicator", "enricher"), {}),
}
IN_PROCESS = "in-process chain"
FIGURES = (  # of a drain, reported as medians over rounds
    "backlog_commit_ms",
    "first_output_ms",
    "gap_p50_ms",
    "gap_p99_ms",
    "gap_max_ms",
    "records_per_s",
    "items_per_s",
    "items_per_cpu_s",
    "event_loop_cpu_us_per_item",
    "chain_thread_cpu_us_per_item",
    "event_loop_share",
    "broker_cpu_us_per_item",
)


def run(expected: Expected, on: Broker, rounds: int) -> dict[str, Any]:
    return asyncio.run(_rounds(on, expected, rounds))


async def _rounds(on: Broker, expected: Expected, rounds: int) -> dict[str, Any]:
    # The in-process chain next to the default drain in every round, whichever way the round
    # runs: the machine's speed drifts by 10-30% between minutes, and that pair is the ratio.
    names = [IN_PROCESS, *VARIANTS]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            progress(f"runtime: round {round_ + 1}/{rounds}, {name} ...")
            if name == IN_PROCESS:
                cpu = endtoend.chain_cpu_seconds(expected.records)
                runs[name].append({"items_per_cpu_s": round(_items(expected) / cpu)})
            else:
                runs[name].append(await drain(on, expected, *VARIANTS[name]))
    return {"rounds": rounds, "runs": runs, "summary": _summary(runs)}


def _items(expected: Expected) -> float:
    return len(expected.records) * expected.items_per_record


async def drain(
    on: Broker, expected: Expected, names: tuple[str, ...], extra: dict[str, str]
) -> dict[str, Any]:
    topics = endtoend._topics("rt")
    await endtoend._create(on.bootstrap, topics)
    pipeline = names == ("pipeline",)
    outputs = expected.published if pipeline else expected.published_by_services
    want = {topics.normalized: outputs + 1, topics.dlq: expected.dead_letters}
    services = [
        endtoend._serve(name, on.bootstrap, topics, "exactly_once", "runtime", extra)
        for name in names
    ]
    reads: list[float] = []  # when each output record was read

    def on_record(topic: str, record: ConsumerRecord, now: float) -> None:
        if topic == topics.normalized:
            reads.append(now)

    with endtoend._running(*services):
        await endtoend._warm_up(on.bootstrap, topics.raw, topics.normalized)
        drained = await endtoend.drain_backlog(
            on.bootstrap, topics.raw, expected, services, want, on.pid, on_record
        )
    row = endtoend.drain_figures(drained, len(expected.records), expected.items_per_record)
    row["complete"] = drained.complete
    if drained.service_cpu_s > 0:  # the event loops' CPU, and the rest: the chains' threads
        loop, items = drained.main_thread_cpu_s, _items(expected)
        row["event_loop_cpu_us_per_item"] = round(loop / items * 1e6, 1)
        row["chain_thread_cpu_us_per_item"] = round((drained.service_cpu_s - loop) / items * 1e6)
        row["event_loop_share"] = round(loop / drained.service_cpu_s, 3)
    if drained.seconds and drained.collected.last_seen:
        # Timed from the backlog's commit acknowledged, not requested: the coordinator marks
        # its records readable after answering, and the load generator's commit round trips
        # are not the service's time. Reads before the request are the warm-up's.
        requested = drained.collected.last_seen - drained.seconds
        row |= _visibility(requested + drained.commit_s, [r for r in reads if r >= requested])
        row["backlog_commit_ms"] = round(drained.commit_s * 1000, 1)
    row["peak_rss_mib"] = [service.peak_rss_mib for service in services]
    return row


def _visibility(t0: float, reads: list[float]) -> dict[str, Any]:
    """Time from t0 to the first output read, and the gaps between reads that brought new
    output: how long a `read_committed` consumer waits for the next while the backlog drains.
    A read before t0 (none is expected) would show as a negative first output, not be lost."""
    if not reads:
        return {}
    moments = sorted(set(reads))
    gaps = sorted(b - a for a, b in zip([t0, *moments], moments, strict=False))

    def at(q: float) -> float:
        return round(gaps[min(len(gaps) - 1, int(q * len(gaps)))] * 1000, 1)

    return {
        "first_output_ms": round((moments[0] - t0) * 1000, 1),
        "gap_p50_ms": at(0.5),
        "gap_p99_ms": at(0.99),
        "gap_max_ms": round(gaps[-1] * 1000, 1),
        "visible_batches": len(moments),
    }


def _summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per variant, and the ratios the issue asks for, per round then their median."""
    default, short, services = (runs[name] for name in VARIANTS)

    def ratio(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> float | None:
        return median_of(round_ratios(a, b, key), 3)

    return {
        "medians": medians(runs),
        "throughput_vs_never_growing": ratio(default, short, "records_per_s"),
        "pipeline_vs_in_process_cpu": ratio(default, runs[IN_PROCESS], "items_per_cpu_s"),
        "pipeline_chain_thread_share": median_of(
            (1 - r["event_loop_share"] for r in default if r.get("event_loop_share")), 3
        ),
        "never_growing_vs_in_process_cpu": ratio(short, runs[IN_PROCESS], "items_per_cpu_s"),
        "services_vs_pipeline": ratio(services, default, "records_per_s"),
    }


def medians(
    runs: dict[str, list[dict[str, Any]]], figures: Sequence[str] = FIGURES, digits: int = 1
) -> dict[str, dict[str, float | None]]:
    """Each variant's median of every figure (a drain's `FIGURES` unless told), skipping
    rounds that lack it."""
    return {
        name: {key: median_of((row.get(key) for row in rows), digits) for key in figures}
        for name, rows in runs.items()
    }


def round_ratios(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> list[float]:
    """`a`'s figure over `b`'s, round by round, where both rounds have it."""
    return [x[key] / y[key] for x, y in zip(a, b, strict=True) if x.get(key) and y.get(key)]
