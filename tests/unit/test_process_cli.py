"""`wirestream process`: files, NDJSON and stdin in; items, dead letters and exit codes out."""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import orjson
import pytest

from schema_check import assert_valid
from wirestream.cli import main
from wirestream.producer.sources import path_candidates

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
FETCHED_AT = "2026-02-01T12:00:00Z"


def run_cli(argv, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(["process", *argv])
    captured = capsys.readouterr()
    items = [orjson.loads(line) for line in captured.out.splitlines()]
    for item in items:
        assert_valid("wire-item.v1", item)
    return code, items, captured.err


def test_page_file_with_fetched_at(capsys):
    code, items, err = run_cli(
        ["--fetched-at", FETCHED_AT, str(PAGES / "nl_binnenland.txt")], capsys
    )
    assert code == 0
    assert err == ""
    assert [item["dateline"]["raw"] for item in items] == [
        "'S-HERTOGENBOSCH", "DEN HAAG", "AMSTERDAM", "UTRECHT", "GENÈVE"
    ]  # fmt: skip
    assert {item["fetched_at"] for item in items} == {FETCHED_AT}
    assert items[0]["source"] == "pages"  # the directory's name, as `wirestream produce` says
    assert items[1]["published_at"] == "2026-02-01T11:25:00Z"


def test_fetched_at_defaults_to_the_file_mtime(tmp_path, capsys):
    page = tmp_path / "page.txt"
    page.write_bytes((PAGES / "nl_economie.txt").read_bytes())
    os.utime(page, (1769947200, 1769947200))  # 2026-02-01T12:00:00Z
    code, items, _ = run_cli([str(page)], capsys)
    assert code == 0
    assert {item["fetched_at"] for item in items} == {"2026-02-01T12:00:00Z"}
    assert items[1]["published_at"] == "2026-02-01T09:00:00Z"  # 3 uur geleden


def test_html_page_by_extension(capsys):
    code, items, _ = run_cli(
        ["--fetched-at", FETCHED_AT, str(PAGES / "nl_buitenland.html")], capsys
    )
    assert code == 0
    assert [item["dateline"]["raw"] for item in items] == ["ATHENE", "MADRID", "ROME"]


def test_ndjson_envelopes_in_input_order_with_dead_letters(tmp_path, capsys):
    good = {
        "source": "anp",
        "fetched_at": FETCHED_AT,
        "content_type": "text/plain",
        "body": (PAGES / "multilingual.txt").read_text(encoding="utf-8"),
        "id": "e-1",
    }
    second = dict(good, id="e-2", body="LONDEN (ANP) - Het Britse parlement stemt morgen.")
    lines = [
        orjson.dumps(good),
        b"",
        b"{broken json",
        orjson.dumps(dict(good, body="")),
        orjson.dumps(second),
    ]
    source = tmp_path / "envelopes.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    dlq = tmp_path / "dlq.ndjson"
    code, items, err = run_cli(["--dead-letter", str(dlq), str(source)], capsys)
    assert code == 0
    assert [(item["provenance"]["raw_id"], item["dateline"]["raw"]) for item in items] == [
        ("e-1", "BERLIN"),
        ("e-1", "PARIS"),
        ("e-2", "LONDEN"),
    ]
    letters = [orjson.loads(line) for line in dlq.read_bytes().splitlines()]
    assert [letter["reason"] for letter in letters] == ["invalid_envelope", "empty"]
    for letter in letters:
        assert_valid("dead-letter.v1", letter)
    assert err.splitlines() == [
        line for line in err.splitlines() if line.startswith(f"dead letter: {source}:")
    ]
    assert [line.split(": ")[1:3] for line in err.splitlines()] == [
        [f"{source}:3", "invalid_envelope"],
        [f"{source}:4", "empty"],
    ]


def test_stdin_page_and_stdin_ndjson(capsys, monkeypatch):
    page = (PAGES / "nl_economie.txt").read_bytes()
    code, items, _ = run_cli(["--fetched-at", FETCHED_AT, "-"], capsys, page, monkeypatch)
    assert code == 0
    assert [item["dateline"]["place"] for item in items] == ["Den Haag", "Rotterdam", "Eindhoven"]
    envelope = orjson.dumps(
        {"source": "s", "fetched_at": FETCHED_AT, "content_type": "text/plain",
         "body": page.decode()}
    )  # fmt: skip
    code, items, _ = run_cli(["-"], capsys, envelope + b"\n", monkeypatch)
    assert code == 0
    assert len(items) == 3
    assert items[0]["source"] == "s"


def test_rejects_without_dead_letter_file_still_exit_zero(capsys):
    code, items, err = run_cli(["--fetched-at", FETCHED_AT, str(PAGES / "cookie_wall.txt")], capsys)
    assert code == 0
    assert items == []
    assert "not_an_article" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--fetched-at", "gisteren", "page.txt"],
        ["/no/such/file.txt"],
        ["-", "-"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    try:
        code = main(["process", *argv])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert capsys.readouterr().err


def test_all_flag_is_accepted_and_prints_published_items(capsys):
    code, items, _ = run_cli(
        ["--all", "--fetched-at", FETCHED_AT, str(PAGES / "en_world.txt")], capsys
    )
    assert code == 0
    assert len(items) == 4


SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def normalize_and_dedup(monkeypatch):
    """The chain as it stands once dedup is wired in, independent of pipeline.py's state."""
    from wirestream.commands import process
    from wirestream.deduplicator import Deduplicator
    from wirestream.normalizer import Normalizer

    monkeypatch.setattr(process, "build_stages", lambda options: [Normalizer(), Deduplicator()])


def test_samples_tell_new_update_duplicate(normalize_and_dedup, tmp_path, capsys):
    dlq = tmp_path / "dlq.ndjson"
    code, items, err = run_cli(
        ["--all", "--dead-letter", str(dlq), str(SAMPLES / "envelopes.ndjson")], capsys
    )
    assert code == 0
    decisions = {}
    for item in items:
        key = (item["provenance"]["raw_id"], item["dateline"]["raw"], item["kind"])
        decisions[key] = (item["dedup"]["status"], item["version"])
    # the BEIROET teaser of the first page, then its full article, then a revision
    assert decisions[("sample-001", "BEIROET", "teaser")] == ("new", 1)
    assert decisions[("sample-002", "BEIROET", "article")] == ("update", 2)
    assert decisions[("sample-002", "BEIROET", "teaser")] == ("duplicate", 2)
    assert decisions[("sample-006", "BEIROET", "article")] == ("update", 3)
    assert decisions[("sample-002", "KYIV", "teaser")] == ("new", 1)
    # the re-scrape with shifted relative times: nothing new
    rescrape = {status for (raw_id, *_), (status, _) in decisions.items() if raw_id == "sample-005"}
    assert rescrape == {"duplicate"}
    assert [orjson.loads(line)["reason"] for line in dlq.read_bytes().splitlines()] == [
        "not_an_article",
        "empty",
    ]
    assert err.count("dead letter:") == 2


def test_without_all_duplicates_are_held_back(normalize_and_dedup, capsys):
    code, items, _ = run_cli([str(SAMPLES / "envelopes.ndjson")], capsys)
    assert code == 0
    assert {item["dedup"]["status"] for item in items} == {"new", "update"}
    assert len(items) == 6 + 2 + 4 + 3 + 1  # sample-001, -002, -003, -004, -006's article


def test_sample_envelopes_and_pages_are_valid_input(capsys):
    for line in (SAMPLES / "envelopes.ndjson").read_bytes().splitlines():
        assert_valid("raw-envelope.v1", orjson.loads(line))
    pages = sorted(str(path) for path in (SAMPLES / "pages").iterdir())
    code, items, err = run_cli(["--fetched-at", "2026-02-01T10:30:00Z", *pages], capsys)
    assert code == 0 and err == ""
    assert [item["kind"] for item in items].count("article") == len(pages)


def test_latin1_page_file_is_decoded(capsys):
    code, items, err = run_cli(["--fetched-at", FETCHED_AT, str(PAGES / "nl_latin1.txt")], capsys)
    assert code == 0 and err == ""
    assert items[0]["headline"] == "Zwitserse skiër overleden na lawine bij Zermatt"
    assert items[1]["dateline"]["raw"] == "GENÈVE"


def test_dead_letter_of_a_page_file_keeps_the_envelope_for_replay(tmp_path, capsys):
    dlq = tmp_path / "dlq.ndjson"
    page = PAGES / "cookie_wall.txt"
    code, _, _ = run_cli(["--fetched-at", FETCHED_AT, "--dead-letter", str(dlq), str(page)], capsys)
    assert code == 0
    (letter,) = [orjson.loads(line) for line in dlq.read_bytes().splitlines()]
    envelope = orjson.loads(base64.b64decode(letter["original_base64"]))
    assert envelope["body"] == page.read_text(encoding="utf-8")
    assert envelope["fetched_at"] == FETCHED_AT
    assert letter["source"] == "pages"


def test_a_page_file_gets_the_same_item_ids_as_through_the_producer(tmp_path, capsys):
    # process and produce read input through one module, so the same page file is the same
    # envelope (source, id, fetched_at) and its items the same ids in-process and on Kafka.
    scraped = tmp_path / "anp" / "2026-02-01"
    scraped.mkdir(parents=True)
    page = scraped / "buitenland.txt"
    page.write_bytes((PAGES / "nl_binnenland.txt").read_bytes())
    os.utime(page, (1769947200, 1769947200))
    (published,) = path_candidates(tmp_path / "anp")
    assert orjson.loads(published.value)["id"] == "2026-02-01/buitenland.txt"
    produced = tmp_path / "as_published.ndjson"
    produced.write_bytes(published.value + b"\n")

    _, direct, _ = run_cli([str(tmp_path / "anp")], capsys)
    _, via_envelope, _ = run_cli([str(produced)], capsys)
    assert direct and [i["id"] for i in direct] == [i["id"] for i in via_envelope]
    assert {i["source"] for i in direct} == {"2026-02-01"}


def test_a_missing_path_is_a_usage_error(capsys):
    assert main(["process", "/nonexistent/page.txt"]) == 2
    assert capsys.readouterr().err == (
        "wirestream process: error: no such file or directory: /nonexistent/page.txt\n"
    )


def test_produce_names_a_missing_path_before_it_connects(capsys):
    # It said `undecodable` (a dead-letter reason) for a path that is not there.
    assert main(["produce", "--bootstrap", "127.0.0.1:1", "/nonexistent/page.txt"]) == 2
    assert capsys.readouterr().err == (
        "wirestream produce: error: no such file or directory: /nonexistent/page.txt\n"
    )


def test_all_shows_a_duplicate_as_enriched_as_the_story_it_duplicates(tmp_path, capsys):
    """Issue 14: the KIEV copy duplicates the KYIV story; with --all it carries the same
    canonical place and named agencies, not a half-enriched copy."""
    text = (
        " (ANP) - Bij een aanval met drones op een energiecentrale zijn dinsdag zeker zeven "
        "mensen om het leven gekomen, melden de regionale autoriteiten.\n"
    )
    envelopes = tmp_path / "two.ndjson"
    envelopes.write_bytes(
        b"".join(
            orjson.dumps(
                {
                    "id": f"raw-{place}",
                    "source": "test",
                    "fetched_at": FETCHED_AT,
                    "content_type": "text/plain",
                    "body": f"Doden bij aanval\n{place}{text}",
                }
            )
            + b"\n"
            for place in ("KYIV", "KIEV")
        )
    )
    code, items, _ = run_cli(["--all", str(envelopes)], capsys)
    assert code == 0
    story, duplicate = items
    assert [story["dedup"]["status"], duplicate["dedup"]["status"]] == ["new", "duplicate"]
    assert duplicate["story_id"] == story["story_id"]
    assert duplicate["dateline"]["raw"] == "KIEV"
    for field in ("place", "country_code", "geonames_id"):
        assert duplicate["dateline"][field] == story["dateline"][field]
    assert (duplicate["dateline"]["place"], duplicate["dateline"]["country_code"]) == (
        "Kyiv",
        "UA",
    )
    anp = {"code": "ANP", "name": "Algemeen Nederlands Persbureau"}
    assert duplicate["agencies"] == story["agencies"] == [anp]
    assert duplicate["topics"] and duplicate["enrichment_errors"] == []
    code, items, _ = run_cli([str(envelopes)], capsys)
    assert [item["dateline"]["raw"] for item in items] == ["KYIV"]  # held back without --all
