"""Hostile input: whatever arrives, every stage answers with items or a dead letter, in bounded
time (per-test timeouts) and bounded memory (tracemalloc peak) — never a crash.

Memory bound: Python allocations (tracemalloc) while one record is processed. The C parts
(lexbor's DOM, orjson buffers) are not traced, so the bound is on what Python keeps alive:
a parse that held every intermediate copy of a 2 MiB page, or materialised a quadratic
structure, would pass it.
"""

from __future__ import annotations

import copy
import json
import tracemalloc
from collections.abc import Callable

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.deduplicator import Deduplicator
from wirestream.enricher import Enricher
from wirestream.normalizer import Normalizer

NORMALIZER = Normalizer()  # the service's default limits (2 MiB records)
ORIGIN = Origin("wire.raw", 0, 7)
MIB = 1024 * 1024
# What one record of at most 2 MiB may make Python hold at its peak (10,000 teasers, the
# worst case here, peak at ~120 MiB: 10,001 item dicts).
PEAK_BOUND = 192 * MIB
# Directional formatting and zero-width characters: invisible, never content of wire text.
INVISIBLE_MARKS = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u061c\u2060\ufeff"
)

ARTICLE = (
    "Kabinet verlaagt belasting voor gezinnen\n"
    "AMSTERDAM (ANP) - Het kabinet heeft dinsdag besloten de belasting te verlagen voor "
    "gezinnen met kinderen. Dat maakte de minister van Financiën bekend na de ministerraad.\n"
    "Meer uit Binnenland\n"
)


def envelope(body: object, content_type: object = "text/plain", **fields: object) -> bytes:
    document = {
        "source": "hostile",
        "fetched_at": "2026-11-26T10:00:00Z",
        "content_type": content_type,
        "body": body,
        **fields,
    }
    return orjson.dumps(document)


def teasers(count: int) -> str:
    return "".join(
        f"UTRECHT (ANP) - Bericht {n} over de gemeenteraad en de begroting van de stad.\n"
        f"{n % 23 + 1} uur geleden"
        for n in range(count)
    )


def measured(raw: bytes, stage: Normalizer = NORMALIZER) -> tuple[list[Outcome], int]:
    """The outcomes of one record and the peak of Python memory while it was processed."""
    tracemalloc.start()
    try:
        outcomes = stage.process(raw, ORIGIN)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcomes, peak


def answered(outcomes: list[Outcome], raw: bytes, *, validate: int | None = None) -> None:
    """Items (in schema) or exactly one dead letter carrying the original bytes."""
    assert outcomes, "a record must never vanish"
    letters = [o for o in outcomes if isinstance(o, DeadLetter)]
    if letters:
        assert len(outcomes) == 1, "a dead letter stands alone"
        (letter,) = letters
        assert letter.message and letter.reason in Reason
        assert letter.original == raw
        assert letter.origin == ORIGIN
        record = letter.to_record("2026-11-26T10:00:00Z")
        assert_valid("dead-letter.v1", {**record, "original_base64": ""})
        return
    items = [o.item for o in outcomes]
    assert all(isinstance(o, Emit) and o.key == o.item["routing_key"] for o in outcomes)
    assert len({item["id"] for item in items}) == len(items), "item ids are unique"
    for item in items[:validate]:
        assert_valid("wire-item.v1", item)


def item_texts(item: dict) -> str:
    dateline = item["dateline"] or {}
    return " ".join([item["headline"] or "", item["body_text"], dateline.get("raw") or ""])


# -- big, deep and wide pages ---------------------------------------------------------------


PARAGRAPH = (
    "De gemeenteraad van Utrecht heeft dinsdagavond ingestemd met een plan om de binnenstad "
    "autoluw te maken. Winkeliers reageerden verdeeld op het besluit van het college.\n"
)


@pytest.mark.timeout(60)
def test_a_multi_megabyte_page_just_under_the_limit_yields_its_items():
    body = ARTICLE.replace("Meer uit Binnenland\n", "") + PARAGRAPH * 12_000
    raw = envelope(body)
    assert 1.8 * MIB < len(raw) <= 2 * MIB
    outcomes, peak = measured(raw)
    answered(outcomes, raw, validate=1)
    (emit,) = outcomes
    assert emit.item["word_count"] > 250_000
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.0f} MiB"


