"""What `wirestream demo` watches: the stages' output printed as it arrives, a running tally,
and when the sample data has flowed through every stage."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from wirestream.commands.tail import dead_letter_line, item_line
from wirestream.core.config import Settings
from wirestream.pipeline import STAGES, stage_topics

if TYPE_CHECKING:
    from wirestream.commands.demo import Service

SUMMARY_EVERY = 2.0  # seconds between running summaries while items arrive
CHECK_EVERY = 0.5  # seconds between "has everything flowed through?" checks


@dataclass(slots=True)
class Tally:
    """What came out of the pipeline so far."""

    statuses: Counter[str] = field(default_factory=Counter)  # new / update on the output
    duplicates: int = 0  # the deduplicator's count: duplicates are not published
    dead_letters: Counter[str] = field(default_factory=Counter)  # by reason

    def line(self) -> str:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.dead_letters.items()))
        return (
            f"summary: new {self.statuses['new']}  update {self.statuses['update']}"
            f"  duplicate {self.duplicates}  dead-letter {sum(self.dead_letters.values())}"
            + (f" ({reasons})" if reasons else "")
        )


class FlowWatch:
    """Reads what the stages write (read_committed, from the moment the demo starts), prints
    it, and tells when the data has flowed through: every group has committed past everything
    its upstream wrote, and everything the last stage wrote has been read."""

    def __init__(
        self,
        settings: Settings,
        services: list[Service],
        consumer: AIOKafkaConsumer,
        admin: AIOKafkaAdminClient,
        partitions: dict[str, list[TopicPartition]],
    ) -> None:
        self.settings = settings
        self.topics = settings.topics
        self.services = {s.stage: s for s in services}
        self.consumer = consumer
        self.admin = admin
        self.partitions = partitions
        self.tally = Tally()
        self.last_offset: dict[TopicPartition, int] = {}

    @classmethod
    async def start(
        cls, settings: Settings, services: list[Service], admin: AIOKafkaAdminClient
    ) -> FlowWatch:
        topics = settings.topics
        described = await admin.describe_topics(
            [topics.raw, topics.items, topics.unique, topics.normalized, topics.dlq]
        )
        partitions = {
            d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
            for d in described
        }
        consumer = AIOKafkaConsumer(
            **settings.client_kwargs(),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        followed = [topics.items, topics.unique, topics.normalized, topics.dlq]
        consumer.assign([tp for topic in followed for tp in partitions[topic]])
        await consumer.seek_to_end()  # what earlier runs left in these topics is not ours
        return cls(settings, services, consumer, admin, partitions)

    async def close(self) -> None:
        await self.consumer.stop()

    async def follow(self, stop: asyncio.Event, *, once: bool, timeout: float) -> int:
        started = last_summary = last_check = time.monotonic()
        shown = ""
        while not stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    self._show(record)
            now = time.monotonic()
            if now - last_summary >= SUMMARY_EVERY:
                last_summary = now
                await self._count_duplicates()
                if self.tally.line() != shown:
                    shown = self.tally.line()
                    print(shown, flush=True)
            self._check_services()
            if once and now - last_check >= CHECK_EVERY:
                last_check = now
                if await self.flowed_through():
                    await self._count_duplicates(attempts=5)
                    print(f"done: {self.tally.line()}", flush=True)
                    return 0
                if now - started > timeout:
                    print(f"wirestream demo: not through after {timeout:.0f}s", file=sys.stderr)
                    print(self.tally.line(), flush=True)
                    return 1
        await self._count_duplicates(attempts=5)
        print(f"stopping: {self.tally.line()}", flush=True)
        return 0

    def _show(self, record: ConsumerRecord) -> None:
        tp = TopicPartition(record.topic, record.partition)
        self.last_offset[tp] = record.offset
        if record.topic == self.topics.normalized:
            item = orjson.loads(record.value)
            self.tally.statuses[(item.get("dedup") or {}).get("status", "-")] += 1
            print(item_line(item), flush=True)
        elif record.topic == self.topics.dlq:
            letter = orjson.loads(record.value)
            self.tally.dead_letters[letter.get("reason", "?")] += 1
            print(dead_letter_line(letter), flush=True)

    def _check_services(self) -> None:
        for service in self.services.values():
            code = service.exited()
            if code is not None:
                raise SystemExit(
                    f"wirestream demo: {service.stage} exited ({code}):\n{service.log_tail()}"
                )

    async def flowed_through(self) -> bool:
        """Each stage has committed past all its input; all output has been read."""
        for stage in STAGES:
            topic = stage_topics(self.topics)[stage][0]
            if not await self._committed_past(topic, self.services[stage].group):
                return False
        return await self._read_to_end(self.topics.normalized) and await self._read_to_end(
            self.topics.dlq
        )

    async def _committed_past(self, topic: str, group: str) -> bool:
        """Whether `group` has committed past every record of `topic`. Offsets of transactional
        topics end with a commit marker a consumer never commits past, so for those (read by
        this watch) the bar is the last record actually read, once read to the end."""
        partitions = self.partitions[topic]
        committed = await self.admin.list_consumer_group_offsets(group, partitions=partitions)
        if topic == self.topics.raw:  # written by the idempotent producer: no markers
            ends = await self.consumer.end_offsets(partitions)
            return all(
                (committed[tp].offset if tp in committed else -1) >= end
                for tp, end in ends.items()
                if end > 0
            )
        if not await self._read_to_end(topic):
            return False
        return all(
            tp in committed and committed[tp].offset > self.last_offset[tp]
            for tp in partitions
            if tp in self.last_offset
        )

    async def _read_to_end(self, topic: str) -> bool:
        partitions = self.partitions[topic]
        ends = await self.consumer.end_offsets(partitions)
        return all([await self.consumer.position(tp) >= end for tp, end in ends.items()])

    async def _count_duplicates(self, attempts: int = 1) -> None:
        """The deduplicator's duplicate decisions, from its /metrics. A failed scrape keeps the
        last count (the next summary tries again); the final one tries `attempts` times."""
        url = self.services["deduplicator"].metrics_url
        for attempt in range(attempts):
            try:
                async with (
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http,
                    http.get(url) as response,
                ):
                    text = await response.text()
                break
            except (aiohttp.ClientError, TimeoutError):
                if attempt == attempts - 1:
                    return
                await asyncio.sleep(0.5)
        self.tally.duplicates = int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == "wirestream_dedup_decisions"
                for sample in family.samples
                if sample.name.endswith("_total") and sample.labels.get("status") == "duplicate"
            )
        )
