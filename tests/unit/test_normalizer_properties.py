"""Property tests: whatever arrives, the normalizer answers with items or a dead letter, and
every item it emits is in schema."""

from __future__ import annotations

import json

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin
from wirestream.normalizer import Normalizer, decode_page
from wirestream.normalizer.dateline import parse_dateline
from wirestream.normalizer.html import html_to_text
from wirestream.normalizer.text import clean_lines

NORMALIZER = Normalizer(max_bytes=64 * 1024)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like wire pages often enough to reach the deep paths.
WIRE_PIECES = st.sampled_from(
    [
        "AMSTERDAM (ANP) - ",
        "NEW YORK, March 9 (Reuters) - ",
        "'S-HERTOGENBOSCH - ",
        "GENÈVE (ANP/AFP) — ",
        "5 uur geleden",
        "gisteren",
        "2 hours ago",
        "14:35",
        "2026-02-01T09:30:00Z",
        "Meer uit Buitenland",
        "More from World",
        "\n",
        "\r\n",
        ". ",
        "OekraÃ¯ne",
        "<p>",
        "</p>",
        "<h1>",
        "<time datetime='x'>",
        "<script>",
        "&amp;",
        "\u200b",
        "\x00",
    ]
)
WIRE_TEXT = st.lists(st.one_of(WIRE_PIECES, st.text(max_size=40)), max_size=40).map("".join)


def check(outcomes: list) -> None:
    assert outcomes, "a record must never vanish"
    dead = [o for o in outcomes if isinstance(o, DeadLetter)]
    if dead:
        assert len(outcomes) == 1
        assert dead[0].message
        assert_valid("dead-letter.v1", dead[0].to_record("2026-02-01T12:00:00Z"))
        return
    for outcome in outcomes:
        assert isinstance(outcome, Emit)
        assert_valid("wire-item.v1", outcome.item)
        assert outcome.key == outcome.item["routing_key"]


def envelope(body: str, content_type: str = "text/plain", fetched_at: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "source": "fuzz",
            "fetched_at": fetched_at or "2026-02-01T12:00:00Z",
            "content_type": content_type,
            "body": body,
        }
    )


@SETTINGS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(raw):
    check(NORMALIZER.process(raw, Origin()))


@SETTINGS
@given(WIRE_TEXT, st.sampled_from(["text/plain", "text/html"]))
def test_arbitrary_page_text(body, content_type):
    check(NORMALIZER.process(envelope(body, content_type), Origin()))


@SETTINGS
@given(st.text(max_size=300), st.text(max_size=40))
def test_arbitrary_fetched_at_and_body(body, fetched_at):
    check(NORMALIZER.process(envelope(body, fetched_at=fetched_at), Origin()))


@SETTINGS
@given(st.dictionaries(st.text(max_size=12), st.none() | st.integers() | st.text(max_size=20)))
def test_arbitrary_json_objects(document):
    # json, not orjson: it also writes integers beyond 64 bits and lone surrogates
    check(NORMALIZER.process(json.dumps(document).encode(), Origin()))


@SETTINGS
@given(st.binary(max_size=2048))
def test_decode_page_always_returns_text(data):
    assert isinstance(decode_page(data), str)


@SETTINGS
@given(WIRE_TEXT)
def test_clean_lines_are_clean(text):
    for line in clean_lines(text):
        assert line and line == line.strip()
        assert "\n" not in line and "  " not in line and "\u200b" not in line


@SETTINGS
@given(WIRE_TEXT)
def test_html_to_text_never_raises(text):
    assert isinstance(html_to_text(text), str)


@SETTINGS
@given(WIRE_TEXT)
def test_dateline_rest_is_a_suffix(line):
    parsed = parse_dateline(line)
    if parsed is not None:
        dateline, rest = parsed
        assert line.endswith(rest)
        assert rest
        assert dateline.raw in line
