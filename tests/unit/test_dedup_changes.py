"""`changes` on updates: real-looking revisions, each with the exact record expected."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from dedup_items import BUS, wire_item
from hypothesis import given, settings
from hypothesis import strategies as st
from test_dedup_cases import decide
from test_ninjs import assert_ninjs

from schema_check import assert_valid, errors
from wirestream.deduplicator import Deduplicator
from wirestream.deduplicator.changes import changes_between, content_of, pack, summary, unpack
from wirestream.deduplicator.figures import tokens
from wirestream.deduplicator.state import decode_entry, unpack_records
from wirestream.ninjs import to_ninjs

# A Valencia flood story as ANP ran it, revised through the day.
FLOODS = {
    "headline": "Zeker twaalf doden door noodweer in Valencia",
    "dateline": "VALENCIA",
    "agencies": ["ANP", "EFE"],
    "paragraphs": [
        "Het dodental door het noodweer in de Spaanse regio Valencia is opgelopen tot 12. Dat "
        "melden de regionale hulpdiensten zaterdagochtend. Tientallen mensen worden nog "
        "vermist en duizenden huishoudens in de provincie zitten zonder stroom.",
        "In sommige dorpen viel binnen acht uur meer regen dan normaal in een heel jaar. "
        "Honderden inwoners brachten de nacht door op daken en in hoger gelegen gebouwen.",
        "De Spaanse regering stelt 1,5 miljoen euro beschikbaar voor de eerste noodhulp. "
        "Premier Pedro Sánchez bezoekt het gebied zondag.",
        "Op de snelweg tussen Valencia en Madrid geldt tot nader order een maximumsnelheid van "
        "100 kilometer per uur.",
    ],
}

# A Reuters business story in English.
DEAL = {
    "headline": "Chipmaker agrees to buy Dutch startup",
    "dateline": "EINDHOVEN",
    "agencies": ["RTR"],
    "paragraphs": [
        "A U.S. chipmaker agreed on Monday to buy a Dutch photonics startup for $1.2 billion, "
        "the companies said in a joint statement.",
        "The startup, founded in 2016, employs twelve engineers and about 300 workers at its "
        "plant near Eindhoven.",
    ],
}


def revised(story: dict[str, Any], paragraph: int, old: str, new: str, **fields: Any) -> dict:
    paragraphs = list(story["paragraphs"])
    assert old in paragraphs[paragraph]
    paragraphs[paragraph] = paragraphs[paragraph].replace(old, new)
    return wire_item(story, paragraphs=paragraphs, raw_id="page-2", **fields)


def changes_of(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    dedup = Deduplicator()
    decide(dedup, first)
    update = decide(dedup, then)
    assert (update["dedup"]["status"], update["version"]) == ("update", 2)
    return update["changes"]


def expected(**fields: Any) -> dict[str, Any]:
    """A changes record: nothing changed but `fields`."""
    empty: dict[str, Any] = {
        "kinds": [],
        "kind": None,
        "headline": None,
        "added_paragraphs": [],
        "removed_paragraphs": [],
        "changed_paragraphs": [],
        "added_subheadings": [],
        "added_agencies": [],
        "changed_figures": [],
    }
    return {**empty, **fields}


def figure(
    old: str, new: str, old_value: float, new_value: float, before: str = "", after: str = ""
):
    return {
        "old": old,
        "new": new,
        "old_value": old_value,
        "new_value": new_value,
        "before": before,
        "after": after,
    }


def test_a_revised_death_toll_is_a_changed_figure_with_what_it_counts():
    then = revised(FLOODS, 0, "opgelopen tot 12.", "opgelopen tot 27.")
    changes = changes_of(wire_item(FLOODS), then)
    assert changes == expected(
        kinds=["figure"],
        changed_paragraphs=[
            {
                "old": FLOODS["paragraphs"][0],
                "new": then["body_text"].split("\n\n")[0],
                "only_figures": True,
            }
        ],
        changed_figures=[figure("12", "27", 12, 27, before="dodental")],
    )
    assert summary(changes) == "dodental 12 → 27"


@pytest.mark.parametrize(
    ("story", "paragraph", "old", "new", "change"),
    [
        (
            FLOODS, 2, "1,5 miljoen euro", "2,1 miljoen euro",
            figure("1,5 miljoen", "2,1 miljoen", 1_500_000, 2_100_000, after="euro"),
        ),
        (
            FLOODS, 3, "100 kilometer per uur", "80 kilometer per uur",
            figure("100", "80", 100, 80, after="kilometer per uur"),
        ),
        (
            DEAL, 0, "$1.2 billion", "$1.5 billion",
            figure(
                "$1.2 billion", "$1.5 billion", 1.2e9, 1.5e9, before="photonics startup"
            ),
        ),
        (
            DEAL, 1, "twelve engineers", "fifteen engineers",
            figure("twelve", "fifteen", 12, 15, after="engineers"),
        ),
        (
            DEAL, 1, "about 300 workers", "about 1,300 workers",
            figure("300", "1,300", 300, 1300, after="workers"),
        ),
    ],
)  # fmt: skip
def test_figures_in_dutch_and_english_forms(story, paragraph, old, new, change):
    language = "en" if story is DEAL else "nl"
    first = wire_item(story) | {"language": language}
    changes = changes_of(first, revised(story, paragraph, old, new) | {"language": language})
    assert changes["kinds"] == ["figure"]
    assert changes["changed_figures"] == [change]


def test_a_number_written_out_the_other_way_is_not_a_changed_figure():
    changes = changes_of(wire_item(FLOODS), revised(FLOODS, 1, "binnen acht uur", "binnen 8 uur"))
    assert changes["changed_figures"] == []
    assert changes["kinds"] == ["text"]
    assert changes["changed_paragraphs"][0]["only_figures"] is False


def test_an_added_paragraph_is_listed_once_and_nothing_else():
    addition = "Rusland heeft nog niet gereageerd op de beschuldigingen uit Kyiv."
    then = wire_item(BUS, paragraphs=[*BUS["paragraphs"], addition], raw_id="page-2")
    changes = changes_of(wire_item(BUS), then)
    assert changes == expected(kinds=["paragraph_added"], added_paragraphs=[addition])
    assert summary(changes) == "+1 paragraph"


def test_a_removed_paragraph_is_listed():
    then = wire_item(BUS, paragraphs=BUS["paragraphs"][:2], raw_id="page-2")
    # Removing text alone adds no shingle: only with a new headline is it an update.
    then["headline"] = "Vijftien doden bij aanval op mijnwerkersbus"
    changes = changes_of(wire_item(BUS), then)
    assert changes == expected(
        kinds=["headline", "paragraph_removed"],
        headline={"old": BUS["headline"], "new": then["headline"]},
        removed_paragraphs=BUS["paragraphs"][2:],
    )


def test_a_new_headline():
    headline = "Zeker vijftien doden bij aanval op mijnwerkersbus"
    changes = changes_of(wire_item(BUS), wire_item(BUS, headline=headline, raw_id="page-2"))
    assert changes == expected(
        kinds=["headline"], headline={"old": BUS["headline"], "new": headline}
    )
    assert summary(changes) == f"headline “{headline}”"


def test_a_corrected_name_is_a_changed_paragraph():
    then = revised(BUS, 3, "Volodymyr Zelensky", "Volodymyr Zelenski")
    changes = changes_of(wire_item(BUS), then)
    assert changes == expected(
        kinds=["text"],
        changed_paragraphs=[
            {
                "old": BUS["paragraphs"][3],
                "new": BUS["paragraphs"][3].replace("Zelensky", "Zelenski"),
                "only_figures": False,
            }
        ],
    )
    assert summary(changes) == "~1 paragraph"


def test_an_agency_added():
    then = wire_item(BUS, agencies=["ANP", "RTR", "AFP"], raw_id="page-2")
    changes = changes_of(wire_item(BUS), then)
    assert changes == expected(kinds=["agency"], added_agencies=["AFP"])
    assert summary(changes) == "+AFP"


def test_a_subheading_added():
    then = wire_item(BUS, subheadings=["Oproep aan bondgenoten"], raw_id="page-2")
    changes = changes_of(wire_item(BUS), then)
    assert changes == expected(kinds=["subheading"], added_subheadings=["Oproep aan bondgenoten"])


def test_a_teaser_followed_by_its_article_says_so_instead_of_listing_the_article():
    changes = changes_of(wire_item(BUS, kind="teaser"), wire_item(BUS, raw_id="page-2"))
    assert changes == expected(kinds=["teaser_to_article"], kind="teaser → article")
    assert summary(changes) == "teaser → article"


def test_an_article_whose_lead_revised_the_teaser_toll():
    teaser = wire_item(FLOODS, kind="teaser")
    article = revised(FLOODS, 0, "opgelopen tot 12.", "opgelopen tot 27.")
    changes = changes_of(teaser, article)
    assert changes["kinds"] == ["teaser_to_article", "figure"]
    assert changes["changed_figures"] == [figure("12", "27", 12, 27, before="dodental")]
    assert summary(changes) == "teaser → article; dodental 12 → 27"


def test_a_revised_teaser_after_its_article_compares_with_the_lead_only():
    lead = FLOODS["paragraphs"][0].replace("opgelopen tot 12.", "opgelopen tot 14.")
    teaser = wire_item(FLOODS, kind="teaser", paragraphs=[lead.split(". ")[0] + "."])
    changes = changes_of(wire_item(FLOODS), teaser)
    assert changes["kinds"] == ["figure"]
    assert changes["changed_figures"] == [figure("12", "14", 12, 14, before="dodental")]
    assert changes["removed_paragraphs"] == []


def test_two_changes_in_one_revision_are_both_named():
    paragraphs = [*FLOODS["paragraphs"], "De Spaanse koning betuigde zijn medeleven."]
    paragraphs[0] = paragraphs[0].replace("tot 12.", "tot 27.")
    then = wire_item(FLOODS, paragraphs=paragraphs, raw_id="page-2")
    changes = changes_of(wire_item(FLOODS), then)
    assert changes["kinds"] == ["figure", "paragraph_added"]
    assert summary(changes) == "dodental 12 → 27; +1 paragraph"


def test_new_items_and_duplicates_carry_no_changes():
    dedup = Deduplicator()
    assert "changes" not in decide(dedup, wire_item(BUS))
    assert "changes" not in decide(dedup, wire_item(BUS, raw_id="page-2"))


def test_changes_survive_a_restore_from_the_changelog_and_from_a_snapshot():
    first, then = wire_item(FLOODS), revised(FLOODS, 0, "tot 12.", "tot 27.")
    straight = changes_of(first, then)
    dedup = Deduplicator()
    decide(dedup, first)
    changelog = dedup.drain_changes(0)
    for records in (changelog, unpack_records(dedup.snapshot(0))):
        restored = Deduplicator()
        restored.assign(0, records)
        assert decide(restored, then)["changes"] == straight


def test_only_the_latest_version_of_a_story_keeps_its_text_and_changes_are_history():
    dedup = Deduplicator()
    decide(dedup, wire_item(FLOODS))
    update = decide(dedup, revised(FLOODS, 0, "tot 12.", "tot 27."))
    written = [decode_entry(k, v) for k, v in dedup.drain_changes(0) if k.startswith(b"e:")]
    assert [orjson.loads(e.changes) if e.changes else None for e in written] == [
        None,
        update["changes"],
    ]
    kept = [
        decode_entry(key, value)
        for key, value in unpack_records(dedup.snapshot(0))
        if key.startswith(b"e:")
    ]
    assert [bool(entry.content) for entry in kept] == [False, True]
    assert [entry.changes for entry in kept] == [b"", b""]  # in the changelog, not in memory


def test_state_written_before_changes_existed_still_restores():
    """A format-1 record (no changes, no content): the next update has `changes` null."""
    dedup = Deduplicator()
    decide(dedup, wire_item(FLOODS))
    key, value = next(r for r in dedup.drain_changes(0) if r[0].startswith(b"e:"))
    entry = decode_entry(key, value)
    head = value[9 : 9 + int.from_bytes(value[1:5], "little")]
    old_head = head[: head.rindex(b",")] + b"]"  # without the changes field
    format_1 = (
        bytes([1]) + len(old_head).to_bytes(4, "little") + old_head + value[-len(entry.shingles) :]
    )
    restored = Deduplicator()
    restored.assign(0, [(key, format_1)])
    update = decide(restored, revised(FLOODS, 0, "tot 12.", "tot 27."))
    assert update["dedup"]["status"] == "update"
    assert update["changes"] is None


@pytest.mark.parametrize(
    ("text", "language", "values"),
    [
        ("1,5 miljoen mensen", "nl", [1_500_000]),
        ("1.5 million people", "en", [1_500_000]),
        ("1.200 huizen en 1,2 ton", "nl", [1200, 1.2]),
        ("1,200 houses and 1.5 km", "en", [1200, 1.5]),
        ("1.200,5 ton", "nl", [1200.5]),
        ("twaalf doden, twelve dead", "nl", [12, 12]),
        ("€3m and 4bn and 3,5%", "en", [3_000_000, 4_000_000_000, 3.5]),
        # Marks no convention reads as one decimal point (hypothesis found '1,1,1' raising).
        ("miljoen a 1,1,1", "en", [111]),
        ("1.2,3.4 ton", "nl", [1234]),
    ],
)
def test_number_forms(text, language, values):
    assert [t.value for t in tokens(text, language) if t.value is not None] == values


def test_content_keeps_subheading_lines_out_of_the_paragraphs():
    body = "Eerste alinea over de storm.\n\nOproep aan bondgenoten\n\nTweede alinea."
    content = content_of(body, "Kop", ["Oproep aan bondgenoten"], "article", "nl")
    assert content.paragraphs == ("Eerste alinea over de storm.", "Tweede alinea.")


def test_an_update_with_its_changes_validates_as_a_normalized_item():
    dedup = Deduplicator()
    decide(dedup, wire_item(FLOODS))
    update = decide(dedup, revised(FLOODS, 0, "tot 12.", "tot 27.", headline="Nieuwe kop"))
    enriched = {
        **update,
        "countries": ["ES"],
        "entities": {"people": [], "organisations": []},
        "topics": [],
        "enrichment_errors": [],
    }
    assert_valid("normalized-item.v1", enriched)
    ninjs = to_ninjs(enriched)  # ninjs has no field for changes: left out, still valid ninjs
    assert_ninjs(ninjs)
    assert b"changed_figures" not in orjson.dumps(ninjs)
    broken = {**enriched, "changes": {**update["changes"], "changed_figures": [{"old": "12"}]}}
    assert errors("normalized-item.v1", broken)


paragraph_text = st.lists(
    st.sampled_from(["a", "b", " ", "1", "2", ",", ".", "$", "€", "%", "…", "\n", "miljoen ",
                     "twaalf ", "tot "]),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    old=st.lists(paragraph_text, min_size=1, max_size=4),
    new=st.lists(paragraph_text, min_size=1, max_size=4),
    kinds=st.tuples(st.sampled_from(["article", "teaser"]), st.sampled_from(["article", "teaser"])),
)
def test_any_two_texts_compare_without_error(old, new, kinds):
    before = content_of("\n\n".join(old), "Kop", [], kinds[0], "nl")
    after = content_of("\n\n".join(new), "Kop", [], kinds[1], "en")
    changes = changes_between(unpack(pack(before)), ["ANP"], after, ["ANP", "RTR"])
    assert changes["kinds"] and changes["added_agencies"] == ["RTR"]
    assert isinstance(summary(changes), str)


def test_paragraphs_past_the_remembered_cap_are_not_reported_again():
    long = tuple(f"Alinea {i} over het noodweer in Valencia. " * 40 for i in range(30))
    before = content_of("\n\n".join(long), "Kop", [], "article", "nl")
    remembered = unpack(pack(before))
    assert len(remembered.paragraphs) < len(long) and remembered.cut
    addition = "De Spaanse koning betuigde zijn medeleven."
    after = content_of("\n\n".join([*long, addition]), "Kop", [], "article", "nl")
    changes = changes_between(remembered, ["ANP"], after, ["ANP"])
    assert changes["added_paragraphs"] == [addition]
    assert changes["removed_paragraphs"] == []
