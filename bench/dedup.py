"""Dedup benchmark: quality and speed of the deduplicator against datasketch's MinHashLSH.

Both sides run the same `Deduplicator` (same shingles, same exact resemblance/containment
check, same state); only the candidate search differs — our anchor index versus a
`MinHashLSH` (128 permutations, fed our 32-bit shingle hashes directly, so datasketch does
no SHA-1 work). Quality is story assignment against the generator's labels, as pairwise
precision/recall (over all pairs of items: same story predicted vs. same story labelled)
and B-cubed precision/recall, plus status accuracy (new/update/duplicate).

    python -m bench.dedup [--stories N] [--window N] [--seed S]

`run(items, labels)` is the entry point the `make bench` harness calls with the normalized
items of a generated corpus.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import DedupConfig, Deduplicator

ORIGIN = Origin(topic="wire.items", partition=0)
BASELINE_THRESHOLD = 0.2  # MinHashLSH Jaccard threshold; lower finds teasers, at a cost
BASELINE_PERMUTATIONS = 128


class MinHashLSHIndex:
    """datasketch's MinHashLSH behind the `CandidateIndex` protocol (the baseline), one LSH
    per dateline place like our index, so both search the same candidates."""

    def __init__(self, config: DedupConfig) -> None:
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self._lsh_class = MinHashLSH
        self._template = MinHash(num_perm=BASELINE_PERMUTATIONS, hashfunc=int)
        self._places: dict[str | None, Any] = {}
        self._signatures: dict[int, Any] = {}

    def _signature(self, shingles: Sequence[int] | set[int]) -> Any:
        signature = self._minhash(
            num_perm=BASELINE_PERMUTATIONS,
            hashfunc=int,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )
        signature.update_batch(list(shingles))
        return signature

    def add(self, key: int, shingles: Sequence[int], place: str | None) -> None:
        signature = self._signature(shingles)
        self._signatures[key] = signature
        lsh = self._places.get(place)
        if lsh is None:
            lsh = self._places[place] = self._lsh_class(
                threshold=BASELINE_THRESHOLD, num_perm=BASELINE_PERMUTATIONS
            )
        lsh.insert(key, signature)

    def remove(self, key: int, shingles: Sequence[int], place: str | None) -> None:
        self._places[place].remove(key)
        del self._signatures[key]

    def candidates(self, query: set[int], place: str | None, limit: int) -> list[int]:
        lsh = self._places.get(place)
        if lsh is None:
            return []
        signature = self._signature(query)
        keys = lsh.query(signature)
        estimate = {key: signature.jaccard(self._signatures[key]) for key in keys}
        return sorted(keys, key=lambda k: (-estimate[k], -k))[:limit]


# -- quality ---------------------------------------------------------------------------------


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering (item id -> cluster) against the truth."""
    ids = [i for i in predicted if i in truth]
    both = Counter((predicted[i], truth[i]) for i in ids)
    together = sum(_pairs(n) for n in both.values())
    said = sum(_pairs(n) for n in Counter(predicted[i] for i in ids).values())
    true = sum(_pairs(n) for n in Counter(truth[i] for i in ids).values())
    return (together / said if said else 1.0), (together / true if true else 1.0)


