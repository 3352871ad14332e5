"""The enricher stage: configurable chain, failures marked not dropped, never raises."""

from __future__ import annotations

import copy
import gc
import json

import orjson
import pytest
from enricher_fixtures import FIXTURES, page_items, wire_item
from hypothesis import given, settings
from hypothesis import strategies as st

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.core.stage import Stage
from wirestream.deduplicator import DedupConfig
from wirestream.enricher import ENRICHERS, Enricher
from wirestream.enricher.enrichment import Enrichment
from wirestream.normalizer import Normalizer
from wirestream.pipeline import STAGES, PipelineOptions, build_stage, build_stages

ORIGIN = Origin(topic="wire.unique", partition=2, offset=7)


class Broken:
    name = "broken"
    events = ()

    def enrich(self, item, text) -> Enrichment:
        raise RuntimeError("gazetteer file is corrupt")


def test_is_a_stage_and_emits_one_item_keyed_by_story_id():
    enricher = Enricher()
    assert isinstance(enricher, Stage)
    [out] = enricher.process(wire_item("Tekst.", story_id="story-9"), ORIGIN)
    assert isinstance(out, Emit)
    assert out.key == "story-9"
    [out] = enricher.process(wire_item("Tekst.", dateline="SION", story_id=None), ORIGIN)
    assert out.key == "SION"  # the routing key when there is no story yet


def test_output_is_a_valid_normalized_item_and_the_input_is_untouched():
    item = wire_item("De Russische president Vladimir Poetin.", dateline="MOSKOU")
    item.update(version=1, dedup={"status": "new", "matched_id": None, "similarity": None})
    before = copy.deepcopy(item)
    [out] = Enricher().process(item, ORIGIN)
    assert item == before
    assert_valid("normalized-item.v1", out.item)
    assert out.item["enrichment_errors"] == []
    assert out.item["dateline"]["country_code"] == "RU"


def test_counters_start_at_zero_for_the_configured_chain():
    assert Enricher(["dateline", "agencies", "topics"]).counters == {
        "gazetteer_misses": 0,
        "unknown_agencies": 0,
        "errors.dateline": 0,
        "errors.agencies": 0,
        "errors.topics": 0,
    }


def test_the_chain_is_chosen_by_name():
    [out] = Enricher(["agencies"]).process(wire_item("De Russische president."), ORIGIN)
    assert out.item["agencies"][0]["name"] == "Algemeen Nederlands Persbureau"
    assert out.item["countries"] == []  # not configured: present but empty
    assert out.item["dateline"]["country_code"] is None
    with pytest.raises(ValueError, match="unknown enrichers"):
        Enricher(["agencies", "horoscope"])


def test_a_failing_enricher_marks_the_item_and_the_rest_still_run(monkeypatch):
    monkeypatch.setitem(ENRICHERS, "broken", Broken)
    enricher = Enricher(["broken", "countries"])
    [out] = enricher.process(wire_item("In Oekraïne."), ORIGIN)
    assert out.item["enrichment_errors"] == ["broken: RuntimeError: gazetteer file is corrupt"]
    assert out.item["countries"] == ["UA"]
    assert enricher.counters["errors.broken"] == 1


@pytest.mark.parametrize("record", [None, b"bytes", ["a", "list"], {"no": "routing key"}])
def test_a_record_that_is_not_an_item_is_dead_lettered(record):
    [out] = Enricher().process(record, ORIGIN)
    assert isinstance(out, DeadLetter)
    assert out.reason is Reason.INVALID_ITEM
    assert out.stage == "enricher"
    assert out.origin == ORIGIN
    assert out.original


def test_deterministic():
    items = page_items()
    first = [orjson.dumps(o.item) for i in items for o in Enricher().process(i, ORIGIN)]
    second = [orjson.dumps(o.item) for i in items for o in Enricher().process(i, ORIGIN)]
    assert first == second


