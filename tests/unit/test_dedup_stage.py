"""The deduplicator stage contract: output fields, dead letters, never raising, determinism;
and the shingles it matches on."""

from __future__ import annotations

from typing import Any

import orjson
from dedup_items import BUS, QUETTA, wire_item
from hypothesis import given, settings
from hypothesis import strategies as st

from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.core.stage import StatefulStage
from wirestream.deduplicator import DedupConfig, Deduplicator
from wirestream.deduplicator.shingles import item_texts, shingle_hashes, strip_dateline, words

ORIGIN = Origin(topic="wire.items", partition=0, offset=41)


def test_is_a_stateful_stage_and_adds_the_dedup_fields():
    dedup = Deduplicator()
    assert isinstance(dedup, StatefulStage)
    item = wire_item(BUS)
    [outcome] = dedup.process(item, ORIGIN)
    assert isinstance(outcome, Emit)
    assert outcome.item == {
        **item,
        "story_id": item["id"],
        "version": 1,
        "dedup": {"status": "new", "matched_id": None, "similarity": None},
    }
    assert "dedup" not in item  # the input is not modified
    assert dedup.decisions == {"new": 1, "update": 0, "duplicate": 0, "kill": 0}
    assert dedup.entries() == 1


def invalid_items() -> dict[str, Any]:
    good = wire_item(QUETTA)
    return {
        "not an object": ["a", "list"],
        "no id": {**good, "id": None},
        "no body": {k: v for k, v in good.items() if k != "body_text"},
        "headline not text": {**good, "headline": 12},
        "bad subheadings": {**good, "subheadings": "Avondklok"},
        "bad agencies": {**good, "agencies": [{"name": "Reuters"}]},
        "bad time": {**good, "published_at": "gisteren"},
        "no time": {**good, "published_at": None, "fetched_at": None},
        "no words": {**good, "headline": None, "body_text": "QUETTA (ANP) - ... !"},
    }


def test_invalid_items_are_dead_lettered_with_their_original_bytes():
    dedup = Deduplicator()
    for case, item in invalid_items().items():
        [outcome] = dedup.process(item, ORIGIN)
        assert isinstance(outcome, DeadLetter), case
        assert outcome.reason is Reason.INVALID_ITEM, case
        assert orjson.loads(outcome.original) == item, case
        assert outcome.stage == "deduplicator"
        assert outcome.origin == ORIGIN
    assert dedup.dead_letters == len(invalid_items())
    assert dedup.entries() == 0


def test_dead_letter_names_the_source_when_it_can():
    [outcome] = Deduplicator().process({**wire_item(BUS), "id": ""}, ORIGIN)
    assert isinstance(outcome, DeadLetter)
    assert outcome.source == "anp-buitenland"
    assert outcome.message == "item has no id"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=6) | st.integers(),
        "headline": st.none() | st.text(max_size=40),
        "body_text": st.text(max_size=300) | json_values,
        "subheadings": st.lists(st.text(max_size=20), max_size=2) | json_values,
        "agencies": st.lists(st.fixed_dictionaries({"code": st.sampled_from(["ANP", "RTR"])})),
        "published_at": st.none()
        | st.sampled_from(["2026-02-01T09:30:00Z", "2026-02-04T09:30:00+01:00", "bad"]),
        "fetched_at": st.sampled_from(["2026-02-01T10:00:00Z", "2026-02-02T10:00:00"]),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(item_like | json_values, max_size=8))
def test_never_raises_and_is_deterministic(records):
    config = DedupConfig(max_entries=3)
    first, second = Deduplicator(config), Deduplicator(config)
    for record in records:
        a = first.process(record, ORIGIN)
        b = second.process(record, ORIGIN)
        assert len(a) == 1
        assert a == b
    assert first.drain_changes(0) == second.drain_changes(0)


def test_words_fold_case_accents_punctuation_agencies_and_relative_times():
    assert words("Oekraïense “regionale” autoriteiten, (ANP/RTR) in GENÈVE!") == [
        "oekraiense",
        "regionale",
        "autoriteiten",
        "in",
        "geneve",
    ]
    assert words("gevallen. 7 uur geledenDNIPRO") == ["gevallen", "dnipro"]
    assert words("hit 2 hours ago, 35 minuten geleden, gisteren") == ["hit"]
    assert words("Kyiv Мир") == ["kyiv", "мир"]


def test_dateline_is_stripped_only_when_it_is_one():
    assert strip_dateline("'S-HERTOGENBOSCH (ANP) - De rechtbank") == "De rechtbank"
    assert strip_dateline("WASHINGTON, March 9 (Reuters) - The Fed") == "The Fed"
    assert strip_dateline("NEW YORK — Stocks fell") == "Stocks fell"
    assert strip_dateline("De minister - zo bleek - zweeg") == "De minister - zo bleek - zweeg"


def test_shingles_ignore_the_dateline_and_keep_fields_apart():
    body = "Het dodental is opgelopen tot bijna tweehonderd."
    plain = shingle_hashes(item_texts(body, None, []), 3)
    dated = shingle_hashes(item_texts("QUETTA (ANP/RTR) - " + body, None, []), 3)
    assert plain == dated and len(plain) == 5
    with_headline = shingle_hashes(item_texts(body, "Onrust in Pakistan", []), 3)
    assert with_headline[:5] == plain  # the body's lead comes first
    assert len(with_headline) == 5 + 3 + 1  # three spanning the break, one in the headline
    assert shingle_hashes(["Korea"], 3) != shingle_hashes(["Rusland"], 3) != []
