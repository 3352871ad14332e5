"""Coverage-guided fuzzing of the normalizer with atheris (libFuzzer), run as a subprocess by
test_fuzz.py: `python fuzz_normalizer.py -runs=N -max_total_time=S [corpus dir]`.

An input is used as raw record bytes, or (first byte odd) as the body of an envelope of the
content type its second byte picks, so both the envelope checks and the page parsers are
reached. A crash is an exception out of `process`, an empty answer, or a dead letter that
does not stand alone; libFuzzer's -timeout and -rss_limit_mb catch stalls and memory blowups.
"""

from __future__ import annotations

import sys

import atheris
import orjson

with atheris.instrument_imports():
    from wirestream.core.records import DeadLetter, Emit, Origin
    from wirestream.normalizer import Normalizer

NORMALIZER = Normalizer()
ORIGIN = Origin("wire.raw", 0, 0)
CONTENT_TYPES = ("text/plain", "text/html")


def record(data: bytes) -> bytes:
    if len(data) < 2 or not data[0] & 1:
        return data
    body = data[2:].decode("utf-8", "replace")
    return orjson.dumps(
        {
            "source": "fuzz",
            "fetched_at": "2026-11-26T10:00:00Z",
            "content_type": CONTENT_TYPES[data[1] & 1],
            "body": body,
        }
    )


def one_input(data: bytes) -> None:
    raw = record(data)
    outcomes = NORMALIZER.process(raw, ORIGIN)
    if not outcomes:
        raise AssertionError("a record vanished")
    letters = [o for o in outcomes if isinstance(o, DeadLetter)]
    if letters and (len(outcomes) != 1 or letters[0].original != raw or not letters[0].message):
        raise AssertionError(f"bad dead letter: {outcomes!r}")
    if not letters and not all(isinstance(o, Emit) and o.item["body_text"] for o in outcomes):
        raise AssertionError(f"bad items: {outcomes!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
