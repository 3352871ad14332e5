"""The deduplication cases of issue 4, each on realistic wire items."""

from __future__ import annotations

from typing import Any

from dedup_items import BUS, FETCHED, GENERALS, POWER, QUETTA, TALKS, hours, wire_item

from wirestream.core.records import Emit, Origin
from wirestream.deduplicator import Deduplicator

ORIGIN = Origin(topic="wire.items", partition=0, offset=0)


def decide(dedup: Deduplicator, item: dict[str, Any]) -> dict[str, Any]:
    [outcome] = dedup.process(item, ORIGIN)
    assert isinstance(outcome, Emit)
    assert outcome.key == outcome.item["story_id"]
    assert outcome.publish == (outcome.item["dedup"]["status"] != "duplicate")
    return outcome.item


def teaser_page(fetched_hours: float, raw_id: str) -> list[dict[str, Any]]:
    """A page's "Meer uit Buitenland" list: each teaser published at a fixed moment, seen
    `fetched_hours` after the first scrape (so its relative time reads differently)."""
    fetched = FETCHED + hours(fetched_hours)
    return [
        wire_item(
            story,
            kind="teaser",
            published_at=FETCHED - hours(age),
            fetched_at=fetched,
            position=position,
            raw_id=raw_id,
        )
        for position, (story, age) in enumerate(
            [(GENERALS, 5), (BUS, 7), (QUETTA, 12), (TALKS, 10)], start=1
        )
    ]


