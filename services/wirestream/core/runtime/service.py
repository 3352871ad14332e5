"""The async runtime: binds a stage (or a chain of stages) to an input and an output topic.

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
id only, without a generation check). Per partition and batch, one transaction holds the
outputs, dead letters, changelog records and the consumed offsets.

At-least-once (fallback): one idempotent producer; offsets are committed after every send of
the batch is acknowledged. A crash may repeat the outputs of the last batch.

Backpressure: one batch (`getmany`, at most `batch_size` records) is in flight at a time; the
next fetch waits until it is committed. aiokafka prefetches at most one fetch response per
partition meanwhile (`max_partition_fetch_bytes`), and sends wait for acknowledgements every
`max_in_flight` records, so memory stays bounded however far behind the service is.

A failed batch suspends its partition: the partition is paused, its producer dropped and its
state forgotten; after an exponential backoff (0.2 s doubling to 10 s; two session timeouts
when the producer was fenced, i.e. another instance owns the partition) it is activated as on
assignment: a new producer (whose initialization aborts the open transaction), the state
restored from the changelog, the position set to the committed offset. Rebalances wait for
the batch in flight (one lock), so a partition is never handed over mid-transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.structs import OffsetAndMetadata

from wirestream.core.chain import Chain
from wirestream.core.config import Settings
from wirestream.core.http import Health
from wirestream.core.logging import get_logger
from wirestream.core.metrics import Metrics
from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.core.stage import Stage, StatefulStage

# Tracing headers on every record the services write.
HEADER_SCHEMA_VERSION = "ws-schema-version"
HEADER_SOURCE_TOPIC = "ws-source-topic"
HEADER_SOURCE_PARTITION = "ws-source-partition"
HEADER_SOURCE_OFFSET = "ws-source-offset"
HEADER_SOURCE_TIMESTAMP = "ws-source-timestamp"  # raw record timestamp, ms since the epoch

MAX_MESSAGE_BYTES = 1_048_576  # aiokafka's max_request_size and the broker's default limit
MESSAGE_OVERHEAD = 1_024  # record batch framing and headers, kept free under the limit
BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 10.0


class DecodeError(ValueError):
    """An input record that is not what the first stage takes; becomes a dead letter."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


Decoder = Callable[[bytes | None], Any]


def raw_bytes(value: bytes | None) -> bytes:
    """The normalizer takes the raw envelope bytes as they are (it dead-letters bad ones)."""
    return value or b""


def item_dict(value: bytes | None) -> dict[str, Any]:
    """Later stages take the item dict a previous stage wrote."""
    if not value:
        raise DecodeError(Reason.EMPTY, "empty record")
    try:
        item = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(Reason.INVALID_ITEM, f"not JSON: {exc}") from None
    if not isinstance(item, dict):
        raise DecodeError(Reason.INVALID_ITEM, f"not a JSON object but {type(item).__name__}")
    return item