@pytest.mark.timeout(60)
def test_a_page_over_the_limit_is_rejected_before_it_is_read():
    raw = envelope(ARTICLE + PARAGRAPH * 14_000)
    assert len(raw) > 2 * MIB
    outcomes, peak = measured(raw)
    answered(outcomes, raw)
    assert outcomes[0].reason == Reason.OVERSIZE
    assert peak < MIB  # nothing of it was decoded or copied


@pytest.mark.timeout(60)
def test_ten_thousand_teasers_on_one_page_are_ten_thousand_items():
    raw = envelope(ARTICLE + teasers(10_000))
    outcomes, peak = measured(raw)
    answered(outcomes, raw, validate=50)
    assert len(outcomes) == 10_001
    assert [o.item["provenance"]["position"] for o in outcomes] == list(range(10_001))
    assert {o.item["dateline"]["place"] for o in outcomes[1:]} == {"Utrecht"}
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.0f} MiB"


def nested_divs(depth: int) -> str:
    text = ARTICLE.replace("\n", "<br>")
    return f"<html><body>{'<div>' * depth}<p>{text}</p>{'</div>' * depth}</body></html>"


def unclosed_inline(depth: int) -> str:
    return f"<html><body>{'<div><span><b>' * depth}<p>{ARTICLE}</p>"


# Deep nesting costs lexbor time quadratic in the depth (100,000 nested <div>s took over two
# minutes, blocking the service's event loop and its group heartbeats); the timeout bounds it.
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "html",
    [nested_divs(100_000), unclosed_inline(50_000), nested_divs(300)],
    ids=["100k-nested-divs", "50k-unclosed-inline", "300-nested-divs"],
)
def test_deeply_nested_html_is_answered_in_bounded_time_and_memory(html):
    raw = envelope(html, "text/html")
    outcomes, peak = measured(raw)
    answered(outcomes, raw)
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.0f} MiB"
    if html.count("<div>") <= 1000:  # a merely deep page is still read
        assert outcomes[0].item["headline"] == "Kabinet verlaagt belasting voor gezinnen"
    else:  # deeper than any browser builds: refused, saying why
        assert outcomes[0].reason == Reason.OVERSIZE
        assert "nested" in outcomes[0].message


@pytest.mark.timeout(60)
def test_a_deeply_nested_json_envelope_is_a_dead_letter():
    raw = b'{"source": "x", "body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert outcomes[0].reason == Reason.INVALID_ENVELOPE


# -- characters -------------------------------------------------------------------------------


