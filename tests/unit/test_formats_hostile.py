"""Hostile and broken agency documents: each a dead letter with its reason (or the good items
plus dead letters for the bad entries), never a crash, an expanded entity or a fetch."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.normalizer import Normalizer
from wirestream.normalizer.formats import feeds
from wirestream.normalizer.formats.xml import MAX_DEPTH
from wirestream.producer.page_envelopes import file_envelopes

FETCHED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
G2 = "http://iptc.org/std/nar/2006-10-01/"
NEWS_ITEM = (
    f'<newsItem xmlns="{G2}" guid="urn:x:1" version="1"><itemMeta>'
    "<versionCreated>2026-01-05T10:00:00Z</versionCreated></itemMeta><contentMeta>"
    "<headline>{headline}</headline></contentMeta></newsItem>"
)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def run(normalizer: Normalizer, body: str, content_type: str) -> list[Emit | DeadLetter]:
    envelope = {"source": "s", "fetched_at": "2026-01-05T12:00:00Z", "content_type": content_type}
    return normalizer.process(orjson.dumps(dict(envelope, body=body)), Origin())


def dead(outcomes: list[Emit | DeadLetter]) -> DeadLetter:
    (only,) = outcomes
    assert isinstance(only, DeadLetter)
    assert only.original  # the original bytes, for a replay after a fix
    return only


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{"&lol" + str(n - 1) + ";" if n > 1 else "&lol;"}' * 10 + '">'
        for n in range(1, 10)
    )
    + f']><newsItem xmlns="{G2}"><contentMeta><headline>&lol9;</headline></contentMeta>'
    "</newsItem>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<nitf><body><body.head><hedline><hl1>&xxe;</hl1></hedline></body.head></body></nitf>"
)


def test_xml_bomb_is_refused_before_expansion(normalizer):
    letter = dead(run(normalizer, BILLION_LAUGHS, "application/vnd.iptc.g2.newsitem+xml"))
    assert letter.reason is Reason.UNSAFE_XML
    assert "entity" in letter.message


def test_external_entity_is_refused_and_never_read(normalizer):
    letter = dead(run(normalizer, XXE, "application/nitf+xml"))
    assert letter.reason is Reason.UNSAFE_XML
    assert "root:" not in letter.message


def test_external_dtd_is_never_loaded(normalizer, tmp_path):
    dtd = tmp_path / "nitf.dtd"
    dtd.write_text('<!ENTITY eacute "LOADED">', encoding="utf-8")
    body = (
        f'<!DOCTYPE nitf SYSTEM "{dtd.as_uri()}"><nitf><body><body.head>'
        "<hedline><hl1>Caf&eacute; opens</hl1></hedline></body.head></body></nitf>"
    )
    (item,) = (outcome.item for outcome in run(normalizer, body, "application/nitf+xml"))
    assert item["headline"] == "Café opens"  # read as HTML's &eacute;, not the DTD's


def test_truncated_document_is_malformed(normalizer):
    whole = NEWS_ITEM.format(headline="Kop")
    letter = dead(run(normalizer, whole[: len(whole) // 2], "application/xml"))
    assert letter.reason is Reason.MALFORMED_XML


def test_wrong_namespace_is_an_unknown_format(normalizer):
    body = NEWS_ITEM.format(headline="Kop").replace(G2, "http://example.com/not-g2/")
    letter = dead(run(normalizer, body, "application/vnd.iptc.g2.newsitem+xml"))
    assert letter.reason is Reason.UNKNOWN_FORMAT
    assert G2 in letter.message


def test_unknown_xml_under_a_generic_type_is_an_unknown_format(normalizer):
    letter = dead(run(normalizer, "<catalog><book/></catalog>", "application/xml"))
    assert letter.reason is Reason.UNKNOWN_FORMAT


def test_deep_nesting_stops_at_the_depth_limit(normalizer):
    depth = MAX_DEPTH + 5
    body = f'<newsItem xmlns="{G2}">' + "<a>" * depth + "</a>" * depth + "</newsItem>"
    letter = dead(run(normalizer, body, "application/xml"))
    assert letter.reason is Reason.UNSAFE_XML
    assert str(MAX_DEPTH) in letter.message


def test_bad_entries_are_dead_letters_beside_the_good_items(normalizer):
    good = NEWS_ITEM.format(headline="Goed")
    message = (
        f'<newsMessage xmlns="{G2}"><itemSet>{good}'
        f'<newsItem guid="urn:x:2"><itemMeta/></newsItem>{good}</itemSet></newsMessage>'
    )
    results = run(normalizer, message, "application/xml")
    assert [type(r).__name__ for r in results] == ["Emit", "DeadLetter", "Emit"]
    assert results[1].reason is Reason.INVALID_ITEM
    assert "entry 1" in results[1].message


def feed_of(entries: int) -> str:
    items = "".join(
        f"<item><title>Bericht {n}</title><guid>urn:b:{n}</guid>"
        f"<description>AMSTERDAM (ANP) - Tekst van bericht {n}.</description></item>"
        for n in range(entries)
    )
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


def test_feed_of_ten_thousand_entries_in_one_record_reads_a_bounded_part(normalizer):
    results = run(normalizer, feed_of(10_000), "application/rss+xml")
    emitted = [r for r in results if isinstance(r, Emit)]
    assert len(emitted) == feeds.MAX_ENTRIES
    assert emitted[-1].item["headline"] == f"Bericht {feeds.MAX_ENTRIES - 1}"
    (letter,) = [r for r in results if isinstance(r, DeadLetter)]
    assert letter.reason is Reason.OVERSIZE
    assert "10000 entries" in letter.message


def test_feed_file_of_ten_thousand_entries_becomes_one_record_each_in_bounded_memory():
    data = feed_of(10_000).encode()
    tracemalloc.start()
    records = file_envelopes(data, source="s", fetched_at=FETCHED, name="big.rss", file_id="big")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(records) == 10_000
    assert "Bericht 9999" in records[-1]["body"] and "Bericht 0<" not in records[-1]["body"]
    assert peak < 40 * len(data)  # proportional to the file, not to entries x file


def test_hostile_file_goes_on_whole_for_the_normalizer_to_dead_letter(normalizer):
    (record,) = file_envelopes(
        BILLION_LAUGHS.encode(), source="s", fetched_at=FETCHED, name="bomb.xml"
    )
    assert record["content_type"] == "application/vnd.iptc.g2.newsitem+xml"
    assert dead(normalizer.process(orjson.dumps(record), Origin())).reason is Reason.UNSAFE_XML


def test_an_anpa_take_without_text_or_headline_is_a_dead_letter_not_an_empty_item(normalizer):
    # Found by `make fuzz`: the keyword header and a "^" line only, no tab-led paragraph; the
    # item it made had an empty body_text, which the item schema forbids.
    header = "\x16\x16\x01z6715\x1f-----\nr z\x13\x11 BC-BKN--Heat-Hawks 1stLd   02-20 0500\r\n"
    lines = "".join(f"The wire's text line {n} without a paragraph tab.\n" for n in range(30))
    letter = dead(run(normalizer, f"{header}\x02^BC-BKN-\n{lines}\x03", "text/x-anpa-1312"))
    assert letter.reason is Reason.INVALID_ITEM
    assert letter.message == "anpa1312 entry 0: entry without text or headline"


def test_a_short_framed_flash_is_not_binary(normalizer):
    flash = "\x01fla001 1 i 5\n\x02Merkel wins vote =\n\x03"  # mostly framing by share
    (outcome,) = run(normalizer, flash, "text/vnd.iptc.7901")
    assert isinstance(outcome, Emit)
    assert outcome.item["headline"] == outcome.item["body_text"] == "Merkel wins vote"
    letter = dead(run(normalizer, "\x00" + flash, "text/vnd.iptc.7901"))
    assert letter.reason is Reason.BINARY


def test_a_feed_whose_entries_feedparser_cannot_read_is_a_dead_letter_not_a_silent_drop(
    normalizer,
):
    # Found by `make fuzz` (kept in its corpus): mangled BBC feed markup in which lxml counts
    # an entry and feedparser reads none; the record came out as nothing at all.
    found = (
        Path(__file__).parents[1] / "faults/fuzz_corpus/found-rss-without-entries-for-feedparser"
    )
    body = found.read_bytes()[2:].decode("utf-8", "replace")  # the harness's envelope body
    letter = dead(run(normalizer, body, "application/rss+xml"))
    assert letter.reason is Reason.NO_ITEMS
