"""The input partitions this instance owns, and whether each is ready to process.

A partition is active once its producer is started (exactly-once), its state restored from the
changelog and its position set to the committed offset. A failed batch suspends it: the
partition is paused, its producer dropped and its state forgotten; after a backoff
(`retry_delay`) it is activated as on assignment: a new producer (whose initialization aborts
the open transaction), the state restored, the position set to the committed offset.
Rebalances wait for the batch in flight (one lock) and commit what the revoked partitions
have processed (`settle`), so a partition is never handed over mid-transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import aiokafka.producer.sender
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError, ProducerFenced
from structlog.typing import FilteringBoundLogger

from wirestream.core.clients import doubling_delay
from wirestream.core.config import Settings
from wirestream.core.http import Health
from wirestream.core.metrics import Metrics
from wirestream.core.runtime.changelog import ChangelogReader, check_changelog
from wirestream.core.runtime.translate import Binding

BACKOFF_MAX_S = 10.0
# Fetches back off to 5 s only: once the broker is back the service resumes within seconds.
FETCH_BACKOFF_MAX_S = 5.0
# The coordinator answers a transaction's AddPartitionsToTxn with "concurrent transactions"
# while the previous commit's markers are still being written. On a transaction's first add,
# aiokafka retries after a fixed 20 ms (`sender.BACKOFF_OVERRIDE`; the Java client waits the
# same), later adds after `retry_backoff_ms`. A partition's transactions follow each other at
# once under a stream, and on the bench's broker every other one met it: the markers take
# 1-5 ms, so the 20 ms wait was most of a commit cycle (bench `commits`).
FIRST_ADD_RETRY_MS = 2
TRANSACTION_RETRY_BACKOFF_MS = 20
aiokafka.producer.sender.BACKOFF_OVERRIDE = FIRST_ADD_RETRY_MS / 1000


def transactional_producer(settings: Settings, transactional_id: str) -> AIOKafkaProducer:
    """A partition's exactly-once producer, as the service and the bench's commits run it."""
    return AIOKafkaProducer(
        **settings.producer_kwargs(),
        transactional_id=transactional_id,
        retry_backoff_ms=TRANSACTION_RETRY_BACKOFF_MS,
    )


def retry_delay(failures: int, fenced: bool, session_timeout_ms: int) -> float:
    """Seconds until a partition suspended after `failures` consecutive failures is activated
    again: 0.2 s doubling to 10 s. A fenced producer means another instance owns the
    partition: wait two session timeouts for the rebalance that revokes it, and only then take
    it back."""
    if fenced:
        return 2 * session_timeout_ms / 1000
    return doubling_delay(failures, BACKOFF_MAX_S)


@dataclass(slots=True)
class FetchBackoff:
    """Consecutive failed fetches (brokers down, a group join refused): each waits twice the
    last, 0.2 s up to 5 s, so an outage of minutes logs a warning every few seconds, not five
    a second; the first successful fetch ends the streak."""

    failures: int = 0

    def failed(self) -> float:
        """Counts a failed fetch; the seconds to wait before the next one."""
        self.failures += 1
        return doubling_delay(self.failures, FETCH_BACKOFF_MAX_S)

    def succeeded(self) -> int:
        """Ends the streak; how many fetches had failed in a row."""
        failures, self.failures = self.failures, 0
        return failures


@dataclass(slots=True)
class OwnedPartition:
    """An input partition assigned to this instance. `active` once its producer is started
    (exactly-once), its state restored and its position set; suspended after a failure."""

    tp: TopicPartition
    active: bool = False
    producer: AIOKafkaProducer | None = None
    failures: int = 0
    resume_at: float = 0.0  # monotonic time of the next attempt to (re)activate
    next_offset: int = 0  # the committed offset: where the next batch starts

    def fail(self, error: BaseException, session_timeout_ms: int) -> float:
        """Count a failure; returns the delay before the next activation attempt."""
        self.failures += 1
        fenced = isinstance(error, ProducerFenced)
        return retry_delay(self.failures, fenced, session_timeout_ms)

    def resume(self, offset: int) -> None:
        self.next_offset = offset
        self.active = True

    def commit(self, next_offset: int) -> None:
        """A batch is durable: the next starts after it, and the failure streak ends."""
        self.failures = 0
        self.next_offset = next_offset

    def due(self, now: float) -> bool:
        """Suspended, and its backoff is over."""
        return not self.active and self.resume_at <= now

    def fresh(self, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        """The records not processed yet. A fetch that was in flight across a rebalance may
        return records from before the committed offset the partition was activated at."""
        return [r for r in records if r.offset >= self.next_offset]


def not_ready_reason(owned: Iterable[OwnedPartition]) -> str | None:
    """Why the service is not ready to process everything it owns, or None."""
    suspended = [o.tp.partition for o in owned if not o.active]
    return f"partitions suspended: {suspended}" if suspended else None


class PartitionOwnership(ConsumerRebalanceListener):
    """The owned partitions of one service, (re)activated on assignment and after a failure;
    the consumer's rebalance listener."""

    def __init__(
        self,
        settings: Settings,
        binding: Binding,
        consumer: AIOKafkaConsumer,
        metrics: Metrics,
        health: Health,
        log: FilteringBoundLogger,
        settle: Callable[[Sequence[TopicPartition]], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.binding = binding
        self.metrics = metrics
        self.health = health
        self.owned: dict[TopicPartition, OwnedPartition] = {}
        self.lock = asyncio.Lock()  # held by a batch in flight and by rebalance callbacks
        self._service = binding.service
        self._consumer = consumer
        self._log = log
        self._restorer = ChangelogReader(settings) if binding.stateful else None
        # Commits what is processed of the given partitions before they are given up.
        self._settle = settle

    async def start(self) -> None:
        if self._restorer is not None:
            await self._restorer.start()
            assert self.binding.changelog_topic is not None
            await check_changelog(
                self.settings, self.binding.changelog_topic, self.binding.input_topic
            )

    async def stop(self) -> None:
        """Give up every partition (call under the lock, after the consumer left the group
        and the service settled its partitions)."""
        for tp in list(self.owned):
            await self._deactivate(self.owned.pop(tp))
        if self._restorer is not None:
            await self._restorer.stop()

    def set_ready(self, ready: bool, reason: str = "ready") -> None:
        if ready:
            self.health.set_ready()
        else:
            self.health.set_not_ready(reason)
        self.metrics.ready.labels(self._service).set(int(ready))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self.lock:
            self.metrics.rebalances.labels(self._service, "assigned").inc()
            self.set_ready(False, "restoring")
            await self._activate(
                self.owned.setdefault(tp, OwnedPartition(tp)) for tp in sorted(assigned)
            )
            self.metrics.assigned.labels(self._service).set(len(self.owned))
            self._log.info("partitions_assigned", partitions=[tp.partition for tp in assigned])
            self._update_readiness()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:
            self.metrics.rebalances.labels(self._service, "revoked").inc()
            self.set_ready(False, "rebalancing")
            if self._settle is not None:
                await self._settle([tp for tp in revoked if tp in self.owned])
            for tp in revoked:
                if tp in self.owned:
                    await self._deactivate(self.owned.pop(tp))
                    self.metrics.lag.remove(self._service, tp.topic, str(tp.partition))
            self.metrics.assigned.labels(self._service).set(len(self.owned))
            self._log.info("partitions_revoked", partitions=[tp.partition for tp in revoked])

    async def _activate(self, partitions: Iterable[OwnedPartition]) -> None:
        """Make owned partitions ready to process: producer started (exactly-once), state
        restored, position at the committed offset. One that fails is suspended for a retry.

        Initializing a partition's transactional producer fences a previous owner and
        completes its open transaction; only then are its committed offsets and changelog
        final, so both are read after it."""
        pending = list(partitions)
        for owned in pending:
            await self._deactivate(owned)  # a retry starts from scratch
        if self.settings.exactly_once:
            started = await asyncio.gather(
                *(self._start_producer(owned) for owned in pending), return_exceptions=True
            )
            for owned, result in zip(pending, started, strict=True):
                if isinstance(result, BaseException):
                    await self.suspend(owned, result)
            pending = [owned for owned in pending if owned.producer is not None]
        from_start: list[OwnedPartition] = []
        for owned in pending:
            try:
                await self._restore_state(owned.tp.partition)
                committed = await self._consumer.committed(owned.tp)
            except Exception as exc:  # broker trouble or unreadable state: retry, never crash
                await self.suspend(owned, exc)
                continue
            if committed is None:
                from_start.append(owned)
            else:
                self._consumer.seek(owned.tp, committed)
                self._resume(owned, committed)
        if from_start:
            try:
                # One call for all: each waits for the fetcher's next round. Both raise an
                # error the group's coordination left for the consumer's next call.
                await self._consumer.seek_to_beginning(*(owned.tp for owned in from_start))
                positions = [await self._consumer.position(owned.tp) for owned in from_start]
            except Exception as exc:  # as above: retry, never crash
                for owned in from_start:
                    await self.suspend(owned, exc)
            else:
                for owned, position in zip(from_start, positions, strict=True):
                    self._resume(owned, position)

    async def _start_producer(self, owned: OwnedPartition) -> None:
        tp = owned.tp
        owned.producer = transactional_producer(
            self.settings, f"{self.settings.group}.{tp.topic}.{tp.partition}"
        )
        await owned.producer.start()

    def _resume(self, owned: OwnedPartition, offset: int) -> None:
        self._consumer.resume(owned.tp)
        owned.resume(offset)

    async def _deactivate(self, owned: OwnedPartition) -> None:
        owned.active = False
        for stage in self.binding.stateful:
            stage.revoke(owned.tp.partition)
        producer, owned.producer = owned.producer, None
        if producer is not None:
            try:
                await producer.stop()
            except (TimeoutError, KafkaError, OSError) as exc:
                self._log.warning("producer_stop_failed", error=repr(exc))
            _observe_transaction_failure(producer)

    async def suspend(self, owned: OwnedPartition, exc: BaseException) -> None:
        """Roll a partition back to its last commit: drop its producer (an open transaction
        aborts when the next producer initializes) and its state, pause it, and activate it
        again after `retry_delay`."""
        tp = owned.tp
        delay = owned.fail(exc, self.settings.session_timeout_ms)
        self.metrics.broker_retries.labels(self._service, type(exc).__name__).inc()
        self._log.warning(
            "partition_suspended",
            topic=tp.topic,
            partition=tp.partition,
            error=repr(exc),
            retry_in_s=delay,
        )
        # Not due while it is being deactivated: the commit that failed runs beside the loop.
        owned.resume_at = time.monotonic() + delay
        self._consumer.pause(tp)
        await self._deactivate(owned)
        self.set_ready(False, f"partition {tp.partition} suspended: {type(exc).__name__}")

    async def _restore_state(self, partition: int) -> None:
        if self._restorer is None:
            return
        assert self.binding.changelog_topic is not None
        changes = await self._restorer.read(self.binding.changelog_topic, partition)
        for stage in self.binding.stateful:
            stage.assign(partition, changes)
        self.metrics.restored.labels(self._service).inc(len(changes))
        self._log.info("state_restored", partition=partition, changelog_records=len(changes))

    async def reactivate_due(self) -> None:
        now = time.monotonic()
        due = [o for o in self.owned.values() if o.due(now)]
        if not due:
            return
        async with self.lock:
            # Still ours and still inactive after a rebalance that may have run meanwhile.
            await self._activate(o for o in due if self.owned.get(o.tp) is o and not o.active)
            self._update_readiness()

    def _update_readiness(self) -> None:
        reason = not_ready_reason(self.owned.values())
        self.set_ready(reason is None, reason or "ready")


def _observe_transaction_failure(producer: AIOKafkaProducer) -> None:
    """Mark a failed transaction's error as seen. aiokafka parks a fatal error (a fenced
    producer) in a future that only commit/abort would await, and neither is allowed after a
    fatal error: unobserved, it is logged with its traceback whenever the garbage collector
    finds it. (Private attribute: aiokafka has no public way to reach that future.)"""
    manager = getattr(producer, "_txn_manager", None)
    if manager is None:
        return
    waiter = manager.wait_for_transaction_end()  # None before the first transaction
    if waiter is not None and waiter.done() and not waiter.cancelled():
        waiter.exception()
