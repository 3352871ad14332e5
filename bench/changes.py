"""How well `changes` names what a revision changed, and what computing it costs.

    python -m bench --only changes --stories 400 --no-write

The generator labels every update with the revisions it makes visible (`ItemLabel.change`:
number, paragraph, subheading, agency, headline, teaser→article). The deduplicator runs over
the normalized corpus; an update whose `changes.kinds` are exactly the labelled ones counts
as named. Only items both call an update are scored (status accuracy is bench/dedup.py's).

Cost, same run: the deduplicator's time per item, and the work `changes` adds — packing the
text of every remembered version, and per update unpacking the previous one and comparing —
timed on the same versions in a second pass.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import Deduplicator
from wirestream.deduplicator.changes import changes_between, content_of, pack, unpack
from wirestream.generator import Corpus

# The generator's names for its revisions -> the `changes.kinds` that name them.
KIND_OF_REVISION = {
    "teaser→article": "teaser_to_article",
    "number": "figure",
    "paragraph": "paragraph_added",
    "subheading": "subheading",
    "agency": "agency",
    "headline": "headline",
}
TARGET = 0.95


def run(items: list[dict[str, Any]], corpus: Corpus) -> dict[str, Any]:
    labels = {(label.raw_id, label.position): label for label in corpus.labels}
    dedup = Deduplicator()
    decided: list[dict[str, Any]] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        (outcome,) = dedup.process(item, Origin(partition=0))
        if isinstance(outcome, Emit):
            decided.append(outcome.item)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    scored = named = 0
    misses: Counter[tuple[str, str]] = Counter()
    for item in decided:
        provenance = item["provenance"]
        label = labels.get((provenance["raw_id"], provenance["position"]))
        if label is None or label.status != "update" or item["dedup"]["status"] != "update":
            continue
        scored += 1
        expected = sorted(KIND_OF_REVISION[c] for c in label.change.split("+") if c)
        got = sorted((item["changes"] or {}).get("kinds") or ["unknown"])
        if expected == got:
            named += 1
        else:
            misses[("+".join(expected), "+".join(got))] += 1
    cost = _cost(decided)
    changes_seconds = cost.pop("seconds")
    share = named / scored if scored else None
    return {
        "items": len(items),
        "updates_scored": scored,
        "named_exactly": named,
        "share_named": round(share, 4) if share is not None else None,
        "target": TARGET,
        "dedup_us_per_item": round(wall / len(items) * 1e6, 1) if items else None,
        "dedup_cpu_us_per_item": round(cpu / len(items) * 1e6, 1) if items else None,
        **cost,
        "changes_share_of_dedup_time": round(changes_seconds / wall, 4) if wall else None,
        "misses": [
            {"labelled": expected, "changes": got, "count": n}
            for (expected, got), n in misses.most_common(8)
        ],
    }


def _cost(decided: list[dict[str, Any]]) -> dict[str, Any]:
    """The time `changes` work takes on the versions the deduplicator remembered (wall and
    CPU: the shared machine's load shows in the first, not the second)."""
    latest: dict[str, tuple[bytes, tuple[str, ...]]] = {}
    packing, comparing = _Clock(), _Clock()
    for item in decided:
        status = item["dedup"]["status"]
        if status not in {"new", "update"}:
            continue
        agencies = tuple(sorted({a["code"].upper() for a in item["agencies"]}))
        content = content_of(
            item["body_text"], item["headline"], item["subheadings"], item["kind"], item["language"]
        )
        with packing:
            blob = pack(content)
        previous = latest.get(item["story_id"])
        if status == "update" and previous is not None:
            with comparing:
                changes_between(unpack(previous[0]), previous[1], content, agencies)
        latest[item["story_id"]] = (blob, agencies)
    sizes = [len(blob) for blob, _ in latest.values()]
    return {
        "seconds": packing.wall + comparing.wall,
        "updates_timed": comparing.calls,
        "compare_us_per_update": comparing.per_call(),
        "compare_cpu_us_per_update": comparing.per_call(cpu=True),
        "pack_us_per_version": packing.per_call(),
        "pack_cpu_us_per_version": packing.per_call(cpu=True),
        "packed_bytes_per_story": round(sum(sizes) / len(sizes), 1) if sizes else None,
    }


class _Clock:
    """Wall and CPU time summed over the `with` blocks it timed."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.calls = 0

    def __enter__(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def __exit__(self, *_: object) -> None:
        self.wall += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]
        self.calls += 1

    def per_call(self, cpu: bool = False) -> float | None:
        total = self.cpu if cpu else self.wall
        return round(total / self.calls * 1e6, 1) if self.calls else None
