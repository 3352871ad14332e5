"""What the producer tells its operator on stderr: each rejection as it happens, a progress
line on long runs, and a final count summary. Rejections can also go to a dead-letter file
(NDJSON, records in the schemas/dead-letter.v1.json shape) for a later fix and replay."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import IO, BinaryIO

import orjson

from wirestream.core.envelope import format_rfc3339
from wirestream.producer.publisher import ProduceStats
from wirestream.producer.sources import Rejected

PROGRESS_INTERVAL = 0.5


class ProduceReport:
    """Writes rejections, progress and the summary to `stream` (stderr)."""

    def __init__(self, stream: IO[str], *, dead_letters: BinaryIO | None = None) -> None:
        self.stream = stream
        self.dead_letters = dead_letters
        self._progress_shown = False

    def rejected(self, rejected: Rejected) -> None:
        self._end_progress_line()
        print(
            f"wirestream produce: rejected {rejected.where}: {rejected.reason.value}:"
            f" {rejected.message}",
            file=self.stream,
            flush=True,
        )
        if self.dead_letters is not None:
            # A file of dead letters has no topic offsets: the message says where.
            letter = replace(
                rejected.dead_letter(), message=f"{rejected.where}: {rejected.message}"
            )
            self.dead_letters.write(
                orjson.dumps(letter.to_record(format_rfc3339(datetime.now(UTC))))
            )
            self.dead_letters.write(b"\n")
            self.dead_letters.flush()

    async def show_progress(self, stats: ProduceStats) -> None:
        """Rewrite one progress line every half second until cancelled."""
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            self.stream.write("\r" + progress_line(stats))
            self.stream.flush()
            self._progress_shown = True

    def summary(self, stats: ProduceStats, topic: str) -> None:
        self._end_progress_line()
        print(summary_line(stats, topic), file=self.stream, flush=True)

    def _end_progress_line(self) -> None:
        if self._progress_shown:
            self.stream.write("\n")
            self._progress_shown = False


def progress_line(stats: ProduceStats) -> str:
    elapsed = max(stats.elapsed, 1e-9)
    return (
        f"published {stats.published}  rejected {stats.rejected_total}  failed {stats.failed}"
        f"  {stats.published / elapsed:,.0f} rec/s  {stats.bytes / 1_048_576:.1f} MiB"
        f"  {elapsed:.0f}s"
    )


def summary_line(stats: ProduceStats, topic: str) -> str:
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(stats.rejected.items()))
    rate = stats.published / max(stats.elapsed, 1e-9)
    return (
        f"wirestream produce: {stats.published} published to {topic}, {stats.rejected_total}"
        f" rejected{f' ({reasons})' if reasons else ''}, {stats.failed} failed,"
        f" {stats.bytes} bytes in {stats.elapsed:.2f}s ({rate:,.0f} records/s)"
    )
