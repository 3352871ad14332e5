"""A/B of `serve pipeline` against another commit (`python -m bench --only abservice
--against COMMIT`): is a runtime change faster on Kafka, and what does it do to the first
output and the gaps a reader sees?

The other commit is checked out as `abchain` does (`abchain.checkout`), and each side's
service imports wirestream from its own tree (`PYTHONPATH=<tree>/services`, ahead of this
tree's editable install; the dependencies are this tree's .venv). Each round, each side's
exactly-once `serve pipeline` drains the same preloaded backlog on one broker
(`runtime.drain`: warmed up with one page, timed from the backlog's commit to the last
expected output read `read_committed`); rounds alternate the order (A B, B A, ...) because
this machine's speed drifts between minutes, so only rounds side by side compare.

Each round, each side then also serves the same records offered at `--rate` items/s
(`endtoend.latency`, default settings): each output's latency from its raw record's send.

Reported: per side, the medians of the drain's figures (`runtime.FIGURES`) and of the latency
percentiles; per round, this tree's items per CPU-second and raw records per second over the
other's, its p99 latency over the other's, and their medians; whether every drain was
complete (every expected output and dead letter read).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import endtoend, runtime
from bench.abchain import ROOT, checkout
from bench.endtoend import Broker, Expected
from bench.report import median_of, progress

RATIOS = ("items_per_cpu_s", "records_per_s", "p99_ms")  # this tree over the other, per round
LATENCY = ("p50_ms", "p99_ms", "max_ms", "cpu_share")  # of a latency run, medians over rounds
LATENCY_S = 20.0  # offering time of a latency run (less if the corpus runs out first)


def run(expected: Expected, on: Broker, against: str, rounds: int, rate: int) -> dict[str, Any]:
    with checkout(against) as (commit, other):
        sides = {"this tree": ROOT, f"against {commit[:10]}": other}
        runs = asyncio.run(_rounds(on, expected, sides, rounds, rate))
    return summary(runs) | {"against": commit, "records": len(expected.records), "rate": rate}


async def _rounds(
    on: Broker, expected: Expected, sides: dict[str, Path], rounds: int, rate: int
) -> dict[str, list[dict[str, Any]]]:
    environments = {name: _environment(tree) for name, tree in sides.items()}
    names = list(sides)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else names[::-1]:
            progress(f"abservice: round {index + 1}/{rounds}, {name} ...")
            env = environments[name]
            row = await runtime.drain(on, expected, ("pipeline",), env)
            offered = await endtoend.latency(
                on.bootstrap, name, "exactly_once", env, expected, rate, LATENCY_S, []
            )
            runs[name].append(row | {key: offered[key] for key in LATENCY})
    return runs


def _environment(tree: Path) -> dict[str, str]:
    """The services' environment importing wirestream from `tree`; checked, since a side
    that silently imported the other's code would make the A/B compare a tree with itself."""
    env = {"PYTHONPATH": str(tree / "services")}
    imported = subprocess.run(
        [sys.executable, "-c", "import wirestream; print(wirestream.__file__)"],
        env=os.environ | env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(imported).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"services for {tree} would import wirestream from {imported}")
    return env


def summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per side, and this tree's figures over the other's per round (the first side
    over the second) with their medians."""
    (this, rows_a), (other, rows_b) = runs.items()
    ratios = {key: runtime.round_ratios(rows_a, rows_b, key) for key in RATIOS}
    return {
        "sides": [this, other],
        "rounds": len(rows_a),
        "medians": runtime.medians(runs),
        "latency": runtime.medians(runs, LATENCY, 3),
        "ratios": {key: [round(r, 3) for r in values] for key, values in ratios.items()},
        "median_ratios": {key: median_of(values, 3) for key, values in ratios.items()},
        "complete": all(row.get("complete") for rows in runs.values() for row in rows),
    }
