"""The chain's memoized work (issue 16): a cached answer is the one the function computes, and
a chain whose caches are warm emits exactly what a chain with cold caches does."""

from __future__ import annotations

import orjson
import pytest
from dedup_items import BUS, wire_item

from wirestream.core.chain import Chain
from wirestream.core.records import DeadLetter, Origin
from wirestream.deduplicator import changes
from wirestream.deduplicator import stage as dedup_stage
from wirestream.deduplicator.changes import content_of
from wirestream.deduplicator.shingles import item_texts, shingle_hashes
from wirestream.deduplicator.stage import DedupInput, InvalidItem, agency_codes, item_time
from wirestream.generator import generate
from wirestream.normalizer import dateline, page, timeparse
from wirestream.pipeline import PipelineOptions, build_stages

MEMOS = (
    dateline.parse_opening,
    page.read_teaser_line,
    timeparse.time_prefix_length,
    timeparse.is_time_line,
    dedup_stage._seconds,
    dedup_stage._folded_place,
    dedup_stage._agency_list,
    dedup_stage._packed_shingles,
    changes._key,
)
ORIGIN = Origin(topic="wire.raw", partition=0)
# The CRF recogniser memoizes nothing of this chain and costs most of its time: left out.
WITHOUT_ENTITIES = PipelineOptions(enrichers=("dateline", "agencies", "countries", "topics"))


def clear_memos() -> None:
    for memo in MEMOS:
        memo.cache_clear()


def run_chain(records: list[bytes]) -> list[bytes]:
    chain = Chain(build_stages(WITHOUT_ENTITIES))
    rows = []
    for record in records:
        for outcome in chain.process(record, ORIGIN):
            if isinstance(outcome, DeadLetter):
                rows.append(orjson.dumps([outcome.reason, outcome.message, outcome.stage]))
            else:
                body = orjson.dumps(outcome.item, option=orjson.OPT_SORT_KEYS)
                rows.append(orjson.dumps([outcome.key, outcome.publish, outcome.decision]) + body)
    return rows


def test_a_chain_with_warm_caches_emits_what_one_with_cold_caches_does():
    records = generate(11, 25).records()
    clear_memos()
    cold = run_chain(records)
    assert dateline.parse_opening.cache_info().hits > 0  # teaser lists did repeat
    warm = run_chain(records)
    assert len(cold) > len(records)  # pages split into several items
    assert warm == cold


@pytest.mark.parametrize(
    "line",
    [
        "AMSTERDAM (ANP) - Het kabinet wil ...",
        "5 uur geledenDNIPRO (ANP/RTR) - Bij een aanval",
        "WASHINGTON, March 9 (Reuters) - The U.S. ...",
        "(AP) — A storm hit",
        "Die Regierung - sagte",
        "13 uur geleden",
        "Gisteren vertrok de trein.",
    ],
)
def test_cached_line_answers_are_the_computed_ones(line):
    for memo in MEMOS[:4]:
        memo.cache_clear()
        first = memo(line)
        assert memo(line) is first  # the second answer came from the cache
        assert memo.__wrapped__(line) == first


def test_an_items_content_units_are_computed_once_and_as_content_of_gives_them():
    item = wire_item(BUS)
    sighting = DedupInput(item, 4)
    content = sighting.content()
    assert sighting.content() is content
    assert content == content_of(
        item["body_text"], item.get("headline"), item.get("subheadings") or [], "article", "nl"
    )


def test_a_memoized_item_time_still_refuses_a_bad_time_each_time():
    dedup_stage._seconds.cache_clear()
    assert item_time("2026-02-01T12:00:00+01:00", None) == 1769943600.0
    assert item_time("2026-02-01T12:00:00+01:00", "2026-02-01T10:00:00Z") == 1769940000.0
    for _ in range(2):  # errors are never cached as answers
        with pytest.raises(InvalidItem, match="published_at is not an RFC 3339 time"):
            item_time("gisteren", None)


def test_memoized_shingles_are_the_computed_ones_in_text_order():
    item = wire_item(BUS)
    texts = item_texts(item["body_text"], item["headline"], item["subheadings"])
    expected = shingle_hashes(texts, 4)
    dedup_stage._packed_shingles.cache_clear()
    assert DedupInput(item, 4).shingles() == expected
    assert DedupInput(item, 4).shingles() == expected  # from the memo
    assert dedup_stage._packed_shingles.cache_info().hits == 1
    assert DedupInput(item, 3).shingles() == shingle_hashes(texts, 3)  # size is in the key


def test_memoized_agency_lists_are_upper_case_sorted_once_and_bad_codes_refused_each_time():
    listed = [{"code": "rtr", "name": None}, {"code": "ANP"}, {"code": "RTR"}]
    assert agency_codes(listed) == ("ANP", "RTR")
    assert agency_codes(list(reversed(listed))) is agency_codes(listed)  # one shared tuple
    assert agency_codes([]) == ()
    for _ in range(2):
        with pytest.raises(InvalidItem, match="an agency has no code"):
            agency_codes([{"code": "ANP"}, {"name": "Reuters"}])


def test_a_teaser_line_gives_its_leading_time_to_the_teaser_before_and_keeps_its_own():
    page.read_teaser_line.cache_clear()
    read = page.read_teaser_line(
        "5 uur geledenDNIPRO (ANP) - Bij een aanval vielen doden. 2 uur geleden"
    )
    assert read.given_time == "5 uur geleden"
    assert not read.skipped
    assert read.opening is not None and read.opening.dateline.place == "DNIPRO"
    assert (read.text, read.time_text) == ("Bij een aanval vielen doden.", "2 uur geleden")
    assert page.read_teaser_line("13 uur geleden").skipped
    assert page.read_teaser_line("Meer uit Buitenland").skipped
    teasers = page.split_page(
        [
            "Meer uit Buitenland",
            "DNIPRO (ANP) - Eerste.",
            "5 uur geledenKYIV (ANP) - Tweede.",
            "13 uur geleden",
        ]
    ).teasers
    assert [(t.paragraphs, t.time_text) for t in teasers] == [
        (["Eerste."], "5 uur geleden"),
        (["Tweede."], "13 uur geleden"),
    ]
