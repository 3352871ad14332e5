"""Publishing envelopes to Kafka: idempotent producer, acks=all, keyed by source, paced,
bounded in flight, every outcome counted.

The producer's own retries (idempotent, so without duplicates or reordering) handle
transient broker errors inside its delivery timeout; a record whose delivery still fails
with a retriable error is sent again, up to `retries` times with exponential backoff, and
only then counted as failed. Nothing is dropped without being counted and reported.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from wirestream.core.metrics import Metrics
from wirestream.core.records import Reason
from wirestream.producer.sources import Accepted, Candidate, Rejected

# The broker's default message.max.bytes is 1 MiB plus a little: records stay under it.
DEFAULT_MAX_RECORD_BYTES = 1_000_000
SERVICE = "producer"


@dataclass(slots=True)
class ProduceStats:
    """What happened to every candidate the producer saw."""

    published: int = 0
    bytes: int = 0
    rejected: Counter[str] = field(default_factory=Counter)  # by reason code
    failed: int = 0  # valid records the broker did not take, even after retries
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def summary(self) -> dict[str, int | float]:
        return {
            "published": self.published,
            "rejected": self.rejected_total,
            "failed": self.failed,
            "bytes": self.bytes,
            "elapsed_s": round(self.elapsed, 3),
        }


class Pacer:
    """Spaces sends to at most `rate` records per second (no pacing when `rate` is None).
    Keeps to the schedule `start + n / rate`, so short stalls are caught up, not lost."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._clock = clock
        self._start: float | None = None
        self._sent = 0

    def delay(self) -> float:
        """Seconds to wait before the next send, and count it as sent."""
        if self.rate is None:
            return 0.0
        now = self._clock()
        if self._start is None:
            self._start = now
        due = self._start + self._sent / self.rate
        self._sent += 1
        return max(0.0, due - now)

    async def wait(self) -> None:
        delay = self.delay()
        if delay > 0:
            await asyncio.sleep(delay)


RejectHandler = Callable[[Rejected], None]


async def topic_exists(producer: AIOKafkaProducer, topic: str) -> bool:
    """Whether the cluster has `topic`. Checked up front: a send to a missing topic would
    wait out the delivery timeout on every retry before failing."""
    metadata = await producer.client.fetch_all_metadata()
    return topic in metadata.topics()


class Publisher:
    """Sends candidates to `topic`: valid envelopes keyed by their source, rejections counted
    and handed to `on_reject` (stderr line, dead-letter file)."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        *,
        metrics: Metrics | None = None,
        rate: float | None = None,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        max_in_flight: int = 1000,
        retries: int = 5,
        retry_backoff: float = 0.2,
        on_reject: RejectHandler | None = None,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.stats = ProduceStats()
        self.max_record_bytes = max_record_bytes
        self.retries = retries
        self.retry_backoff = retry_backoff
        self._metrics = metrics
        self._pacer = Pacer(rate)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: set[asyncio.Task[bool]] = set()
        self._on_reject = on_reject

    async def submit(self, candidate: Candidate) -> asyncio.Task[bool] | None:
        """Start publishing one candidate (waiting for pace and a free in-flight slot).
        Returns the delivery task (True once acknowledged), or None for a rejection."""
        if isinstance(candidate, Accepted) and len(candidate.value) > self.max_record_bytes:
            candidate = Rejected(
                candidate.where,
                Reason.OVERSIZE,
                f"{len(candidate.value)} bytes exceeds the record limit of {self.max_record_bytes}",
                candidate.value,
            )
        if isinstance(candidate, Rejected):
            self.reject(candidate)
            return None
        await self._pacer.wait()
        await self._slots.acquire()
        task = asyncio.create_task(self._deliver(candidate))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    def reject(self, rejected: Rejected) -> None:
        self.stats.rejected[rejected.reason.value] += 1
        self._report(rejected)

    def _report(self, rejected: Rejected) -> None:
        if self._metrics is not None:
            self._metrics.dead_letters.labels(SERVICE, SERVICE, rejected.reason.value).inc()
        if self._on_reject is not None:
            self._on_reject(rejected)

    async def drain(self) -> None:
        """Wait until every submitted record is acknowledged or has finally failed."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def _deliver(self, record: Accepted) -> bool:
        key = record.source.encode()
        try:
            for attempt in range(self.retries + 1):
                try:
                    delivery = await self.producer.send(self.topic, record.value, key=key)
                    await delivery
                    break
                except KafkaError as error:
                    if not error.retriable or attempt == self.retries:
                        self._fail(record, error)
                        return False
                    if self._metrics is not None:
                        self._metrics.broker_retries.labels(SERVICE, type(error).__name__).inc()
                    await asyncio.sleep(self.retry_backoff * 2**attempt)
        finally:
            self._slots.release()
        self.stats.published += 1
        self.stats.bytes += len(record.value)
        if self._metrics is not None:
            self._metrics.produced.labels(SERVICE, self.topic).inc()
        return True

    def _fail(self, record: Accepted, error: KafkaError) -> None:
        self.stats.failed += 1
        self._report(
            Rejected(record.where, Reason.STAGE_ERROR, f"not delivered: {error!r}", record.value)
        )
