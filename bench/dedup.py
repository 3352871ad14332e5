"""Dedup benchmark: quality and speed of the deduplicator against datasketch's MinHashLSH
and against itself with the place rule strict (`lead_across_places=False`, the deduplicator
before issue 14), per variant class of the corpus, and what partitioning by place costs.

Both sides run the same `Deduplicator` (same shingles, same exact resemblance/containment
check, same state); only the candidate search differs — our anchor index versus a
`MinHashLSH` (128 permutations, fed our 32-bit shingle hashes directly, so datasketch does
no SHA-1 work). Quality is story assignment against the generator's labels, as pairwise
precision/recall (over all pairs of items: same story predicted vs. same story labelled)
and B-cubed precision/recall, plus status accuracy (new/update/duplicate). Per variant class
(`generator.pages.VARIANTS`: exonym, refiled, undated, agency; `plain` for the rest), pairwise
figures count the pairs that involve an item of the class, B-cubed and status accuracy
average over the class's items. Partitioning: each item goes to partition
murmur2(routing_key) mod N (aiokafka's default partitioner, N = 64 by default); reported are
the share of same-story pairs that land in different partitions and the quality when every
partition decides alone, as N deduplicator instances would.

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
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.partitioner import murmur2

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import DedupConfig, Deduplicator

ORIGIN = Origin(topic="wire.items", partition=0)
PARTITIONS = 64  # what the README promises a user with 64 partitions of wire.items
PLAIN = "plain"  # items that are none of the variant classes
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


def pairs_touching(groups: Sequence[Any], focus: Sequence[bool]) -> int:
    """Pairs of items in one group (`groups[i]` is item i's) with at least one focus item."""
    size: Counter[Any] = Counter(groups)
    inside: Counter[Any] = Counter(g for g, f in zip(groups, focus, strict=True) if f)
    return sum(_pairs(n) - _pairs(n - inside[g]) for g, n in size.items())


def pairwise(
    predicted: dict[str, str], truth: dict[str, str], focus: Collection[str] | None = None
) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering (item id -> cluster) against the truth,
    over the pairs involving an item of `focus` (all pairs by default)."""
    ids = [i for i in predicted if i in truth]
    inside = [focus is None or i in focus for i in ids]
    together = pairs_touching([(predicted[i], truth[i]) for i in ids], inside)
    said = pairs_touching([predicted[i] for i in ids], inside)
    true = pairs_touching([truth[i] for i in ids], inside)
    return (together / said if said else 1.0), (together / true if true else 1.0)


def bcubed(
    predicted: dict[str, str], truth: dict[str, str], focus: Collection[str] | None = None
) -> tuple[float, float]:
    """B-cubed precision and recall: per item, the share of its predicted cluster that is its
    true story and the share of its true story that is in its predicted cluster; averaged
    over the items of `focus` (all by default)."""
    ids = [i for i in predicted if i in truth]
    both = Counter((predicted[i], truth[i]) for i in ids)
    pred_size = Counter(predicted[i] for i in ids)
    true_size = Counter(truth[i] for i in ids)
    scored = [i for i in ids if focus is None or i in focus]
    if not scored:
        return 1.0, 1.0
    precision = sum(both[predicted[i], truth[i]] / pred_size[predicted[i]] for i in scored)
    recall = sum(both[predicted[i], truth[i]] / true_size[truth[i]] for i in scored)
    return precision / len(scored), recall / len(scored)


def quality(
    emitted: list[dict[str, Any]],
    labels: dict[str, str],
    statuses: dict[str, str] | None,
    focus: Collection[str] | None = None,
) -> dict[str, Any]:
    """Story assignment and status figures of the emitted items, over `focus` (all items)."""
    predicted = {item["id"]: item["story_id"] for item in emitted}
    precision, recall = pairwise(predicted, labels, focus)
    b3_precision, b3_recall = bcubed(predicted, labels, focus)
    result: dict[str, Any] = {
        "pairwise": {"precision": round(precision, 5), "recall": round(recall, 5)},
        "bcubed": {"precision": round(b3_precision, 5), "recall": round(b3_recall, 5)},
        "f1": round(2 * precision * recall / (precision + recall), 5) if precision else 0.0,
    }
    if statuses:
        scored = [i for i in emitted if focus is None or i["id"] in focus]
        right = sum(statuses.get(item["id"]) == item["dedup"]["status"] for item in scored)
        result["status_accuracy"] = round(right / len(scored), 5) if scored else None
    return result


def partition_of(routing_key: str, partitions: int) -> int:
    """The partition of `wire.items` aiokafka's default partitioner gives a routing key."""
    return (murmur2(routing_key.encode()) & 0x7FFFFFFF) % partitions


def partition_load(items: list[dict[str, Any]], partitions: int) -> dict[str, Any]:
    """How routing by place spreads the items over `partitions`: routing keys, partitions
    used, and the busiest partition's share (1/partitions would be even) and its hottest key."""
    by_partition: Counter[int] = Counter()
    by_key: Counter[str] = Counter(item["routing_key"] for item in items)
    for key, count in by_key.items():
        by_partition[partition_of(key, partitions)] += count
    busiest, load = by_partition.most_common(1)[0] if by_partition else (0, 0)
    keys_there = [key for key in by_key if partition_of(key, partitions) == busiest]
    hottest = max(keys_there, key=by_key.__getitem__) if keys_there else None
    return {
        "routing_keys": len(by_key),
        "undated_keys": sum(1 for key in by_key if key.startswith("~")),
        "partitions_used": len(by_partition),
        "busiest_share": round(load / len(items), 4) if items else 0.0,
        "busiest_hottest_key": hottest,
        "hottest_key_share": round(by_key[hottest] / len(items), 4) if hottest else 0.0,
    }


def variant_classes(variants: dict[str, str | None], ids: list[str]) -> dict[str, set[str]]:
    """Item ids per variant class; items of no class are `plain`."""
    classes: dict[str, set[str]] = {}
    for item_id in ids:
        classes.setdefault(variants.get(item_id) or PLAIN, set()).add(item_id)
    return dict(sorted(classes.items()))


def cross_partition_share(
    items: list[dict[str, Any]],
    labels: dict[str, str],
    partitions: int,
    focus: Collection[str] | None = None,
) -> float:
    """The share of same-story pairs (involving an item of `focus`) whose routing keys send
    them to different partitions: pairs the deduplicator can never compare."""
    labelled = [item for item in items if item["id"] in labels]
    stories = [labels[item["id"]] for item in labelled]
    where = [partition_of(item["routing_key"], partitions) for item in labelled]
    inside = [focus is None or item["id"] in focus for item in labelled]
    together = pairs_touching(stories, inside)
    split = together - pairs_touching(list(zip(stories, where, strict=True)), inside)
    return round(split / together, 5) if together else 0.0


# -- runs ------------------------------------------------------------------------------------


def _measure(
    make: Callable[[], Deduplicator],
    items: list[dict[str, Any]],
    window: list[dict[str, Any]],
    labels: dict[str, str] | None,
    statuses: dict[str, str] | None,
    route: Callable[[dict[str, Any]], Origin] | None = None,
) -> dict[str, Any]:
    """One run; `route`: the partition of each item (all in partition 0 by default)."""
    dedup = make()
    for item in window:  # fill the window first; not timed
        dedup.process(item, route(item) if route else ORIGIN)
    remembered = dedup.entries()
    origins = [route(item) for item in items] if route else [ORIGIN] * len(items)
    outcomes = []
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    for item, origin in zip(items, origins, strict=True):
        outcomes.extend(dedup.process(item, origin))
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
        result.update(quality(emitted, labels, statuses))
        result["emitted"] = emitted
    return result


def run(
    items: list[dict[str, Any]],
    labels: dict[str, str] | None,
    statuses: dict[str, str] | None = None,
    window: list[dict[str, Any]] | None = None,
    config: DedupConfig | None = None,
    variants: dict[str, str | None] | None = None,
    partitions: int = PARTITIONS,
    repeat: int = 3,
) -> dict[str, Any]:
    """Deduplicate `items` (normalized, in arrival order) with our index, as the deduplicator
    before issue 14 did (places as written and strict: `as_written`, `lead_across_places`
    off) and with the MinHashLSH baseline, after first
    filling the window with `window` items (untimed); the window then stays full (by default
    the cap is its size). Ours and the strict one run `repeat` times, interleaved, and keep
    their fastest run (CPU time), so a busy machine's noise does not decide the ratio.

    `labels`: item id -> ground-truth story key; `statuses`: item id -> expected status;
    `variants`: item id -> variant class (or None). Returns every run's figures, the
    throughput ratios, quality per variant class and the cost of `partitions` partitions.
    """
    window = window or []
    # A full window in steady state: the cap is the window's size and nothing expires by
    # time, so every new version evicts the oldest one, as a busy partition does.
    if config is None:
        config = (
            DedupConfig(window_hours=24 * 365, max_entries=len(window)) if window else DedupConfig()
        )
    strict = replace(config, lead_across_places=False)
    written = [as_written(item) for item in items]
    written_window = [as_written(item) for item in window]
    ours: dict[str, Any] | None = None
    today: dict[str, Any] | None = None
    for _ in range(repeat):
        run_ours = _measure(lambda: Deduplicator(config), items, window, labels, statuses)
        run_today = _measure(
            lambda: Deduplicator(strict), written, written_window, labels, statuses
        )
        ours = _faster(ours, run_ours)
        today = _faster(today, run_today)
    assert ours is not None and today is not None
    baseline = _measure(
        lambda: Deduplicator(config, candidate_index=MinHashLSHIndex),
        items,
        window,
        labels,
        statuses,
    )
    result: dict[str, Any] = {
        "quality_measure": "pairwise and B-cubed precision/recall of story assignment",
        "wirestream": ours,
        "strict_place_rule": today,
        "datasketch_minhashlsh": {
            **baseline,
            "threshold": BASELINE_THRESHOLD,
            "num_perm": BASELINE_PERMUTATIONS,
        },
        "throughput_ratio": _ratio(ours["items_per_s"], baseline["items_per_s"]),
        "cpu_throughput_ratio": _ratio(ours["items_per_cpu_s"], baseline["items_per_cpu_s"]),
        "vs_strict_cpu_ratio": _ratio(ours["items_per_cpu_s"], today["items_per_cpu_s"]),
        "vs_strict_wall_ratio": _ratio(ours["items_per_s"], today["items_per_s"]),
    }
    if labels:
        result["classes"] = _by_class(
            items, ours, today, labels, statuses, variants or {}, config, window, partitions
        )
        result["partitions"] = partitions
        result["load"] = partition_load(items, partitions)
    for run_figures in (ours, today, baseline):
        run_figures.pop("emitted", None)
    return result


def as_written(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the deduplicator saw it before issue 14: the dateline's place as written
    (PARIJS, KIEV), no GeoNames id, so only identical spellings agree."""
    dateline = item.get("dateline")
    if not dateline:
        return item
    place = dateline["raw"].split(",")[0]
    return {**item, "dateline": {**dateline, "place": place, "geonames_id": None}}


def _faster(best: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    return new if best is None or new["cpu_seconds"] < best["cpu_seconds"] else best


def _by_class(
    items: list[dict[str, Any]],
    ours: dict[str, Any],
    today: dict[str, Any],
    labels: dict[str, str],
    statuses: dict[str, str] | None,
    variants: dict[str, str | None],
    config: DedupConfig,
    window: list[dict[str, Any]],
    partitions: int,
) -> list[dict[str, Any]]:
    """Quality per variant class: in one partition (ours and strict), the share of its
    same-story pairs split across `partitions`, and our quality with them."""

    def route(item: dict[str, Any]) -> Origin:
        return Origin(topic=ORIGIN.topic, partition=partition_of(item["routing_key"], partitions))

    split = _measure(lambda: Deduplicator(config), items, window, labels, statuses, route)
    ids = [item["id"] for item in items if item["id"] in labels]
    rows = []
    for name, focus in [("all", None), *variant_classes(variants, ids).items()]:
        row: dict[str, Any] = {"class": name, "items": len(focus) if focus else len(ids)}
        row.update(quality(ours["emitted"], labels, statuses, focus))
        row["strict_f1"] = quality(today["emitted"], labels, None, focus)["f1"]
        row["cross_partition_share"] = cross_partition_share(items, labels, partitions, focus)
        row["partitioned_f1"] = quality(split["emitted"], labels, None, focus)["f1"]
        rows.append(row)
    return rows


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
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str], dict[str, str | None]]:
    """The normalized items of a generated corpus, with story labels, expected statuses and
    variant classes."""
    from wirestream.generator import generate
    from wirestream.normalizer import Normalizer

    corpus = generate(seed, stories)
    expected = {(label.raw_id, label.position): label for label in corpus.labels}
    normalizer = Normalizer()
    items, labels, statuses, variants = [], {}, {}, {}
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
                variants[item["id"]] = label.variant
    return items, labels, statuses, variants


def window_items(count: int, seed: int, before: datetime) -> list[dict[str, Any]]:
    """`count` distinct items (articles and teasers of generated stories, never shown in the
    benchmark corpus) published in the 24 hours before `before`: the remembered window."""
    from wirestream.generator.stories import write_story
    from wirestream.generator.vocabulary import LANGUAGES
    from wirestream.geo import gazetteer, place_key

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
        # The canonical place the normalizer gives, so the window competes with the corpus.
        city = gazetteer().canonical(story.place.dateline)
        assert city is not None, story.place.dateline
        common = {
            "dateline": {
                "raw": story.place.dateline,
                "place": city.name,
                "geonames_id": city.geonames_id,
            },
            "routing_key": place_key(city.geonames_id),
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

    items, labels, statuses, variants = corpus_items(args.seed, args.stories)
    print(f"corpus: {len(items)} items, {len(set(labels.values()))} stories")
    empty = run(items, labels, statuses, variants=variants)
    print("empty window:", empty)
    window = window_items(args.window, args.seed + 1, GeneratorConfig().base_time)
    loaded = run(items, labels, statuses, window=window, variants=variants)
    print(f"{args.window} items in the window:", loaded)
    per_item = memory_per_item(window[: min(len(window), 20_000)])
    print(f"memory per remembered item: {per_item:.0f} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
