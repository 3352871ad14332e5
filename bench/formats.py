"""Normalizer throughput per agency format, beside text pages measured in the same run.

Each format's real samples (tests/fixtures/formats/) go the producer's way (one envelope
per item) and are repeated to `items` envelopes, each with its own id; the text pages come
from the generator (plain text, no bad inputs). One normalizer, one core; items/s by CPU
time, and each format's ratio to the text pages.

    .venv/bin/python bench/formats.py [ITEMS]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from wirestream.core.records import Emit, Origin
from wirestream.generator import generate
from wirestream.normalizer import Normalizer
from wirestream.producer.page_envelopes import file_envelopes

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "formats"
FETCHED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
_WARM_UP = 20


def format_records(items: int) -> dict[str, list[bytes]]:
    """`items` raw envelopes per format, from its fixtures, each with its own id."""
    samples: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix == ".md":
            continue
        for envelope in file_envelopes(
            path.read_bytes(), source="bench", fetched_at=FETCHED, name=path.name
        ):
            samples.setdefault(envelope["content_type"], []).append(envelope)
    records: dict[str, list[bytes]] = {}
    for content_type, envelopes in samples.items():
        batch = [dict(envelopes[n % len(envelopes)], id=f"bench-{n}") for n in range(items)]
        records[content_type] = [orjson.dumps(envelope) for envelope in batch]
    return records


def page_records(items: int) -> list[bytes]:
    corpus = generate(seed=7, stories=max(40, items // 4), html_rate=0.0, mojibake_rate=0.0)
    return corpus.records()


def measure(normalizer: Normalizer, records: list[bytes]) -> dict[str, Any]:
    origin = Origin(topic="wire.raw")
    for record in records[:_WARM_UP]:
        normalizer.process(record, origin)
    emitted = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for record in records:
        emitted += sum(isinstance(o, Emit) for o in normalizer.process(record, origin))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "envelopes": len(records),
        "items": emitted,
        "bytes_per_envelope": round(sum(map(len, records)) / len(records)),
        "items_per_s": round(emitted / wall) if wall else None,
        "items_per_cpu_s": round(emitted / cpu) if cpu else None,
    }


def run(quick: bool = False) -> dict[str, Any]:
    items = 300 if quick else 2000
    normalizer = Normalizer()
    pages = measure(normalizer, page_records(items))
    rows = [{"format": "text pages (generator, baseline)", **pages, "ratio_to_pages": 1.0}]
    for content_type, records in format_records(items).items():
        row = {"format": content_type, **measure(normalizer, records)}
        base, ours = pages["items_per_cpu_s"], row["items_per_cpu_s"]
        row["ratio_to_pages"] = round(ours / base, 2) if base and ours else None
        rows.append(row)
    return {"rows": rows}


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    for row in run(count < 500)["rows"]:
        print(row)
