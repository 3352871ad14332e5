"""Coverage-guided fuzzing of the normalizer and the envelope and item decoders with atheris
(libFuzzer), run as a subprocess by test_fuzz.py (short) and `make fuzz` (a million inputs):
`python fuzz_normalizer.py -runs=N -max_total_time=S [corpus dir...]`.

An input is used as raw record bytes, or (first byte odd) as the body of an envelope whose
content type its second byte picks among every type the normalizer accepts (pages, the agency
formats NewsML-G2, NITF, IPTC 7901, ANPA 1312, ninjs, RSS/Atom, and the sniffed generic
types), so the envelope checks, the format detection and every parser are reached. The same
bytes go through the services' item decoder. A crash is an exception out of `process` or the
decoder other than its DecodeError, an empty answer, a dead letter without the original bytes
or a message, an item without text, or a page's dead letter beside items (an agency document
holding several items dead-letters a bad one and keeps the rest); libFuzzer's -timeout and
-rss_limit_mb catch stalls and memory blowups.
"""

from __future__ import annotations

import sys

import atheris
import orjson

with atheris.instrument_imports():
    from wirestream.core.media import CONTENT_TYPES, PAGE_TYPES
    from wirestream.core.records import DeadLetter, Emit, Origin
    from wirestream.core.runtime.codec import DecodeError, item_dict
    from wirestream.normalizer import Normalizer

NORMALIZER = Normalizer()
ORIGIN = Origin("wire.raw", 0, 0)


def record(data: bytes) -> tuple[bytes, str | None]:
    """The raw record and the content type the fuzzer gave it (None: raw bytes as they are)."""
    if len(data) < 2 or not data[0] & 1:
        return data, None
    content_type = CONTENT_TYPES[data[1] % len(CONTENT_TYPES)]
    body = data[2:].decode("utf-8", "replace")
    envelope = {"source": "fuzz", "fetched_at": "2026-11-26T10:00:00Z", "body": body}
    return orjson.dumps({**envelope, "content_type": content_type}), content_type


def normalized(raw: bytes, content_type: str | None) -> None:
    outcomes = NORMALIZER.process(raw, ORIGIN)
    if not outcomes:
        raise AssertionError("a record vanished")
    letters = [o for o in outcomes if isinstance(o, DeadLetter)]
    if any(letter.original != raw or not letter.message for letter in letters):
        raise AssertionError(f"bad dead letter: {letters!r}")
    if letters and len(outcomes) != 1 and content_type in PAGE_TYPES:
        raise AssertionError(f"a page's dead letter beside items: {outcomes!r}")
    items = [o for o in outcomes if not isinstance(o, DeadLetter)]
    if not all(isinstance(o, Emit) and o.item["body_text"] for o in items):
        raise AssertionError(f"bad items: {items!r}")


def decoded(value: bytes) -> None:
    try:
        item = item_dict(value)
    except DecodeError as error:
        if not str(error):
            raise AssertionError("a decode error without a message") from error
        return
    if not isinstance(item, dict):
        raise AssertionError(f"decoded to {type(item).__name__}")


def one_input(data: bytes) -> None:
    raw, content_type = record(data)
    normalized(raw, content_type)
    decoded(raw)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
