"""A batch's messages grouped per destination partition, in order, the way the default
partitioner would route them one by one."""

from __future__ import annotations

from wirestream.core.partitioning import partition_for
from wirestream.core.runtime.sending import by_partition
from wirestream.core.runtime.translate import Message

PARTITIONS = {"wire.items": [0, 1, 2, 3], "wire.dlq": [0, 1]}


def test_keyed_messages_go_where_the_partitioner_sends_them_and_keep_their_order() -> None:
    keys = [b"geonames:2759794", b"geonames:2643743", b"~9f3a22c1d0b4e7a8"] * 5
    messages = [Message("wire.items", f"item {i}".encode(), k) for i, k in enumerate(keys)]
    grouped = by_partition(messages, PARTITIONS)
    assert sorted(m.value for group in grouped.values() for m in group) == sorted(
        m.value for m in messages
    )
    for (topic, partition), group in grouped.items():
        assert topic == "wire.items"
        assert all(partition_for(m.key, PARTITIONS[topic]) == partition for m in group)
        assert group == [m for m in messages if m in group]  # the input's order


def test_an_explicit_partition_wins_and_topics_stay_apart() -> None:
    changelog = [
        Message("wire.dedup-changelog", b"v", b"k", (), 5),
        Message("wire.dedup-changelog", None, b"j", (), 5),
    ]
    letter = Message("wire.dlq", b"letter", None)
    grouped = by_partition([changelog[0], letter, changelog[1]], PARTITIONS)
    assert grouped[("wire.dedup-changelog", 5)] == changelog
    assert next(d for d in grouped if d[0] == "wire.dlq")[1] in PARTITIONS["wire.dlq"]
    assert len(grouped) == 2