@dataclass(frozen=True, slots=True)
class SourceTrace:
    """The raw record an item descends from: taken from the tracing headers of the input
    record when a previous stage wrote them, else the input record itself is the raw one."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None

    @classmethod
    def of(cls, record: ConsumerRecord) -> SourceTrace:
        headers = dict(record.headers or ())
        try:
            return cls(
                headers[HEADER_SOURCE_TOPIC].decode(),
                int(headers[HEADER_SOURCE_PARTITION]),
                int(headers[HEADER_SOURCE_OFFSET]),
                int(headers[HEADER_SOURCE_TIMESTAMP])
                if HEADER_SOURCE_TIMESTAMP in headers
                else None,
            )
        except (KeyError, ValueError, UnicodeDecodeError):
            return cls(record.topic, record.partition, record.offset, record.timestamp)

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            (HEADER_SOURCE_TOPIC, self.topic.encode()),
            (HEADER_SOURCE_PARTITION, str(self.partition).encode()),
            (HEADER_SOURCE_OFFSET, str(self.offset).encode()),
        ]
        if self.timestamp_ms is not None:
            headers.append((HEADER_SOURCE_TIMESTAMP, str(self.timestamp_ms).encode()))
        return headers


@dataclass(frozen=True, slots=True)
class Message:
    """A record to write."""

    topic: str
    value: bytes | None  # None: a tombstone (changelog deletion)
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None
    source_timestamp_ms: int | None = None  # for end-to-end latency of outputs
    item_id: str | None = None  # for the log line of an output


@dataclass(slots=True)
class Outbox:
    """What one batch of one partition writes once it commits, and what it counts then."""

    messages: list[Message] = field(default_factory=list)
    next_offset: int = 0  # the input offset to commit: after the batch's last record
    consumed: int = 0
    held: int = 0
    dedup: Counter[str] = field(default_factory=Counter)
    letters: list[DeadLetter] = field(default_factory=list)

    @property
    def dead_letters(self) -> Counter[tuple[str, str]]:
        """Dead letters by (stage, reason)."""
        return Counter((letter.stage, letter.reason.value) for letter in self.letters)


def rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Binding:
    """What a service runs: its stages, how it decodes input, and its topics."""

    service: str
    stages: Sequence[Stage]
    decode: Decoder
    input_topic: str
    output_topic: str
    dlq_topic: str
    changelog_topic: str | None = None  # required when a stage is stateful

    @property
    def stateful(self) -> list[StatefulStage]:
        return [s for s in self.stages if isinstance(s, StatefulStage)]

    @property
    def output_topics(self) -> list[str]:
        """Every topic the service writes: output, dead letters, and a stateful changelog."""
        changelog = [self.changelog_topic] if self.stateful and self.changelog_topic else []
        return [self.output_topic, self.dlq_topic, *changelog]


class _TimedStage:
    """A stage whose `process` time goes to the stage latency histogram."""

    def __init__(self, stage: Stage, observe: Callable[[float], None]) -> None:
        self.stage = stage
        self.name = stage.name
        self._observe = observe

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        start = time.perf_counter()
        try:
            return self.stage.process(record, origin)
        finally:
            self._observe(time.perf_counter() - start)


def stage_counters(stage: Stage) -> dict[str, int]:
    """The totals a stage keeps for the metrics layer: the enricher's `counters` (gazetteer
    misses, unknown agencies, errors per enricher) and the deduplicator's `evictions()`."""
    counters = dict(getattr(stage, "counters", None) or {})
    evictions = getattr(stage, "evictions", None)
    if callable(evictions):
        counters["evictions"] = evictions()
    return counters


