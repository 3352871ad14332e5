"""Enricher throughput and start-up: the whole chain and each enricher alone, one core.

`run(items)` is what `make bench` calls with the unique items of its generated corpus. Run
this file directly for figures on a generated corpus (normalized, then deduplicated):

    .venv/bin/python bench/enrich.py [STORIES]
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson

from wirestream.core.records import Origin
from wirestream.enricher import ENRICHERS, Enricher
from wirestream.enricher.countries import country_lexicon
from wirestream.enricher.entities import entity_rules
from wirestream.enricher.subjects import topic_rules
from wirestream.enricher.text import ItemText
from wirestream.geo import gazetteer

_WARM_UP = 200  # items through each chain before timing: word caches
_REPEAT = 3  # best of: the machine is shared, the minimum is the least disturbed run


def run(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Items/s (wall and CPU) of the whole chain and of each enricher alone, against an
    orjson dumps+loads passthrough of the same items; start-up time and memory of the
    lookup tables."""
    startup = table_startup()
    baseline = timed(lambda: [orjson.loads(orjson.dumps(item)) for item in items])
    tokenize = timed(lambda: [ItemText(item).tokens for item in items])
    chains = {"whole chain": None, **{name: [name] for name in ENRICHERS}}
    figures = {}
    origin = Origin(topic="wire.unique")
    for label, names in chains.items():
        enricher = Enricher(names)
        for item in items[:_WARM_UP]:
            enricher.process(item, origin)
        timing = timed(lambda e=enricher: [e.process(item, origin) for item in items])
        figures[label] = {
            **rates(len(items), timing),
            "vs_passthrough": round(timing["cpu"] / baseline["cpu"], 2)
            if baseline["cpu"]
            else None,
        }
    return {
        "items": len(items),
        "baseline": "orjson dumps+loads of the items",
        "passthrough": rates(len(items), baseline),
        "tokenize_only": rates(len(items), tokenize),
        "enrichers": figures,
        "startup": startup,
    }


def timed(work: Callable[[], object]) -> dict[str, float]:
    """Best wall and CPU time of `_REPEAT` runs."""
    runs = []
    for _ in range(_REPEAT):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return {"wall": min(w for w, _ in runs), "cpu": min(c for _, c in runs)}


def rates(count: int, timing: dict[str, float]) -> dict[str, Any]:
    return {
        "seconds": round(timing["wall"], 4),
        "items_per_s": round(count / timing["wall"]) if timing["wall"] else None,
        "items_per_cpu_s": round(count / timing["cpu"]) if timing["cpu"] else None,
    }


def table_startup() -> dict[str, Any]:
    """Build time (uncached) of each table, and the gazetteer's retained and peak memory."""
    builds = {
        "gazetteer": gazetteer.__wrapped__,
        "countries": country_lexicon.__wrapped__,
        "entities": entity_rules.__wrapped__,
        "topics": topic_rules.__wrapped__,
    }
    seconds = {}
    for name, build in builds.items():
        start = time.perf_counter()
        build()
        seconds[name] = round(time.perf_counter() - start, 3)
    gc.collect()
    tracemalloc.start()
    places = gazetteer.__wrapped__()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "build_seconds": seconds,
        "gazetteer_names": len(places),
        "gazetteer_retained_mb": round(retained / 2**20, 1),
        "gazetteer_peak_mb": round(peak / 2**20, 1),
    }


def main() -> None:
    from wirestream.core.records import Emit
    from wirestream.deduplicator import Deduplicator
    from wirestream.generator.corpus import generate
    from wirestream.normalizer import Normalizer

    stories = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    records = generate(seed=7, stories=stories).records()
    normalizer, deduplicator, origin = Normalizer(), Deduplicator(), Origin(topic="wire.raw")
    unique = [
        kept.item
        for record in records
        for out in normalizer.process(record, origin)
        if isinstance(out, Emit)
        for kept in deduplicator.process(out.item, origin)
        if isinstance(kept, Emit) and kept.publish
    ]
    print(orjson.dumps(run(unique), option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
