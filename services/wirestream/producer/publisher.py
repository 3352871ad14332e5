"""Publishing envelopes to Kafka: idempotent producer, acks=all, keyed by source, paced,
bounded in flight, every outcome counted.

The producer's own retries (idempotent, so without duplicates or reordering) handle
transient broker errors inside its delivery timeout; a record whose delivery still fails
with a transient error is sent again, up to `retries` times with exponential backoff, and
only then counted as failed. Nothing is dropped without being counted and reported.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

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


def _transient(error: BaseException) -> bool:
    """Worth sending again: a retriable broker error, or a delivery timeout (a broker away for
    longer than the producer's own retries). A timed-out batch may have been written after
    all, so its resend can duplicate a record: the deduplicator marks such a copy duplicate."""
    return isinstance(error, KafkaTimeoutError) or (
        isinstance(error, KafkaError) and error.retriable
    )


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
        # Looked up once: a `.labels()` call hashes its values and locks, per message otherwise.
        self._produced = metrics.produced.labels(SERVICE, topic) if metrics is not None else None
        self._pacer = Pacer(rate)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._pending: set[asyncio.Future[bool]] = set()  # until delivered or finally failed
        self._retrying: set[asyncio.Task[None]] = set()
        self._on_reject = on_reject

    async def submit(self, candidate: Candidate) -> asyncio.Future[bool] | None:
        """Start publishing one candidate (waiting for pace and a free in-flight slot).
        Returns its outcome (True once acknowledged, False when it finally failed), or None
        for a rejection."""
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
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.add(outcome)
        outcome.add_done_callback(self._pending.discard)
        await self._send(candidate, 0, outcome)
        return outcome

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
        while self._pending:
            await asyncio.wait(set(self._pending))

    async def _send(self, record: Accepted, attempt: int, outcome: asyncio.Future[bool]) -> None:
        """Hand one record to the producer's batches; a callback settles `outcome` (no task
        per record: that would cost more than the send itself)."""
        await self._slots.acquire()
        try:
            delivery = await self.producer.send(
                self.topic, record.value, key=record.source.encode()
            )
        except KafkaError as error:
            self._slots.release()
            self._settle(record, attempt, outcome, error)
            return
        delivery.add_done_callback(lambda done: self._delivered(record, attempt, outcome, done))

    def _delivered(
        self,
        record: Accepted,
        attempt: int,
        outcome: asyncio.Future[bool],
        delivery: asyncio.Future[object],
    ) -> None:
        self._slots.release()
        error = KafkaError("delivery cancelled") if delivery.cancelled() else delivery.exception()
        if error is not None:
            self._settle(record, attempt, outcome, error)
            return
        self.stats.published += 1
        self.stats.bytes += len(record.value)
        if self._produced is not None:
            self._produced.inc()
        outcome.set_result(True)

    def _settle(
        self,
        record: Accepted,
        attempt: int,
        outcome: asyncio.Future[bool],
        error: BaseException,
    ) -> None:
        """A failed send: again after a backoff while the error is transient, else failed."""
        if _transient(error) and attempt < self.retries:
            if self._metrics is not None:
                self._metrics.broker_retries.labels(SERVICE, type(error).__name__).inc()
            retry = asyncio.create_task(self._resend(record, attempt + 1, outcome))
            self._retrying.add(retry)
            retry.add_done_callback(self._retrying.discard)
            return
        self._fail(record, error)
        outcome.set_result(False)

    async def _resend(self, record: Accepted, attempt: int, outcome: asyncio.Future[bool]) -> None:
        await asyncio.sleep(self.retry_backoff * 2 ** (attempt - 1))
        await self._send(record, attempt, outcome)

    def _fail(self, record: Accepted, error: BaseException) -> None:
        self.stats.failed += 1
        self._report(
            Rejected(record.where, Reason.STAGE_ERROR, f"not delivered: {error!r}", record.value)
        )