def test_control_characters_sprinkled_through_a_page_are_removed():
    controls = "".join(map(chr, [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))
    controls += "".join(map(chr, range(0x80, 0xA0)))
    # Under the 5% of control characters that make a page binary data.
    teaser = "UTRECHT (ANP) - Een teaser " + controls + " met rommel erin. " + PARAGRAPH * 8
    body = ARTICLE + teaser + "3 uur geleden"
    raw = envelope(body)
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert len(outcomes) == 2
    for outcome in outcomes:
        assert not set(item_texts(outcome.item)) & set(controls)


@pytest.mark.parametrize("head", ["\x00", "\x01\x02\x03" * 200, "\x1b[31m" * 300])
def test_a_page_of_control_characters_is_binary(head):
    raw = envelope(head + ARTICLE)
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert outcomes[0].reason == Reason.BINARY


@pytest.mark.parametrize("mark", list(INVISIBLE_MARKS), ids=lambda m: f"U+{ord(m):04X}")
def test_zero_width_and_directional_marks_neither_hide_the_dateline_nor_reach_the_text(mark):
    body = (
        f"Kabinet{mark} verlaagt belasting\n"
        f"{mark}AMSTERDAM{mark} (ANP) - Het kabinet{mark} heeft dinsdag besloten de belasting "
        f"te verlagen voor gezinnen met kinderen.\nMeer uit Binnenland\n"
        f"{mark}UTRECHT (ANP){mark} - De gemeenteraad stemde in met het plan.\n5 uur geleden"
    )
    raw = envelope(body)
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert [o.item["dateline"]["place"] for o in outcomes] == ["Amsterdam", "Utrecht"]
    assert [o.key for o in outcomes] == ["geonames:2759794", "geonames:2745912"]  # GeoNames ids
    for outcome in outcomes:
        assert mark not in item_texts(outcome.item)


def test_right_to_left_text_is_kept():
    body = "BEIROET (ANP) - De krant النهار meldt dat het parlement is bijeengekomen.\n"
    raw = envelope(body)
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert "النهار" in outcomes[0].item["body_text"]


# -- broken envelopes --------------------------------------------------------------------------

INVALID_ENVELOPES = {
    "truncated": envelope(ARTICLE)[:-20],
    "trailing-garbage": envelope(ARTICLE) + b"}}",
    "two-documents": envelope(ARTICLE) + b"\n" + envelope(ARTICLE),
    "single-quotes": envelope(ARTICLE).replace(b'"', b"'"),
    "nan": b'{"source": "x", "fetched_at": NaN, "content_type": "text/plain", "body": "b"}',
    "lone-surrogate": b'{"source": "x", "fetched_at": "2026-11-26T10:00:00Z", '
    b'"content_type": "text/plain", "body": "AMSTERDAM (ANP) - \\ud800 tekst"}',
    "bom-prefixed": b"\xef\xbb\xbf" + envelope(ARTICLE),
    "utf-16": envelope(ARTICLE).decode().encode("utf-16"),
    "latin-1-bytes": envelope("GENÈVE (ANP) - Tekst.").decode().encode("latin-1"),
    "huge-integer": b'{"source": "x", "body": ' + b"9" * 5000 + b"}",
    "array": orjson.dumps([ARTICLE]),
    "string": orjson.dumps(ARTICLE),
    "null": b"null",
    "whitespace": b" \n\t ",
    "empty-object": b"{}",
    "html-not-json": b"<html><body>AMSTERDAM (ANP) - Tekst.</body></html>",
}


@pytest.mark.parametrize("raw", INVALID_ENVELOPES.values(), ids=INVALID_ENVELOPES.keys())
def test_invalid_json_envelopes_are_dead_letters(raw):
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert outcomes[0].reason in (
        Reason.INVALID_ENVELOPE,
        Reason.UNDECODABLE,
        Reason.BINARY,
        Reason.EMPTY,
    )


WRONG_TYPES = [0, 1.5, True, [], ["AMSTERDAM (ANP) - tekst"], {"text": "x"}]


@pytest.mark.parametrize("field", ["source", "fetched_at", "content_type", "body", "url", "id"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_wrong_field_types_are_dead_letters_that_name_the_field(field, value):
    document = orjson.loads(envelope(ARTICLE))
    document[field] = value
    raw = orjson.dumps(document)
    outcomes, _ = measured(raw)
    answered(outcomes, raw)
    assert outcomes[0].reason == Reason.INVALID_ENVELOPE
    assert field in outcomes[0].message


@pytest.mark.parametrize("field", ["source", "url", "id"])
def test_a_megabyte_in_a_metadata_field_is_answered(field):
    raw = envelope(ARTICLE, **{field: "x" * MIB})
    outcomes, peak = measured(raw)
    answered(outcomes, raw)
    assert peak < PEAK_BOUND


# -- structure-aware fuzzing ----------------------------------------------------------------

HOSTILE_PIECES = st.sampled_from(
    [
        "AMSTERDAM (ANP) - ",
        "'S-HERTOGENBOSCH (ANP/AFP) - ",
        "NEW YORK, March 9 (Reuters) - ",
        "5 uur geleden",
        "Meer uit Buitenland\n",
        "\n",
        "<div>" * 50,
        "</div>" * 50,
        "<b><i><span>",
        "<time datetime='2026-11-26T09:00:00Z'>",
        "<li>",
        "<script>alert(1)</script>",
        "<!--",
        "]]>",
        "&#0;&#x202e;&amp;&lt;",
        "\x00",
        "\x1b[0m",
        "\u0085",
        *INVISIBLE_MARKS,
        "النهار",
        "\ud83d\ude00",
        "a" * 300,
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=30)), max_size=60).map("".join)
INT64 = st.integers(-(2**63), 2**63 - 1)  # what orjson reads back from a Kafka record
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    INT64,
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), INT64, max_size=3),
)
FIELD_VALUES = {
    "source": st.one_of(st.just("anp"), ANY_VALUE),
    "fetched_at": st.one_of(
        st.just("2026-11-26T10:00:00Z"), st.just("2026-02-30T25:61:00+14:00"), ANY_VALUE
    ),
    "content_type": st.one_of(
        st.sampled_from(["text/plain", "text/html", "TEXT/HTML; charset=latin-1"]), ANY_VALUE
    ),
    "body": st.one_of(HOSTILE_TEXT, ANY_VALUE),
    "url": st.one_of(st.none(), st.just("https://example.org/a"), ANY_VALUE),
    "id": st.one_of(st.none(), st.text(max_size=20), ANY_VALUE),
}
ENVELOPES = st.fixed_dictionaries({}, optional=FIELD_VALUES)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(ENVELOPES)
def test_fuzzed_envelopes_are_items_or_a_dead_letter(document):
    raw = json.dumps(document).encode()  # json: surrogates and big integers survive
    answered(NORMALIZER.process(raw, ORIGIN), raw)


