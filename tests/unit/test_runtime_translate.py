"""The runtime's pure part: input records → messages for output, DLQ and changelog."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from schema_check import assert_valid
from wirestream.core.chain import Chain
from wirestream.core.records import Emit, Origin, Outcome, Reason
from wirestream.core.runtime.codec import (
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_TOPIC,
    SourceTrace,
    item_dict,
    raw_bytes,
)
from wirestream.core.runtime.translate import Binding, RecordTranslator

NOW = "2026-11-26T12:00:00.000Z"


def record(value: bytes | None, offset: int = 7, headers: tuple = (), partition: int = 2):
    return ConsumerRecord(
        topic="wire.items",
        partition=partition,
        offset=offset,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=headers,
    )


class Passthrough:
    """Emits the item it gets, held back when it says `"hold": true`."""

    name = "passthrough"

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        if record.get("boom"):
            raise RuntimeError("bug")
        decision = (record.get("dedup") or {}).get("status")
        return [Emit(record["id"], record, publish=not record.get("hold"), decision=decision)]


class Tally(Passthrough):
    """A stateful stage: remembers ids per partition and reports them as changes."""

    name = "tally"

    def __init__(self) -> None:
        self.changes: dict[int, list[tuple[bytes, bytes | None]]] = {}

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        self.changes.setdefault(origin.partition, []).append((record["id"].encode(), b"1"))
        item = {**record, "dedup": {"status": "duplicate" if record.get("hold") else "new"}}
        return super().process(item, origin)

    def assign(self, partition: int, changelog: Iterable[tuple[bytes, bytes | None]]) -> None:
        pass

    def revoke(self, partition: int) -> None:
        pass

    def drain_changes(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        changes = self.changes.pop(partition, [])
        return [*changes, (b"expired", None)]


def translator(stage: Any, limit: int = 1_048_576) -> RecordTranslator:
    binding = Binding("svc", [stage], item_dict, "wire.items", "wire.unique", "wire.dlq", "log")
    return RecordTranslator(binding, Chain([stage]), lambda: NOW, limit)


def test_trace_is_carried_forward_from_headers_or_taken_from_the_record():
    assert SourceTrace.of(record(b"{}")) == SourceTrace("wire.items", 2, 7, 1_700_000_000_000)
    raw = SourceTrace("wire.raw", 1, 99, 5)
    assert SourceTrace.of(record(b"{}", headers=tuple(raw.headers()))) == raw


def test_emits_go_to_the_output_with_key_schema_and_trace_headers():
    outbox = translator(Passthrough()).batch(2, [record(b'{"id":"a","schema_version":"1.0.0"}')])
    (message,) = outbox.messages
    assert (message.topic, message.key) == ("wire.unique", b"a")
    headers = dict(message.headers)
    assert headers["ws-schema-version"] == b"1.0.0"
    assert (headers[HEADER_SOURCE_TOPIC], headers[HEADER_SOURCE_OFFSET]) == (b"wire.items", b"7")
    assert orjson.loads(message.value)["id"] == "a"
    assert (outbox.consumed, outbox.next_offset) == (1, 8)  # commit after offset 7


def test_bad_records_become_dead_letters_and_the_batch_goes_on():
    values = [b"\xff\x00 not json", b"[1, 2]", None, b'{"id":"x","boom":true}', b'{"id":"ok"}']
    outbox = translator(Passthrough()).batch(2, [record(v, i) for i, v in enumerate(values)])
    dlq = [orjson.loads(m.value) for m in outbox.messages if m.topic == "wire.dlq"]
    assert [d["reason"] for d in dlq] == ["invalid_item", "invalid_item", "empty", "stage_error"]
    assert [d["origin"]["offset"] for d in dlq] == [0, 1, 2, 3]
    assert base64.b64decode(dlq[0]["original_base64"]) == values[0]
    assert dlq[0]["failed_at"] == NOW
    assert [m.key for m in outbox.messages if m.topic == "wire.unique"] == [b"ok"]
    by_stage = Counter((letter.stage, letter.reason) for letter in outbox.letters)
    assert by_stage == {
        ("svc", Reason.INVALID_ITEM): 2,
        ("svc", Reason.EMPTY): 1,
        ("passthrough", Reason.STAGE_ERROR): 1,
    }


def test_a_dead_letter_keeps_the_original_key_and_headers_for_its_replay():
    # Dropped before: a replay could land on another partition than the original did.
    headers = (("ws-source-topic", b"wire.raw"), ("traceparent", b"00-abc-01"))
    outbox = translator(Passthrough()).batch(2, [record(b"[1]", 4, headers)])
    (message,) = [m for m in outbox.messages if m.topic == "wire.dlq"]
    letter = orjson.loads(message.value)
    assert message.key == b"k"
    assert base64.b64decode(letter["original_key_base64"]) == b"k"
    assert [
        (h["name"], base64.b64decode(h["value_base64"])) for h in letter["original_headers"]
    ] == list(headers)
    assert_valid("dead-letter.v1", letter)


def test_held_items_are_counted_not_sent_and_changes_go_to_the_partitions_changelog():
    stage = Tally()
    records = [record(b'{"id":"a"}', 1), record(b'{"id":"b","hold":true}', 2)]
    outbox = translator(stage).batch(4, [record(r.value, r.offset, partition=4) for r in records])
    assert [m.key for m in outbox.messages if m.topic == "wire.unique"] == [b"a"]
    assert outbox.held == 1
    assert outbox.dedup == {"new": 1, "duplicate": 1}
    changelog = [(m.key, m.value, m.partition) for m in outbox.messages if m.topic == "log"]
    assert changelog == [(b"a", b"1", 4), (b"b", b"1", 4), (b"expired", None, 4)]


class Reviser(Passthrough):
    """Every item an update, with the change kinds it says."""

    name = "reviser"

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        changes = {"kinds": record["kinds"]} if record["kinds"] is not None else None
        item = {**record, "dedup": {"status": "update"}, "changes": changes}
        return super().process(item, origin)

    assign = Tally.assign
    revoke = Tally.revoke

    def drain_changes(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        return []


def test_updates_are_counted_by_kind_of_change():
    values = [
        b'{"id":"a","kinds":["figure"]}',
        b'{"id":"b","kinds":["figure","paragraph_added"]}',
        b'{"id":"c","kinds":null}',
    ]
    outbox = translator(Reviser()).batch(0, [record(v, i) for i, v in enumerate(values)])
    assert outbox.update_changes == {"figure": 2, "paragraph_added": 1, "unknown": 1}


def test_an_output_too_big_for_a_message_is_dead_lettered_with_the_input():
    big = orjson.dumps({"id": "big", "body": "x" * 5_000})
    outbox = translator(Passthrough(), limit=4_000).batch(0, [record(big)])
    (message,) = outbox.messages
    letter = orjson.loads(message.value)
    assert (message.topic, letter["reason"]) == ("wire.dlq", "oversize")
    assert len(message.value) <= 4_000
    # The dead letter itself would not fit either: it keeps the head of the input and says so.
    assert "truncated" in letter["message"]
    assert big.startswith(base64.b64decode(letter["original_base64"]))


def test_raw_bytes_pass_through_and_items_must_be_objects():
    assert raw_bytes(None) == b""
    assert item_dict(b'{"a": 1}') == {"a": 1}
    for bad, reason in [
        (b"", Reason.EMPTY),
        (b"{", Reason.INVALID_ITEM),
        (b"3", Reason.INVALID_ITEM),
    ]:
        try:
            item_dict(bad)
        except ValueError as exc:
            assert exc.reason == reason  # type: ignore[attr-defined]
        else:
            raise AssertionError(f"{bad!r} decoded")


class Unserializable(Passthrough):
    name = "sets"

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        return [Emit("k", {**record, "tags": {"a", "b"}})]


def test_an_item_orjson_cannot_write_is_dead_lettered_with_the_input():
    value = b'{"id":"s"}'
    (message,) = translator(Unserializable()).batch(0, [record(value, 3)]).messages
    letter = orjson.loads(message.value)
    assert (message.topic, letter["reason"], letter["stage"]) == (
        "wire.dlq",
        "stage_error",
        "runtime",
    )
    assert base64.b64decode(letter["original_base64"]) == value
    assert letter["origin"]["offset"] == 3


def test_a_decision_made_upstream_in_a_chain_is_counted_on_the_items_out_of_its_end():
    class Plain(Passthrough):  # a later stage that decides nothing (as the enricher)
        name = "plain"

        def process(self, record: Any, origin: Origin) -> list[Outcome]:
            return [Emit(record["id"], {"id": record["id"]})]

    binding = Binding("pipe", [Tally(), Plain()], item_dict, "wire.items", "out", "dlq", "log")
    chain = Chain(binding.stages, held_back_through=True)
    records = [record(b'{"id":"a"}', 1), record(b'{"id":"b","hold":true}', 2)]
    outbox = RecordTranslator(binding, chain, clock=lambda: NOW).batch(2, records)
    assert outbox.dedup == {"new": 1, "duplicate": 1}
    assert outbox.held == 1
