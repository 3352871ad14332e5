"""Stateful stages keep their state in a compacted changelog topic, partition p for input
partition p; on (re)assignment a partition's state is read back from it."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from wirestream.core.clients import partition_counts
from wirestream.core.config import Settings


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

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions it reads now: none between restores."""
        return frozenset(self._consumer.assignment())

    async def read(self, topic: str, partition: int) -> list[tuple[bytes, bytes | None]]:
        tp = TopicPartition(topic, partition)
        self._consumer.assign([tp])
        await self._consumer.seek_to_beginning(tp)
        end = (await self._consumer.end_offsets([tp]))[tp]
        changes: list[tuple[bytes, bytes | None]] = []
        try:
            while await self._consumer.position(tp) < end:
                fetched = await self._consumer.getmany(tp, timeout_ms=500, max_records=10_000)
                changes.extend((r.key, r.value) for r in fetched.get(tp, ()))
        finally:
            # Assigned, the partition would be fetched on in the background for as long as
            # the service runs: a fetch every 20 ms while the partition has no new changes.
            self._consumer.unsubscribe()
        return changes


async def check_changelog(settings: Settings, changelog_topic: str, input_topic: str) -> None:
    """Refuse to start with fewer changelog partitions than input partitions: the state of an
    input partition would have nowhere to go."""
    counts = await partition_counts(settings, [changelog_topic, input_topic])
    changelog, inputs = counts[changelog_topic], counts[input_topic]
    if changelog < inputs:
        raise RuntimeError(
            f"changelog {changelog_topic} has {changelog} partitions, "
            f"input {input_topic} has {inputs}: need one per input partition"
        )
