"""Dedup state: round trips through snapshots and changelogs, the window and the cap."""

from __future__ import annotations

from typing import Any

import pytest
from dedup_items import BUS, FETCHED, GENERALS, POWER, QUETTA, TALKS, hours, wire_item

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import DedupConfig, Deduplicator
from wirestream.deduplicator.state import (
    META_KEY,
    StateError,
    decode_entry,
    entry_key,
    pack_records,
    unpack_records,
)

PARTITION = 3
ORIGIN = Origin(topic="wire.items", partition=PARTITION)
STORIES = [BUS, GENERALS, QUETTA, TALKS, POWER]


def news_stream() -> list[dict[str, Any]]:
    """Five days of a section: every 6 hours a page with one article and the teaser list,
    a revision now and then. Spans more than the default window."""
    items = []
    for tick in range(20):
        fetched = FETCHED + hours(6 * tick)
        story = STORIES[tick % len(STORIES)]
        paragraphs = story["paragraphs"]
        if tick % 7 == 3:
            paragraphs = [*paragraphs, f"Later op de dag volgde nummer {tick} van de updates."]
        items.append(wire_item(story, paragraphs=paragraphs, fetched_at=fetched, raw_id=f"p{tick}"))
        for position, teaser_story in enumerate(STORIES, start=1):
            if teaser_story is not story:
                items.append(
                    wire_item(
                        teaser_story,
                        kind="teaser",
                        fetched_at=fetched,
                        published_at=fetched - hours(position),
                        position=position,
                        raw_id=f"p{tick}",
                    )
                )
    return items