def bcubed(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """B-cubed precision and recall: per item, the share of its predicted cluster that is its
    true story and the share of its true story that is in its predicted cluster."""
    ids = [i for i in predicted if i in truth]
    if not ids:
        return 1.0, 1.0
    both = Counter((predicted[i], truth[i]) for i in ids)
    pred_size = Counter(predicted[i] for i in ids)
    true_size = Counter(truth[i] for i in ids)
    precision = sum(both[predicted[i], truth[i]] / pred_size[predicted[i]] for i in ids)
    recall = sum(both[predicted[i], truth[i]] / true_size[truth[i]] for i in ids)
    return precision / len(ids), recall / len(ids)


# -- runs ------------------------------------------------------------------------------------


def _measure(
    make: Callable[[], Deduplicator],
    items: list[dict[str, Any]],
    window: list[dict[str, Any]],
    labels: dict[str, str] | None,
    statuses: dict[str, str] | None,
) -> dict[str, Any]:
    dedup = make()
    for item in window:  # fill the window first; not timed
        dedup.process(item, ORIGIN)
    remembered = dedup.entries()
    outcomes = []
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    for item in items:
        outcomes.extend(dedup.process(item, ORIGIN))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    emitted = [o.item for o in outcomes if isinstance(o, Emit)]
    assert len(emitted) == len(items), f"{len(items) - len(emitted)} items dead-lettered"
    result: dict[str, Any] = {
        "items": len(items),
        "window_entries": remembered,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "items_per_s": round(len(items) / seconds) if seconds else None,
        # One core, measured in this process's CPU time: steadier on a shared machine.
        "items_per_cpu_s": round(len(items) / cpu_seconds) if cpu_seconds else None,
        "decisions": {status: n for status, n in dedup.decisions.items()},
        "dead_letters": len(items) - len(emitted),
    }
    if labels:
        predicted = {item["id"]: item["story_id"] for item in emitted}
        precision, recall = pairwise(predicted, labels)
        b3_precision, b3_recall = bcubed(predicted, labels)
        result["pairwise"] = {"precision": round(precision, 5), "recall": round(recall, 5)}
        result["bcubed"] = {"precision": round(b3_precision, 5), "recall": round(b3_recall, 5)}
        result["f1"] = round(2 * precision * recall / (precision + recall), 5)
    if statuses:
        right = sum(statuses.get(item["id"]) == item["dedup"]["status"] for item in emitted)
        result["status_accuracy"] = round(right / len(emitted), 5) if emitted else None
    return result


def run(
    items: list[dict[str, Any]],
    labels: dict[str, str] | None,
    statuses: dict[str, str] | None = None,
    window: list[dict[str, Any]] | None = None,
    config: DedupConfig | None = None,
) -> dict[str, Any]:
    """Deduplicate `items` (normalized, in arrival order) with our index and with the
    MinHashLSH baseline, after first filling the window with `window` items (untimed); the
    window then stays full (by default the cap is its size).

    `labels`: item id -> ground-truth story key; `statuses`: item id -> expected status.
    Returns both runs' figures and the throughput ratio.
    """
    window = window or []
    # A full window in steady state: the cap is the window's size and nothing expires by
    # time, so every new version evicts the oldest one, as a busy partition does.
    if config is None:
        config = (
            DedupConfig(window_hours=24 * 365, max_entries=len(window)) if window else DedupConfig()
        )
    ours = _measure(lambda: Deduplicator(config), items, window, labels, statuses)
    baseline = _measure(
        lambda: Deduplicator(config, candidate_index=MinHashLSHIndex),
        items,
        window,
        labels,
        statuses,
    )
    return {
        "quality_measure": "pairwise and B-cubed precision/recall of story assignment",
        "wirestream": ours,
        "datasketch_minhashlsh": {
            **baseline,
            "threshold": BASELINE_THRESHOLD,
            "num_perm": BASELINE_PERMUTATIONS,
        },
        "throughput_ratio": _ratio(ours["items_per_s"], baseline["items_per_s"]),
        "cpu_throughput_ratio": _ratio(ours["items_per_cpu_s"], baseline["items_per_cpu_s"]),
    }


def _ratio(ours: float | None, baseline: float | None) -> float | None:
    return round(ours / baseline, 2) if ours and baseline else None


def memory_per_item(items: list[dict[str, Any]], config: DedupConfig | None = None) -> float:
    """Bytes of dedup state per remembered item version (tracemalloc), over `items`."""
    gc.collect()
    tracemalloc.start()
    dedup = Deduplicator(config or DedupConfig(max_entries=len(items) + 1))
    before = tracemalloc.get_traced_memory()[0]
    for item in items:
        dedup.process(item, ORIGIN)
        dedup.drain_changes(ORIGIN.partition)  # as the runtime does after every batch
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    entries = dedup.entries()
    del dedup
    return (after - before) / entries if entries else 0.0


# -- corpora ---------------------------------------------------------------------------------


def corpus_items(
    seed: int, stories: int
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """The normalized items of a generated corpus, with story labels and expected statuses."""
    from wirestream.generator import generate
    from wirestream.normalizer import Normalizer

    corpus = generate(seed, stories)
    expected = {(label.raw_id, label.position): label for label in corpus.labels}
    normalizer = Normalizer()
    items, labels, statuses = [], {}, {}
    for record in corpus.records():
        for outcome in normalizer.process(record, ORIGIN):
            if not isinstance(outcome, Emit):
                continue
            item = outcome.item
            items.append(item)
            provenance = item["provenance"]
            label = expected.get((provenance["raw_id"], provenance["position"]))
            if label is not None:
                labels[item["id"]] = label.story_key
                statuses[item["id"]] = label.status
    return items, labels, statuses


def window_items(count: int, seed: int, before: datetime) -> list[dict[str, Any]]:
    """`count` distinct items (articles and teasers of generated stories, never shown in the
    benchmark corpus) published in the 24 hours before `before`: the remembered window."""
    from wirestream.generator.stories import write_story
    from wirestream.generator.vocabulary import LANGUAGES

    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    n = 0
    while len(items) < count:
        language = LANGUAGES["en" if rng.random() < 0.3 else "nl"]
        section = rng.choice(language.sections)
        published = before - timedelta(seconds=rng.uniform(3600, 24 * 3600))
        story = write_story(rng, f"w{n}", language, section, published)
        version = story.versions[0]
        n += 1
        stamp = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        common = {
            "dateline": {"raw": story.place.dateline, "place": story.place.dateline},
            "agencies": [{"code": code, "name": None} for code in version.agencies],
            "published_at": stamp,
            "fetched_at": stamp,
            "source": language.host,
        }
        items.append(
            {
                **common,
                "id": f"w{n}-a",
                "kind": "article",
                "headline": version.headline,
                "body_text": "\n\n".join(p.text for p in version.paragraphs),
                "subheadings": [p.subheading for p in version.paragraphs if p.subheading],
            }
        )
        if rng.random() < 0.5:
            items.append(
                {
                    **common,
                    "id": f"w{n}-t",
                    "kind": "teaser",
                    "headline": None,
                    "body_text": version.teaser_text + " extra",  # not its article's lead
                    "subheadings": [],
                }
            )
    items = items[:count]
    items.sort(key=lambda item: item["published_at"])  # arrival order, as on the wire
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup", description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--window", type=int, default=100_000, help="items in the window")
    args = parser.parse_args(argv)

    from wirestream.generator import GeneratorConfig

    items, labels, statuses = corpus_items(args.seed, args.stories)
    print(f"corpus: {len(items)} items, {len(set(labels.values()))} stories")
    quality = run(items, labels, statuses)
    print("empty window:", quality)
    window = window_items(args.window, args.seed + 1, GeneratorConfig().base_time)
    loaded = run(items, labels, statuses, window=window)
    print(f"{args.window} items in the window:", loaded)
    per_item = memory_per_item(window[: min(len(window), 20_000)])
    print(f"memory per remembered item: {per_item:.0f} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
