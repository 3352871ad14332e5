"""The benchmark report: a Markdown section with the machine's description and one table per
part, printed and written between markers into BENCHMARKS.md (the rest of the file is kept)."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median_of(values: Iterable[float | None], digits: int) -> float | None:
    """The median of the values present (a run may lack a figure), rounded; None if none."""
    present = [value for value in values if value is not None]
    return round(statistics.median(present), digits) if present else None


def machine() -> dict[str, str]:
    """nproc, CPU model, memory, Python and the date; read from /proc where it exists."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> list[str]:
    lines = ["| " + " | ".join(title for _, title in columns) + " |"]
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |")
    return lines


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _check(value: float | None, target: float, higher: bool = True) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= target if higher else value <= target) else "missed"


def render(results: dict[str, Any]) -> str:
    lines = [START, "", f"## Results ({'quick' if results.get('quick') else 'full'} run)", ""]
    lines += [f"- **{k}**: {v}" for k, v in machine().items()]
    corpus = results["corpus"]
    lines += [
        f"- **corpus**: `wirestream generate --seed {corpus['seed']} "
        f"--stories {corpus['stories']}`: {corpus['envelopes']:,} envelopes "
        f"({corpus['bytes'] / 1e6:.1f} MB), {corpus['items']:,} labelled items "
        f"(new {corpus.get('new', 0):,}, update {corpus.get('update', 0):,}, "
        f"duplicate {corpus.get('duplicate', 0):,}), {corpus['rejects']} bad inputs",
        "",
    ]
    targets: list[dict[str, Any]] = []
    if results.get("stages"):
        lines += ["### 1. In-process throughput (one process, one core)", ""]
        lines += _table(
            results["stages"],
            [
                ("name", "stage"),
                ("items", "items"),
                ("items_per_s", "items/s"),
                ("items_per_cpu_s", "items/CPU-s"),
                ("baseline_items_per_s", "baseline items/s"),
                ("ratio_to_baseline", "ratio to baseline"),
                ("baseline", "baseline (same run)"),
            ],
        )
        lines.append("")
        chain = next((r for r in results["stages"] if r["name"].startswith("whole chain")), None)
        if chain:
            per_core = chain["items_per_cpu_s"] or chain["items_per_s"]
            targets.append(
                {
                    "target": "whole in-process chain ≥ 5,000 items/s per core",
                    "measured": f"{per_core:,} items/CPU-s ({chain['items_per_s']:,}/s wall)",
                    "verdict": _check(per_core, 5000),
                }
            )
    owners = {k: v for k, v in (results.get("owners") or {}).items() if v}
    if owners:
        lines += ["Figures from the stage owners' own benchmark functions, same corpus:", ""]
        lines += [f"- `{name}`: `{_flat(value)}`" for name, value in owners.items()]
        lines.append("")
    dedup = results.get("dedup")
    if dedup and "wirestream" in dedup:
        lines += _dedup_section(dedup, targets)
    if results.get("profile"):
        lines += [
            "### Profile of the whole chain (pyinstrument, own time per function)",
            "",
            f"Full profile: `{results.get('profile_file')}`.",
            "",
        ]
        lines += _table(
            results["profile"],
            [("function", "function"), ("where", "where"), ("own_s", "own s"), ("share", "share")],
        )
        lines.append("")
    if results.get("abchain"):
        lines += _abchain_section(results["abchain"])
    if results.get("abservice"):
        lines += _abservice_section(results["abservice"])
    kafka = results.get("kafka")
    if kafka:
        lines += _kafka_section(kafka, targets)
    if results.get("quix"):
        lines += _quix_section(results["quix"], kafka, targets)
    if results.get("runtime"):
        lines += _runtime_section(results["runtime"], targets)
    if results.get("commits"):
        lines += _commits_section(results["commits"])
    if results.get("gil"):
        lines += _gil_section(results["gil"])
    realcopy = results.get("realcopy")
    if realcopy and "rows" in realcopy:
        lines += _realcopy_section(realcopy, targets)
    realnames = results.get("realnames")
    if realnames and "rows" in realnames:
        lines += _realnames_section(realnames)
    formats = results.get("formats")
    if formats and "rows" in formats:
        lines += [
            "### Normalizer throughput per agency format (bench/formats.py, one core)",
            "",
            "Real samples of each format (tests/fixtures/formats/), one envelope per item as"
            " the producer writes them, beside generated text pages in the same run.",
            "",
        ]
        lines += _table(
            formats["rows"],
            [
                ("format", "format"),
                ("envelopes", "envelopes"),
                ("items", "items"),
                ("bytes_per_envelope", "bytes/envelope"),
                ("items_per_s", "items/s"),
                ("items_per_cpu_s", "items/CPU-s"),
                ("ratio_to_pages", "ratio to text pages"),
            ],
        )
        lines.append("")
    changes = results.get("changes")
    if changes and "share_named" in changes:
        lines += _changes_section(changes, targets)
    ner = results.get("ner")
    if ner and "cost" in ner:
        lines += _ner_section(ner, targets)
    if targets:
        lines += ["### Targets", ""]
        lines += _table(
            targets, [("target", "target"), ("measured", "measured"), ("verdict", "verdict")]
        )
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def _dedup_section(dedup: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    ours, base = dedup["wirestream"], dedup["datasketch_minhashlsh"]
    rows = []
    for name, run in (("wirestream (anchor index)", ours), ("datasketch MinHashLSH", base)):
        rows.append(
            {
                "name": name,
                "items_per_s": run.get("items_per_s"),
                "items_per_cpu_s": run.get("items_per_cpu_s"),
                "window": run.get("window_entries"),
                "precision": (run.get("pairwise") or {}).get("precision"),
                "recall": (run.get("pairwise") or {}).get("recall"),
                "f1": run.get("f1"),
                "b3p": (run.get("bcubed") or {}).get("precision"),
                "b3r": (run.get("bcubed") or {}).get("recall"),
                "status_accuracy": run.get("status_accuracy"),
            }
        )
    lines = ["### 2. Dedup quality and speed against datasketch (same corpus, same run)", ""]
    lines += _table(
        rows,
        [
            ("name", "candidate search"),
            ("window", "items in window"),
            ("items_per_s", "items/s"),
            ("items_per_cpu_s", "items/CPU-s"),
            ("precision", "pairwise precision"),
            ("recall", "pairwise recall"),
            ("f1", "F1"),
            ("b3p", "B³ precision"),
            ("b3r", "B³ recall"),
            ("status_accuracy", "status accuracy"),
        ],
    )
    ratio, cpu_ratio = dedup.get("throughput_ratio"), dedup.get("cpu_throughput_ratio")
    lines += [
        "",
        f"Throughput ratio wirestream / datasketch: **{cpu_ratio}×** by CPU time, "
        f"{ratio}× by wall clock.",
        "",
    ]
    best = cpu_ratio or ratio
    equal_f1 = ours.get("f1") is not None and ours["f1"] >= (base.get("f1") or 0)
    targets.append(
        {
            "target": "dedup ≥ 3× datasketch throughput at equal or better F1",
            "measured": f"{best}× (CPU), F1 {ours.get('f1')} vs {base.get('f1')}",
            "verdict": "met" if best and best >= 3 and equal_f1 else "missed",
        }
    )
    if dedup.get("classes"):
        lines += _dedup_classes(dedup, targets)
    return lines


def _dedup_classes(dedup: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    """Quality per variant class (issue 14), against the deduplicator before it, and the cost
    of partitioning `wire.items` by place."""
    today = dedup["strict_place_rule"]
    partitions = dedup.get("partitions")
    rows = [
        {
            **row,
            "precision": row["pairwise"]["precision"],
            "recall": row["pairwise"]["recall"],
            "b3p": row["bcubed"]["precision"],
            "b3r": row["bcubed"]["recall"],
        }
        for row in dedup["classes"]
    ]
    lines = [
        "### 2b. Dedup per variant class: exonyms, re-filed, undated, two agencies",
        "",
        "One partition decides everything (ours; *before* = places as written, compared "
        "strictly, as before issue 14). Pairwise figures count the pairs involving an item of "
        "the class; *split* is the share of those same-story pairs that routing puts in "
        f"different partitions of {partitions}, and *F1 at {partitions}* our F1 when each "
        "partition decides alone.",
        "",
    ]
    lines += _table(
        rows,
        [
            ("class", "class"),
            ("items", "items"),
            ("precision", "pairwise P"),
            ("recall", "pairwise R"),
            ("f1", "F1"),
            ("b3p", "B³ P"),
            ("b3r", "B³ R"),
            ("status_accuracy", "status acc."),
            ("strict_f1", "F1 before"),
            ("cross_partition_share", "split"),
            ("partitioned_f1", f"F1 at {partitions}"),
        ],
    )
    cpu, wall = dedup.get("vs_strict_cpu_ratio"), dedup.get("vs_strict_wall_ratio")
    lines += [
        "",
        f"Throughput against the deduplicator before issue 14, same items, same run: "
        f"{today.get('items_per_cpu_s') or 0:,} items/CPU-s before, ratio **{cpu}** by CPU time "
        f"({wall} by wall clock).",
        "",
    ]
    load = dedup.get("load") or {}
    if load:
        lines += [
            f"Load over {partitions} partitions: {load['routing_keys']} routing keys "
            f"({load['undated_keys']} lead fingerprints of undated copy) on "
            f"{load['partitions_used']} partitions; the busiest carries "
            f"{load['busiest_share']:.1%} of the items (even: {1 / partitions:.1%}), "
            f"{load['hottest_key_share']:.1%} from its hottest key "
            f"`{load['busiest_hottest_key']}`.",
            "",
        ]
    overall = next(row for row in rows if row["class"] == "all")
    classes = [row for row in rows if row["class"] != "all"]
    worst = min(classes, key=lambda row: row["f1"]) if classes else overall
    targets += [
        {
            "target": "dedup F1 ≥ 0.995 overall, ≥ 0.98 in every variant class (one partition)",
            "measured": f"{overall['f1']} overall, lowest {worst['f1']} ({worst['class']})",
            "verdict": "met" if overall["f1"] >= 0.995 and worst["f1"] >= 0.98 else "missed",
        },
        {
            "target": "dedup throughput ≥ 0.9 of the deduplicator before issue 14",
            "measured": f"{cpu} (CPU), {wall} (wall)",
            "verdict": _check(cpu, 0.9),
        },
    ]
    return lines


def _kafka_section(kafka: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### 3. End-to-end Kafka throughput, raw → normalized, draining a preloaded backlog "
        "(same broker, same run)",
        "",
    ]
    lines += [f"{kafka.get('setup', '')}", ""]
    lines += _table(
        kafka.get("throughput", []),
        [
            ("name", "run"),
            ("records", "raw records"),
            ("outputs", "records out"),
            ("seconds", "seconds"),
            ("records_per_s", "raw records/s"),
            ("items_per_s", "items/s"),
            ("ratio", "ratio to passthrough"),
            ("service_cpu_s", "service CPU s"),
            ("records_per_cpu_s", "raw records/CPU-s"),
            ("items_per_cpu_s", "items/CPU-s"),
            ("broker_cpu_s", "broker CPU s"),
            ("broker_cpu_us_per_item", "broker CPU µs/item"),
        ],
    )
    lines.append("")
    eos = next((r for r in kafka.get("throughput", []) if r["name"].startswith("exactly")), None)
    if eos:
        targets.append(
            {
                "target": "end-to-end exactly-once ≥ 50% of the passthrough rate",
                "measured": f"{eos.get('ratio')} of passthrough",
                "verdict": _check(eos.get("ratio"), 0.5),
            }
        )
    latency = kafka.get("latency")
    if latency:
        lines += ["### 4. End-to-end latency at a fixed offered rate", ""]
        lines += _table(
            latency,
            [
                ("name", "run"),
                ("offered_items_per_s", "offered items/s"),
                ("achieved_items_per_s", "sent items/s"),
                ("outputs", "records out"),
                ("p50_ms", "p50 ms"),
                ("p99_ms", "p99 ms"),
                ("max_ms", "max ms"),
                ("cpu_share", "service CPU share"),
                ("event_loop_share", "of which the event loop"),
            ],
        )
        lines += [
            "",
            "Latency is from the send of a raw record to the read (read_committed) of each of "
            "its output records. CPU share: the service's CPU time over the run's duration "
            "(1.0 = one core); the event loop's is its main thread's (the passthrough has no "
            "other), the rest is the chain's thread.",
            "",
        ]
        default = latency[0]  # exactly-once `serve pipeline` with its default settings
        rate = default.get("offered_items_per_s") or 0
        targets.append(
            {
                "target": f"p99 ≤ 50 ms at {rate:,} items/s, exactly-once (issue 16)",
                "measured": f"{default['name']}: p99 {default.get('p99_ms')} ms",
                "verdict": _check(default.get("p99_ms"), 50, higher=False),
            }
        )
    idle = kafka.get("idle")
    if idle:
        lines += ["### 4b. An idle service against the broker alone", ""]
        lines += _table(
            idle,
            [
                ("run", "run"),
                ("seconds", "seconds"),
                ("service_cpu_share", "service CPU share"),
                ("wake_ups_per_s", "event loop wake-ups/s"),
                ("broker_cpu_share", "broker CPU share"),
            ],
        )
        lines += [
            "",
            "After one warm-up page, no record comes. CPU shares of one core; wake-ups: the "
            "event loop's voluntary context switches. The broker alone is measured right after "
            "the service stopped, as the same run's baseline.",
            "",
        ]
    memory = kafka.get("memory")
    if memory:
        lines += ["### 5. Peak memory of each service (VmHWM from /proc)", ""]
        lines += _table(memory, [("service", "service"), ("peak_rss_mib", "peak RSS MiB")])
        lines.append("")
    for note in kafka.get("notes", []):
        lines.append(f"- {note}")
    if kafka.get("notes"):
        lines.append("")
    return lines


def _runtime_section(runtime: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    summary = runtime["summary"]
    rows = [{"name": name, **figures} for name, figures in summary["medians"].items()]
    lines = [
        f"### Runtime (issue 16): medians of {runtime['rounds']} interleaved rounds, "
        "draining the preloaded backlog exactly-once",
        "",
    ]
    lines += _table(
        rows,
        [
            ("name", "run"),
            ("backlog_commit_ms", "backlog's commit ms"),
            ("first_output_ms", "first output ms"),
            ("gap_p50_ms", "gap p50 ms"),
            ("gap_p99_ms", "gap p99 ms"),
            ("gap_max_ms", "gap max ms"),
            ("records_per_s", "raw records/s"),
            ("items_per_s", "items/s"),
            ("items_per_cpu_s", "items/CPU-s"),
            ("event_loop_cpu_us_per_item", "event loop CPU µs/item"),
            ("chain_thread_cpu_us_per_item", "chain thread CPU µs/item"),
            ("broker_cpu_us_per_item", "broker CPU µs/item"),
        ],
    )
    ratios = {
        "throughput_vs_never_growing": "growing / never-growing transactions, raw records/s",
        "pipeline_vs_in_process_cpu": "`serve pipeline` / in-process chain, items/CPU-s",
        "never_growing_vs_in_process_cpu": (
            "never-growing `serve pipeline` / in-process chain, items/CPU-s"
        ),
        "services_vs_pipeline": "three services / `serve pipeline`, raw records/s",
        "pipeline_chain_thread_share": (
            "the chain's thread's share of `serve pipeline`'s CPU (inside the service, "
            "same moments: the rest is the event loop)"
        ),
    }
    lines += [
        "",
        "First output: from the backlog's commit acknowledged (its records readable; the "
        "commit call itself took the first column) to the first output read "
        "`read_committed`. "
        "Gaps: between successive reads that brought new output while the backlog drained. "
        "Ratios are medians of the per-round ratios (bench/runtime.py):",
        "",
    ]
    lines += [f"- {what}: **{_cell(summary.get(key))}**" for key, what in ratios.items()]
    lines.append("")
    first = summary["medians"].get("growing transactions (default)", {})
    targets += [
        {
            "target": "first output under a backlog ≤ 100 ms (issue 16)",
            "measured": f"{first.get('first_output_ms')} ms",
            "verdict": _check(first.get("first_output_ms"), 100, higher=False),
        },
        {
            "target": "`serve pipeline` items/CPU-s ≥ 90% of the in-process chain's",
            "measured": str(summary.get("pipeline_vs_in_process_cpu")),
            "verdict": _check(summary.get("pipeline_vs_in_process_cpu"), 0.9),
        },
        {
            "target": "three services ≥ 70% of `serve pipeline`'s throughput",
            "measured": str(summary.get("services_vs_pipeline")),
            "verdict": _check(summary.get("services_vs_pipeline"), 0.7),
        },
    ]
    return lines


def _gil_section(gil: dict[str, Any]) -> list[str]:
    """bench/gil.py: the chain's thread alone and beside a waking thread."""
    lines = [
        "### The GIL's cost to the chain's thread (issue 16's runtime overhead; bench/gil.py)",
        "",
        f"The in-process chain over {gil['records']:,} raw records, timed by its own thread's "
        f"CPU, alone and beside a thread of the same process that wakes every "
        f"{_cell(gil['wake_every_ms'])} ms for ~10 µs (as the service's event loop beside its "
        f"chain's thread); medians of {gil['rounds']} interleaved rounds, a fresh chain with "
        "emptied memos each run.",
        "",
    ]
    rows = [
        {"interval": f"{name} ({_cell(gil['intervals_ms'][name])} ms)", **figures}
        for name, figures in gil["results"].items()
    ]
    lines += _table(
        rows,
        [
            ("interval", "switch interval"),
            ("alone_s", "alone, CPU s"),
            ("beside_s", "beside the waking thread, CPU s"),
            ("cost", "beside / alone (median of rounds)"),
        ],
    )
    return [*lines, ""]


def _commits_section(commits: dict[str, Any]) -> list[str]:
    ours, theirs = (commits["retry_ms"][side] for side in ("service", "aiokafka"))
    lines = [
        "### One exactly-once commit (issue 16's latency floor)",
        "",
        f"Means over {commits['transactions']} transactions per size, the service's producer "
        "settings (bench/commits.py); baseline: the same messages sent without a transaction "
        "and acknowledged, same run. Requests: broker requests per transaction. A record "
        "that arrives while its partition's transaction commits waits for that commit and "
        "then its own: under a steady stream, one to two of these before any processing. "
        f"The service retries a transaction's first AddPartitionsToTxn after {ours:g} ms when "
        "the previous commit's markers are not written yet; the last columns are the same "
        f"transactions with aiokafka's own {theirs:g} ms there, timed beside them.",
        "",
    ]
    rows = [
        {**row, "requests": ", ".join(f"{k} {v}" for k, v in row["requests"].items())}
        for row in commits["rows"]
    ]
    lines += _table(
        rows,
        [
            ("messages", "messages"),
            ("wall_ms", "ms per transaction"),
            ("begin_ms", "begin"),
            ("send_ms", "send"),
            ("offsets_ms", "offsets"),
            ("acknowledged_ms", "acks"),
            ("commit_ms", "commit"),
            ("cpu_ms", "client CPU ms"),
            ("plain_wall_ms", "without a transaction, ms"),
            ("plain_cpu_ms", "its client CPU ms"),
            ("wall_vs_plain", "ratio"),
            ("requests", "requests"),
            (
                "aiokafka_retry_wall_ms",
                f"first add retried after {theirs:g} ms: ms per transaction",
            ),
            ("aiokafka_retry_adds", "its AddPartitionsToTxn"),
            ("wall_vs_aiokafka_retry", f"{ours:g} ms / {theirs:g} ms"),
        ],
    )
    lines.append("")
    if commits.get("writes"):
        lines += [
            "Writing a transaction's messages (2,000 keyed messages of 3 KB, one transaction, "
            "acknowledged): client CPU µs per message, the runtime's record batches per "
            "partition against aiokafka's `send` per message, interleaved rounds.",
            "",
            *_table(
                commits["writes"],
                [
                    ("round", "round"),
                    ("batches_us", "batches, µs/message"),
                    ("send_us", "`send` each, µs/message"),
                    ("ratio", "send / batches"),
                ],
            ),
            "",
        ]
    return lines


def _quix_section(
    quix: dict[str, Any], kafka: dict[str, Any] | None, targets: list[dict[str, Any]]
) -> list[str]:
    summary = quix["summary"]
    medians, ratios = summary["medians"], summary["median_ratios"]
    lines = [
        "### 3b. Race: `serve pipeline` against a Quix Streams app running the same chain",
        "",
        f"{quix['setup']} Rounds alternate the order of the sides (bench/quixrace.py, the "
        "peer bench/quix_peer.py); how fairness is kept is described above the results.",
        "",
    ]
    lines += _table(
        quix["runs"],
        [
            ("round", "round"),
            ("side", "side"),
            ("seconds", "seconds"),
            ("items_per_s", "items/s"),
            ("outputs", "items out"),
            ("dead_letters", "dead letters"),
            ("service_cpu_us_per_item", "service CPU µs/item"),
            ("runtime_cpu_us_per_item", "of which runtime"),
            ("broker_cpu_us_per_item", "broker CPU µs/item"),
            ("peak_rss_mib", "service peak RSS MiB"),
        ],
    )
    per_round = ", ".join(f"{r:.3f}" for r in summary["ratios"]["throughput"])
    lines += [
        "",
        "| median over rounds | items/s | service CPU µs/item | of which runtime "
        "| broker CPU µs/item | peak RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for side, row in medians.items():
        lines.append(
            f"| {side} | {_cell(row['items_per_s'])} | {_cell(row['service_cpu_us_per_item'])} "
            f"| {_cell(row['runtime_cpu_us_per_item'])} "
            f"| {_cell(row['broker_cpu_us_per_item'])} | {_cell(row['peak_rss_mib'])} |"
        )
    lines += [
        "",
        "- runtime: the service's CPU per item less the same chain's in-process CPU per item "
        "measured in the same round (a fresh chain in a fresh process: "
        f"{', '.join(map(_cell, quix['chain_cpu_us_per_item']))} µs per item)",
        f"- throughput wirestream / Quix per round: {per_round}; **median "
        f"{_cell(ratios['throughput'])}×**",
        f"- broker CPU per item, wirestream / Quix, median of rounds: "
        f"{_cell(ratios['broker_cpu'])}; service CPU per item: {_cell(ratios['service_cpu'])}",
        f"- outputs equal in every run (item ids, dedup decisions, story and version, key and "
        f"partition, item bytes, dead letters): {quix['same_outputs']}"
        + (f"; {'; '.join(quix['differences'])}" if quix["differences"] else ""),
    ]
    eos = next(
        (r for r in (kafka or {}).get("throughput", []) if r["name"].startswith("exactly")), None
    )
    if eos:
        lines.append(
            f"- same run, section 3: exactly-once `serve pipeline` {_cell(eos.get('items_per_s'))} "
            f"items/s, passthrough ratio {eos.get('ratio')}"
        )
    lines.append("")
    targets += [
        {
            "target": "wirestream ≥ 1.3× the Quix peer's throughput (median of rounds)",
            "measured": f"{_cell(ratios['throughput'])}× (rounds {per_round})",
            "verdict": _check(ratios["throughput"], 1.3),
        },
        {
            "target": "wirestream's broker CPU per item ≤ the Quix peer's",
            "measured": f"{_cell(ratios['broker_cpu'])} of the peer's",
            "verdict": _check(ratios["broker_cpu"], 1.0, higher=False),
        },
        {
            "target": "the Quix peer's outputs equal wirestream's",
            "measured": str(quix["same_outputs"]),
            "verdict": "met" if quix["same_outputs"] else "missed",
        },
    ]
    return lines


def _realcopy_section(realcopy: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    from bench.realcopy import FIELDS

    lines = [
        "### Accuracy on real agency copy (tests/fixtures/real/, per field and language)",
        "",
        "Share of items right per field; a dead-lettered item is wrong on every field. "
        "`date` counts only items whose metadata gives a date.",
        "",
    ]
    lines += _table(
        realcopy["rows"],
        [("lang", "language"), ("items", "items"), *((f, f) for f in FIELDS), ("target", "target")],
    )
    lines.append("")
    below = realcopy.get("below_target") or []
    targets.append(
        {
            "target": "real copy: ≥ 0.98 per field on nl and en, ≥ 0.95 on the other languages",
            "measured": f"{len(below)} field(s) below target"
            + (f": {', '.join(below)}" if below else ""),
            "verdict": "missed" if below else "met",
        }
    )
    return lines


def _realnames_section(realnames: dict[str, Any]) -> list[str]:
    lines = [
        "### People and organisations on real agency copy (bench/realnames.py)",
        "",
        "Name sets per item against hand labels (tests/fixtures/real/entities.json), "
        "micro-averaged per language; `by`: the trained model or the rules.",
        "",
    ]
    lines += _table(
        realnames["rows"],
        [
            ("lang", "language"),
            ("items", "items"),
            ("by", "by"),
            *(
                (f"{kind}_{measure}", f"{kind} {measure}")
                for kind in ("people", "organisations")
                for measure in ("precision", "recall", "f1")
            ),
        ],
    )
    lines.append("")
    return lines


# Issue 19's targets: language -> (mention F1, people name-set F1, organisations name-set F1).
NER_TARGETS = {"nl": (0.80, 0.85, 0.75), "en": (0.85, 0.85, 0.75)}


def _ner_section(ner: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    cost = ner["cost"]
    lines = [
        "### Name recogniser (bench/ner.py)",
        "",
        f"Cost on the {cost['items']:,} published items a model reads ({cost['words']:,} words): "
        f"{cost['items_per_cpu_s']:,} items/CPU-s, {cost['us_per_item']:,} µs per item, "
        f"{cost['us_per_word']} µs per word (the rules on the same items: "
        f"{cost['rules_items_per_cpu_s']:,} items/CPU-s).",
        "",
    ]
    decoding = ner.get("decoding")
    if decoding:
        lines += [
            f"The model's labelling alone on the same items' {decoding['words']:,} words "
            f"(median of interleaved rounds): CRFsuite's tagger {decoding['crfsuite_us_per_word']}"
            f" µs per word, the decoder of summed weights {decoding['decoder_us_per_word']} µs "
            f"per word ({decoding['speedup']}x); labels that differ: "
            f"{decoding['labels_differing']}.",
            "",
        ]
    targets.append(
        {
            "target": "entities with the model ≥ 150 published items/s per core",
            "measured": f"{cost['items_per_cpu_s']:,} items/CPU-s",
            "verdict": _check(cost["items_per_cpu_s"], 150),
        }
    )
    rows = [{"lang": lang, **row} for lang, row in (ner.get("test_splits") or {}).items()]
    scored = [row for row in rows if "missing" not in row]
    if scored:
        lines += [
            "Test splits (never trained on; CoNLL-2002/2003, GermEval 2014's development split for"
            " German, Universal NER's Bosque test split for Portuguese): conlleval mention F1,"
            " per-document name sets:",
            "",
        ]
        lines += _table(
            scored,
            [
                ("lang", "language"),
                ("test", "test file"),
                ("mention_f1", "mention F1"),
                ("per_f1", "PER"),
                ("org_f1", "ORG"),
                ("loc_f1", "LOC"),
                ("people_set_f1", "people sets F1"),
                ("organisations_set_f1", "organisation sets F1"),
                ("words_per_cpu_s", "words/CPU-s"),
                ("labels_unlike_crfsuite", "labels unlike CRFsuite's tagger"),
            ],
        )
        lines.append("")
    lines += [
        f"- {row['lang']}: test file not available ({row['missing']})"
        for row in rows
        if "missing" in row
    ]
    for row in scored:
        goal = NER_TARGETS.get(row["lang"])
        if goal:
            met = (row["mention_f1"], row["people_set_f1"], row["organisations_set_f1"])
            targets.append(
                {
                    "target": f"{row['lang']}: mention F1 ≥ {goal[0]}, people sets ≥ {goal[1]}, "
                    f"organisation sets ≥ {goal[2]}",
                    "measured": " / ".join(map(str, met)),
                    "verdict": "met"
                    if all(m >= g for m, g in zip(met, goal, strict=True))
                    else "missed",
                }
            )
    return lines


def _finite(value: float | None) -> float:
    return float("inf") if value is None else value


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items())
    return str(value)


def _abchain_section(ab: dict[str, Any]) -> list[str]:
    this, other = ab["sides"]
    rates = ab["items_per_cpu_s"]
    memos = ab.get("memos_emptied") or {this: "?", other: "?"}
    return [
        f"### A/B of the in-process chain: this tree against `{ab['against'][:10]}`",
        "",
        f"{ab['records']:,} raw records, {ab['items']:,} items out; {len(ab['ratios'])} "
        "interleaved rounds, each side in its own process (bench/abchain.py); bounded memos"
        f" emptied before each round ({this} {memos[this]}, {other} {memos[other]}).",
        "",
        f"- items/CPU-s, median: {this} {rates[this]:,}, {other} {rates[other]:,}",
        f"- ratio per round: {', '.join(f'{r:.3f}' for r in ab['ratios'])}; "
        f"**median {ab['median_ratio']:.3f}×**",
        f"- same decisions (id, decision, published, dead-letter reason): {ab['same_decisions']}; "
        f"byte-identical items: {ab['identical_items']}"
        + (f"; first difference: `{ab['first_difference']}`" if ab["first_difference"] else ""),
        "",
    ]


def _abservice_section(ab: dict[str, Any]) -> list[str]:
    this, other = ab["sides"]
    medians = ab["medians"]
    rows = [{"side": name, **medians[name]} for name in (this, other)]
    items, records, p99 = (
        ab["ratios"][key] for key in ("items_per_cpu_s", "records_per_s", "p99_ms")
    )
    median = ab["median_ratios"]
    latency = [{"side": name, **ab["latency"][name]} for name in (this, other)]
    return [
        f"### A/B of `serve pipeline`: this tree against `{ab['against'][:10]}`",
        "",
        f"{ab['records']:,} raw records preloaded and drained exactly-once by each side's "
        f"service on one broker, {ab['rounds']} interleaved rounds (bench/abservice.py); "
        "medians of rounds.",
        "",
        *_table(
            rows,
            [
                ("side", "side"),
                ("items_per_cpu_s", "items/CPU-s"),
                ("records_per_s", "raw records/s"),
                ("event_loop_cpu_us_per_item", "event loop CPU µs/item"),
                ("chain_thread_cpu_us_per_item", "chain thread CPU µs/item"),
                ("first_output_ms", "first output ms"),
                ("gap_p50_ms", "gap p50 ms"),
                ("gap_p99_ms", "gap p99 ms"),
                ("broker_cpu_us_per_item", "broker CPU µs/item"),
            ],
        ),
        "",
        f"- items/CPU-s, {this} / {other} per round: {', '.join(map(str, items))}; "
        f"**median {median['items_per_cpu_s']}×**",
        f"- raw records/s per round: {', '.join(map(str, records))}; "
        f"median {median['records_per_s']}×",
        f"- every drain complete (all expected outputs and dead letters read): {ab['complete']}",
        "",
        f"The same records offered at {ab['rate']:,} items/s to each side's service (default "
        "settings), each round after its drain: latency from a raw record's send to the read "
        "(`read_committed`) of each of its outputs; medians of rounds.",
        "",
        *_table(
            latency,
            [
                ("side", "side"),
                ("p50_ms", "p50 ms"),
                ("p99_ms", "p99 ms"),
                ("max_ms", "max ms"),
                ("cpu_share", "service CPU share"),
            ],
        ),
        "",
        f"- p99, {this} / {other} per round: {', '.join(map(str, p99))}; "
        f"**median {median['p99_ms']}**",
        "",
    ]


def write(path: Path, section: str) -> None:
    """Replace the results between the markers; keep everything else in the file."""
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    path.write_text(text)


def _changes_section(changes: dict[str, Any], targets: list[dict[str, Any]]) -> list[str]:
    share = changes["share_named"]
    targets.append(
        {
            "target": f"`changes` names exactly the generator's revision ≥ {changes['target']}",
            "measured": f"{share} ({changes['named_exactly']} of {changes['updates_scored']})",
            "verdict": _check(share, changes["target"]),
        }
    )
    lines = [
        "### Changes on updates (bench/changes.py)",
        "",
        f"{changes['updates_scored']:,} updates both the labels and the deduplicator call an"
        f" update; `changes.kinds` equal to the generator's revision label on"
        f" {changes['named_exactly']:,} ({share}).",
        "",
    ]
    rows = [
        ("deduplicator, per item (all of it)", "dedup_us_per_item", "dedup_cpu_us_per_item"),
        ("compare with the previous version, per update", "compare_us_per_update",
         "compare_cpu_us_per_update"),
        ("pack the text of a remembered version", "pack_us_per_version",
         "pack_cpu_us_per_version"),
    ]  # fmt: skip
    lines += _table(
        [{"work": work, "wall": changes[wall], "cpu": changes[cpu]} for work, wall, cpu in rows],
        [("work", "work"), ("wall", "µs (wall)"), ("cpu", "µs (CPU)")],
    )
    lines += [
        "",
        f"Packed text per story: {changes['packed_bytes_per_story']} bytes on average;"
        f" `changes` work is {changes['changes_share_of_dedup_time']:.1%} of the"
        " deduplicator's wall time in the same run.",
        "",
    ]
    if changes.get("misses"):
        lines += ["Misses (labelled → named):", ""]
        lines += [f"- {m['labelled']} → {m['changes']}: {m['count']}" for m in changes["misses"]]
        lines.append("")
    return lines