def run(dedup: Deduplicator, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    decisions = []
    for item in items:
        [outcome] = dedup.process(item, ORIGIN)
        assert isinstance(outcome, Emit)
        verdict = outcome.item["dedup"]
        decisions.append(
            (
                outcome.item["id"],
                outcome.item["story_id"],
                outcome.item["version"],
                verdict["status"],
                verdict["matched_id"],
                verdict["similarity"],
            )
        )
    return decisions


CONFIGS = {
    "default": DedupConfig(),
    "short window": DedupConfig(window_hours=20),
    "small cap": DedupConfig(max_entries=4),
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_restored_partition_decides_identically(config):
    items = news_stream()
    half = len(items) // 2
    original = Deduplicator(config)
    changelog: list[tuple[bytes, bytes | None]] = []
    for item in items[:half]:
        original.process(item, ORIGIN)
        changelog.extend(original.drain_changes(PARTITION))  # after every record: a batch
    snapshot = original.snapshot(PARTITION)

    from_changelog = Deduplicator(config)
    from_changelog.assign(PARTITION, changelog)
    from_snapshot = Deduplicator(config)
    from_snapshot.assign(PARTITION, unpack_records(snapshot))
    assert from_changelog.snapshot(PARTITION) == snapshot
    assert from_snapshot.snapshot(PARTITION) == snapshot
    assert from_changelog.entries() == original.entries() > 0

    expected = run(original, items[half:])
    assert run(from_changelog, items[half:]) == expected
    assert run(from_snapshot, items[half:]) == expected
    statuses = {decision[3] for decision in expected}
    assert statuses == {"new", "update", "duplicate"}


def test_changelog_has_tombstones_for_evicted_versions():
    dedup = Deduplicator(DedupConfig(window_hours=20))
    changelog = []
    for item in news_stream():
        dedup.process(item, ORIGIN)
        changelog.extend(dedup.drain_changes(PARTITION))
    tombstones = [key for key, value in changelog if value is None]
    assert len(tombstones) == dedup.evictions() > 0
    assert all(key.startswith(b"e:") for key in tombstones)
    live = {key for key, value in changelog if value is not None} - set(tombstones)
    assert len(live - {META_KEY}) == dedup.entries()


def test_drain_returns_each_change_once_and_meta_last_value():
    dedup = Deduplicator()
    dedup.process(wire_item(BUS, kind="teaser"), ORIGIN)
    dedup.process(wire_item(BUS), ORIGIN)
    changes = dedup.drain_changes(PARTITION)
    assert [key for key, _ in changes] == [entry_key(0), entry_key(1), META_KEY]
    record = decode_entry(entry_key(1), changes[1][1])
    assert (record.version, record.story_id) == (
        2,
        decode_entry(entry_key(0), changes[0][1]).item_id,
    )
    assert dedup.drain_changes(PARTITION) == []
    dedup.process(wire_item(BUS, kind="teaser", raw_id="again"), ORIGIN)  # a duplicate
    assert dedup.drain_changes(PARTITION) == []  # duplicates change nothing but the clock
    assert dedup.drain_changes(99) == []


def test_window_evicts_by_item_time_not_arrival():
    dedup = Deduplicator(DedupConfig(window_hours=72))
    old = wire_item(GENERALS, published_at=FETCHED - hours(90), fetched_at=FETCHED)
    dedup.process(wire_item(BUS, published_at=FETCHED - hours(10)), ORIGIN)
    [outcome] = dedup.process(old, ORIGIN)  # older than the window when it arrives
    assert isinstance(outcome, Emit) and outcome.item["dedup"]["status"] == "new"
    assert dedup.entries() == 1 and dedup.evictions() == 0
    dedup.process(wire_item(QUETTA, fetched_at=FETCHED + hours(63)), ORIGIN)
    assert dedup.entries() == 1 and dedup.evictions() == 1  # BUS is 73 hours behind
    [again] = dedup.process(wire_item(BUS, published_at=FETCHED - hours(10)), ORIGIN)
    assert isinstance(again, Emit) and again.item["dedup"]["status"] == "new"


def test_cap_evicts_oldest_first_and_counts():
    dedup = Deduplicator(DedupConfig(max_entries=3))
    for n, story in enumerate(STORIES):
        dedup.process(wire_item(story, fetched_at=FETCHED + hours(n)), ORIGIN)
    assert dedup.entries() == 3
    assert dedup.evictions() == 2
    # POWER (newest) is still known; BUS (oldest) is forgotten.
    [power] = dedup.process(wire_item(POWER, raw_id="x", fetched_at=FETCHED + hours(5)), ORIGIN)
    [bus] = dedup.process(wire_item(BUS, raw_id="x", fetched_at=FETCHED + hours(5)), ORIGIN)
    assert isinstance(bus, Emit) and isinstance(power, Emit)
    assert power.item["dedup"]["status"] == "duplicate"
    assert bus.item["dedup"]["status"] == "new"
    assert dedup.entries() == 3 and dedup.evictions() == 3


def test_a_story_lives_as_long_as_its_latest_version():
    dedup = Deduplicator(DedupConfig(max_entries=2))
    teaser = wire_item(BUS, kind="teaser", published_at=FETCHED)
    article = wire_item(BUS, published_at=FETCHED - hours(5))  # stamped earlier than its teaser
    dedup.process(teaser, ORIGIN)
    dedup.process(article, ORIGIN)
    dedup.process(wire_item(TALKS, published_at=FETCHED + hours(1)), ORIGIN)  # evicts one
    [again] = dedup.process(wire_item(BUS, raw_id="later", published_at=FETCHED), ORIGIN)
    assert isinstance(again, Emit)
    assert (again.item["dedup"]["status"], again.item["version"]) == ("duplicate", 2)


def test_revoke_forgets_and_assign_of_an_empty_changelog_starts_fresh():
    dedup = Deduplicator()
    dedup.process(wire_item(BUS), ORIGIN)
    dedup.revoke(PARTITION)
    assert dedup.entries() == 0
    dedup.assign(PARTITION, [])
    [outcome] = dedup.process(wire_item(BUS), ORIGIN)
    assert isinstance(outcome, Emit) and outcome.item["dedup"]["status"] == "new"


def test_snapshot_blob_round_trip_and_corruption():
    records = [(b"meta", b'{"v":1}'), (b"e:1", b"\x00\x01"), (b"e:0", None)]
    assert unpack_records(pack_records(records)) == records
    with pytest.raises(StateError):
        unpack_records(pack_records(records)[:-1])
    with pytest.raises(StateError):
        Deduplicator().assign(0, [(entry_key(0), b"not an entry")])
    with pytest.raises(StateError):
        Deduplicator().assign(0, [(META_KEY, b"{}")])


def test_verbatim_repeat_of_an_evicted_version_is_matched_by_its_shingles():
    dedup = Deduplicator(DedupConfig(max_entries=2))
    teaser = wire_item(BUS, kind="teaser", fetched_at=FETCHED)
    [first] = dedup.process(teaser, ORIGIN)
    [article] = dedup.process(wire_item(BUS, fetched_at=FETCHED + hours(1)), ORIGIN)
    dedup.process(wire_item(TALKS, fetched_at=FETCHED + hours(2)), ORIGIN)  # evicts the teaser
    [again] = dedup.process(teaser, ORIGIN)
    assert isinstance(first, Emit) and isinstance(article, Emit) and isinstance(again, Emit)
    assert again.item["dedup"] == {
        "status": "duplicate",
        "matched_id": article.item["id"],  # found inside the article, not as the old teaser
        "similarity": 1.0,
    }
    assert (again.item["story_id"], again.item["version"]) == (first.item["story_id"], 2)