@FUZZ
@given(HOSTILE_TEXT, st.sampled_from(["text/plain", "text/html"]))
def test_fuzzed_pages_are_items_or_a_dead_letter(body, content_type):
    raw = json.dumps(envelope_document(body, content_type)).encode()
    outcomes = NORMALIZER.process(raw, ORIGIN)
    answered(outcomes, raw)
    for outcome in outcomes:
        if isinstance(outcome, Emit):
            assert not set(item_texts(outcome.item)) & set(INVISIBLE_MARKS + "\x00\x1b")


def envelope_document(body: str, content_type: str) -> dict:
    return {
        "source": "fuzz",
        "fetched_at": "2026-11-26T10:00:00Z",
        "content_type": content_type,
        "body": body,
    }


# -- later stages: items with wrong field types ------------------------------------------------


def good_item() -> dict:
    (emit, _) = NORMALIZER.process(
        envelope(ARTICLE + "UTRECHT (ANP) - Een teaser.\n5 uur geleden"), ORIGIN
    )
    return emit.item


ITEM = good_item()
ITEM_FIELDS = sorted(ITEM)
STAGES: dict[str, Callable[[], object]] = {"deduplicator": Deduplicator, "enricher": Enricher}
ENRICHER = Enricher()


@pytest.mark.parametrize("stage_name", STAGES)
@FUZZ
@given(
    fields=st.lists(st.sampled_from(ITEM_FIELDS), min_size=1, max_size=3, unique=True),
    value=ANY_VALUE,
    delete=st.booleans(),
)
def test_later_stages_answer_malformed_items(stage_name, fields, value, delete):
    stage = ENRICHER if stage_name == "enricher" else Deduplicator()
    item = copy.deepcopy(ITEM)
    for field in fields:
        if delete:
            del item[field]
        else:
            item[field] = value
    outcomes = stage.process(item, ORIGIN)
    assert len(outcomes) == 1
    (outcome,) = outcomes
    if isinstance(outcome, DeadLetter):
        assert outcome.reason in (Reason.INVALID_ITEM, Reason.STAGE_ERROR)
        assert outcome.message and outcome.original
    else:
        assert isinstance(outcome, Emit)
        assert outcome.item.get("id") == item.get("id")
        orjson.dumps(outcome.item)  # what the runtime writes must serialize


@pytest.mark.parametrize("stage_name", STAGES)
@pytest.mark.parametrize("record", [None, [], "text", 3, b"bytes", {"id": "x"}])
def test_later_stages_answer_records_that_are_not_items(stage_name, record):
    (outcome,) = STAGES[stage_name]().process(record, ORIGIN)
    assert isinstance(outcome, DeadLetter)
    assert outcome.reason == Reason.INVALID_ITEM
