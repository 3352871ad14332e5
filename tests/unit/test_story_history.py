"""`wirestream story` and `tail --format pretty` on changes, from a real deduplicator's
changelog records (no broker: the Kafka test reads them from one)."""

from __future__ import annotations

from datetime import datetime

import orjson
from dedup_items import BUS, FETCHED, hours, wire_item
from test_dedup_changes import FLOODS, revised

from wirestream.commands.story import story_versions, version_line, version_record
from wirestream.commands.tail import item_line
from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import DedupConfig, Deduplicator


def decide(dedup: Deduplicator, item: dict, partition: int = 0) -> dict:
    [outcome] = dedup.process(item, Origin("wire.items", partition, 0))
    assert isinstance(outcome, Emit)
    return outcome.item


def later(n: float) -> datetime:
    return FETCHED + hours(n)


def changelog(dedup: Deduplicator, partitions: list[int]) -> list[tuple[int, bytes, bytes | None]]:
    return [(p, key, value) for p in partitions for key, value in dedup.drain_changes(p)]


def test_story_lists_every_version_with_its_changes_in_order():
    dedup = Deduplicator()
    first = decide(dedup, wire_item(FLOODS))
    decide(dedup, wire_item(BUS), partition=1)  # another story, another partition
    second = decide(dedup, revised(FLOODS, 0, "tot 12.", "tot 27.", fetched_at=later(2)))
    paragraphs = [*second["body_text"].split("\n\n"), "De Spaanse koning betuigde zijn medeleven."]
    third = decide(
        dedup,
        wire_item(FLOODS, paragraphs=paragraphs, raw_id="page-3", fetched_at=later(3)),
    )
    versions = story_versions(changelog(dedup, [0, 1]), first["story_id"])
    assert [v.item_id for v in versions] == [first["id"], second["id"], third["id"]]
    lines = [version_line(v) for v in versions]
    assert lines == [
        f"v1   2026-02-01 09:30Z  new     {first['id']}  “{FLOODS['headline']}”",
        "v2   2026-02-01 11:30Z  update  dodental 12 → 27",
        "v3   2026-02-01 12:30Z  update  +1 paragraph",
    ]
    record = orjson.loads(version_record(versions[1]))
    assert record["changes"] == second["changes"]
    assert (record["version"], record["story_id"]) == (2, first["story_id"])


def test_versions_that_left_the_window_are_gone_from_the_story():
    dedup = Deduplicator(DedupConfig(window_hours=1))
    first = decide(dedup, wire_item(FLOODS))
    records = changelog(dedup, [0])
    decide(dedup, wire_item(BUS, fetched_at=later(5)))  # evicts the floods story
    records += changelog(dedup, [0])
    assert story_versions(records, first["story_id"]) == []


def test_tail_prints_an_update_with_its_changes_in_one_line():
    dedup = Deduplicator()
    decide(dedup, wire_item(FLOODS))
    update = decide(dedup, revised(FLOODS, 0, "tot 12.", "tot 27."))
    head, changes = item_line(update).split("\n")
    assert head.startswith(f"update    {update['story_id'][:12]} v2  VALENCIA")
    assert changes == " " * 10 + "update v2: dodental 12 → 27"
    assert "\n" not in item_line(decide(dedup, wire_item(BUS)))  # new items: one line
