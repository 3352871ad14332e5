"""Partition ownership without a broker: the backoff of partitions and of fetches, the fencing
delay, the suspend and reactivate decisions of an owned partition, and what suspending one
does to the consumer, readiness and metrics (an unstarted consumer with a manual assignment
needs no broker)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    ConcurrentTransactions,
    CoordinatorLoadInProgressError,
    KafkaConnectionError,
    KafkaError,
    ProducerFenced,
)
from aiokafka.producer.sender import AddPartitionsToTxnHandler

from wirestream.core.config import settings_from_env
from wirestream.core.http import Health
from wirestream.core.logging import get_logger
from wirestream.core.metrics import Metrics
from wirestream.core.runtime.codec import raw_bytes
from wirestream.core.runtime.ownership import (
    FIRST_ADD_RETRY_MS,
    TRANSACTION_RETRY_BACKOFF_MS,
    FetchBackoff,
    OwnedPartition,
    PartitionOwnership,
    not_ready_reason,
    retry_delay,
    transactional_producer,
)
from wirestream.core.runtime.translate import Binding
from wirestream.normalizer import Normalizer

TP = TopicPartition("wire.raw", 3)
SESSION_MS = 10_000


def record(offset: int) -> ConsumerRecord:
    return ConsumerRecord(TP.topic, TP.partition, offset, 0, 0, None, b"x", None, 0, 1, ())


def test_the_backoff_doubles_from_a_fifth_of_a_second_up_to_ten_seconds():
    delays = [retry_delay(n, fenced=False, session_timeout_ms=SESSION_MS) for n in range(1, 9)]
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0]


def test_failed_fetches_back_off_to_five_seconds_and_a_good_fetch_ends_the_streak():
    backoff = FetchBackoff()
    assert [backoff.failed() for _ in range(8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert backoff.failures == 8
    assert backoff.succeeded() == 8
    assert backoff.succeeded() == 0  # a streak is reported once
    assert backoff.failed() == 0.2


def test_a_fenced_producer_waits_two_session_timeouts_whatever_the_streak():
    assert retry_delay(1, fenced=True, session_timeout_ms=SESSION_MS) == 20.0
    assert retry_delay(6, fenced=True, session_timeout_ms=45_000) == 90.0


def test_consecutive_failures_back_off_further_and_a_commit_ends_the_streak():
    owned = OwnedPartition(TP)
    error = KafkaConnectionError()
    assert [owned.fail(error, SESSION_MS) for _ in range(3)] == [0.2, 0.4, 0.8]
    owned.commit(42)
    assert owned.next_offset == 42
    assert owned.fail(error, SESSION_MS) == 0.2


def test_a_fenced_failure_is_told_apart_from_broker_trouble():
    owned = OwnedPartition(TP)
    assert owned.fail(ProducerFenced(), SESSION_MS) == 20.0
    assert owned.failures == 1


def test_a_suspended_partition_is_due_for_activation_once_its_backoff_is_over():
    owned = OwnedPartition(TP, resume_at=100.0)
    assert not owned.due(99.9)
    assert owned.due(100.0)
    owned.resume(7)
    assert owned.active and owned.next_offset == 7
    assert not owned.due(1_000.0)  # active partitions are never reactivated


def test_records_from_before_the_committed_offset_are_not_processed_again():
    owned = OwnedPartition(TP, active=True, next_offset=5)
    assert [r.offset for r in owned.fresh([record(o) for o in range(3, 8)])] == [5, 6, 7]


def test_readiness_names_the_suspended_partitions():
    owned = [OwnedPartition(TopicPartition("wire.raw", p), active=p != 1) for p in range(3)]
    assert not_ready_reason(owned) == "partitions suspended: [1]"
    assert not_ready_reason(o for o in owned if o.active) is None


@pytest.fixture
async def ownership():
    settings = settings_from_env("normalizer", {"KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    binding = Binding("normalizer", [Normalizer()], raw_bytes, "wire.raw", "wire.items", "dlq")
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id="g")
    consumer.assign([TP])
    metrics, health = Metrics("normalizer"), Health()
    yield PartitionOwnership(settings, binding, consumer, metrics, health, get_logger()), consumer
    await consumer.stop()


async def test_suspending_pauses_the_partition_and_schedules_its_reactivation(ownership):
    ownership, consumer = ownership
    owned = ownership.owned.setdefault(TP, OwnedPartition(TP, active=True, next_offset=9))
    before = time.monotonic()
    await ownership.suspend(owned, KafkaConnectionError())
    assert not owned.active and owned.failures == 1
    assert before + 0.2 <= owned.resume_at <= time.monotonic() + 0.2
    assert consumer.paused() == {TP}
    assert not ownership.health.ready
    assert ownership.health.reason == "partition 3 suspended: KafkaConnectionError"
    labels = {"service": "normalizer", "error": "KafkaConnectionError"}
    registry = ownership.metrics.registry
    assert registry.get_sample_value("wirestream_broker_retries_total", labels) == 1
    await ownership.reactivate_due()  # not due yet: nothing changes
    assert not owned.active and consumer.paused() == {TP}


async def test_a_partitions_producer_retries_a_concurrent_transaction_after_milliseconds():
    """The coordinator answers "concurrent transactions" to a transaction's first add while the
    previous commit's markers are written; the installed aiokafka's handler, on the producer
    the service builds, retries that after FIRST_ADD_RETRY_MS, not its own 20 ms, and other
    retriable answers after the service's retry backoff."""
    producer = transactional_producer(settings_from_env("normalizer", {}), "group.wire.raw.3")
    add = AddPartitionsToTxnHandler(producer._sender, [TP])

    def answered(error: type[KafkaError]) -> SimpleNamespace:
        return SimpleNamespace(errors=[(TP.topic, [(TP.partition, error.errno)])])

    try:
        assert add.handle_response(answered(ConcurrentTransactions)) == FIRST_ADD_RETRY_MS / 1000
        assert FIRST_ADD_RETRY_MS < 20
        loading = answered(CoordinatorLoadInProgressError)
        assert add.handle_response(loading) == TRANSACTION_RETRY_BACKOFF_MS / 1000
    finally:
        await producer.stop()