def page(fetched_hours: float, raw_id: str) -> list[dict[str, Any]]:
    article = wire_item(POWER, published_at=FETCHED - hours(1), raw_id=raw_id)
    article["fetched_at"] = (FETCHED + hours(fetched_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [article, *teaser_page(fetched_hours, raw_id)]


def test_identical_rescrape_with_shifted_relative_times_is_all_duplicates():
    dedup = Deduplicator()
    first = [decide(dedup, item) for item in page(0, "scrape-1")]
    assert [item["dedup"]["status"] for item in first] == ["new"] * 5
    for shift in (0.25, 3):
        again = [decide(dedup, item) for item in page(shift, f"scrape-{shift}")]
        assert [item["dedup"]["status"] for item in again] == ["duplicate"] * 5
        assert [item["story_id"] for item in again] == [item["story_id"] for item in first]
        assert [item["version"] for item in again] == [1] * 5
        assert [item["dedup"]["matched_id"] for item in again] == [item["id"] for item in first]
        assert all(item["dedup"]["similarity"] == 1.0 for item in again)


def test_relative_times_left_in_the_text_do_not_matter():
    dedup = Deduplicator()
    clean = wire_item(BUS, kind="teaser")
    decide(dedup, clean)
    scraped = wire_item(BUS, kind="teaser", raw_id="page-2")
    scraped["body_text"] = "DNIPRO (ANP/RTR) - " + scraped["body_text"] + "\n7 uur geleden"
    assert decide(dedup, scraped)["dedup"]["status"] == "duplicate"


def test_same_teaser_list_on_another_article_page_hours_later_is_duplicates():
    dedup = Deduplicator()
    decide(dedup, wire_item(POWER, published_at=FETCHED - hours(1)))
    first = [decide(dedup, item) for item in teaser_page(0, "power-page")]
    other_article = wire_item(GENERALS, fetched_at=FETCHED + hours(4), raw_id="generals-page")
    # The GENERALS article arrives with the teaser list; its teaser was already seen.
    assert decide(dedup, other_article)["dedup"]["status"] == "update"
    later = [decide(dedup, item) for item in teaser_page(4, "generals-page")]
    assert [item["dedup"]["status"] for item in later] == ["duplicate"] * 4
    assert [item["story_id"] for item in later] == [item["story_id"] for item in first]


def test_teaser_first_then_its_full_article_is_an_update_version_2():
    dedup = Deduplicator()
    teaser = decide(dedup, wire_item(BUS, kind="teaser", position=2))
    article = decide(dedup, wire_item(BUS, raw_id="bus-page", fetched_at=FETCHED + hours(2)))
    assert (teaser["dedup"]["status"], teaser["version"]) == ("new", 1)
    assert article["dedup"]["status"] == "update"
    assert article["version"] == 2
    assert article["story_id"] == teaser["story_id"]
    assert article["dedup"]["matched_id"] == teaser["id"]
    assert article["dedup"]["similarity"] >= 0.95  # the teaser lies inside the article


def test_full_article_first_then_its_teaser_is_a_duplicate():
    dedup = Deduplicator()
    article = decide(dedup, wire_item(QUETTA))
    teaser = decide(dedup, wire_item(QUETTA, kind="teaser", position=4, raw_id="other-page"))
    assert teaser["dedup"]["status"] == "duplicate"
    assert (teaser["story_id"], teaser["version"]) == (article["story_id"], 1)
    assert teaser["dedup"]["matched_id"] == article["id"]


def test_truncated_teaser_of_a_seen_article_is_a_duplicate():
    dedup = Deduplicator()
    decide(dedup, wire_item(QUETTA))
    lead = QUETTA["paragraphs"][0]
    cut = lead[: lead.index("banken") + 3] + "…"  # cut inside a word
    teaser = decide(dedup, wire_item(QUETTA, kind="teaser", paragraphs=[cut]))
    assert teaser["dedup"]["status"] == "duplicate"


def revisions() -> dict[str, dict[str, Any]]:
    paragraphs = BUS["paragraphs"]
    return {
        "number changed": wire_item(
            BUS, paragraphs=[paragraphs[0].replace("vijftien", "zeventien"), *paragraphs[1:]]
        ),
        "paragraph added": wire_item(
            BUS,
            paragraphs=[
                *paragraphs,
                "Rusland heeft nog niet gereageerd op de beschuldigingen uit Kyiv.",
            ],
        ),
        "sub-heading added": wire_item(BUS, subheadings=["Oproep aan bondgenoten"]),
        "agency added": wire_item(BUS, agencies=["ANP", "RTR", "AFP"]),
        "new headline": wire_item(
            BUS, headline="Zeker vijftien doden bij aanval op mijnwerkersbus"
        ),
    }


def test_revised_articles_are_updates():
    for change, revised in revisions().items():
        dedup = Deduplicator()
        original = decide(dedup, wire_item(BUS))
        result = decide(dedup, revised)
        assert result["dedup"]["status"] == "update", change
        assert result["story_id"] == original["story_id"], change
        assert result["version"] == 2, change


def test_revision_of_a_teaser_is_an_update_and_the_old_teaser_then_a_duplicate():
    dedup = Deduplicator()
    lead = BUS["paragraphs"][0]
    old = decide(dedup, wire_item(BUS, kind="teaser"))
    revised = wire_item(BUS, kind="teaser", paragraphs=[lead.replace("vijftien", "zestien")])
    assert decide(dedup, revised)["dedup"]["status"] == "update"
    again = decide(dedup, wire_item(BUS, kind="teaser", raw_id="page-9"))
    assert (again["dedup"]["status"], again["story_id"]) == ("duplicate", old["story_id"])
    assert again["version"] == 2  # the story's latest version


def test_two_stories_with_the_same_dateline_on_the_same_day_are_both_new():
    dedup = Deduplicator()
    morning = decide(dedup, wire_item(TALKS, published_at=FETCHED - hours(3)))
    evening = decide(dedup, wire_item(POWER, published_at=FETCHED - hours(1)))
    assert morning["dateline"]["raw"] == evening["dateline"]["raw"] == "KYIV"
    assert [morning["dedup"]["status"], evening["dedup"]["status"]] == ["new", "new"]
    assert morning["story_id"] != evening["story_id"]


BOILERPLATE = "Dat meldt de politie in een verklaring op haar website."
SHORT_STORIES = [
    "Bij een steekpartij in een winkelcentrum is een man gewond geraakt. " + BOILERPLATE,
    "Een vrachtwagen is op de snelweg in brand gevlogen, de bestuurder bleef ongedeerd. "
    + BOILERPLATE,
    "Twee tieners zijn aangehouden na een inbraak in een sporthal. " + BOILERPLATE,
    "Een vermiste wandelaar is ongedeerd teruggevonden in de bergen. " + BOILERPLATE,
]


def test_short_items_sharing_boilerplate_are_not_merged():
    dedup = Deduplicator()
    story = {"dateline": "BERLIJN", "agencies": ["ANP", "DPA"], "paragraphs": [], "headline": None}
    results = [
        decide(dedup, wire_item(story, kind="teaser", paragraphs=[text], position=n))
        for n, text in enumerate(SHORT_STORIES)
    ]
    assert [r["dedup"]["status"] for r in results] == ["new"] * len(SHORT_STORIES)
    assert len({r["story_id"] for r in results}) == len(SHORT_STORIES)


def test_a_bare_boilerplate_line_does_not_join_a_story_that_contains_it():
    dedup = Deduplicator()
    story = {"dateline": "BERLIJN", "agencies": ["ANP"], "paragraphs": [], "headline": None}
    decide(dedup, wire_item(story, kind="teaser", paragraphs=[SHORT_STORIES[0]]))
    bare = decide(dedup, wire_item(story, kind="teaser", paragraphs=[BOILERPLATE], position=1))
    assert bare["dedup"]["status"] == "new"


def test_partitions_are_deduplicated_independently():
    dedup = Deduplicator()
    [first] = dedup.process(wire_item(BUS), Origin(partition=0))
    [other] = dedup.process(wire_item(BUS), Origin(partition=1))
    assert isinstance(first, Emit) and isinstance(other, Emit)
    assert first.item["dedup"]["status"] == other.item["dedup"]["status"] == "new"
    assert dedup.partition_entries() == {0: 1, 1: 1}
