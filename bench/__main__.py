"""`make bench` (`python -m bench`): every figure beside a baseline measured in the same run.

    python -m bench                   # everything; rewrites the results in BENCHMARKS.md
    python -m bench --quick           # a small corpus and short Kafka runs
    python -m bench --only inprocess  # in-process stages and chain (also: dedup, kafka)
    python -m bench --no-write        # print only

Parts: `inprocess` (stage and chain throughput against an orjson passthrough, plus a
pyinstrument profile of the chain), `dedup` (quality and speed against datasketch's
MinHashLSH, from bench/dedup.py), `kafka` (end-to-end throughput exactly-once and
at-least-once against a plain aiokafka passthrough, latency at a fixed offered rate, an idle
service against the broker alone, peak memory of each service; needs a local broker, which
it starts, or $KAFKA_BOOTSTRAP), `realcopy` (normalizer and enricher accuracy per field and
language on the real agency copy in tests/fixtures/real/, from bench/realcopy.py, and the
people and organisations named there against hand labels, from bench/realnames.py; a few
seconds), `formats` (normalizer items/s per agency format on its real samples beside text
pages, from bench/formats.py), `changes` (how often an update's `changes` names exactly the
revision the generator made, and what computing it costs, from bench/changes.py), `quix`
(issue 16's race: `serve pipeline` against a Quix Streams app running the same chain, both
exactly-once, draining the same preloaded backlog on the same broker, `--rounds` interleaved
rounds, outputs checked equal; from bench/quixrace.py and bench/quix_peer.py), `runtime`
(issue 16's runtime figures in `--rounds` interleaved rounds: time to first output and
visibility gaps draining a preloaded backlog with growing transactions against never-growing
ones, `serve pipeline`'s items per CPU-second against the in-process chain's, three services
against `serve pipeline`; from bench/runtime.py), `commits` (one exactly-once commit's time
by phase, its client CPU and broker requests, against the same messages sent without a
transaction; from bench/commits.py), `gil` (the chain's thread alone and beside a thread
that wakes every millisecond, as the service's event loop does, at the service's switch
interval and Python's; on the race corpus, no broker; from bench/gil.py, about a minute),
`ner` (the name recogniser's cost per published item and word, and its scores on the CoNLL
test splits when `make train-ner`'s data directory has them; from bench/ner.py, about a
minute), `abchain` (the in-process chain of this tree against `--against COMMIT`,
interleaved rounds, with its outputs compared; from bench/abchain.py, only when asked for),
`abservice` (exactly-once `serve pipeline` of this tree against `--against COMMIT` draining
the race corpus's backlog, interleaved rounds, 6 unless `--rounds`; from bench/abservice.py,
only when asked for)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from bench import inprocess, report
from wirestream.core.records import Emit
from wirestream.generator import Corpus, generate

PARTS = (
    "inprocess",
    "dedup",
    "kafka",
    "quix",
    "runtime",
    "commits",
    "realcopy",
    "formats",
    "changes",
    "ner",
    "gil",
    "abchain",
    "abservice",
)
ON_REQUEST = ("abchain", "abservice")  # not part of a plain `make bench`
AB_SERVICE_ROUNDS = 6  # a few per cent apart needs more rounds than the figures of one tree
GIL_ROUNDS = 4  # each runs the race corpus four times: alone and beside, at two intervals
ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, short runs")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stories", type=int, help="corpus size (default 3000; quick 400)")
    parser.add_argument("--window", type=int, help="dedup window items (default 100000)")
    parser.add_argument("--rate", type=int, default=1000, help="offered items/s for latency")
    parser.add_argument(
        "--against", help="abchain, abservice: the commit to race this tree against"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="interleaved rounds (abchain: default 5; abservice: 6; quix, runtime: 3)",
    )
    parser.add_argument(
        "--race-stories",
        type=int,
        default=1000,
        help="quix: corpus size of the race (default 1000, the same seed; keeps make bench short)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print, do not write")
    args = parser.parse_args(argv)
    parts = args.only or [part for part in PARTS if part not in ON_REQUEST]
    for part in {"abchain", "abservice"} & set(parts):
        if not args.against:
            parser.error(f"--only {part} needs --against COMMIT")
    stories = args.stories or (400 if args.quick else 3000)
    window = args.window if args.window is not None else (10_000 if args.quick else 100_000)

    corpus = generate(args.seed, stories)
    records = corpus.records()
    results: dict[str, Any] = {
        "corpus": {"seed": args.seed, **corpus.summary(), "bytes": sum(map(len, records))},
        "quick": args.quick,
    }
    report.progress(f"corpus: {results['corpus']}")
    if "abchain" in parts:
        from bench import abchain

        report.progress(f"A/B of the chain against {args.against}, {args.rounds} rounds ...")
        results["abchain"] = abchain.run(records, args.against, args.rounds or 5)
    if not set(parts) - {"abchain"}:
        return finish(results, args.output, write=not args.no_write)
    items = normalized_items(records)
    if "inprocess" in parts or "dedup" in parts:
        results.update(run_inprocess(parts, corpus, records, items, window, args.quick))
    if "realcopy" in parts:
        report.progress("accuracy on real agency copy ...")
        results["realcopy"] = call_owner("realcopy")
        results["realnames"] = call_owner("realnames")
    if "formats" in parts:
        report.progress("normalizer throughput per agency format ...")
        results["formats"] = call_owner("formats", args.quick)
    if "changes" in parts:
        report.progress("changes on updates against the generator's revision labels ...")
        results["changes"] = call_owner("changes", items, corpus)
    if "ner" in parts:
        from wirestream.deduplicator import Deduplicator

        report.progress("name recogniser: cost and CoNLL test scores ...")
        published = inprocess.emitted(
            inprocess.stage_over(Deduplicator(), items)(), published_only=True
        )
        results["ner"] = call_owner("ner", published)
    if not {"gil", "kafka", "quix", "runtime", "commits", "abservice"} & set(parts):
        return finish(results, args.output, write=not args.no_write)
    small = stories <= args.race_stories
    race = records if small else generate(args.seed, args.race_stories).records()
    if "gil" in parts:
        from bench import gil

        report.progress("the GIL's cost to the chain's thread ...")
        results["gil"] = gil.run(race, GIL_ROUNDS)
    if {"kafka", "quix", "runtime", "commits", "abservice"} & set(parts):
        results.update(run_on_kafka(parts, records, race, args))
    return finish(results, args.output, write=not args.no_write)


def finish(results: dict[str, Any], output: Path, *, write: bool) -> int:
    dump = ROOT / ".bench" / "results.json"
    dump.parent.mkdir(exist_ok=True)
    dump.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2, default=str))
    text = report.render(results)
    print(text)
    if write:
        report.write(output, text)
        report.progress(f"results written to {output}")
    return 0


def normalized_items(records: list[bytes]) -> list[dict[str, Any]]:
    from wirestream.normalizer import Normalizer

    return inprocess.emitted(inprocess.stage_over(Normalizer(), records)())


def run_inprocess(
    parts: list[str],
    corpus: Corpus,
    records: list[bytes],
    items: list[dict[str, Any]],
    window: int,
    quick: bool,
) -> dict[str, Any]:
    from wirestream.deduplicator import Deduplicator
    from wirestream.enricher import Enricher
    from wirestream.normalizer import Normalizer

    repeat = 1 if quick else 3
    rows: list[dict[str, Any]] = []
    out: dict[str, Any] = {"stages": rows, "owners": {}}

    if "inprocess" in parts:
        report.progress("normalize ...")
        row, _ = inprocess.measure_stage(
            "normalize",
            Normalizer(),
            records,
            inprocess.passthrough_records(records),
            "orjson loads+dumps of the raw records",
            count=lambda outcomes: len(inprocess.emitted(outcomes)),
            repeat=repeat,
        )
        rows.append(row)
        out["owners"]["bench/normalize.py"] = call_owner("normalize", records)

    dedup_result = None
    if "dedup" in parts or "inprocess" in parts:
        report.progress(f"dedup with {window} items in the window, and datasketch ...")
        dedup_result = call_owner("dedup", items, corpus, window)
        out["dedup"] = dedup_result
        ours = (dedup_result or {}).get("wirestream", {})
        if ours.get("items_per_s"):
            base, _ = inprocess.timed(inprocess.passthrough_items(items), repeat)
            timing = inprocess.Timing(ours["seconds"], ours.get("cpu_seconds") or 0.0)
            row = inprocess.figure(
                f"dedup ({ours.get('window_entries', window)} in window)",
                len(items),
                timing,
                base,
                "orjson dumps+loads of the items",
            )
            row["items_per_cpu_s"] = row["items_per_cpu_s"] or None
            rows.append(row)

    if "inprocess" in parts:
        unique = inprocess.emitted(
            inprocess.stage_over(Deduplicator(), items)(), published_only=True
        )
        report.progress(f"enrich {len(unique)} unique items ...")
        row, _ = inprocess.measure_stage(
            "enrich",
            Enricher(),
            unique,
            inprocess.passthrough_items(unique),
            "orjson dumps+loads of the items",
            repeat=repeat,
        )
        rows.append(row)
        out["owners"]["bench/enrich.py"] = call_owner("enrich", unique)

        report.progress("whole chain ...")
        chains = [inprocess.chain_of(inprocess.pipeline_stages()) for _ in range(repeat)]
        out["chain_name"] = chains[0].name
        base, _ = inprocess.timed(inprocess.passthrough_records(records), repeat)
        best = None
        for chain in chains:  # a fresh chain each time: the deduplicator keeps state
            timing, outcomes = inprocess.timed(inprocess.stage_over(chain, records))
            if best is None or timing.wall < best[0].wall:
                best = (timing, outcomes)
        assert best is not None
        row = inprocess.figure(
            f"whole chain ({chains[0].name})",
            len(items),
            best[0],
            base,
            "orjson loads+dumps of the raw records",
        )
        row["published"] = sum(1 for o in best[1] if isinstance(o, Emit) and o.publish)
        rows.append(row)

        report.progress("profiling the chain ...")
        hot, text = inprocess.profile_chain(inprocess.pipeline_stages, records)
        out["profile"] = hot
        profile_file = ROOT / ".bench" / "profile-chain.txt"
        profile_file.parent.mkdir(exist_ok=True)
        profile_file.write_text(text)
        out["profile_file"] = str(profile_file.relative_to(ROOT))
    return out


def run_on_kafka(
    parts: list[str], records: list[bytes], race: list[bytes], args: argparse.Namespace
) -> dict[str, Any]:
    """The parts that need a broker, on one broker: end to end over `records`, the Quix race
    and the service A/B over `race` (the same corpus, or a smaller one of the same seed), the
    runtime, the cost of a commit."""
    from bench import endtoend

    report.progress("end to end: expected outputs from the in-process chain ...")
    wanted = set(parts)
    expected = endtoend.expected_outputs(records) if {"kafka", "runtime"} & wanted else None
    raced = None
    if {"quix", "abservice"} & wanted:
        raced = expected if expected and race is records else endtoend.expected_outputs(race)
    rounds = args.rounds or 3
    out: dict[str, Any] = {}
    with endtoend.broker() as broker:
        if "kafka" in parts and expected:
            out["kafka"] = endtoend.run(expected, broker, quick=args.quick, rate=args.rate)
        if "quix" in parts and raced:
            from bench import quixrace

            out["quix"] = quixrace.run(raced, broker, rounds)
        if "runtime" in parts and expected:
            from bench import runtime

            out["runtime"] = runtime.run(expected, broker, rounds)
        if "commits" in parts:
            from bench import commits

            out["commits"] = commits.run(broker, quick=args.quick)
        if "abservice" in parts and raced:
            from bench import abservice

            report.progress(f"A/B of `serve pipeline` against {args.against} ...")
            ab_rounds = args.rounds or AB_SERVICE_ROUNDS
            out["abservice"] = abservice.run(raced, broker, args.against, ab_rounds, args.rate)
    return out


def call_owner(name: str, *inputs: Any) -> dict[str, Any] | None:
    """Call `bench/<name>.py`'s `run`, written by the stage's owner. The harness adapts to
    the signature it finds; a missing module is reported, not fatal."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ImportError as error:
        report.progress(f"bench/{name}.py not available: {error}")
        return {"missing": str(error)}
    params = list(inspect.signature(module.run).parameters)
    if name == "dedup":
        items, corpus, window = inputs
        labels, statuses, variants = labelled(items, corpus)
        kwargs: dict[str, Any] = {"variants": variants} if "variants" in params else {}
        if "window" in params and window:
            from wirestream.generator import GeneratorConfig

            kwargs["window"] = module.window_items(window, 8, GeneratorConfig().base_time)
        return module.run(items, labels, statuses, **kwargs)
    return module.run(*inputs)


def labelled(
    items: list[dict[str, Any]], corpus: Corpus
) -> tuple[dict[str, str], dict[str, str], dict[str, str | None]]:
    """Ground truth keyed by item id: story key, expected status and variant class."""
    expected = {(label.raw_id, label.position): label for label in corpus.labels}
    stories, statuses, variants = {}, {}, {}
    for item in items:
        provenance = item["provenance"]
        label = expected.get((provenance["raw_id"], provenance["position"]))
        if label is not None:
            stories[item["id"]] = label.story_key
            statuses[item["id"]] = label.status
            variants[item["id"]] = label.variant
    return stories, statuses, variants


if __name__ == "__main__":
    sys.exit(main())
