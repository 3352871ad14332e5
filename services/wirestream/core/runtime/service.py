"""The service loop: binds a stage (or a chain of stages) to an input and an output topic.

One `StageService` per process consumes its input topic in a consumer group, runs every
record through the stages, and writes what they return:

- `Emit` → the output topic, orjson bytes, key `Emit.key`, headers with the item's schema
  version and the trace of the *raw* record it came from (see `SourceTrace`);
  `publish=False` items (dedup duplicates) are counted, not sent.
- `DeadLetter` → the dead-letter topic (`DeadLetter.to_record`), as does any record that cannot
  be decoded, encoded or fit in a message, or that makes a stage raise. A bad record never
  crashes the service and never stalls its partition.
- State changes of a `StatefulStage` → the changelog topic, partition p for input partition p.

Exactly-once (default): consumers read `read_committed`; each owned input partition has its own
transactional producer (`transactional_id = f"{group}.{topic}.{partition}"`, so initializing it
on assignment fences a previous owner that is still alive: aiokafka commits offsets by group
id only, without a generation check). One transaction holds the outputs, dead letters,
changelog records and consumed offsets of a run of a partition's records. The chain runs in
its own thread, so transactions commit while the next records are processed; those wait in
the partition's open outbox (`pacing.PartitionPipe`) and form the next transaction, which
begins once the one before has committed. While a partition keeps up, that is at once: output
follows a record by its processing and one commit's round trips, and a backlog's first record
is a transaction of its own. Once a backlog has lasted `transaction_ms`, a transaction holds
`transaction_ms` of processing, doubling per transaction up to `transaction_max_ms`, so
draining it does not pay a commit every few records; and never more than `batch_size` records.

At-least-once (fallback): one idempotent producer; offsets are committed after every send of
the batch is acknowledged. A crash may repeat the outputs of the last batch.

Backpressure: one fetch (`getmany`, at most `batch_size` records) is processed at a time;
exactly-once, a partition's processing waits for its transaction in flight once its open
outbox holds `batch_size` records or `transaction_max_ms` of processing; at-least-once, the
next fetch waits until the batch is committed. aiokafka prefetches at most one fetch response
per partition meanwhile (`max_partition_fetch_bytes`), and sends wait for acknowledgements
every `max_in_flight` records, so memory stays bounded however far behind the service is.

A failed batch suspends its partition until it can be activated again (`ownership.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from wirestream.core.chain import Chain
from wirestream.core.config import Settings
from wirestream.core.http import Health
from wirestream.core.logging import get_logger
from wirestream.core.metrics import Metrics
from wirestream.core.runtime.ownership import FetchBackoff, OwnedPartition, PartitionOwnership
from wirestream.core.runtime.pacing import PartitionPipe, TransactionBound
from wirestream.core.runtime.sending import acknowledged, enqueue
from wirestream.core.runtime.translate import (
    Binding,
    Message,
    Outbox,
    RecordTranslator,
    TimedStage,
    rfc3339_now,
    stage_counters,
)
from wirestream.core.runtime.worker import ChainWorker

# How long the chain's thread may hold the GIL while the event loop waits for it (Python's
# default is 5 ms). A commit is a dozen hops through the loop, each waiting for the GIL: at
# 250 items/s under load, p50 latency was 700-800 ms with the default and 150-270 ms with 1 ms.
SWITCH_INTERVAL_S = 0.001


class StageService:
    """Consumes `binding.input_topic` in a group and writes what the stages return."""

    def __init__(
        self,
        settings: Settings,
        binding: Binding,
        metrics: Metrics,
        health: Health,
        clock: Callable[[], str] = rfc3339_now,
    ) -> None:
        if binding.stateful and not binding.changelog_topic:
            raise ValueError(f"{binding.service}: a stateful stage needs a changelog topic")
        self.settings = settings
        self.binding = binding
        self.metrics = metrics
        self.health = health
        self._service = binding.service
        self._log = get_logger(input_topic=binding.input_topic)
        latency = metrics.stage_latency
        chain = Chain(
            [TimedStage(s, latency.labels(self._service, s.name).observe) for s in binding.stages]
        )
        self.translator = RecordTranslator(binding, chain, clock)
        metrics.watch_stage_counts(lambda: [(s.name, stage_counters(s)) for s in binding.stages])
        metrics.expect(binding.input_topic, binding.output_topics, decides=bool(binding.stateful))
        self._consumer = AIOKafkaConsumer(**settings.consumer_kwargs())
        self.ownership = PartitionOwnership(
            settings, binding, self._consumer, metrics, health, self._log, self._settle
        )
        self._owned = self.ownership.owned
        self._producer: AIOKafkaProducer | None = None  # at-least-once: one for all partitions
        self._lag_updated = 0.0
        self._fetch_backoff = FetchBackoff()
        # Exactly-once: the chain runs in its own thread, so the event loop answers the
        # broker while it works and a commit's round trips are not held up by a record's
        # processing. One thread: records of a partition stay in order, and `_chain` keeps
        # the stages' state to one user at a time (processing, closing an outbox, suspending).
        self._pipes: dict[TopicPartition, PartitionPipe] = {}
        self._worker = ChainWorker(f"{self._service}-chain")
        self._chain = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Process until `stop` is set, then finish the batch in flight, commit and leave."""
        if self.settings.exactly_once:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            await self._start()
            while not stop.is_set():
                await self._step(stop)
        finally:
            await self._shutdown()

    async def _start(self) -> None:
        await self.ownership.start()
        if not self.settings.exactly_once:
            self._producer = AIOKafkaProducer(**self.settings.producer_kwargs())
            await self._producer.start()
        # Started before it subscribes, so it joins the group in the background: started
        # subscribed, it waits for the first assignment and raises any error of the join
        # (a coordinator still loading or short of replicas on a fresh or loaded cluster),
        # which would end the service. Joining in the loop, the error comes out of the next
        # fetch, is logged and counted as any later one is, and aiokafka joins again.
        await self._consumer.start()
        self._consumer.subscribe([self.binding.input_topic], listener=self.ownership)
        self._log.info(
            "service_started",
            output_topic=self.binding.output_topic,
            group_id=self.settings.group,
            guarantee=self.settings.guarantee,
            stages=[s.name for s in self.binding.stages],
        )

    async def _shutdown(self) -> None:
        began = time.monotonic()
        async with self.ownership.lock:
            await self._settle(list(self._owned))  # what is processed, committed
        # Before the consumer leaves: the revocation then forgets the partitions.
        committed = {f"{tp.topic}/{tp.partition}": o.next_offset for tp, o in self._owned.items()}
        self.ownership.set_ready(False, "stopping")
        # Not under the lock: stopping the consumer may wait for a rebalance callback.
        await self._consumer.stop()  # leaves the group
        async with self.ownership.lock:
            await self.ownership.stop()
            if self._producer is not None:
                await self._producer.stop()
        self._worker.shutdown()
        self._log.info(
            "service_stopped",
            committed_offsets=committed,
            drain_seconds=round(time.monotonic() - began, 3),
        )

    # -- processing ----------------------------------------------------------------------

    async def _step(self, stop: asyncio.Event) -> None:
        await self.ownership.reactivate_due()
        try:
            fetched = await self._consumer.getmany(
                timeout_ms=self.settings.batch_timeout_ms, max_records=self.settings.batch_size
            )
        except KafkaError as exc:  # the broker's, or the group join's: retried with backoff
            retry_in_s = self._fetch_backoff.failed()
            self._broker_trouble(
                "fetch_failed",
                exc,
                consecutive_failures=self._fetch_backoff.failures,
                retry_in_s=retry_in_s,
            )
            with contextlib.suppress(TimeoutError):  # a stop ends the wait
                await asyncio.wait_for(stop.wait(), retry_in_s)
            return
        if failed := self._fetch_backoff.succeeded():
            self._log.info("fetch_resumed", consecutive_failures=failed)
        if fetched:
            async with self.ownership.lock:
                await self._process(fetched)
        else:  # nothing more came: whatever is processed commits, however long its bound
            for pipe in list(self._pipes.values()):
                pipe.bound.observe(False, time.monotonic())
                await self._begin(pipe)
        await self._update_lag()

    def _broker_trouble(self, event: str, exc: KafkaError, **fields: object) -> None:
        """A broker error the service rides out: logged and counted, retried later."""
        self.metrics.broker_retries.labels(self._service, type(exc).__name__).inc()
        self._log.warning(event, error=repr(exc), **fields)

    async def _process(self, fetched: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        batches = {}
        for tp, records in fetched.items():
            owned = self._owned.get(tp)
            if owned is None or not owned.active:
                continue  # not ours, or suspended: activation seeks to the committed offset
            fresh = owned.fresh(records)
            if fresh:
                batches[tp] = fresh
        if not batches:
            return
        self.metrics.batch_size.labels(self._service).observe(sum(map(len, batches.values())))
        if self.settings.exactly_once:
            await self._transact(batches)
        else:
            await self._send_and_commit(batches)

    async def _transact(self, batches: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """The fetched records through the chain, a slice of each partition in turn, into its
        pipe's open outbox; a partition's transaction begins as soon as its outbox is due and
        the one before has committed, and commits while the next records are processed. A
        partition that keeps up commits each record it has once nothing is in flight; under a
        backlog its first record commits at once, later transactions hold more and more
        (`TransactionBound`). Returns with transactions possibly still in flight."""
        queues = {tp: deque(records) for tp, records in batches.items()}
        while queues:
            for tp, records in list(queues.items()):
                pipe = self._pipe(tp)
                if pipe is not None:
                    while pipe.full() and pipe.committing is not None:
                        await asyncio.wait([pipe.committing])
                    await self._fill(pipe, records)
                if pipe is None or not pipe.current() or not records:
                    del queues[tp]  # done, or suspended: activation seeks to the last commit
                if pipe is not None:
                    behind = bool(records) or pipe.behind(self._consumer.last_stable_offset(tp))
                    pipe.bound.observe(behind, time.monotonic())
                    await self._begin(pipe)

    def _pipe(self, tp: TopicPartition) -> PartitionPipe | None:
        """The partition's pipe; a new one after (re)activation; None while suspended."""
        owned = self._owned.get(tp)
        if owned is None or not owned.active or owned.producer is None:
            return None
        pipe = self._pipes.get(tp)
        if pipe is None or pipe.owned is not owned or not pipe.current():
            settings = self.settings
            bound = TransactionBound(
                settings.transaction_ms / 1000, settings.transaction_max_ms / 1000
            )
            pipe = self._pipes[tp] = PartitionPipe(
                owned, owned.producer, bound, settings.batch_size
            )
        return pipe

    async def _fill(self, pipe: PartitionPipe, records: deque[ConsumerRecord]) -> None:
        """A slice of the records into the pipe's open outbox, in the chain's thread, as long
        as the pipe allows (`PartitionPipe.slice_s`) and no transaction could begin."""
        async with self._chain:
            pipe.unprocessed(records)
            if not pipe.current() or not records:
                return
            began = time.monotonic()
            until = began + pipe.slice_s(began)
            pipes = tuple(self._pipes.values())  # not the dict: the loop may change it
            await self._worker.run(self._slice, pipe.outbox, records, until, pipes)
            pipe.processed_s += time.monotonic() - began
            pipe.processed()

    def _slice(
        self,
        outbox: Outbox,
        records: deque[ConsumerRecord],
        until: float,
        pipes: tuple[PartitionPipe, ...],
    ) -> None:
        """Records into the outbox until `until`, or until a partition's commit has ended
        and its outbox is due: the loop begins that transaction as soon as the slice ends."""
        add = self.translator.add
        add(outbox, records.popleft())
        while records and (now := time.monotonic()) < until:
            if any(p.may_begin(now) for p in pipes):
                return
            add(outbox, records.popleft())

    async def _begin(self, pipe: PartitionPipe, *, force: bool = False) -> None:
        """Start the pipe's next transaction if nothing is in flight and its outbox is due."""
        if not pipe.may_begin(time.monotonic(), force=force):
            return
        async with self._chain:  # its state changes are final once no record is in process
            if not pipe.may_begin(time.monotonic(), force=force):  # begun by another meanwhile
                return
            outbox = pipe.take()
            self.translator.close(outbox, pipe.owned.tp.partition)
        pipe.bound.began(time.monotonic())
        pipe.committing = asyncio.create_task(self._commit_and_next(pipe, outbox))

    async def _commit_and_next(self, pipe: PartitionPipe, outbox: Outbox) -> None:
        """Runs beside the loop and nothing awaits its result, so a failure past `_commit`'s
        own handling (the bookkeeping after a commit, closing the next outbox) is logged
        here and rolls the partition back to its last commit, rather than leaving with the
        task as asyncio's "exception never retrieved" and taking the outbox with it."""
        try:
            try:
                await self._commit(pipe.owned, outbox)
            finally:
                pipe.committing = None
            await self._begin(pipe)
        except Exception as exc:
            self._log.exception("transaction_task_failed", partition=pipe.owned.tp.partition)
            async with self._chain:
                if pipe.current():  # not revoked or suspended meanwhile
                    await self.ownership.suspend(pipe.owned, exc)

    async def _settle(self, partitions: Sequence[TopicPartition]) -> None:
        """Commit what the partitions' pipes hold, and wait for it (a rebalance or a stop)."""
        for tp in partitions:
            pipe = self._pipes.pop(tp, None)
            if pipe is None:
                continue
            await self._begin(pipe, force=True)
            while pipe.committing is not None:  # then whatever was processed meanwhile
                await asyncio.wait([pipe.committing])
                await self._begin(pipe, force=True)

    async def _commit(self, owned: OwnedPartition, outbox: Outbox) -> None:
        """One transaction: the outbox's messages and its input offset, or nothing."""
        producer = owned.producer
        assert producer is not None
        began = time.monotonic()
        try:
            await producer.begin_transaction()
            unacknowledged = await enqueue(producer, outbox.messages, self.settings.max_in_flight)
            # Added to the transaction while the last sends are in flight: a round trip less.
            offsets = {owned.tp: OffsetAndMetadata(outbox.next_offset, "")}
            await producer.send_offsets_to_transaction(offsets, self.settings.group)
            await acknowledged(unacknowledged)
            await producer.commit_transaction()
        except Exception as exc:  # any failure rolls the batch back: never stall
            self.metrics.commit_failures.labels(self._service).inc()
            self.metrics.transaction_aborts.labels(self._service).inc()
            async with self._chain:  # forgets the partition's state: not while in process
                await self.ownership.suspend(owned, exc)
            return
        self._committed(owned, outbox, time.monotonic() - began)

    async def _send_and_commit(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        assert self._producer is not None
        outboxes = {tp: self.translator.batch(tp.partition, rs) for tp, rs in batches.items()}
        messages = [m for o in outboxes.values() for m in o.messages]
        changelog = self.binding.changelog_topic
        began = time.monotonic()
        try:
            # The changelog may only remember what the output already holds: otherwise a
            # replay after a crash would call an unwritten item a duplicate and lose it.
            await self._send(self._producer, [m for m in messages if m.topic != changelog])
            await self._send(self._producer, [m for m in messages if m.topic == changelog])
            await self._consumer.commit(
                {tp: OffsetAndMetadata(o.next_offset, "") for tp, o in outboxes.items()}
            )
        except Exception as exc:  # any failure rolls the batch back: never stall
            self.metrics.commit_failures.labels(self._service).inc()
            for tp in batches:
                await self.ownership.suspend(self._owned[tp], exc)
            return
        seconds = time.monotonic() - began
        for tp, outbox in outboxes.items():
            self._committed(self._owned[tp], outbox, seconds)

    async def _send(self, producer: AIOKafkaProducer, messages: Sequence[Message]) -> None:
        """Send all and wait for every acknowledgement."""
        await acknowledged(await enqueue(producer, messages, self.settings.max_in_flight))

    def _committed(self, owned: OwnedPartition, outbox: Outbox, seconds: float) -> None:
        """Count a batch once it is durable, so a retried batch counts once; `seconds` it
        took to commit."""
        owned.commit(outbox.next_offset)
        m, service = self.metrics, self._service
        m.commits.labels(service).inc()
        m.commit_seconds.labels(service).observe(seconds)
        m.consumed.labels(service, owned.tp.topic).inc(outbox.consumed)
        m.held.labels(service).inc(outbox.held)
        for status, n in outbox.dedup.items():
            m.dedup_decisions.labels(service, status).inc(n)
        for change, n in outbox.update_changes.items():
            m.update_changes.labels(service, change).inc(n)
        for letter in outbox.letters:
            m.dead_letters.labels(service, letter.stage, letter.reason.value).inc()
            self._log.warning(
                "dead_letter",
                topic=letter.origin.topic,
                partition=letter.origin.partition,
                offset=letter.origin.offset,
                stage=letter.stage,
                reason=letter.reason.value,
                error=letter.message[:500],
                source=letter.source,
            )
        now_ms = time.time() * 1000
        # Per topic, not per message: a `.labels()` lookup hashes and locks on every call.
        produced: dict[str, int] = {}
        latency: dict[str, Callable[[float], None]] = {}
        for message in outbox.messages:
            produced[message.topic] = produced.get(message.topic, 0) + 1
            if message.source_timestamp_ms is not None:
                observe = latency.get(message.topic)
                if observe is None:
                    child = m.end_to_end_latency.labels(service, message.topic)
                    observe = latency[message.topic] = child.observe
                observe(max(0.0, (now_ms - message.source_timestamp_ms) / 1000))
            if message.item_id is not None:
                self._log.debug(
                    "item_written",
                    topic=message.topic,
                    key=message.key,
                    item_id=message.item_id,
                    input_partition=owned.tp.partition,
                )
        for topic, count in produced.items():
            m.produced.labels(service, topic).inc(count)

    async def _update_lag(self) -> None:
        """Lag of every active partition, at most once a second."""
        now = time.monotonic()
        if now - self._lag_updated < 1.0:
            return
        self._lag_updated = now
        for owned in list(self._owned.values()):
            tp = owned.tp
            if not owned.active or tp not in self._consumer.assignment():
                continue
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await self._consumer.position(tp)
            except KafkaError as exc:  # a position being reset, an error the join left: later
                self._broker_trouble("lag_update_failed", exc)
                return
            self.metrics.lag.labels(self._service, tp.topic, str(tp.partition)).set(
                max(0, highwater - position)
            )