@settings(max_examples=150, deadline=None)
@given(
    headline=st.one_of(st.none(), st.text(max_size=80)),
    body=st.text(max_size=400),
    place=st.one_of(st.none(), st.text(max_size=30)),
    codes=st.lists(st.text(min_size=1, max_size=8), max_size=4),
)
def test_never_raises_on_arbitrary_text(headline, body, place, codes):
    item = wire_item(body, headline=headline, dateline="X", agencies=tuple(codes))
    item["dateline"]["place"] = place
    [out] = Enricher().process(item, ORIGIN)
    assert isinstance(out, Emit)
    assert out.item["topics"]


def test_the_fixture_page_through_normalizer_and_enricher():
    body = (FIXTURES / "buitenland_page.txt").read_text("utf-8")
    raw = json.dumps(
        {
            "source": "fixture",
            "fetched_at": "2026-02-01T12:00:00Z",
            "content_type": "text/plain",
            "body": body,
        }
    ).encode()
    enricher = Enricher()
    items = [
        enriched.item
        for emitted in Normalizer().process(raw, ORIGIN)
        for enriched in enricher.process(emitted.item, ORIGIN)
    ]
    by_dateline = {item["dateline"]["raw"]: item for item in items}
    assert {raw: item["dateline"]["country_code"] for raw, item in by_dateline.items()} == {
        "VLADIVOSTOK": "RU",
        "WASHINGTON": "US",
        "DNIPRO": "UA",
        "SION": "CH",
        "KYIV": "UA",
        "QUETTA": "PK",
        "TURIJN": "IT",
    }
    main = by_dateline["VLADIVOSTOK"]
    assert {"RU", "KP", "UA"} <= set(main["countries"])
    assert {"Kim Jong-un", "Vladimir Poetin"} <= set(main["entities"]["people"])
    assert all(item["topics"] for item in items)
    assert by_dateline["SION"]["agencies"][1] == {"code": "AF", "name": None}
    assert enricher.counters["unknown_agencies"] == 1


def test_the_pipeline_ends_with_the_enricher():
    assert isinstance(build_stages()[-1], Enricher)


def test_building_a_stage_pauses_the_garbage_collector_and_restores_it(monkeypatch):
    during: list[bool] = []

    def build(options: PipelineOptions) -> Stage:
        during.append(gc.isenabled())
        return Normalizer()

    monkeypatch.setitem(STAGES, "normalizer", build)
    try:
        build_stage("normalizer")
        assert gc.isenabled()
        gc.disable()  # a caller that runs without it keeps it off
        build_stage("normalizer")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert during == [False, False]


def test_enricher_chain_is_chosen_by_environment():
    options = PipelineOptions.from_env({"WIRESTREAM_ENRICHERS": "dateline, agencies"})
    assert options.enrichers == ("dateline", "agencies")
    assert PipelineOptions.from_env({}).enrichers is None
    item = wire_item("De Oekraïense president sprak over de oorlog.", dateline="KYIV", story_id="s")
    [partial] = build_stage("enricher", options).process(item, ORIGIN)
    [full] = build_stage("enricher", PipelineOptions.from_env({})).process(item, ORIGIN)
    assert partial.item["dateline"]["country_code"] == full.item["dateline"]["country_code"] == "UA"
    assert not partial.item["topics"] and full.item["topics"]


def test_the_dedup_window_comes_from_the_environment():
    options = PipelineOptions.from_env(
        {"WIRESTREAM_DEDUP_WINDOW_HOURS": "1.5", "WIRESTREAM_DEDUP_MAX_ENTRIES": "500"}
    )
    assert options.dedup is not None
    assert (options.dedup.window_hours, options.dedup.max_entries) == (1.5, 500)
    assert options.dedup.resemblance == DedupConfig().resemblance  # the rest as defaults
    assert PipelineOptions.from_env({}).dedup is None
    with pytest.raises(ValueError):
        PipelineOptions.from_env({"WIRESTREAM_DEDUP_MAX_ENTRIES": "0"})
