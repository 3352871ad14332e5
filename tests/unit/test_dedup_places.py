"""Issue 14: one story whatever the dateline says — exonyms, transliterations, a story re-filed
from another city, copy without a dateline, the same text from two agencies. Each case runs
raw copy through the normalizer (which resolves the canonical place) into the deduplicator."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import DedupConfig, Deduplicator
from wirestream.normalizer import Normalizer

ORIGIN = Origin(topic="wire.items", partition=0, offset=0)
HEADLINE = "Doden bij aanval op energiecentrale"
LEAD = (
    "Bij een aanval met drones op een energiecentrale zijn in de nacht van maandag op dinsdag "
    "zeker zeven mensen om het leven gekomen. Dat melden de regionale autoriteiten."
)
SECOND = (
    "Tientallen mensen raakten gewond. Een groot deel van de stad zit zonder stroom, meldt het "
    "energiebedrijf, dat verwacht de schade binnen enkele dagen te herstellen."
)
ADDED = "Het dodental is inmiddels opgelopen tot negen, meldt de burgemeester."
OTHER_TEASER = "ROME (ANP) - Italië heeft een nieuwe regering, meldt het persbureau ANSA."


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def article(normalizer: Normalizer, dateline: str | None, *paragraphs: str) -> dict[str, Any]:
    """The page's article as the normalizer makes it; without a dateline, the page still has
    a dated teaser under it (a page without any dateline is not wire copy)."""
    first = f"{dateline} - {paragraphs[0]}" if dateline else paragraphs[0]
    body = "\n".join([HEADLINE, first, *paragraphs[1:], "Meer uit Buitenland", OTHER_TEASER])
    envelope = {
        "source": "test",
        "fetched_at": "2026-02-01T12:00:00Z",
        "content_type": "text/plain",
        "body": body + "\n",
    }
    outcomes = normalizer.process(orjson.dumps(envelope), ORIGIN)
    assert isinstance(outcomes[0], Emit) and outcomes[0].item["kind"] == "article"
    return outcomes[0].item


def decide(dedup: Deduplicator, item: dict[str, Any]) -> tuple[str, str, int]:
    [outcome] = dedup.process(item, ORIGIN)
    assert isinstance(outcome, Emit)
    return outcome.item["dedup"]["status"], outcome.item["story_id"], outcome.item["version"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("PARIJS (ANP)", "PARIS (ANP)"),  # exonym
        ("BRUSSEL (ANP)", "BRUSSELS (ANP)"),
        ("KEULEN (ANP)", "COLOGNE (ANP)"),
        ("DEN BOSCH (ANP)", "'S-HERTOGENBOSCH (ANP)"),
        ("KIEV (ANP)", "KYIV (ANP)"),  # transliteration
        ("KHARKOV (ANP)", "KHARKIV (ANP)"),
        ("DNEPR (ANP)", "DNIPRO (ANP)"),
        ("ODESSA (ANP)", "ODESA (ANP)"),
    ],
)
def test_an_exonym_or_transliteration_of_the_dateline_is_the_same_story(normalizer, first, second):
    one = article(normalizer, first, LEAD, SECOND)
    other = article(normalizer, second, LEAD, SECOND)
    assert one["routing_key"] == other["routing_key"]  # one partition
    dedup = Deduplicator()
    status, story_id, _ = decide(dedup, one)
    assert (status, story_id) == ("new", one["id"])
    assert decide(dedup, other) == ("duplicate", one["id"], 1)


def test_the_same_text_from_a_second_agency_updates_the_story(normalizer):
    dedup = Deduplicator()
    afp = article(normalizer, "PARIS (AFP)", LEAD, SECOND)
    both = article(normalizer, "PARIJS (ANP/AFP)", LEAD, SECOND)
    assert decide(dedup, afp) == ("new", afp["id"], 1)
    assert decide(dedup, both) == ("update", afp["id"], 2)  # ANP is new to the story
    assert decide(dedup, article(normalizer, "PARIS (ANP)", LEAD, SECOND)) == (
        "duplicate",
        afp["id"],
        2,
    )


def test_a_story_re_filed_from_another_city_meets_its_story(normalizer):
    dedup = Deduplicator()
    first = article(normalizer, "DEN HAAG (ANP)", LEAD, SECOND)
    refiled = article(normalizer, "AMSTERDAM (ANP)", LEAD, SECOND, ADDED)
    assert first["routing_key"] != refiled["routing_key"]
    assert decide(dedup, first) == ("new", first["id"], 1)
    assert decide(dedup, refiled) == ("update", first["id"], 2)  # a paragraph added
    same_again = article(normalizer, "ROTTERDAM (ANP)", LEAD, SECOND)
    assert decide(dedup, same_again) == ("duplicate", first["id"], 2)


def test_places_must_agree_when_matching_outside_the_place_rule_is_off(normalizer):
    dedup = Deduplicator(DedupConfig(lead_across_places=False))
    first = article(normalizer, "DEN HAAG (ANP)", LEAD, SECOND)
    refiled = article(normalizer, "AMSTERDAM (ANP)", LEAD, SECOND)
    assert decide(dedup, first) == ("new", first["id"], 1)
    assert decide(dedup, refiled) == ("new", refiled["id"], 1)


def test_copy_without_a_dateline_meets_its_dated_story_either_way_round(normalizer):
    dated = article(normalizer, "KYIV (ANP)", LEAD, SECOND)
    undated = article(normalizer, None, LEAD, SECOND)
    assert undated["dateline"] is None and undated["routing_key"].startswith("~")
    dedup = Deduplicator()
    assert decide(dedup, dated) == ("new", dated["id"], 1)
    assert decide(dedup, undated) == ("duplicate", dated["id"], 1)  # no agency, no new text
    dedup = Deduplicator()
    assert decide(dedup, undated) == ("new", undated["id"], 1)
    assert decide(dedup, dated) == ("update", undated["id"], 2)  # ANP is new to the story


def test_the_same_opening_words_from_another_city_with_another_story_stay_apart(normalizer):
    dedup = Deduplicator()
    first = article(normalizer, "KYIV (ANP)", LEAD, SECOND)
    other = article(
        normalizer,
        "ODESA (ANP)",
        "Bij een aanval met drones op een haven zijn dinsdag twee schepen in brand gevlogen.",
        "De brandweer had het vuur na enkele uren onder controle. Er vielen geen gewonden.",
    )
    assert decide(dedup, first)[0] == "new"
    assert decide(dedup, other) == ("new", other["id"], 1)


def test_a_restored_partition_still_matches_outside_the_place_rule(normalizer):
    dedup = Deduplicator()
    first = article(normalizer, "DEN HAAG (ANP)", LEAD, SECOND)
    decide(dedup, first)
    restored = Deduplicator()
    restored.assign(ORIGIN.partition, dedup.drain_changes(ORIGIN.partition))
    undated = article(normalizer, None, LEAD, SECOND, ADDED)
    assert decide(restored, undated) == ("update", first["id"], 2)
