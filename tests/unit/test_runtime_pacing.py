"""When a partition's processed records become a transaction, without a broker: the bound's
growth under a backlog and its reset, the pipe's due, eager and full decisions, and records
returned again by the consumer dropped by what was processed, not only what was committed."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from wirestream.core.runtime.ownership import OwnedPartition
from wirestream.core.runtime.pacing import SLICE_MAX_S, PartitionPipe, TransactionBound
from wirestream.core.runtime.translate import Outbox

TP = TopicPartition("wire.raw", 0)


def test_a_partition_that_keeps_up_commits_whatever_it_has_processed():
    bound = TransactionBound(0.05, 0.5)
    bound.observe(False, 10.0)
    assert not bound.backlog(10.0) and bound.due(0.0, 10.0)
    bound.observe(True, 10.0)  # just fell behind: still at once
    assert bound.due(0.0, 10.04)


def test_under_a_lasting_backlog_each_transaction_may_hold_twice_the_processing():
    bound = TransactionBound(0.05, 0.5)
    bound.observe(True, 10.0)
    now = 10.05
    assert bound.backlog(now)
    assert not bound.due(0.049, now) and bound.due(0.05, now)
    seen = []
    for _ in range(5):
        bound.began(now)
        seen.append(bound.seconds)
    assert seen == [0.1, 0.2, 0.4, 0.5, 0.5]
    bound.observe(False, now)  # caught up: starts over
    assert bound.seconds == 0.05 and bound.behind_since is None


def test_a_bound_of_zero_commits_as_soon_as_possible_and_stays_zero():
    bound = TransactionBound(0.0, 0.5)
    bound.observe(True, 1.0)
    bound.began(1.0)
    assert bound.seconds == 0.0 and bound.due(0.0, 1.0)


def pipe(max_records: int = 3) -> PartitionPipe:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
    owned = OwnedPartition(TP, active=True, producer=producer)
    return PartitionPipe(owned, producer, TransactionBound(0.05, 0.5), max_records)


def processed(pipe: PartitionPipe, records: int, seconds: float) -> None:
    pipe.outbox.consumed += records
    pipe.outbox.next_offset += records
    pipe.processed_s += seconds


async def test_an_empty_outbox_is_never_due_and_a_full_one_always_is():
    p = pipe(max_records=3)
    p.bound.observe(True, 0.0)
    assert not p.due(0.0)
    processed(p, 1, 0.001)
    assert p.due(0.01)  # behind for less than the first bound
    assert not p.due(1.0)  # a lasting backlog: 1 ms of processing is not enough
    processed(p, 2, 0.001)
    assert p.full() and p.due(1.0)  # a fetch's worth of records


async def test_processing_waits_once_an_outbox_holds_the_longest_bound():
    p = pipe(max_records=500)
    processed(p, 10, 0.499)
    assert not p.full()
    processed(p, 1, 0.001)
    assert p.full()


async def test_only_an_idle_pipe_whose_next_record_would_be_due_takes_one_at_a_time():
    p = pipe()
    assert p.eager(0.0)
    p.committing = asyncio.get_running_loop().create_future()  # a transaction in flight
    assert not p.eager(0.0)
    p.committing = None
    p.bound.observe(True, 0.0)
    assert p.eager(0.04) and not p.eager(0.05)
    p.bound = TransactionBound(0.0, 0.5)  # no bound: every record as soon as possible
    p.bound.observe(True, 0.0)
    assert p.eager(1.0)


async def test_under_a_backlog_a_slice_runs_until_the_outbox_is_due_and_never_long():
    p = pipe(max_records=500)
    assert p.slice_s(0.0) == 0.0  # idle and keeping up: one record, committed on its own
    p.committing = asyncio.get_running_loop().create_future()
    processed(p, 1, 0.001)
    assert p.slice_s(0.0) == SLICE_MAX_S  # keeping up: until its commit ends (`may_begin`)
    p.bound.observe(True, 0.0)
    p.bound.seconds = 0.2
    assert p.slice_s(1.0) == SLICE_MAX_S  # 199 ms of processing before it is due
    processed(p, 10, 0.17)
    assert p.slice_s(1.0) == pytest.approx(0.029)  # the rest of the bound
    processed(p, 1, 0.03)
    assert p.due(1.0) and p.slice_s(1.0) == SLICE_MAX_S  # due: until its commit ends


async def test_a_transaction_may_begin_once_nothing_is_in_flight_and_the_outbox_is_due():
    p = pipe(max_records=500)
    assert not p.may_begin(0.0)  # nothing processed
    assert not p.may_begin(0.0, force=True)
    processed(p, 1, 0.001)
    assert p.may_begin(0.0)  # keeping up: at once
    p.committing = asyncio.get_running_loop().create_future()
    assert not p.may_begin(0.0) and not p.may_begin(0.0, force=True)
    p.committing = None
    p.bound.observe(True, 0.0)
    assert not p.may_begin(1.0)  # a lasting backlog: 1 ms of processing is not due
    assert p.may_begin(1.0, force=True)  # a stop or a rebalance commits it anyway
    p.owned.active = False
    assert not p.may_begin(1.0, force=True)  # suspended: nothing of it may commit


async def test_taking_the_outbox_leaves_an_empty_one_and_a_new_producer_ends_the_pipe():
    p = pipe()
    processed(p, 2, 0.01)
    taken = p.take()
    assert taken.consumed == 2 and p.outbox == Outbox() and p.processed_s == 0.0
    assert p.current()
    p.owned.producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")  # reactivated
    assert not p.current()
    p.owned.active = False
    assert not p.current()


async def test_records_processed_already_are_dropped_even_before_their_commit():
    p = pipe()
    records = deque(record(offset) for offset in range(5))
    p.unprocessed(records)
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]  # nothing processed yet
    p.outbox.consumed, p.outbox.next_offset = 3, 3  # 0-2 in the open outbox
    p.processed()
    again = deque(record(offset) for offset in range(5))  # a fetch returned them again
    p.unprocessed(again)
    assert [r.offset for r in again] == [3, 4]
    p.take()
    p.processed()  # an empty outbox moves nothing back
    assert p.next_offset == 3


async def test_behind_is_judged_from_what_was_processed_even_once_the_outbox_is_taken():
    p = pipe()
    p.outbox.consumed, p.outbox.next_offset = 4, 14  # 10-13 processed
    p.processed()
    assert not p.behind(15)  # 14 is the transaction marker after offset 13
    assert p.behind(16)
    p.take()  # a transaction took the outbox: the pipe is where it was
    assert not p.behind(15)
    assert not p.behind(None)  # no fetch has told the last stable offset yet


def record(offset: int) -> ConsumerRecord:
    return ConsumerRecord(TP.topic, TP.partition, offset, 0, 0, None, b"x", None, 0, 1, ())