class RecordTranslator:
    """Pure part of the runtime: input records in, an `Outbox` of messages out."""

    def __init__(
        self,
        binding: Binding,
        chain: Chain,
        clock: Callable[[], str] = rfc3339_now,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.binding = binding
        self.chain = chain
        self._clock = clock
        self._limit = max_message_bytes - MESSAGE_OVERHEAD
        self._counts_dedup = bool(binding.stateful)

    def batch(self, partition: int, records: Iterable[ConsumerRecord]) -> Outbox:
        outbox = Outbox()
        for record in records:
            self.add(outbox, record)
            outbox.next_offset = record.offset + 1
        for stage in self.binding.stateful:
            assert self.binding.changelog_topic is not None
            for key, value in stage.drain_changes(partition):
                outbox.messages.append(
                    Message(self.binding.changelog_topic, value, key, (), partition)
                )
        return outbox

    def add(self, outbox: Outbox, record: ConsumerRecord) -> None:
        outbox.consumed += 1
        trace = SourceTrace.of(record)
        origin = Origin(record.topic, record.partition, record.offset, record.timestamp)
        for outcome in self.outcomes(record, origin):
            if isinstance(outcome, DeadLetter):
                self._dead_letter(outbox, outcome, trace)
                continue
            if self._counts_dedup:
                status = (outcome.item.get("dedup") or {}).get("status")
                if status:
                    outbox.dedup[status] += 1
            if not outcome.publish:
                outbox.held += 1
                continue
            message = self._emit(outcome, trace, record.value or b"", origin)
            if isinstance(message, DeadLetter):
                self._dead_letter(outbox, message, trace)
            else:
                outbox.messages.append(message)

    def outcomes(self, record: ConsumerRecord, origin: Origin) -> list[Outcome]:
        original = record.value or b""
        try:
            value = self.binding.decode(record.value)
        except DecodeError as exc:
            return [DeadLetter(exc.reason, str(exc), original, self.binding.service, origin)]
        try:
            return self.chain.process(value, origin)
        except Exception as exc:  # stages never raise by contract; a bug must not stall us
            message = f"{type(exc).__name__}: {exc}"
            return [DeadLetter(Reason.STAGE_ERROR, message, original, self.chain.name, origin)]

    def _emit(
        self, emit: Emit, trace: SourceTrace, original: bytes, origin: Origin
    ) -> Message | DeadLetter:
        """The output message, or a dead letter of the input when the item cannot be one."""
        try:
            value = orjson.dumps(emit.item)
        except TypeError as exc:
            error = f"item not serializable: {exc}"
            return DeadLetter(Reason.STAGE_ERROR, error, original, "runtime", origin)
        key = emit.key.encode()
        size = len(value) + len(key)
        if size > self._limit:
            error = f"output item of {size} bytes exceeds {self._limit}"
            return DeadLetter(Reason.OVERSIZE, error, original, "runtime", origin)
        schema = str(emit.item.get("schema_version", ""))
        headers = ((HEADER_SCHEMA_VERSION, schema.encode()), *trace.headers())
        item_id = emit.item.get("id")
        return Message(
            self.binding.output_topic,
            value,
            key,
            headers,
            None,
            trace.timestamp_ms,
            item_id if isinstance(item_id, str) else None,
        )

    def _dead_letter(self, outbox: Outbox, letter: DeadLetter, trace: SourceTrace) -> None:
        outbox.letters.append(letter)
        record = letter.to_record(self._clock())
        value = orjson.dumps(record)
        if len(value) > self._limit:
            value = self._truncated(record, len(value))
        headers = ((HEADER_SCHEMA_VERSION, record["schema_version"].encode()), *trace.headers())
        outbox.messages.append(Message(self.binding.dlq_topic, value, None, headers))

    def _truncated(self, record: dict[str, Any], size: int) -> bytes:
        """A dead letter too big for a message keeps the head of its original bytes and says so:
        dropping it would lose the record, sending it would fail the whole batch forever."""
        encoded = record["original_base64"]
        keep = max(0, len(encoded) - (size - self._limit) - 256) // 4 * 4
        record = {
            **record,
            "original_base64": encoded[:keep],
            "message": f"{record['message']} (original truncated to {keep * 3 // 4} bytes)",
        }
        return orjson.dumps(record)


async def partition_counts(settings: Settings, topics: Sequence[str]) -> dict[str, int]:
    """Partitions per topic; 0 for a topic that does not exist (yet)."""
    admin = AIOKafkaAdminClient(**settings.client_kwargs())
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    counts = {t["topic"]: len(t["partitions"]) for t in described if not t["error_code"]}
    return {topic: counts.get(topic, 0) for topic in topics}


class ChangelogReader:
    """Reads one changelog partition from its beginning to its end, for restoring state."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = AIOKafkaConsumer(
            **settings.client_kwargs(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level=settings.consumer_kwargs()["isolation_level"],
            # No long polls: offset lookups queue behind a fetch in flight, and a restore
            # reads what is there and stops.
            fetch_max_wait_ms=20,
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def read(self, topic: str, partition: int) -> list[tuple[bytes, bytes | None]]:
        tp = TopicPartition(topic, partition)
        self._consumer.assign([tp])
        await self._consumer.seek_to_beginning(tp)
        end = (await self._consumer.end_offsets([tp]))[tp]
        changes: list[tuple[bytes, bytes | None]] = []
        while await self._consumer.position(tp) < end:
            fetched = await self._consumer.getmany(tp, timeout_ms=500, max_records=10_000)
            changes.extend((r.key, r.value) for r in fetched.get(tp, ()))
        return changes


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
            [_TimedStage(s, latency.labels(self._service, s.name).observe) for s in binding.stages]
        )
        self.translator = RecordTranslator(binding, chain, clock)
        metrics.watch_stage_counts(lambda: [(s.name, stage_counters(s)) for s in binding.stages])
        metrics.expect(binding.input_topic, binding.output_topics, decides=bool(binding.stateful))
        self._consumer = AIOKafkaConsumer(**settings.consumer_kwargs())
        self._restorer = ChangelogReader(settings) if binding.stateful else None
        self._producer: AIOKafkaProducer | None = None  # at-least-once: one for all partitions
        self._owned: dict[TopicPartition, OwnedPartition] = {}
        self._lock = asyncio.Lock()  # held by a batch in flight and by rebalance callbacks
        self._lag_updated = 0.0

    # -- lifecycle -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Process until `stop` is set, then finish the batch in flight, commit and leave."""
        try:
            await self._start()
            while not stop.is_set():
                await self._step()
        finally:
            await self._shutdown()

    async def _start(self) -> None:
        if self._restorer is not None:
            await self._restorer.start()
            await self._check_changelog()
        if not self.settings.exactly_once:
            self._producer = AIOKafkaProducer(**self.settings.producer_kwargs())
            await self._producer.start()
        self._consumer.subscribe([self.binding.input_topic], listener=_Rebalance(self))
        await self._consumer.start()
        self._log.info(
            "service_started",
            output_topic=self.binding.output_topic,
            group_id=self.settings.group,
            guarantee=self.settings.guarantee,
            stages=[s.name for s in self.binding.stages],
        )

    async def _check_changelog(self) -> None:
        assert self.binding.changelog_topic is not None
        counts = await partition_counts(
            self.settings, [self.binding.changelog_topic, self.binding.input_topic]
        )
        changelog, inputs = counts[self.binding.changelog_topic], counts[self.binding.input_topic]
        if changelog < inputs:
            raise RuntimeError(
                f"changelog {self.binding.changelog_topic} has {changelog} partitions, "
                f"input {self.binding.input_topic} has {inputs}: need one per input partition"
            )

    async def _shutdown(self) -> None:
        self._set_ready(False, "stopping")
        # Not under the lock: stopping the consumer may wait for a rebalance callback.
        await self._consumer.stop()  # leaves the group
        async with self._lock:
            for tp in list(self._owned):
                await self._deactivate(self._owned.pop(tp))
            if self._producer is not None:
                await self._producer.stop()
            if self._restorer is not None:
                await self._restorer.stop()
        self._log.info("service_stopped")

    def _set_ready(self, ready: bool, reason: str = "ready") -> None:
        if ready:
            self.health.set_ready()
        else:
            self.health.set_not_ready(reason)
        self.metrics.ready.labels(self._service).set(int(ready))

    # -- ownership -----------------------------------------------------------------------

    async def assigned(self, partitions: set[TopicPartition]) -> None:
        async with self._lock:
            self.metrics.rebalances.labels(self._service, "assigned").inc()
            self._set_ready(False, "restoring")
            await self._activate(
                self._owned.setdefault(tp, OwnedPartition(tp)) for tp in sorted(partitions)
            )
            self.metrics.assigned.labels(self._service).set(len(self._owned))
            self._log.info("partitions_assigned", partitions=[tp.partition for tp in partitions])
            self._update_readiness()

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        async with self._lock:
            self.metrics.rebalances.labels(self._service, "revoked").inc()
            self._set_ready(False, "rebalancing")
            for tp in partitions:
                if tp in self._owned:
                    await self._deactivate(self._owned.pop(tp))
                    self.metrics.lag.remove(self._service, tp.topic, str(tp.partition))
            self.metrics.assigned.labels(self._service).set(len(self._owned))
            self._log.info("partitions_revoked", partitions=[tp.partition for tp in partitions])

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
                    await self._suspend(owned, result)
            pending = [owned for owned in pending if owned.producer is not None]
        from_start: list[OwnedPartition] = []
        for owned in pending:
            try:
                await self._restore_state(owned.tp.partition)
                committed = await self._consumer.committed(owned.tp)
            except Exception as exc:  # broker trouble or unreadable state: retry, never crash
                await self._suspend(owned, exc)
                continue
            if committed is None:
                from_start.append(owned)
            else:
                self._consumer.seek(owned.tp, committed)
                self._resume(owned, committed)
        if from_start:
            # One call for all: each waits for the fetcher's next round.
            await self._consumer.seek_to_beginning(*(owned.tp for owned in from_start))
            for owned in from_start:
                self._resume(owned, await self._consumer.position(owned.tp))

    async def _start_producer(self, owned: OwnedPartition) -> None:
        tp = owned.tp
        owned.producer = AIOKafkaProducer(
            **self.settings.producer_kwargs(),
            transactional_id=f"{self.settings.group}.{tp.topic}.{tp.partition}",
        )
        await owned.producer.start()

    def _resume(self, owned: OwnedPartition, offset: int) -> None:
        self._consumer.resume(owned.tp)
        owned.next_offset = offset
        owned.active = True

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

    async def _suspend(self, owned: OwnedPartition, exc: BaseException) -> None:
        """Roll a partition back to its last commit: drop its producer (an open transaction
        aborts when the next producer initializes) and its state, pause it, and activate it
        again after a backoff that doubles with every consecutive failure. A fenced producer
        means another instance owns the partition: wait two session timeouts for the
        rebalance that revokes it, and only then take it back."""
        tp = owned.tp
        owned.failures += 1
        if isinstance(exc, ProducerFenced):
            delay = 2 * self.settings.session_timeout_ms / 1000
        else:
            delay = min(BACKOFF_FIRST_S * 2 ** (owned.failures - 1), BACKOFF_MAX_S)
        self.metrics.broker_retries.labels(self._service, type(exc).__name__).inc()
        self._log.warning(
            "partition_suspended",
            topic=tp.topic,
            partition=tp.partition,
            error=repr(exc),
            retry_in_s=delay,
        )
        self._consumer.pause(tp)
        await self._deactivate(owned)
        owned.resume_at = time.monotonic() + delay
        self._set_ready(False, f"partition {tp.partition} suspended: {type(exc).__name__}")

    async def _restore_state(self, partition: int) -> None:
        if self._restorer is None:
            return
        assert self.binding.changelog_topic is not None
        changes = await self._restorer.read(self.binding.changelog_topic, partition)
        for stage in self.binding.stateful:
            stage.assign(partition, changes)
        self.metrics.restored.labels(self._service).inc(len(changes))
        self._log.info("state_restored", partition=partition, changelog_records=len(changes))

    async def _reactivate_due(self) -> None:
        now = time.monotonic()
        due = [o for o in self._owned.values() if not o.active and o.resume_at <= now]
        if not due:
            return
        async with self._lock:
            # Still ours and still inactive after a rebalance that may have run meanwhile.
            await self._activate(o for o in due if self._owned.get(o.tp) is o and not o.active)
            self._update_readiness()

    def _update_readiness(self) -> None:
        suspended = [o.tp.partition for o in self._owned.values() if not o.active]
        if suspended:
            self._set_ready(False, f"partitions suspended: {suspended}")
        else:
            self._set_ready(True)

    # -- processing ----------------------------------------------------------------------

    async def _step(self) -> None:
        await self._reactivate_due()
        try:
            fetched = await self._consumer.getmany(
                timeout_ms=self.settings.batch_timeout_ms, max_records=self.settings.batch_size
            )
        except KafkaError as exc:
            self.metrics.broker_retries.labels(self._service, type(exc).__name__).inc()
            self._log.warning("fetch_failed", error=repr(exc))
            await asyncio.sleep(BACKOFF_FIRST_S)
            return
        if fetched:
            async with self._lock:
                await self._process(fetched)
        await self._update_lag()

    async def _process(self, fetched: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        batches = {}
        for tp, records in fetched.items():
            owned = self._owned.get(tp)
            if owned is None or not owned.active:
                continue  # not ours, or suspended: activation seeks to the committed offset
            # A fetch that was in flight across a rebalance may return records from before the
            # committed offset the partition was activated at: those were processed already.
            fresh = [r for r in records if r.offset >= owned.next_offset]
            if fresh:
                batches[tp] = fresh
        if not batches:
            return
        self.metrics.batch_size.labels(self._service).observe(sum(map(len, batches.values())))
        if self.settings.exactly_once:
            await asyncio.gather(*(self._transact(tp, rs) for tp, rs in batches.items()))
        else:
            await self._send_and_commit(batches)

    async def _transact(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        owned = self._owned[tp]
        producer = owned.producer
        assert producer is not None
        outbox = self.translator.batch(tp.partition, records)
        try:
            await producer.begin_transaction()
            await self._send(producer, outbox.messages)
            offsets = {tp: OffsetAndMetadata(outbox.next_offset, "")}
            await producer.send_offsets_to_transaction(offsets, self.settings.group)
            await producer.commit_transaction()
        except Exception as exc:  # any failure rolls the batch back: never stall
            self.metrics.commit_failures.labels(self._service).inc()
            self.metrics.transaction_aborts.labels(self._service).inc()
            await self._suspend(owned, exc)
            return
        self._committed(owned, outbox)

    async def _send_and_commit(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        assert self._producer is not None
        outboxes = {tp: self.translator.batch(tp.partition, rs) for tp, rs in batches.items()}
        messages = [m for o in outboxes.values() for m in o.messages]
        changelog = self.binding.changelog_topic
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
                await self._suspend(self._owned[tp], exc)
            return
        for tp, outbox in outboxes.items():
            self._committed(self._owned[tp], outbox)

    async def _send(self, producer: AIOKafkaProducer, messages: Sequence[Message]) -> None:
        """Send all, waiting for acknowledgements whenever `max_in_flight` are outstanding."""
        pending: list[asyncio.Future] = []
        for m in messages:
            pending.append(
                await producer.send(
                    m.topic, m.value, key=m.key, partition=m.partition, headers=list(m.headers)
                )
            )
            if len(pending) >= self.settings.max_in_flight:
                await _acknowledged(pending)
                pending.clear()
        await _acknowledged(pending)

    def _committed(self, owned: OwnedPartition, outbox: Outbox) -> None:
        """Count a batch once it is durable, so a retried batch counts once."""
        owned.failures = 0
        owned.next_offset = outbox.next_offset
        m, service = self.metrics, self._service
        m.commits.labels(service).inc()
        m.consumed.labels(service, owned.tp.topic).inc(outbox.consumed)
        m.held.labels(service).inc(outbox.held)
        for status, n in outbox.dedup.items():
            m.dedup_decisions.labels(service, status).inc(n)
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
        for message in outbox.messages:
            m.produced.labels(service, message.topic).inc()
            if message.source_timestamp_ms is not None:
                m.end_to_end_latency.labels(service, message.topic).observe(
                    max(0.0, (now_ms - message.source_timestamp_ms) / 1000)
                )
            if message.item_id is not None:
                self._log.debug(
                    "item_written",
                    topic=message.topic,
                    key=message.key,
                    item_id=message.item_id,
                    input_partition=owned.tp.partition,
                )

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
            position = await self._consumer.position(tp)
            self.metrics.lag.labels(self._service, tp.topic, str(tp.partition)).set(
                max(0, highwater - position)
            )


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


async def _acknowledged(sends: Sequence[asyncio.Future]) -> None:
    """Wait for every send; raise the first failure once all are settled (so no failed
    future is left unobserved)."""
    for result in await asyncio.gather(*sends, return_exceptions=True):
        if isinstance(result, BaseException):
            raise result


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, service: StageService) -> None:
        self._service = service

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._service.revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._service.assigned(assigned)
