"""What the GIL costs the chain's thread (issue 16's runtime overhead): the in-process chain
timed by its own thread's CPU (`time.thread_time`) alone, and beside a second Python thread
of the same process that wakes every millisecond for ~10 µs of work, as `serve pipeline`'s
event loop wakes beside its chain's thread; at the switch interval the service sets
(`SWITCH_INTERVAL_S`) and at Python's default, in interleaved rounds.

Every hand-off of the GIL costs the chain its warm caches; the service's chain thread loses
10-15% per item against the same chain alone (BENCHMARKS.md, sixth and seventh passes), and
this is that mechanism, measured without a broker or the machine's drift between processes.
Alone: `python -m bench --only gil --no-write`.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from typing import Any

from bench.abchain import clear_memos
from bench.report import progress

DEFAULT_INTERVAL_S = 0.005  # Python's own
WAKE_EVERY_S = 0.001
_SPIN = range(200)  # ~10 µs of Python per wake-up: an event loop's turn


def run(records: list[bytes], rounds: int) -> dict[str, Any]:
    from wirestream.core.runtime.service import SWITCH_INTERVAL_S

    previous = sys.getswitchinterval()
    intervals = {"service": SWITCH_INTERVAL_S, "default": DEFAULT_INTERVAL_S}
    seconds: dict[str, dict[str, list[float]]] = {
        name: {"alone": [], "beside": []} for name in intervals
    }
    try:
        chain_seconds(records[:50], beside=False)  # models and tables loaded outside the rounds
        for round_ in range(rounds):
            progress(f"gil: round {round_ + 1}/{rounds} ...")
            for name, interval in intervals.items():
                sys.setswitchinterval(interval)
                order = (False, True) if round_ % 2 == 0 else (True, False)
                for beside in order:
                    key = "beside" if beside else "alone"
                    seconds[name][key].append(chain_seconds(records, beside=beside))
    finally:
        sys.setswitchinterval(previous)
    return {
        "rounds": rounds,
        "records": len(records),
        "intervals_ms": {name: interval * 1000 for name, interval in intervals.items()},
        "wake_every_ms": WAKE_EVERY_S * 1000,
        "results": {
            name: {
                "alone_s": round(statistics.median(runs["alone"]), 3),
                "beside_s": round(statistics.median(runs["beside"]), 3),
                "cost": round(
                    statistics.median(
                        b / a for a, b in zip(runs["alone"], runs["beside"], strict=True)
                    ),
                    3,
                ),
            }
            for name, runs in seconds.items()
        },
    }


def chain_seconds(records: list[bytes], *, beside: bool) -> float:
    """The chain thread's own CPU over `records`: a fresh chain, memos emptied (each run
    meets its texts first, as a service does); with a waking neighbour thread if `beside`."""
    from wirestream.core.chain import Chain
    from wirestream.core.records import Origin
    from wirestream.pipeline import build_stages

    clear_memos("wirestream")
    chain = Chain(build_stages())
    stop = threading.Event()
    neighbour = threading.Thread(target=_wake, args=(stop,), daemon=True) if beside else None
    if neighbour:
        neighbour.start()
    try:
        began = time.thread_time()
        for record in records:
            chain.process(record, Origin())
        return time.thread_time() - began
    finally:
        stop.set()
        if neighbour:
            neighbour.join()


def _wake(stop: threading.Event) -> None:
    total = 0
    while not stop.wait(WAKE_EVERY_S):
        for step in _SPIN:
            total += step
