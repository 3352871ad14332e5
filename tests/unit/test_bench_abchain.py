"""bench/abchain.py compares the two sides' outputs by rows and one digest: a changed item
changes the digest but not the decisions, a dead letter keeps its reason."""

from __future__ import annotations

from dataclasses import replace

from bench.abchain import outcome_rows

from wirestream.core.records import DeadLetter, Emit, Origin
from wirestream.generator import generate
from wirestream.normalizer import Normalizer


def test_rows_keep_ids_decisions_and_reasons_and_the_digest_sees_a_changed_item():
    normalizer = Normalizer()
    outcomes = [
        outcome
        for record in generate(5, 20).records()
        for outcome in normalizer.process(record, Origin())
    ]
    rows, digest = outcome_rows(outcomes, DeadLetter)
    letters = [o for o in outcomes if isinstance(o, DeadLetter)]
    assert letters, "the generator's bad inputs give dead letters"
    assert [r[1] for r in rows if r[0] == "dead-letter"] == [str(o.reason) for o in letters]
    emits = [o for o in outcomes if isinstance(o, Emit)]
    assert [r[1] for r in rows if r[0] == "emit"] == [o.item["id"] for o in emits]

    first = outcomes.index(emits[0])
    changed = list(outcomes)
    changed[first] = replace(emits[0], item=emits[0].item | {"headline": "Another headline"})
    changed_rows, changed_digest = outcome_rows(changed, DeadLetter)
    assert changed_digest != digest
    assert [r[:4] for r in changed_rows] == [r[:4] for r in rows]
    assert changed_rows[first][4] != rows[first][4]


def test_clear_memos_empties_the_bounded_memos_and_keeps_loaded_tables():
    from bench.abchain import clear_memos

    from wirestream.deduplicator import stage as dedup_stage
    from wirestream.enricher.subjects import topic_rules
    from wirestream.normalizer import dateline

    dateline.parse_opening("AMSTERDAM (ANP) - Het kabinet")
    dedup_stage._folded_place("GENÈVE")
    rules = topic_rules()
    assert dateline.parse_opening.cache_info().currsize > 0

    assert clear_memos("wirestream") >= 2
    assert dateline.parse_opening.cache_info().currsize == 0
    assert dedup_stage._folded_place.cache_info().currsize == 0
    assert topic_rules() is rules  # `functools.cache`: loaded once, kept
