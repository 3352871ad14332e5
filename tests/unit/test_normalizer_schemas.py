"""The JSON Schemas themselves: well-formed, in step with the code, and strict where it matters."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from schema_check import SCHEMAS, assert_valid, errors
from wirestream.core.item import ITEM_SCHEMA_VERSION
from wirestream.core.records import DEAD_LETTER_SCHEMA_VERSION, DeadLetter, Emit, Origin, Reason
from wirestream.normalizer import Normalizer

PAGE = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "nl_binnenland.txt"
ENVELOPE = {
    "source": "anp",
    "fetched_at": "2026-02-01T12:00:00Z",
    "content_type": "text/plain",
    "body": PAGE.read_text(encoding="utf-8"),
}


def wire_item() -> dict:
    outcome = Normalizer().process(orjson.dumps(ENVELOPE), Origin())[0]
    assert isinstance(outcome, Emit)
    return outcome.item


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda path: path.name)
def test_schema_is_valid_draft_2020_12_with_a_versioned_id(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    name, version = path.name.removesuffix(".json").rsplit(".", 1)
    assert schema["$id"] == f"urn:wirestream:schema:{name}:{version}"


def test_schema_versions_match_the_code():
    assert ITEM_SCHEMA_VERSION.startswith("1.")
    assert DEAD_LETTER_SCHEMA_VERSION.startswith("1.")
    dead_letter = json.loads((SCHEMAS / "dead-letter.v1.json").read_text(encoding="utf-8"))
    assert dead_letter["properties"]["reason"]["enum"] == [reason.value for reason in Reason]


def test_raw_envelope_schema():
    assert_valid("raw-envelope.v1", ENVELOPE)
    assert_valid("raw-envelope.v1", {**ENVELOPE, "url": None, "id": "x", "extra": 1})
    assert_valid("raw-envelope.v1", {**ENVELOPE, "content_type": "text/html; charset=utf-8"})
    assert errors("raw-envelope.v1", {**ENVELOPE, "fetched_at": "gisteren"})  # format checked
    assert errors("raw-envelope.v1", {**ENVELOPE, "content_type": "application/pdf"})
    assert errors("raw-envelope.v1", {k: v for k, v in ENVELOPE.items() if k != "body"})


def test_wire_item_schema_is_strict_on_what_downstream_relies_on():
    item = wire_item()
    assert_valid("wire-item.v1", item)
    broken = [
        {**item, "kind": "column"},
        {**item, "published_precision": "second"},
        {**item, "published_at": "5 uur geleden"},
        {**item, "language": "Dutch"},
        {**item, "dateline": {**item["dateline"], "country_code": "nl"}},
        {**item, "agencies": [{"code": "ANP"}]},
        {**item, "body_text": ""},
        {k: v for k, v in item.items() if k != "routing_key"},
    ]
    for record in broken:
        assert errors("wire-item.v1", record), record


def test_normalized_item_requires_story_dedup_and_enrichment():
    item = wire_item()
    assert errors("normalized-item.v1", item)
    normalized = {
        **item,
        "story_id": "s-1",
        "version": 2,
        "dedup": {"status": "update", "matched_id": "abc", "similarity": 0.93},
        "countries": ["NL"],
        "entities": {"people": [], "organisations": ["Centraal Bureau voor de Statistiek"]},
        "topics": [{"code": "16000000", "name": "conflict, war and peace"}],
        "enrichment_errors": [],
    }
    assert_valid("normalized-item.v1", normalized)
    assert errors("normalized-item.v1", {**normalized, "dedup": {"status": "maybe"}})
    assert errors("normalized-item.v1", {**normalized, "version": 0})


def test_dead_letter_schema():
    letter = DeadLetter(
        Reason.OVERSIZE, "too big", b"\x00\xff", "normalizer", Origin("wire.raw", 1, 9)
    )
    record = letter.to_record("2026-02-01T12:00:00Z")
    assert_valid("dead-letter.v1", record)
    assert errors("dead-letter.v1", {**record, "reason": "unknown"})
    assert errors("dead-letter.v1", {**record, "failed_at": "now"})
