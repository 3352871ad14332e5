"""Kafka's default partitioner, bit for bit: the Java client's test vectors and aiokafka's own
implementation agree with ours, so a key lands where any other client would put it."""

from __future__ import annotations

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from wirestream.core.partitioning import kafka_partitioner, murmur2, partition_for


def _signed(h: int) -> int:
    return h - (1 << 32) if h >= 1 << 31 else h


# org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed 32-bit as Java returns them)
@pytest.mark.parametrize(
    ("key", "java"),
    [
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        (b"abc", 479470107),
    ],
)
def test_murmur2_matches_the_java_clients_test_vectors(key: bytes, java: int) -> None:
    assert _signed(murmur2(key)) == java


def test_murmur2_matches_aiokafka_on_every_length_and_byte() -> None:
    rng = random.Random(16)
    keys = [bytes(rng.randrange(256) for _ in range(n)) for n in range(70) for _ in range(20)]
    keys += [b"geonames:2759794", b"~9f3a22c1d0b4e7a8", "’s-Hertogenbosch".encode()]
    assert [murmur2(k) for k in keys] == [aiokafka_murmur2(k) for k in keys]


def test_a_key_goes_where_aiokafkas_default_partitioner_sends_it() -> None:
    partitions = list(range(12))
    keys = [f"geonames:{n}".encode() for n in range(2000)]
    ours = [kafka_partitioner(k, partitions, partitions) for k in keys]
    assert ours == [DefaultPartitioner()(k, partitions, partitions) for k in keys]
    assert ours == [partition_for(k, partitions) for k in keys]
    assert set(ours) == set(partitions)  # and spreads over all of them


def test_a_message_without_a_key_goes_to_some_partition() -> None:
    seen = {partition_for(None, [3, 5, 8]) for _ in range(200)}
    assert seen == {3, 5, 8}
    assert kafka_partitioner(None, [0, 1, 2], [2]) == 2  # an available one when known
