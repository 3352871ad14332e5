"""What a sender reads when its envelope is refused: JSON's words, every missing field at once,
and the envelope's own source kept on every refusal (issue 15, items 6 and 7)."""

from __future__ import annotations

import orjson
import pytest

from wirestream.core.envelope import EnvelopeError, parse_envelope
from wirestream.core.records import Reason


def refusal(document: object) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as caught:
        parse_envelope(orjson.dumps(document), max_bytes=10_000)
    return caught.value


@pytest.mark.parametrize(
    ("document", "json_name"),
    [(None, "null"), ([1, 2], "array"), ("text", "string"), (3, "number"), (True, "boolean")],
)
def test_a_non_object_is_named_in_json_terms(document, json_name):
    assert refusal(document).message == f"envelope is a JSON {json_name}, not an object"


def test_every_missing_field_is_reported_at_once():
    error = refusal({"source": "anp"})
    assert error.reason == Reason.INVALID_ENVELOPE
    assert error.message == "missing fields 'fetched_at', 'content_type', 'body'"
    assert error.source == "anp"
    assert refusal({"source": "anp", "fetched_at": "2026-11-28T10:00:00Z",
                    "content_type": "text/plain"}).message == "missing field 'body'"  # fmt: skip


def test_a_wrong_type_is_named_in_json_terms():
    envelope = {"source": "anp", "fetched_at": "2026-11-28T10:00:00Z", "content_type": "text/plain"}
    assert (
        refusal({**envelope, "body": ["a"]}).message == "field 'body' must be a string, not array"
    )


def test_a_refused_content_type_keeps_the_envelopes_source():
    error = refusal(
        {"source": "anp", "fetched_at": "2026-11-28T10:00:00Z",
         "content_type": "image/png", "body": "x"}
    )  # fmt: skip
    assert error.source == "anp"
    assert "image/png" in error.message
