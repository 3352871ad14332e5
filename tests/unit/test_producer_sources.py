"""Producer sources, envelope checks, pacing and ingest parsing: pure, no broker."""

from __future__ import annotations

import asyncio
import io
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from schema_check import assert_valid
from wirestream.core.records import Reason
from wirestream.producer.ingest import request_candidates
from wirestream.producer.publisher import Pacer, ProduceStats
from wirestream.producer.report import summary_line
from wirestream.producer.sources import (
    Accepted,
    DirectoryWatch,
    Rejected,
    ndjson_lines,
    page_file,
    path_candidates,
    stream_candidates,
    watch_candidates,
)

PAGE = (
    "Kim vertrekt uit Rusland\n"
    "VLADIVOSTOK (ANP/RTR) - De Noord-Koreaanse leider Kim Jong-un vertrekt uit Oekraïne.\n"
)
FETCHED = datetime(2026, 3, 9, 12, 30, 15, tzinfo=UTC)


def envelope(**fields: object) -> dict:
    base = {
        "source": "anp",
        "fetched_at": "2026-03-09T12:30:15Z",
        "content_type": "text/plain",
        "body": PAGE,
    }
    return {**base, **fields}


def write_page(path: Path, data: bytes, when: datetime = FETCHED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def published(candidate: object) -> dict:
    """The envelope an accepted candidate publishes, checked against the schema."""
    assert isinstance(candidate, Accepted), candidate
    envelope = orjson.loads(candidate.value)
    assert_valid("raw-envelope.v1", envelope)
    assert candidate.source == envelope["source"]
    return envelope


def test_page_file_becomes_an_envelope_from_its_directory_and_mtime(tmp_path: Path) -> None:
    page = write_page(tmp_path / "anp" / "buitenland.txt", PAGE.encode())
    assert published(*page_file(page, root=tmp_path)) == {
        "source": "anp",
        "fetched_at": "2026-03-09T12:30:15Z",
        "content_type": "text/plain",
        "body": PAGE,
        "id": "anp/buitenland.txt",
    }


def test_source_flag_overrides_the_directory_name(tmp_path: Path) -> None:
    page = write_page(tmp_path / "anp" / "p.txt", PAGE.encode())
    envelope = published(*page_file(page, source="reuters"))
    assert envelope["source"] == "reuters"
    assert envelope["id"] == "p.txt"


def test_non_utf8_page_is_decoded_by_charset_detection(tmp_path: Path) -> None:
    text = "Oekraïense autoriteiten melden vijftien doden bij Dnipro, zegt de Zwitserse justitie."
    page = write_page(tmp_path / "anp" / "cp1252.txt", (PAGE + text).encode("cp1252"))
    body = published(*page_file(page))["body"]
    assert "Oekraïne" in body
    assert "Oekraïense" in body


def test_html_pages_are_marked_html_by_suffix_or_markup(tmp_path: Path) -> None:
    html = b"<html><body><p>VLADIVOSTOK (ANP) - Tekst.</p></body></html>"
    by_suffix = published(*page_file(write_page(tmp_path / "a" / "page.html", b"plain words")))
    by_markup = published(*page_file(write_page(tmp_path / "a" / "page.txt", html)))
    plain = published(*page_file(write_page(tmp_path / "a" / "plain.txt", PAGE.encode())))
    assert by_suffix["content_type"] == "text/html"
    assert by_markup["content_type"] == "text/html"
    assert plain["content_type"] == "text/plain"


def test_ndjson_lines_accept_good_and_reject_bad_lines_with_their_number() -> None:
    lines = [
        orjson.dumps(envelope(id="a")),
        b"",
        b"not json",
        orjson.dumps(envelope(content_type="application/pdf")),
        orjson.dumps({k: v for k, v in envelope().items() if k != "body"}),
        orjson.dumps(envelope(fetched_at="yesterday")),
        orjson.dumps(envelope(source=7)),
        orjson.dumps([envelope()]),
        orjson.dumps(envelope(id="blank", body="   ")),
        orjson.dumps(
            envelope(
                id="b",
                url="https://example.org/x",
                content_type="text/html; charset=utf-8",
                fetched_at="2026-03-09T12:30:15.5+01:00",
            )
        ),
    ]
    candidates = list(ndjson_lines(lines, "dump.ndjson"))
    accepted = [c for c in candidates if isinstance(c, Accepted)]
    rejected = [c for c in candidates if isinstance(c, Rejected)]
    # A blank body is the normalizer's to dead-letter (original bytes kept for a replay),
    # not the producer's to reject: only broken envelopes stop here.
    assert [published(c)["id"] for c in accepted] == ["a", "blank", "b"]
    assert accepted[0].value == lines[0]  # the original bytes, untouched
    assert [r.where for r in rejected] == [f"dump.ndjson:{n}" for n in (3, 4, 5, 6, 7, 8)]
    assert [r.reason for r in rejected] == [Reason.INVALID_ENVELOPE] * 6
    messages = [r.message for r in rejected]
    assert "not valid JSON" in messages[0]
    assert "content_type" in messages[1]
    assert messages[2] == "missing field 'body'"
    assert "RFC 3339" in messages[3]
    assert "'source' must be a string" in messages[4]
    assert "not an object" in messages[5]
    assert rejected[1].original == lines[3]


def test_directory_is_walked_recursively_in_order_without_hidden_files(tmp_path: Path) -> None:
    write_page(tmp_path / "b" / "2.txt", PAGE.encode())
    write_page(tmp_path / "a" / "1.txt", PAGE.encode())
    write_page(tmp_path / "a" / "deep" / "3.html", b"<p>x</p>")
    write_page(tmp_path / "a" / ".hidden.txt", b"secret")
    write_page(tmp_path / ".git" / "config", b"x")
    lines = [orjson.dumps(envelope(id="n1")), b"{broken"]
    write_page(tmp_path / "c" / "dump.ndjson", b"\n".join(lines))
    candidates = list(path_candidates(tmp_path))
    assert [c.where for c in candidates] == [
        str(tmp_path / "a" / "1.txt"),
        str(tmp_path / "a" / "deep" / "3.html"),
        str(tmp_path / "b" / "2.txt"),
        f"{tmp_path / 'c' / 'dump.ndjson'}:1",
        f"{tmp_path / 'c' / 'dump.ndjson'}:2",
    ]
    assert [type(c).__name__ for c in candidates] == ["Accepted"] * 4 + ["Rejected"]
    assert published(candidates[1])["source"] == "deep"
    assert published(candidates[1])["id"] == "a/deep/3.html"


def test_missing_path_is_rejected_not_skipped(tmp_path: Path) -> None:
    [candidate] = path_candidates(tmp_path / "nope.txt")
    assert isinstance(candidate, Rejected)
    assert "no such file" in candidate.message


def test_stdin_page_and_stdin_ndjson() -> None:
    [page] = stream_candidates(io.BytesIO(b"\n\n" + PAGE.encode("cp1252")))
    assert published(page)["source"] == "stdin"
    assert "Oekraïne" in published(page)["body"]

    ndjson = b"\n" + orjson.dumps(envelope(id="1")) + b"\n[]\n" + orjson.dumps(envelope(id="2"))
    candidates = list(stream_candidates(io.BytesIO(ndjson)))
    assert [c.where for c in candidates] == ["stdin:1", "stdin:2", "stdin:3"]
    assert [type(c).__name__ for c in candidates] == ["Accepted", "Rejected", "Accepted"]
    assert list(stream_candidates(io.BytesIO(b"  \n"))) == []


def test_directory_watch_reports_new_and_changed_files_once_stable(tmp_path: Path) -> None:
    old = write_page(tmp_path / "anp" / "old.txt", PAGE.encode())
    watch = DirectoryWatch(tmp_path)
    watch.mark_published([old])
    assert watch.poll() == []
    new = write_page(tmp_path / "anp" / "new.txt", b"half")
    assert watch.poll() == []  # seen once: maybe still being written
    write_page(new, b"half a page, now whole", datetime(2026, 3, 9, 13, tzinfo=UTC))
    assert watch.poll() == []  # it changed since: wait again
    assert watch.poll() == [new]
    assert watch.poll() == []  # reported once
    write_page(old, PAGE.encode() + b"update", datetime(2026, 3, 9, 14, tzinfo=UTC))
    assert watch.poll() == []
    assert watch.poll() == [old]


async def test_watch_candidates_yield_existing_then_new_files(tmp_path: Path) -> None:
    write_page(tmp_path / "anp" / "first.txt", PAGE.encode())
    candidates = watch_candidates(tmp_path, interval=0.02)
    first = await asyncio.wait_for(anext(candidates), 10)
    assert first.where.endswith("first.txt")
    write_page(tmp_path / "anp" / "second.txt", PAGE.encode())
    second = await asyncio.wait_for(anext(candidates), 10)
    assert published(second)["id"] == "anp/second.txt"
    await candidates.aclose()


def test_pacer_keeps_to_the_schedule() -> None:
    now = [100.0]
    pacer = Pacer(4.0, clock=lambda: now[0])
    assert pacer.delay() == 0.0
    assert pacer.delay() == pytest.approx(0.25)
    now[0] = 101.0  # a stall: the next sends are due already
    assert [pacer.delay() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.delay() == pytest.approx(0.25)
    assert Pacer(None).delay() == 0.0
    with pytest.raises(ValueError):
        Pacer(0)


def test_request_candidates_single_envelope_and_batches() -> None:
    one = orjson.dumps(envelope(id="x"))
    [single] = request_candidates(one, "application/json")
    assert published(single)["id"] == "x"
    batch = b"\n".join(orjson.dumps(envelope(id=str(n))) for n in range(3))
    assert len(request_candidates(batch, "application/x-ndjson")) == 3
    assert len(request_candidates(batch, "application/json")) == 3  # NDJSON without its type
    [bad] = request_candidates(orjson.dumps({"source": "x"}), "application/json")
    assert isinstance(bad, Rejected) and "missing field" in bad.message
    [garbage] = request_candidates(b"{nope", "application/json")
    assert isinstance(garbage, Rejected) and garbage.where == "request"
    assert garbage.reason is Reason.INVALID_ENVELOPE
    [binary] = request_candidates(b"\x00\x01\x02PK", "application/octet-stream")
    assert isinstance(binary, Rejected) and binary.reason is Reason.BINARY
    [binary_body] = request_candidates(orjson.dumps(envelope(body="\x00\x01" * 50)), "")
    assert isinstance(binary_body, Accepted) and binary_body.source == "anp"


def test_summary_line_counts_everything() -> None:
    stats = ProduceStats(published=5, bytes=1234, rejected=Counter(invalid_envelope=2), failed=1)
    line = summary_line(stats, "wire.raw")
    assert "5 published to wire.raw" in line
    assert "2 rejected (invalid_envelope 2)" in line
    assert "1 failed" in line and "1234 bytes" in line


class FlakyBroker:
    """The producer edge of the publisher, failing each record's first sends with a given
    error, as a broker in a leader election does; records what was finally taken."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.attempts: Counter[bytes] = Counter()
        self.taken: list[tuple[bytes, bytes]] = []

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future:
        self.attempts[value] += 1
        delivery = asyncio.get_running_loop().create_future()
        if self.attempts[value] <= self.failures:
            delivery.set_exception(self.error)
        else:
            self.taken.append((key, value))
            delivery.set_result(None)
        return delivery


async def test_publisher_retries_transient_errors_then_counts_failures() -> None:
    from aiokafka.errors import KafkaTimeoutError, RecordTooLargeError

    from wirestream.producer.publisher import Publisher

    records = [orjson.dumps(envelope(id=str(n), source=f"s{n}")) for n in range(3)]
    candidates = [c for r in records for c in ndjson_lines([r], "x")]

    flaky = FlakyBroker(failures=2, error=KafkaTimeoutError())
    publisher = Publisher(flaky, "wire.raw", retries=2, retry_backoff=0.001)
    outcomes = [await publisher.submit(c) for c in candidates]
    await publisher.drain()
    assert [o.result() for o in outcomes] == [True, True, True]
    assert sorted(flaky.taken) == sorted((f"s{n}".encode(), r) for n, r in enumerate(records))
    assert (publisher.stats.published, publisher.stats.failed) == (3, 0)

    failed: list[Rejected] = []
    hopeless = FlakyBroker(failures=9, error=KafkaTimeoutError())
    publisher = Publisher(hopeless, "t", retries=2, retry_backoff=0.001, on_reject=failed.append)
    outcome = await publisher.submit(candidates[0])
    await publisher.drain()
    assert outcome.result() is False and hopeless.attempts[records[0]] == 3
    assert (publisher.stats.published, publisher.stats.failed) == (0, 1)
    assert failed[0].original == records[0] and "not delivered" in failed[0].message

    fatal = FlakyBroker(failures=9, error=RecordTooLargeError())  # not retriable: one attempt
    publisher = Publisher(fatal, "t", retries=5, retry_backoff=0.001)
    await publisher.submit(candidates[0])
    await publisher.drain()
    assert fatal.attempts[records[0]] == 1 and publisher.stats.failed == 1


def test_content_type_sniffing():
    from wirestream.producer.page_envelopes import sniff_content_type

    assert sniff_content_type("page.xhtml", "Kop\nAMSTERDAM (ANP) - Tekst.") == "text/html"
    prolog = '<?xml version="1.0"?>\n<!-- scraped -->\n<html><body><p>Tekst</p></body></html>'
    assert sniff_content_type("page", prolog) == "text/html"
    assert sniff_content_type("page.txt", "Kop\nAMSTERDAM (ANP) - 3 < 4 is waar.") == "text/plain"
