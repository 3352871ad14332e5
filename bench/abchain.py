"""A/B of the in-process chain against another commit (`python -m bench --only abchain
--against COMMIT`): the question "is this change faster, and does it change any output?"

The other commit is checked out with `git worktree add --detach` into a temporary directory
and imported from there (`PYTHONPATH=<checkout>/services`, ahead of this tree's editable
install; the dependencies are this tree's .venv; its C extensions are built there first).
Each side runs in its own long-lived worker process over the same corpus, written once by
this tree's generator. After one warm-up round each, rounds are interleaved (A B, B A, A B,
...) because this machine's speed drifts by up to 2x between minutes, so only a ratio of
rounds run side by side means anything. Each round builds a fresh chain
(`wirestream.pipeline.build_stages` with the options of the environment, so
`WIRESTREAM_ENRICHERS` races a part of the enricher; the deduplicator keeps state) outside
the timing, after emptying the package's bounded memos (`lru_cache` with a maxsize):
otherwise every round after the first would find each line, time and text already answered,
which no service meeting new copy does.

Reported: items per CPU-second of each side (median over rounds), the ratio of each round
pair and their median, and whether both sides made the same decisions (per outcome: item
id, dedup decision, published or held back, dead-letter reason) and produced byte-identical
items (orjson with sorted keys).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

ROOT = Path(__file__).resolve().parent.parent


def run(records: list[bytes], against: str, rounds: int = 5) -> dict[str, Any]:
    """Both sides over `records`, `rounds` interleaved rounds each."""
    with checkout(against) as (commit, other), tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "records.pickle"
        corpus.write_bytes(pickle.dumps(records))
        sides = {
            "this tree": Worker(ROOT, corpus, Path(tmp) / "a.decisions"),
            f"against {commit[:10]}": Worker(other, corpus, Path(tmp) / "b.decisions"),
        }
        try:
            return race(sides, rounds) | {"against": commit, "records": len(records)}
        finally:
            for worker in sides.values():
                worker.close()


@contextlib.contextmanager
def checkout(against: str) -> Iterator[tuple[str, Path]]:
    """`against` checked out detached in a temporary directory: its commit and the path."""
    with tempfile.TemporaryDirectory(prefix="wirestream-ab-") as tmp:
        other = Path(tmp) / "checkout"
        commit = git("rev-parse", "--verify", f"{against}^{{commit}}")
        git("worktree", "add", "--detach", "--quiet", str(other), commit)
        try:
            build_extensions(other)
            yield commit, other
        finally:
            git("worktree", "remove", "--force", str(other))


def race(sides: dict[str, Worker], rounds: int) -> dict[str, Any]:
    (name_a, a), (name_b, b) = sides.items()
    a.round(), b.round()  # warm-up, not counted: imports, caches, first allocations
    pairs = []
    for index in range(rounds):
        order = (a, b) if index % 2 == 0 else (b, a)
        results = {id(worker): worker.round() for worker in order}
        pairs.append((results[id(a)], results[id(b)]))
    rates_a = [pa["items"] / pa["cpu"] for pa, _ in pairs]
    rates_b = [pb["items"] / pb["cpu"] for _, pb in pairs]
    ratios = [ra / rb for ra, rb in zip(rates_a, rates_b, strict=True)]
    first_a, first_b = pairs[0]
    decisions_a, decisions_b = a.decisions(), b.decisions()
    differing = [
        (da, db) for da, db in zip(decisions_a, decisions_b, strict=False) if da[:4] != db[:4]
    ]
    return {
        "sides": [name_a, name_b],
        "items": first_a["items"],
        "items_per_cpu_s": {
            name_a: round(statistics.median(rates_a)),
            name_b: round(statistics.median(rates_b)),
        },
        "ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "same_decisions": first_a["decisions"] == first_b["decisions"],
        "identical_items": first_a["items_digest"] == first_b["items_digest"],
        "outcomes": [len(decisions_a), len(decisions_b)],
        "memos_emptied": {name_a: first_a["memos_emptied"], name_b: first_b["memos_emptied"]},
        "first_difference": [list(d) for d in differing[:1]],
    }


class Worker:
    """One side: a process importing wirestream from `checkout`, running a round on request."""

    def __init__(self, checkout: Path, corpus: Path, decisions: Path) -> None:
        env = os.environ | {"PYTHONPATH": str(checkout / "services")}
        self.decisions_file = decisions
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.abchain", "--worker", str(corpus), str(decisions)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        imported = self._reply()["wirestream"]
        if not imported.startswith(str(checkout)):
            raise RuntimeError(f"the worker for {checkout} imported wirestream from {imported}")

    def round(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(b"round\n")
        self.process.stdin.flush()
        return self._reply()

    def decisions(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in orjson.loads(self.decisions_file.read_bytes())]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"an A/B worker exited with {self.process.wait()}")
        reply: dict[str, Any] = orjson.loads(line)
        return reply


def build_extensions(tree: Path) -> None:
    """The checkout's C extensions built in its tree, as this tree's editable install built
    its own: a wheel built by pip (in its build isolation, as `pip install` would), its
    compiled modules copied beside their sources. Commits before the first one have none."""
    with tempfile.TemporaryDirectory() as wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, str(tree)],
            check=True,
            capture_output=True,
        )
        (wheel,) = Path(wheels).glob("*.whl")
        with zipfile.ZipFile(wheel) as built:
            for name in built.namelist():
                if name.endswith(".so"):
                    (tree / "services" / name).write_bytes(built.read(name))


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def worker(corpus: Path, decisions_file: Path, commands: IO[str], replies: IO[bytes]) -> None:
    """The worker's loop: a fresh chain per round, timed over the whole corpus; the first
    round's decisions are written to `decisions_file` for the comparison."""
    import wirestream
    from wirestream.core.chain import Chain
    from wirestream.core.records import DeadLetter, Origin
    from wirestream.pipeline import PipelineOptions, build_stages

    records: list[bytes] = pickle.loads(corpus.read_bytes())
    origin = Origin(topic="wire.raw", partition=0)
    reply(replies, {"wirestream": str(Path(wirestream.__file__).resolve())})
    for _ in commands:
        emptied = clear_memos("wirestream")
        chain = Chain(build_stages(PipelineOptions.from_env()))
        outcomes: list[Any] = []
        wall, cpu = time.perf_counter(), time.process_time()
        for record in records:
            outcomes.extend(chain.process(record, origin))
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        rows, digest = outcome_rows(outcomes, DeadLetter)
        if not decisions_file.exists():
            decisions_file.write_bytes(orjson.dumps(rows))
        reply(
            replies,
            {
                "items": sum(1 for row in rows if row[0] == "emit"),
                "cpu": cpu,
                "wall": wall,
                "decisions": hashlib.sha256(orjson.dumps([r[:4] for r in rows])).hexdigest(),
                "items_digest": digest,
                "memos_emptied": emptied,
            },
        )


