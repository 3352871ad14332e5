"""`wirestream produce`, `tail` and `dlq` against a real broker, run as the CLI is run."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from service_harness import TopicReader, fresh_topics

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Origin, Reason

pytestmark = pytest.mark.kafka

PAGE = (
    "Kim vertrekt na meerdaags bezoek uit Rusland\n"
    "VLADIVOSTOK (ANP/RTR) - De Noord-Koreaanse leider Kim Jong-un lijkt na een meerdaags"
    " bezoek Rusland weer te verlaten. Zijn trein vertrok uit het oostelijke Artjom.\n"
)
WAIT_S = 60.0


def envelope(page_id: str, source: str = "feed", body: str = PAGE) -> dict:
    return {
        "id": page_id,
        "source": source,
        "fetched_at": "2026-11-26T10:00:00Z",
        "content_type": "text/plain",
        "body": body,
    }


async def wirestream(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run the CLI to completion: exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wirestream.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), WAIT_S)
    return process.returncode, out.decode(), err.decode()


async def test_pages_dirs_and_ndjson_round_trip_keyed_by_source(kafka_bootstrap, tmp_path):
    topics = await fresh_topics(kafka_bootstrap, "produce", partitions=3)
    pages = tmp_path / "pages"
    (pages / "anp").mkdir(parents=True)
    (pages / "anp" / "kim.txt").write_text(PAGE, encoding="utf-8")
    # A Latin-1 page: decoded by charset detection, not lost to its encoding.
    (pages / "anp" / "latin1.txt").write_bytes(PAGE.replace("Kim", "Oekraïne").encode("latin-1"))
    (pages / "web").mkdir()
    (pages / "web" / "page.html").write_text(f"<html><body><p>{PAGE}</p></body></html>")
    bad_line = b'{"source": "feed", "body": "no fetched_at"}'
    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(
        orjson.dumps(envelope("n1", "reuters")) + b"\n" + bad_line + b"\n\n"
        + orjson.dumps(envelope("n2", "afp")) + b"\n"
    )  # fmt: skip
    dead = tmp_path / "rejected.ndjson"

    code, _, err = await wirestream(
        "produce", "--bootstrap", kafka_bootstrap, "--topic", topics.raw,
        "--dead-letter", str(dead), str(pages), str(dump),
    )  # fmt: skip

    assert code == 1, err  # something was rejected: the exit status says so
    assert (
        f"rejected {dump}:2: invalid_envelope: missing fields 'fetched_at', 'content_type'" in err
    )
    assert f"5 published to {topics.raw}, 1 rejected (invalid_envelope 1), 0 failed" in err
    [letter] = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert_valid("dead-letter.v1", letter)
    assert base64.b64decode(letter["original_base64"]) == bad_line

    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        records = await reader.until(5)
    by_id = {orjson.loads(r.value)["id"]: r for r in records}
    assert set(by_id) == {"anp/kim.txt", "anp/latin1.txt", "web/page.html", "n1", "n2"}
    for record in records:
        value = orjson.loads(record.value)
        assert_valid("raw-envelope.v1", value)
        assert record.key == value["source"].encode()
    assert orjson.loads(by_id["anp/kim.txt"].value)["body"] == PAGE
    assert "Oekraïne" in orjson.loads(by_id["anp/latin1.txt"].value)["body"]
    assert orjson.loads(by_id["web/page.html"].value)["content_type"] == "text/html"
    assert by_id["n1"].value == orjson.dumps(envelope("n1", "reuters"))  # NDJSON bytes as given
    # Keyed by source: one source, one partition (and its order).
    assert by_id["anp/kim.txt"].partition == by_id["anp/latin1.txt"].partition


async def test_stdin_ndjson_paced_by_rate(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "stdin", partitions=1)
    lines = [orjson.dumps(envelope(f"s{n}", "stdin-feed")) for n in range(6)]
    code, _, err = await wirestream(
        "produce", "--bootstrap", kafka_bootstrap, "--topic", topics.raw, "--rate", "10", "-",
        stdin=b"\n".join(lines) + b"\n",
    )  # fmt: skip
    assert code == 0, err
    summary = err.strip().splitlines()[-1]
    assert f"6 published to {topics.raw}, 0 rejected, 0 failed" in summary
    # Six records at 10/s are spaced over at least 0.5 s: the pacer's schedule, not a benchmark.
    elapsed = float(summary.split(" bytes in ")[1].split("s")[0])
    assert elapsed >= 0.5
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        records = await reader.until(6)
    assert [r.value for r in records] == lines  # one partition: in order


async def test_stdin_page(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "stdinpage", partitions=1)
    code, _, err = await wirestream(
        "produce", "--bootstrap", kafka_bootstrap, "--topic", topics.raw, "--source", "anp", "-",
        stdin=PAGE.encode("cp1252"),
    )  # fmt: skip
    assert code == 0, err
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        [record] = await reader.until(1)
    value = orjson.loads(record.value)
    assert (record.key, value["body"], value["source"]) == (b"anp", PAGE, "anp")


async def test_missing_topic_fails_fast(kafka_bootstrap, tmp_path):
    (tmp_path / "p.txt").write_text(PAGE)
    code, _, err = await wirestream(
        "produce", "--bootstrap", kafka_bootstrap, "--topic", "no-such-topic-here", str(tmp_path)
    )
    assert code == 1
    assert "topic no-such-topic-here does not exist" in err


async def test_watch_publishes_new_files_until_sigterm(kafka_bootstrap, tmp_path):
    topics = await fresh_topics(kafka_bootstrap, "watch", partitions=1)
    watched = tmp_path / "anp"
    watched.mkdir()
    (watched / "first.txt").write_text(PAGE)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirestream.cli", "produce", "--bootstrap", kafka_bootstrap,
        "--topic", topics.raw, "--watch", "--poll-interval", "0.1", str(tmp_path),
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with TopicReader(kafka_bootstrap, topics.raw) as reader:
            [first] = await reader.until(1)
            (watched / "second.html").write_text(f"<p>{PAGE}</p>")
            records = await reader.until(2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    assert process.returncode == 0, err.decode()
    assert orjson.loads(first.value)["id"] == "anp/first.txt"
    second = orjson.loads(records[1].value)
    assert (second["id"], second["content_type"]) == ("anp/second.html", "text/html")
    assert f"2 published to {topics.raw}" in err.decode()


async def test_tail_prints_items_ndjson_and_pretty(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "tail", partitions=2)
    items = [
        {
            "id": f"i{n}",
            "story_id": f"story{n}",
            "version": 1,
            "dedup": {"status": "new"},
            "dateline": {"raw": "VLADIVOSTOK"},
            "headline": f"Kim vertrekt {n}",
        }
        for n in range(3)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for item in items:
            await producer.send_and_wait(topics.normalized, orjson.dumps(item), key=b"k")
    finally:
        await producer.stop()
    common = ("--bootstrap", kafka_bootstrap, "--topic-normalized", topics.normalized)
    code, out, err = await wirestream(
        "tail", *common, "--from-beginning", "--format", "ndjson", "--max", "3", "--timeout", "30"
    )
    assert code == 0, err
    assert [orjson.loads(line) for line in out.splitlines()] == items
    code, out, _ = await wirestream("tail", *common, "--from-beginning", "--timeout", "3")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "new", "story0", "v1", "VLADIVOSTOK", "|", "Kim", "vertrekt", "0"
    ]  # fmt: skip
    # --max not reached before --timeout: exit status 1 for scripts.
    code, out, _ = await wirestream(
        "tail", *common, "--from-beginning", "--max", "9", "--timeout", "3"
    )
    assert code == 1
    assert len(out.splitlines()) == 3


async def test_dlq_list_and_replay_original_bytes_to_origin_topic(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "dlq", partitions=2)
    fixed_later = orjson.dumps(envelope("late", "anp", body="zonder dateline"))
    failed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    letters = [
        DeadLetter(Reason.NO_DATELINE, "no dateline", fixed_later, "normalizer",
                   Origin(topics.raw, 1, 7), source="anp"),
        DeadLetter(Reason.NO_DATELINE, "no dateline", b"", "normalizer", Origin(topics.raw, 0, 3)),
        DeadLetter(Reason.BINARY, "binary", b"\x00\x01", "normalizer", Origin(topics.raw, 0, 4)),
        DeadLetter(Reason.STAGE_ERROR, "bug", fixed_later, "normalizer", Origin(topics.raw, 1, 9),
                   key=b"ap", headers=(("traceparent", b"00-1-01"), ("ws-replayed-from", b"x"))),
    ]  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(topics.dlq, orjson.dumps(letter.to_record(failed_at)))
    finally:
        await producer.stop()
    common = ("--bootstrap", kafka_bootstrap, "--topic-dlq", topics.dlq,
              "--topic-dlq-replays", topics.dlq_replays)  # fmt: skip

    code, out, err = await wirestream("dlq", "list", *common, "--format", "json")
    assert code == 0, err
    summary = {row["reason"]: row for row in orjson.loads(out)}
    assert {r: s["count"] for r, s in summary.items()} == {
        "no_dateline": 2,
        "binary": 1,
        "stage_error": 1,
    }
    assert summary["no_dateline"]["origins"] == {topics.raw: 2}

    code, out, _ = await wirestream(
        "tail",
        *common[:4],
        "--topic",
        topics.dlq,
        "--from-beginning",
        "--max",
        "3",
        "--timeout",
        "30",
    )
    assert code == 0
    assert [line.split()[:4] for line in out.splitlines()] == [
        ["DLQ", "no_dateline", "normalizer", "|"],
        ["DLQ", "no_dateline", "normalizer", "|"],
        ["DLQ", "binary", "normalizer", "|"],
    ]

    code, out, err = await wirestream("dlq", "replay", *common, "--reason", "no_dateline")
    assert code == 1  # one letter had no original bytes: skipped and said so
    assert "no original bytes" in err
    assert f"replayed 1 of 2 dead letters: {{'{topics.raw}': 1}}; 1 skipped" in out
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        await reader.until(1)
        [replayed] = await reader.drain()  # the binary letter was not chosen: nothing else
    assert replayed.value == fixed_later
    assert replayed.key == b"anp"
    assert dict(replayed.headers)["ws-replayed-from"] == f"{topics.dlq}/0/0".encode()

    # Once only: the ledger remembers what was replayed; the next replay skips it.
    code, out, _ = await wirestream("dlq", "replay", *common, "--reason", "no_dateline")
    assert "skipping 1 already replayed" in out
    assert "replayed 0 of 1 dead letters" in out
    # A letter with the original's key and headers (1.2.0) goes back with them.
    code, out, err = await wirestream("dlq", "replay", *common, "--reason", "stage_error")
    assert code == 0, err
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        await reader.until(2)
        records = await reader.drain()
    assert [r.value for r in records] == [fixed_later, fixed_later]  # nothing replayed twice
    assert records[1].key == b"ap"
    assert records[1].headers == (
        ("traceparent", b"00-1-01"),
        ("ws-replayed-from", f"{topics.dlq}/0/3".encode()),
    )
    # An unknown reason is an error that lists the known ones, not "0 of 0".
    code, out, err = await wirestream("dlq", "replay", *common, "--reason", "no_datelines")
    assert code == 2
    assert "unknown reason no_datelines; known reasons: binary, empty," in err
