"""The runtime's pure part: a batch of input records through the stages, out as an `Outbox` of
messages for the output, dead-letter and changelog topics."""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from wirestream.core.chain import Chain
from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.core.runtime.codec import HEADER_SCHEMA_VERSION, DecodeError, Decoder, SourceTrace
from wirestream.core.stage import Counted, Stage, StatefulStage

MAX_MESSAGE_BYTES = 1_048_576  # aiokafka's max_request_size and the broker's default limit
MESSAGE_OVERHEAD = 1_024  # record batch framing and headers, kept free under the limit


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
    update_changes: Counter[str] = field(default_factory=Counter)  # updates by kind of change
    letters: list[DeadLetter] = field(default_factory=list)


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


class TimedStage:
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
    """The totals a stage keeps for the metrics layer, if it keeps any (`Counted`)."""
    return stage.counts() if isinstance(stage, Counted) else {}


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

    def batch(self, partition: int, records: Iterable[ConsumerRecord]) -> Outbox:
        outbox = Outbox()
        for record in records:
            self.add(outbox, record)
        self.close(outbox, partition)
        return outbox

    def close(self, outbox: Outbox, partition: int) -> None:
        """End a batch: the state changes its records made go to the partition's changelog,
        in the same transaction as their outputs."""
        for stage in self.binding.stateful:
            assert self.binding.changelog_topic is not None
            for key, value in stage.drain_changes(partition):
                outbox.messages.append(
                    Message(self.binding.changelog_topic, value, key, (), partition)
                )

    def add(self, outbox: Outbox, record: ConsumerRecord) -> None:
        """One record through the stages into the batch's outbox."""
        outbox.consumed += 1
        outbox.next_offset = record.offset + 1
        trace = SourceTrace.of(record)
        traced = tuple(trace.headers())  # shared by every record this one turns into
        origin = Origin(record.topic, record.partition, record.offset, record.timestamp)
        for outcome in self.outcomes(record, origin):
            if isinstance(outcome, DeadLetter):
                self._dead_letter(outbox, outcome, traced, record)
                continue
            if outcome.decision:
                outbox.dedup[outcome.decision] += 1
                changes = outcome.item.get("changes")
                if outcome.decision == "update":
                    outbox.update_changes.update((changes or {}).get("kinds") or ["unknown"])
            if not outcome.publish:
                outbox.held += 1
                continue
            message = self._emit(outcome, trace, traced, record.value or b"", origin)
            if isinstance(message, DeadLetter):
                self._dead_letter(outbox, message, traced, record)
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
        self,
        emit: Emit,
        trace: SourceTrace,
        traced: tuple[tuple[str, bytes], ...],
        original: bytes,
        origin: Origin,
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
        schema = _schema_header(str(emit.item.get("schema_version", "")))
        headers = (schema, *traced)
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

    def _dead_letter(
        self,
        outbox: Outbox,
        letter: DeadLetter,
        traced: tuple[tuple[str, bytes], ...],
        rejected: ConsumerRecord,
    ) -> None:
        # The original key and headers travel with it, so a replay lands where the input did.
        letter = replace(letter, key=rejected.key, headers=tuple(rejected.headers or ()))
        outbox.letters.append(letter)
        record = letter.to_record(self._clock())
        value = orjson.dumps(record)
        if len(value) > self._limit:
            value = self._truncated(record, len(value))
        headers = (_schema_header(record["schema_version"]), *traced)
        outbox.messages.append(Message(self.binding.dlq_topic, value, rejected.key, headers))

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


@functools.lru_cache(maxsize=64)
def _schema_header(version: str) -> tuple[str, bytes]:
    """The schema version header; a handful of versions, so built once each."""
    return HEADER_SCHEMA_VERSION, version.encode()