def clear_memos(package: str) -> int:
    """Empty the bounded memos (`functools.lru_cache` with a maxsize) of `package`'s modules
    and their classes; returns how many. Each round then meets its texts for the first time,
    as a service does, instead of finding every line and time answered by the round before.
    Unbounded caches (`functools.cache`: models, tables loaded once) are kept."""
    emptied = 0
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(f"{package}.")):
            continue
        values = list(vars(module).values())
        values += [v for cls in values if isinstance(cls, type) for v in vars(cls).values()]
        for value in values:
            parameters = getattr(value, "cache_parameters", None)
            if callable(parameters) and parameters()["maxsize"] is not None:
                value.cache_clear()
                emptied += 1
    return emptied


def outcome_rows(outcomes: Sequence[Any], dead_letter: type) -> tuple[list[list[Any]], str]:
    """Per outcome: kind, item id (or dead-letter reason), decision, published, item hash;
    and one digest over every item's bytes."""
    rows: list[list[Any]] = []
    digest = hashlib.sha256()
    for outcome in outcomes:
        if isinstance(outcome, dead_letter):
            rows.append(["dead-letter", str(outcome.reason), outcome.stage, None, None])
            continue
        body = orjson.dumps(outcome.item, option=orjson.OPT_SORT_KEYS)
        digest.update(body)
        item_hash = hashlib.sha256(body).hexdigest()[:16]
        decision = getattr(outcome, "decision", None)  # on Emit since 791f89a
        rows.append(["emit", outcome.item.get("id"), decision, outcome.publish, item_hash])
    return rows, digest.hexdigest()


def reply(replies: IO[bytes], message: dict[str, Any]) -> None:
    replies.write(orjson.dumps(message) + b"\n")
    replies.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A/B worker (started by bench/abchain.py)")
    parser.add_argument("--worker", nargs=2, type=Path, required=True)
    args = parser.parse_args()
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not break replies
    worker(*args.worker, sys.stdin, replies)
