"""In-process throughput of each stage and of the whole chain, each beside an orjson
passthrough of the same records measured in the same run.

Throughput is counted in normalized items (what the pipeline is about) and reported twice:
per wall-clock second and per CPU second of this process. On a shared machine the CPU figure
is the steadier one, and it is the per-core rate the targets are stated in.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from bench.report import progress
from wirestream.core.chain import Chain
from wirestream.core.records import Emit, Origin
from wirestream.core.stage import Stage

ORIGIN = Origin(topic="wire.raw", partition=0)


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU

    def rate(self, count: int) -> dict[str, float]:
        return {
            "per_s": count / self.wall if self.wall else 0.0,
            "per_cpu_s": count / self.cpu if self.cpu else 0.0,
        }


def timed(work: Callable[[], Any], repeat: int = 1) -> tuple[Timing, Any]:
    """The fastest of `repeat` runs (the one least disturbed by other tenants), and its result."""
    best: Timing | None = None
    result = None
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        timing = Timing(time.perf_counter() - wall, time.process_time() - cpu)
        if best is None or timing.wall < best.wall:
            best = timing
    assert best is not None
    return best, result


def passthrough_records(records: Sequence[bytes]) -> Callable[[], int]:
    """The baseline for raw records: parse each with orjson and serialize it again."""

    def work() -> int:
        return sum(len(orjson.dumps(orjson.loads(record))) for record in records)

    return work


def passthrough_items(items: Sequence[dict[str, Any]]) -> Callable[[], int]:
    """The baseline for items: serialize each with orjson and parse it again."""

    def work() -> int:
        return sum(len(orjson.loads(orjson.dumps(item))) for item in items)

    return work


def stage_over(stage: Stage, inputs: Iterable[Any]) -> Callable[[], list[Any]]:
    """Run a stage over every input; the result is every outcome, in order."""

    def work() -> list[Any]:
        outcomes: list[Any] = []
        for record in inputs:
            outcomes.extend(stage.process(record, ORIGIN))
        return outcomes

    return work


def emitted(outcomes: Iterable[Any], *, published_only: bool = False) -> list[dict[str, Any]]:
    return [o.item for o in outcomes if isinstance(o, Emit) and (o.publish or not published_only)]


def figure(
    name: str, items: int, stage: Timing, baseline: Timing, baseline_name: str
) -> dict[str, Any]:
    """One row: the stage's rates beside its baseline's, on the same item count."""
    ours, base = stage.rate(items), baseline.rate(items)
    return {
        "name": name,
        "items": items,
        "items_per_s": round(ours["per_s"]),
        "items_per_cpu_s": round(ours["per_cpu_s"]),
        "baseline": baseline_name,
        "baseline_items_per_s": round(base["per_s"]),
        "ratio_to_baseline": round(ours["per_s"] / base["per_s"], 4) if base["per_s"] else None,
    }


def measure_stage(
    name: str,
    stage: Stage,
    inputs: Sequence[Any],
    baseline: Callable[[], Any],
    baseline_name: str,
    *,
    count: Callable[[list[Any]], int] | None = None,
    repeat: int = 1,
) -> tuple[dict[str, Any], list[Any]]:
    """Time `stage` over `inputs` and the baseline right before it, in the same conditions.
    `count` turns the outcomes into the item count (default: the number of inputs)."""
    base, _ = timed(baseline, repeat)
    timing, outcomes = timed(stage_over(stage, inputs), repeat)
    items = count(outcomes) if count else len(inputs)
    return figure(name, items, timing, base, baseline_name), outcomes


def pipeline_stages() -> list[Any]:
    """The stages `wirestream process` chains (wirestream.pipeline.build_stages), with any of
    normalizer, deduplicator, enricher it does not chain yet added in their place."""
    from wirestream.deduplicator import Deduplicator
    from wirestream.enricher import Enricher
    from wirestream.normalizer import Normalizer
    from wirestream.pipeline import build_stages

    stages = {stage.name: stage for stage in build_stages()}
    for make in (Normalizer, Deduplicator, Enricher):
        if make.name not in stages:
            progress(f"build_stages() has no {make.name}: the bench adds it")
            stages[make.name] = make()
    order = ("normalizer", "deduplicator", "enricher")
    return sorted(stages.values(), key=lambda s: order.index(s.name) if s.name in order else 9)


def chain_of(stages: Sequence[Stage]) -> Chain:
    return Chain(stages)


def profile_chain(
    make_stages: Callable[[], Sequence[Stage]], records: Sequence[bytes], top: int = 15
) -> tuple[list[dict[str, Any]], str]:
    """pyinstrument over the whole chain: the functions with the most own time, and the
    profile as text."""
    from pyinstrument import Profiler
    from pyinstrument.frame import SELF_TIME_FRAME_IDENTIFIER as SELF_TIME

    chain = Chain(make_stages())
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for record in records:
        chain.process(record, ORIGIN)
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    own: dict[tuple[str, str], float] = {}
    total = session.duration or 1.0
    stack = [session.root_frame()]
    while stack:
        frame = stack.pop()
        if frame is None:
            continue
        calls = [c for c in frame.children if c.identifier != SELF_TIME]
        stack.extend(calls)
        if frame.identifier == SELF_TIME:
            continue
        key = (frame.function or "?", f"{frame.file_path_short}:{frame.line_no}")
        own[key] = own.get(key, 0.0) + frame.time - sum(c.time for c in calls)
    rows = sorted(own.items(), key=lambda kv: kv[1], reverse=True)[:top]
    hot = [
        {"function": fn, "where": where, "own_s": round(s, 3), "share": round(s / total, 3)}
        for (fn, where), s in rows
    ]
    return hot, profiler.output_text(unicode=False, color=False, show_all=False)
