"""IPTC ninjs 3.x out: every record validates against the official schema (vendored in
schemas/vendor/), and each field lands where ninjs puts it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from wirestream.core.chain import Chain
from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.ninjs import NinjsWriter, to_ninjs
from wirestream.pipeline import build_stage, build_stages
from wirestream.producer.page_envelopes import file_envelopes

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA = ROOT / "schemas" / "vendor" / "ninjs-schema_3.1.json"
FORMATS = ROOT / "tests" / "fixtures" / "formats"
FETCHED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_ninjs(record: dict) -> None:
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(record)]
    assert not problems, problems


@pytest.fixture(scope="module")
def stages() -> list:
    return build_stages()


@pytest.fixture
def chain(stages) -> Chain:
    """A fresh deduplicator per test (the normalizer's model loads once per module)."""
    normalizer, _, enricher = stages
    return Chain([normalizer, build_stage("deduplicator"), enricher])


def normalized(chain: Chain, raw: list[bytes]) -> list[dict]:
    found = []
    for record in raw:
        found.extend(o.item for o in chain.process(record, Origin()) if isinstance(o, Emit))
    return found


def one_item(chain: Chain, name: str) -> dict:
    (envelope,) = file_envelopes(
        (FORMATS / name).read_bytes(), source="agency", fetched_at=FETCHED, name=name
    )
    (item,) = normalized(chain, [orjson.dumps(envelope)])
    return item


@pytest.fixture(scope="module")
def every_item(stages) -> list[dict]:
    """Every item of the samples and the format fixtures, pages and agency copy alike."""
    raw = [
        line for line in (ROOT / "samples" / "envelopes.ndjson").read_bytes().splitlines() if line
    ]
    for path in sorted(FORMATS.glob("*.*")):
        if path.suffix != ".md":
            envelopes = file_envelopes(
                path.read_bytes(), source="agency", fetched_at=FETCHED, name=path.name
            )
            raw.extend(orjson.dumps(envelope) for envelope in envelopes)
    return normalized(Chain(stages), raw)


def test_every_record_validates_against_the_official_ninjs_schema(every_item):
    assert len(every_item) > 30
    for item in every_item:
        assert_ninjs(to_ninjs(item))


def test_the_vendored_schema_is_iptc_ninjs_3():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
    assert schema["required"] == ["uri"]
    assert schema["unevaluatedProperties"] is False  # invented fields would fail validation


def test_agency_item_fields_land_in_their_ninjs_places(chain):
    item = one_item(chain, "newsmlg2_iptc_listing1.xml")
    ninjs = to_ninjs(item)
    assert_ninjs(ninjs)
    assert ninjs["uri"] == f"urn:wirestream:story:{item['story_id']}"
    assert ninjs["version"] == "1"
    assert ninjs["type"] == "text"
    assert ninjs["pubStatus"] == "usable"
    assert ninjs["versionCreated"] == "2016-10-21T21:25:32Z"
    assert ninjs["firstCreated"] == "2016-10-18T18:12:21Z"
    assert ninjs["embargoedUntil"] == "2016-10-23T12:00:00Z"
    assert ninjs["copyrightHolder"] == "Example Enews LLP"
    assert ninjs["slugline"] == "US-Finance-Fed"
    assert ninjs["language"] == "en"
    assert ninjs["headlines"] == [{"role": "main", "value": 'Fed to halt QE to avert "bubble"'}]
    assert ninjs["located"] == "Berlin"
    assert ninjs["places"][0]["rel"] == "dateline"
    assert (
        ninjs["places"][0]["uri"] == f"https://sws.geonames.org/{item['dateline']['geonames_id']}/"
    )
    assert {
        "uri": "http://cv.iptc.org/newscodes/mediatopic/20000523",
        "name": "labour market",
        "rel": "agency",
    } in ninjs["subjects"]
    assert {"role": "agency-guid", "value": "urn:newsml:acmenews.com:20161018:US-FINANCE-FED"} in (
        ninjs["altIds"]
    )
    assert {"role": "agency-version", "value": "9"} in ninjs["altIds"]
    originators = [s["literal"] for s in ninjs["infoSources"] if s["role"] == "originator"]
    assert originators == ["REUTERS", "Example Enews LLP"]
    for wirestream_only in ("dedup", "routing_key", "published_precision", "keywords"):
        assert wirestream_only not in ninjs


def test_nitf_subject_codes_and_canceled_status(chain):
    item = one_item(chain, "nitf_iptc_fishing.xml")
    ninjs = to_ninjs(item)
    assert_ninjs(ninjs)
    assert item["dedup"]["status"] == "kill"  # canceled: a kill, published
    assert ninjs["pubStatus"] == "canceled"
    assert ninjs["urgency"] == 3
    assert ninjs["by"] == "By Alan Karben"
    assert {
        "uri": "http://cv.iptc.org/newscodes/subjectcode/17000000",
        "name": "Weather",
        "rel": "agency",
    } in ninjs["subjects"]


def test_a_teaser_is_a_partial_representation(every_item):
    teaser = next(i for i in every_item if i["kind"] == "teaser")
    ninjs = to_ninjs(teaser)
    assert ninjs["representationType"] == "partial"
    assert ninjs["bodies"][0]["value"] == teaser["body_text"]
    assert ninjs["bodies"][0]["wordCount"] == teaser["word_count"]


def test_writer_keys_by_story_and_dead_letters_what_is_no_item(every_item):
    writer = NinjsWriter()
    item = every_item[0]
    (emit,) = writer.process(item, Origin())
    assert isinstance(emit, Emit)
    assert (emit.key, emit.item) == (item["story_id"], to_ninjs(item))
    for bad in ({"id": "x"}, ["not", "an", "item"]):
        (letter,) = writer.process(bad, Origin(topic="wire.normalized", offset=3))
        assert isinstance(letter, DeadLetter)
        assert letter.reason is Reason.INVALID_ITEM
        assert orjson.loads(letter.original) == bad


def test_serve_ninjs_reads_normalized_and_writes_the_ninjs_topic():
    from wirestream.commands.serve import binding_for
    from wirestream.core.config import Settings

    binding = binding_for("ninjs", Settings())
    assert (binding.input_topic, binding.output_topic) == ("wire.normalized", "wire.ninjs")
    assert [stage.name for stage in binding.stages] == ["ninjs"]


def test_tail_prints_items_as_ninjs(every_item):
    from aiokafka import ConsumerRecord

    from wirestream.commands.tail import record_line

    item = every_item[0]
    record = ConsumerRecord("wire.normalized", 0, 7, 0, 0, None, orjson.dumps(item), None, 0, 0, [])
    assert orjson.loads(record_line(record, "ninjs")) == to_ninjs(item)
    not_an_item = ConsumerRecord("wire.normalized", 0, 8, 0, 0, None, b"{}", None, 0, 0, [])
    assert "not a normalized item" in record_line(not_an_item, "ninjs")
