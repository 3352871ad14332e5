"""When a partition's processed records become a transaction (exactly-once).

Each owned partition has a `PartitionPipe`: the outbox its records are processed into, and the
one transaction of its producer that may be in flight. Records go on being processed while a
transaction commits; they wait in the open outbox and form the next transaction, which may
only begin once the one before has committed (a producer holds one transaction at a time, and
a record's outputs must never join an earlier record's transaction).

`TransactionBound` decides when the open outbox is due: at once while the partition keeps up
(output follows new records by one commit's round trips), longer and longer while a backlog
lasts (each commit costs a dozen broker requests and their CPU, so a long backlog is drained
in few transactions)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer, ConsumerRecord

from wirestream.core.runtime.ownership import OwnedPartition
from wirestream.core.runtime.translate import Outbox

# The longest slice of processing the chain's thread runs between two looks of the loop at the
# partitions (exactly-once). A slice ends sooner once a transaction could begin (`may_begin`),
# so this bounds only what a stop or a rebalance waits for; each hand-off between the loop and
# the chain's thread costs the chain its warm caches (5 ms slices cost it 3-10% of its CPU
# against 50 ms ones: BENCHMARKS.md, eighth pass).
SLICE_MAX_S = 0.05


@dataclass(slots=True)
class TransactionBound:
    """How much processing a partition's next transaction holds. While the partition is caught
    up, or has been behind for less than `first_s`, none: it commits as soon as the one before
    it has. Once a backlog has lasted `first_s`, `seconds` of processing: `first_s`, doubling
    per transaction up to `max_s`, until the partition is caught up again."""

    first_s: float
    max_s: float
    seconds: float = field(init=False)
    behind_since: float | None = None  # monotonic time the partition fell behind

    def __post_init__(self) -> None:
        self.seconds = self.first_s

    def observe(self, behind: bool, now: float) -> None:
        if not behind:
            self.behind_since = None
            self.seconds = self.first_s
        elif self.behind_since is None:
            self.behind_since = now

    def backlog(self, now: float) -> bool:
        """Behind for `first_s` or longer."""
        return self.behind_since is not None and now - self.behind_since >= self.first_s

    def due(self, processed_s: float, now: float) -> bool:
        return not self.backlog(now) or processed_s >= self.seconds

    def began(self, now: float) -> None:
        """A transaction began: under a backlog the next may hold twice the processing."""
        if self.backlog(now):
            self.seconds = min(self.seconds * 2, self.max_s)


@dataclass(slots=True)
class PartitionPipe:
    """An owned partition's records between processing and commit: the open outbox, the
    processing time in it, and the transaction in flight. Tied to one producer: a partition
    suspended or revoked gets a new pipe with its new producer."""

    owned: OwnedPartition
    producer: AIOKafkaProducer
    bound: TransactionBound
    max_records: int  # a transaction holds at most a fetch's worth of records
    outbox: Outbox = field(default_factory=Outbox)
    processed_s: float = 0.0
    committing: asyncio.Task[None] | None = None
    next_offset: int = field(init=False)  # after the last record processed, committed or not

    def __post_init__(self) -> None:
        self.next_offset = self.owned.next_offset

    def unprocessed(self, records: deque[ConsumerRecord]) -> None:
        """Drop fetched records this pipe has processed already: the consumer may return
        records again after a seek (its own position reset at assignment, or a fetch that was
        in flight), and the committed offset lags behind what the open outbox holds."""
        while records and records[0].offset < self.next_offset:
            records.popleft()

    def processed(self) -> None:
        if self.outbox.consumed:
            self.next_offset = max(self.next_offset, self.outbox.next_offset)

    def behind(self, last_stable_offset: int | None) -> bool:
        """More records are committed upstream than this pipe has processed (one offset is
        allowed for the transaction marker after the last record). Judged from the pipe's
        position, not the open outbox's: an outbox just taken by a transaction is empty,
        and its next offset (0) would count the partition as behind."""
        return last_stable_offset is not None and self.next_offset + 1 < last_stable_offset

    def current(self) -> bool:
        """Still the partition's pipe: active, with the producer it was made for."""
        return self.owned.active and self.owned.producer is self.producer

    def due(self, now: float) -> bool:
        """The open outbox may commit once nothing is in flight."""
        consumed = self.outbox.consumed
        if not consumed:
            return False
        return consumed >= self.max_records or self.bound.due(self.processed_s, now)

    def eager(self, now: float) -> bool:
        """Idle, and one record would be due: it gets a transaction of its own right away."""
        return self.committing is None and self.bound.due(0.0, now)

    def may_begin(self, now: float, *, force: bool = False) -> bool:
        """Its next transaction may begin: nothing in flight and the open outbox due (or,
        `force`d by a rebalance or a stop, holding anything at all)."""
        idle = self.committing is None and self.current()
        return idle and (self.due(now) or (force and self.outbox.consumed > 0))

    def slice_s(self, now: float) -> float:
        """How long a slice of processing begun now may run (one record at least): none when
        one record gets a transaction of its own (`eager`); under a backlog, until the open
        outbox is due; else `SLICE_MAX_S`. The slice ends sooner once a transaction of any
        partition could begin."""
        if self.eager(now):
            return 0.0
        if self.bound.backlog(now) and not self.due(now):
            return min(SLICE_MAX_S, self.bound.seconds - self.processed_s)
        return SLICE_MAX_S

    def full(self) -> bool:
        """Processing waits for the transaction in flight: memory stays bounded however slow
        commits get."""
        consumed = self.outbox.consumed
        return consumed >= self.max_records or self.processed_s >= self.bound.max_s

    def take(self) -> Outbox:
        outbox, self.outbox, self.processed_s = self.outbox, Outbox(), 0.0
        return outbox
