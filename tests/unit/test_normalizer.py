"""Golden tests: fixture pages through the Normalizer stage, every field checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.core.stage import Stage
from wirestream.normalizer import Normalizer, decode_page

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
FETCHED_AT = "2026-02-01T12:00:00Z"


def envelope(body: str, **fields: Any) -> bytes:
    record = {"source": "test", "fetched_at": FETCHED_AT, "content_type": "text/plain"}
    record.update(fields)
    record["body"] = body
    return orjson.dumps(record)


def page_envelope(name: str, **fields: Any) -> bytes:
    data = (PAGES / name).read_bytes()
    if name.endswith(".html"):
        fields.setdefault("content_type", "text/html")
    return envelope(decode_page(data), **fields)


def normalize(raw: bytes, origin: Origin | None = None) -> list[dict[str, Any]]:
    outcomes = Normalizer().process(raw, origin or Origin())
    assert all(isinstance(o, Emit) for o in outcomes), outcomes
    for outcome in outcomes:
        assert isinstance(outcome, Emit)
        assert outcome.publish
        assert outcome.key == outcome.item["routing_key"]
        assert_valid("wire-item.v1", outcome.item)
    return [o.item for o in outcomes if isinstance(o, Emit)]


def dead_letter(raw: bytes) -> DeadLetter:
    outcomes = Normalizer().process(raw, Origin(topic="wire.raw", partition=2, offset=41))
    assert len(outcomes) == 1 and isinstance(outcomes[0], DeadLetter), outcomes
    letter = outcomes[0]
    assert letter.original == raw
    assert letter.stage == "normalizer"
    assert letter.origin == Origin(topic="wire.raw", partition=2, offset=41)
    assert_valid("dead-letter.v1", letter.to_record("2026-02-01T12:00:01Z"))
    return letter


def summary(item: dict[str, Any]) -> tuple[Any, ...]:
    dateline = item["dateline"]
    return (
        item["kind"],
        dateline and dateline["raw"],
        dateline and dateline["place"],
        [agency["code"] for agency in item["agencies"]],
        item["published_at"],
        item["published_precision"],
        item["routing_key"],
    )


def test_normalizer_satisfies_the_stage_protocol():
    assert isinstance(Normalizer(), Stage)
    assert Normalizer().name == "normalizer"


def test_dutch_page_every_field_of_the_article():
    raw = page_envelope("nl_binnenland.txt", url="https://example.nl/binnenland/1", id="raw-1")
    items = normalize(raw, Origin(topic="wire.raw", partition=3, offset=7))
    article = items[0]
    assert article["id"] == items[0]["id"] and len(article["id"]) == 32
    assert {key: value for key, value in article.items() if key != "id"} == {
        "schema_version": "1.4.0",
        "kind": "article",
        "headline": "Rechter legt bouwstop op voor nieuwe wijk in Den Bosch",
        "body_text": (
            "De rechtbank in Den Bosch heeft een bouwstop opgelegd voor de nieuwe woonwijk aan "
            "de rand van de stad. Omwonenden hadden een kort geding aangespannen omdat de "
            "gemeente volgens hen te weinig onderzoek had gedaan naar de gevolgen voor de "
            "natuur.\n\n"
            "De gemeente zegt de uitspraak te bestuderen. Een woordvoerder liet weten dat het "
            "college teleurgesteld is, maar de zorgen van de buurtbewoners serieus neemt.\n\n"
            "Stikstof\n\n"
            "De rechter oordeelde dat de berekening van de stikstofuitstoot tijdens de bouw "
            "niet deugt. Volgens het vonnis moet de gemeente een nieuwe berekening laten maken "
            "voordat er verder gebouwd mag worden."
        ),
        "subheadings": ["Stikstof"],
        "slug": None,
        "editors_notes": [],
        "section": "Binnenland",
        "language": "nl",
        "dateline": {
            "raw": "'S-HERTOGENBOSCH",
            "qualifiers": [],
            "place": "'s-Hertogenbosch",  # GeoNames 2747351, in the normalizer already
            "country_code": "NL",
            "lat": pytest.approx(51.699, abs=0.001),
            "lon": pytest.approx(5.304, abs=0.001),
            "geonames_id": 2747351,
        },
        "agencies": [{"code": "ANP", "name": None}],
        "published_at": None,
        "published_precision": "none",
        "fetched_at": "2026-02-01T12:00:00Z",
        "source": "test",
        "word_count": 97,
        "routing_key": "geonames:2747351",
        "provenance": {
            "raw_id": "raw-1",
            "position": 0,
            "url": "https://example.nl/binnenland/1",
            "topic": "wire.raw",
            "partition": 3,
            "offset": 7,
        },
    }


def test_dutch_page_teasers_take_the_time_that_follows_them():
    items = normalize(page_envelope("nl_binnenland.txt"))
    assert [summary(item) for item in items[1:]] == [
        # "35 minuten geleden" is glued to the AMSTERDAM line but belongs to DEN HAAG.
        (
            "teaser",
            "DEN HAAG",
            "Den Haag",
            ["ANP"],
            "2026-02-01T11:25:00Z",
            "minute",
            "geonames:2747373",
        ),
        # gisteren, in Amsterdam: 31 January 00:00 CET is 30 January 23:00 UTC.
        ("teaser", "AMSTERDAM", "Amsterdam", [], "2026-01-30T23:00:00Z", "day", "geonames:2759794"),
        (
            "teaser",
            "UTRECHT",
            "Utrecht",
            ["ANP", "NU"],
            "2026-01-29T23:00:00Z",
            "day",
            "geonames:2745912",
        ),
        (
            "teaser",
            "GENÈVE",
            "Geneva",
            ["ANP", "AFP"],
            "2026-01-29T23:00:00Z",
            "day",
            "geonames:2660646",
        ),
    ]
    teaser = items[2]
    assert teaser["headline"] is None
    assert teaser["subheadings"] == []
    assert teaser["section"] == "Binnenland"
    assert teaser["language"] == "nl"
    assert teaser["provenance"]["position"] == 2
    assert teaser["word_count"] == 36
    assert teaser["body_text"].startswith("Bij een brand in een woning in Amsterdam-Noord")
    assert teaser["body_text"].endswith("maar kon de man niet meer redden.")


def test_time_words_and_agencies_never_reach_the_text():
    for name in ("nl_binnenland.txt", "nl_economie.txt", "en_world.txt", "multilingual.txt"):
        for item in normalize(page_envelope(name)):
            text = item["body_text"]
            for word in ("geleden", " ago", "gisteren", "yesterday", "(ANP", "(Reuters", "(AP)"):
                assert word not in text, (name, word, text)


def test_item_ids_are_deterministic_and_unique_per_page():
    first = normalize(page_envelope("nl_binnenland.txt"))
    again = normalize(page_envelope("nl_binnenland.txt"))
    assert [item["id"] for item in first] == [item["id"] for item in again]
    assert len({item["id"] for item in first}) == len(first)
    # No envelope id: the raw id is a hash of the envelope bytes, the same for the same bytes.
    assert first[0]["provenance"]["raw_id"] == again[0]["provenance"]["raw_id"]
    later = normalize(page_envelope("nl_binnenland.txt", fetched_at="2026-02-01T13:00:00Z"))
    assert later[0]["provenance"]["raw_id"] != first[0]["provenance"]["raw_id"]
    assert later[0]["id"] != first[0]["id"]


def test_economy_page_time_under_the_headline_and_dated_dateline():
    items = normalize(page_envelope("nl_economie.txt"))
    assert [summary(item) for item in items] == [
        # the relative time under the headline is more precise than "1 februari"
        ("article", "DEN HAAG, 1 februari", "Den Haag", ["ANP"], "2026-02-01T11:25:00Z",
         "minute", "geonames:2747373"),
        ("teaser", "ROTTERDAM", "Rotterdam", ["ANP", "BLOOMBERG"], "2026-02-01T09:00:00Z",
         "hour", "geonames:2747891"),
        ("teaser", "EINDHOVEN", "Eindhoven", ["ANP"], "2026-02-01T03:00:00Z", "hour",
         "geonames:2756253"),
    ]  # fmt: skip
    assert items[0]["section"] == "Economie"
    assert "35 minuten" not in items[0]["body_text"]


def test_english_wire_page_with_dated_dateline_and_ap_dashes():
    items = normalize(page_envelope("en_world.txt", fetched_at="2026-03-10T08:00:00Z"))
    assert [summary(item) for item in items] == [
        ("article", "WASHINGTON, March 9", "Washington", ["Reuters"], "2026-03-09T00:00:00Z",
         "day", "geonames:4140963"),
        ("teaser", "NAIROBI", "Nairobi", ["Reuters"], "2026-03-10T06:00:00Z", "hour",
         "geonames:184745"),
        ("teaser", "KANSAS CITY, Mo.", "Kansas City", ["AP"], "2026-03-09T00:00:00Z", "day",
         "geonames:4393217"),
        ("teaser", "NEW YORK", "New York City", ["AP"], "2026-03-07T00:00:00Z", "day",
         "geonames:5128581"),
    ]  # fmt: skip
    assert {item["language"] for item in items} == {"en"}
    assert {item["section"] for item in items} == {"World"}
    assert items[0]["headline"] == "Fed holds rates steady as inflation cools"
    assert items[0]["subheadings"] == ["Markets react"]


def test_language_of_each_item():
    items = normalize(page_envelope("multilingual.txt"))
    assert [(item["dateline"]["place"], item["language"]) for item in items] == [
        ("Berlin", "de"),
        ("Paris", "fr"),
    ]
    assert [item["provenance"]["position"] for item in items] == [1, 2]  # no article on it


def test_html_page_is_cleaned_and_split_like_text():
    items = normalize(page_envelope("nl_buitenland.html"))
    assert [summary(item) for item in items] == [
        ("article", "ATHENE", "Athens", ["ANP", "RTR"], None, "none", "geonames:264371"),
        # <time datetime> gives the minute; a bare <time> gives its wording
        ("teaser", "MADRID", "Madrid", ["ANP", "EFE"], "2026-02-01T09:30:00Z", "minute",
         "geonames:3117735"),
        ("teaser", "ROME", "Rome", ["ANP"], "2026-02-01T07:00:00Z", "hour", "geonames:3169070"),
    ]  # fmt: skip
    article = items[0]
    assert article["headline"] == "Duizenden mensen op de vlucht voor bosbranden in Griëkenland"
    assert article["subheadings"] == ["Hittegolf"]
    assert article["section"] == "Buitenland"
    assert article["body_text"].split("\n\n") == [
        "Duizenden inwoners en toeristen zijn op de vlucht geslagen voor bosbranden ten "
        "noorden van Athene. De brandweer zegt dat harde wind het blussen bemoeilijkt & dat "
        "meerdere dorpen zijn ontruimd.",
        "De Griekse regering heeft de hulp ingeroepen van andere Europese landen. "
        "Blusvliegtuigen uit Italië en Spanje zijn onderweg.",
        "Hittegolf",
        "Griekenland kampt al dagen met temperaturen boven de veertig graden. Deskundigen "
        "waarschuwen dat de situatie nog dagen kan aanhouden.",
    ]
    text = " ".join(item["body_text"] for item in items)
    for chrome in ("trackArticle", "font-family", "Sport", "Home", "rechten", "LONDEN"):
        assert chrome not in text


def test_html_sniffed_even_when_declared_as_plain_text():
    raw = page_envelope("nl_buitenland.html", content_type="text/plain")
    assert [item["dateline"]["raw"] for item in normalize(raw)] == ["ATHENE", "MADRID", "ROME"]


def test_latin1_page_is_decoded_not_dropped():
    items = normalize(page_envelope("nl_latin1.txt"))
    assert items[0]["headline"] == "Zwitserse skiër overleden na lawine bij Zermatt"
    assert items[1]["dateline"]["raw"] == "GENÈVE"
    assert "café-restaurant" in items[1]["body_text"]


def test_mojibake_is_repaired():
    items = normalize(page_envelope("nl_mojibake.txt"))
    assert items[0]["headline"] == "Gesprekken over Oekraïne gaan volgende week verder"
    assert "De Oekraïense president" in items[0]["body_text"]
    assert "„constructief”" in items[0]["body_text"]
    assert "Ã" not in items[0]["body_text"]


def test_unicode_is_nfc_and_whitespace_is_collapsed():
    decomposed = "GENE\u0300VE (ANP) -   De  stad\u00a0Gene\u0300ve\u200b ligt\taan het meer.\r\n"
    items = normalize(envelope(decomposed))
    assert items[0]["dateline"]["raw"] == "GENÈVE"
    assert items[0]["body_text"] == "De stad Genève ligt aan het meer."
    assert items[0]["language"] == "nl"
    assert normalize(envelope("ROME (ANP) - Ja."))[0]["language"] == "und"  # too short


def test_page_without_dateline_is_dead_lettered():
    letter = dead_letter(page_envelope("cookie_wall.txt", source="scraper-7"))
    assert letter.reason is Reason.NOT_AN_ARTICLE
    assert letter.source == "scraper-7"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", Reason.EMPTY),
        (b"   \n", Reason.EMPTY),
        (envelope("   \n\t"), Reason.EMPTY),
        (bytes(range(256)) * 4, Reason.BINARY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Reason.BINARY),
        (envelope("\x00\x01\x02\x03" * 50), Reason.BINARY),
        (b'{"source": "x", "body": "caf\xe9"}', Reason.UNDECODABLE),
        (envelope("\ufffd" * 100), Reason.UNDECODABLE),
        (b"not json at all", Reason.INVALID_ENVELOPE),
        (b"[1, 2, 3]", Reason.INVALID_ENVELOPE),
        (orjson.dumps({"fetched_at": FETCHED_AT, "content_type": "text/plain", "body": "x"}),
         Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", fetched_at="yesterday"), Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", fetched_at="2026-02-01"), Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", fetched_at=1769947200), Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", content_type="application/pdf"), Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", url=5), Reason.INVALID_ENVELOPE),
        (envelope("AMSTERDAM - x", source=["a"]), Reason.INVALID_ENVELOPE),
        (envelope("Pagina niet gevonden\nProbeer het later opnieuw."), Reason.NOT_AN_ARTICLE),
    ],
)  # fmt: skip
def test_bad_input_becomes_a_dead_letter_with_a_reason(raw, reason):
    letter = dead_letter(raw)
    assert letter.reason is reason, letter.message
    assert letter.message


def test_oversize_limit_is_configurable():
    raw = page_envelope("nl_binnenland.txt")
    assert isinstance(Normalizer(max_bytes=len(raw)).process(raw, Origin())[0], Emit)
    outcomes = Normalizer(max_bytes=len(raw) - 1).process(raw, Origin())
    assert len(outcomes) == 1 and isinstance(outcomes[0], DeadLetter)
    assert outcomes[0].reason is Reason.OVERSIZE
    assert Normalizer().max_bytes == 2 * 1024 * 1024


def test_records_that_are_not_bytes_are_dead_lettered():
    outcomes = Normalizer().process({"body": "x"}, Origin())
    assert isinstance(outcomes[0], DeadLetter)
    assert outcomes[0].reason is Reason.INVALID_ENVELOPE
    text = page_envelope("nl_binnenland.txt").decode()
    assert len(Normalizer().process(text, Origin())) == 5
