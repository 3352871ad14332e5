"""The agency's guid and version decide first: update, duplicate, kill; the text comparison
still links copies without a guid. Items come from the real ANSA NewsML-G2 fixture, its
version attribute and pubStatus changed the way an agency's next version changes them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from schema_check import assert_valid
from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import Deduplicator
from wirestream.normalizer import Normalizer

ANSA = Path(__file__).resolve().parent.parent / "fixtures" / "formats" / "newsmlg2_ansa.xml"
ORIGIN = Origin(topic="wire.items", partition=0, offset=1)
TEXT = ANSA.read_text(encoding="utf-8")
ADDED = "Spanish Prime Minister Mariano Rajoy has called an emergency cabinet meeting."


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def g2(
    normalizer: Normalizer,
    *,
    version: int = 1,
    status: str = "usable",
    extra: str = "",
    fetched: str = "2017-10-11T10:00:00Z",
) -> dict:
    body = TEXT.replace('guid="tag:ansa.it', f'version="{version}" guid="tag:ansa.it', 1).replace(
        ' version="1" xml:lang', " xml:lang", 1
    )
    body = body.replace("stat:usable", f"stat:{status}").replace(
        "negotiations.\n", f"negotiations.\n   {extra}\n" if extra else "negotiations.\n"
    )
    envelope = {
        "source": "ansa",
        "fetched_at": fetched,
        "content_type": "application/xml",
        "body": body,
    }
    (outcome,) = normalizer.process(orjson.dumps(envelope), Origin())
    assert isinstance(outcome, Emit)
    assert outcome.item["agency_item"]["version"] == version
    return outcome.item


def decide(dedup: Deduplicator, item: dict) -> Emit:
    (outcome,) = dedup.process(item, ORIGIN)
    assert isinstance(outcome, Emit)
    assert_valid("wire-item.v1", outcome.item)
    return outcome


def test_higher_version_is_an_update_same_version_a_duplicate(normalizer):
    dedup = Deduplicator()
    first = decide(dedup, g2(normalizer, version=1))
    assert first.item["dedup"]["status"] == "new"
    again = decide(dedup, g2(normalizer, version=1, fetched="2017-10-11T11:00:00Z"))
    assert (again.item["dedup"]["status"], again.publish) == ("duplicate", False)
    second = decide(dedup, g2(normalizer, version=2, extra=ADDED))
    assert second.item["dedup"]["status"] == "update"
    assert second.item["story_id"] == first.item["story_id"]
    assert second.item["version"] == 2
    assert second.item["dedup"]["matched_id"] == first.item["id"]
    stale = decide(dedup, g2(normalizer, version=1, fetched="2017-10-11T12:00:00Z"))
    assert stale.item["dedup"]["status"] == "duplicate"  # an older version arriving late


def test_higher_version_with_the_same_text_is_still_an_update(normalizer):
    dedup = Deduplicator()
    decide(dedup, g2(normalizer, version=1))
    corrected = decide(dedup, g2(normalizer, version=3))
    assert (corrected.item["dedup"]["status"], corrected.item["version"]) == ("update", 2)


def test_canceled_and_withheld_are_kills_published_once(normalizer):
    for status in ("canceled", "withheld"):
        dedup = Deduplicator()
        first = decide(dedup, g2(normalizer, version=1))
        kill = decide(dedup, g2(normalizer, version=2, status=status))
        assert (kill.item["dedup"]["status"], kill.publish) == ("kill", True)
        assert kill.item["story_id"] == first.item["story_id"]
        assert kill.item["version"] == 2
        repeat = decide(dedup, g2(normalizer, version=2, status=status))
        assert repeat.item["dedup"]["status"] == "duplicate"
        assert dedup.decisions["kill"] == 1


def test_kill_of_an_unseen_guid_is_still_published(normalizer):
    kill = decide(Deduplicator(), g2(normalizer, status="canceled"))
    assert (kill.item["dedup"]["status"], kill.publish) == ("kill", True)


def test_text_comparison_links_a_page_teaser_to_the_agency_item(normalizer):
    dedup = Deduplicator()
    item = g2(normalizer, version=1)
    agency = decide(dedup, item)
    teaser = {k: v for k, v in item.items() if k != "agency_item"}
    lead = ". ".join(item["body_text"].split(". ")[:2]) + "."
    teaser.update(id="teaser-1", kind="teaser", headline=None, body_text=lead)
    linked = decide(dedup, teaser)
    assert linked.item["story_id"] == agency.item["story_id"]
    assert linked.item["dedup"]["status"] == "duplicate"


def test_an_update_by_guid_is_found_by_text_afterwards(normalizer):
    dedup = Deduplicator()
    decide(dedup, g2(normalizer, version=1))
    update = decide(dedup, g2(normalizer, version=2, extra=ADDED))
    copy = {
        k: v
        for k, v in update.item.items()
        if k not in ("agency_item", "story_id", "version", "dedup")
    }
    rescrape = decide(dedup, {**copy, "id": "page-copy"})
    assert rescrape.item["story_id"] == update.item["story_id"]
    assert rescrape.item["dedup"]["status"] == "duplicate"


def test_identities_survive_a_restore_from_the_changelog(normalizer):
    dedup = Deduplicator()
    first = decide(dedup, g2(normalizer, version=1))
    changelog = dedup.drain_changes(0)
    assert any(key.startswith(b"g:") for key, _ in changelog)
    restored = Deduplicator()
    restored.assign(0, changelog)
    update = decide(restored, g2(normalizer, version=2, extra=ADDED))
    assert (update.item["dedup"]["status"], update.item["story_id"]) == (
        "update",
        first.item["story_id"],
    )
    snapshot_copy = Deduplicator()
    from wirestream.deduplicator.state import unpack_records

    snapshot_copy.assign(0, unpack_records(restored.snapshot(0)))
    again = decide(snapshot_copy, g2(normalizer, version=2, extra=ADDED))
    assert again.item["dedup"]["status"] == "duplicate"


def test_an_update_by_guid_carries_its_changes(normalizer):
    dedup = Deduplicator()
    decide(dedup, g2(normalizer, version=1))
    second = decide(dedup, g2(normalizer, version=2, extra=ADDED))
    # The sentence is added inside the last paragraph: that paragraph changed.
    [paragraph] = second.item["changes"]["changed_paragraphs"]
    assert second.item["changes"]["kinds"] == ["text"]
    assert paragraph["new"] == f"{paragraph['old']} {ADDED}"
    same_text = decide(dedup, g2(normalizer, version=3, extra=ADDED))
    assert same_text.item["changes"]["kinds"] == ["other"]  # a new version, nothing visible
