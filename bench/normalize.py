"""Normalizer throughput: raw envelope bytes through the stage in-process, one core.

`run(corpus_envelopes)` is what `make bench` calls with its generated corpus. Run this file
directly for a quick figure on a teaser-heavy synthetic corpus:

    .venv/bin/python bench/normalize.py [STORIES]
"""

from __future__ import annotations

import sys
import time
from typing import Any

from wirestream.core.records import DeadLetter, Origin
from wirestream.normalizer import Normalizer

_WARM_UP = 50  # envelopes processed before timing: first-use costs of regexes and caches


def run(corpus_envelopes: list[bytes]) -> dict[str, Any]:
    """Normalize every envelope once; items/s by wall clock and by CPU time."""
    normalizer = Normalizer()  # loads the language model
    origin = Origin(topic="wire.raw", partition=0, offset=0)
    for record in corpus_envelopes[:_WARM_UP]:
        normalizer.process(record, origin)
    items = teasers = dead_letters = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for record in corpus_envelopes:
        for outcome in normalizer.process(record, origin):
            if isinstance(outcome, DeadLetter):
                dead_letters += 1
            else:
                items += 1
                teasers += outcome.item["kind"] == "teaser"
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "envelopes": len(corpus_envelopes),
        "bytes": sum(map(len, corpus_envelopes)),
        "items": items,
        "teasers": teasers,
        "dead_letters": dead_letters,
        "seconds": round(wall, 4),
        "cpu_seconds": round(cpu, 4),
        "items_per_s": round(items / wall) if wall else None,
        "items_per_cpu_s": round(items / cpu) if cpu else None,
        "teasers_per_cpu_s": round(teasers / cpu) if cpu else None,
    }


def main() -> None:
    from wirestream.generator.corpus import generate

    stories = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for label, overrides in (
        ("text pages", {"html_rate": 0.0, "mojibake_rate": 0.0}),
        ("generator defaults (15% HTML, bad inputs)", {}),
    ):
        corpus = generate(seed=7, stories=stories, **overrides).records()
        print(label, run(corpus))


if __name__ == "__main__":
    main()
