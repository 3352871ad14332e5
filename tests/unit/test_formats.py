"""Agency formats on real public copy (tests/fixtures/formats/README.md): each file goes the
producer's way (one envelope per item) and through the normalizer; every expected value is
read from the file's own metadata, and every item validates against wire-item.v1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from schema_check import assert_valid
from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.normalizer import Normalizer
from wirestream.normalizer.formats import detect_format, sniff_format
from wirestream.producer.page_envelopes import file_envelopes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "formats"
FETCHED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer()


def envelopes(name: str) -> list[dict]:
    data = (FIXTURES / name).read_bytes()
    return list(file_envelopes(data, source="agency", fetched_at=FETCHED, name=name, file_id=name))


def outcomes(normalizer: Normalizer, name: str) -> list[Emit | DeadLetter]:
    found = []
    for envelope in envelopes(name):
        found.extend(normalizer.process(orjson.dumps(envelope), Origin()))
    return found


def items(normalizer: Normalizer, name: str) -> list[dict]:
    results = outcomes(normalizer, name)
    assert all(isinstance(o, Emit) for o in results), [getattr(o, "message", o) for o in results]
    for outcome in results:
        assert_valid("wire-item.v1", outcome.item)
    return [outcome.item for outcome in results]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("newsmlg2_ansa.xml", "newsml-g2"),
        ("newsmlg2_ap_message.xml", "newsml-g2"),
        ("nitf_ap.xml", "nitf"),
        ("iptc7901_dpa.txt", "iptc7901"),
        ("anpa_ap.tst", "anpa1312"),
        ("ninjs_aap.json", "ninjs"),
        ("rss_bbc_world.xml", "rss"),
        ("atom_rfc4287.xml", "atom"),
    ],
)
def test_format_is_recognised_from_content_whatever_the_file_is_called(name, expected):
    text = (FIXTURES / name).read_bytes().decode("latin-1")
    assert sniff_format(text, "download.bin") == expected
    assert detect_format("application/json" if text.lstrip()[0] in "{[" else None, text) == (
        expected
    )


def test_page_text_and_unknown_xml_are_not_agency_formats():
    assert sniff_format("AMSTERDAM (ANP) - Tekst.", "page.xml") is None
    assert sniff_format("<html><body><p>Tekst</p></body></html>", "page.nitf") is None
    assert detect_format("text/plain", "\x16\x16\x01z6715") is None  # a page says it is one


def test_media_type_names_the_format():
    assert detect_format("application/vnd.iptc.g2.newsitem+xml", "") == "newsml-g2"
    assert detect_format("application/nitf+xml", "") == "nitf"
    assert detect_format("text/vnd.iptc.7901", "") == "iptc7901"
    assert detect_format("application/vnd.iptc.ninjs+json", "") == "ninjs"
    assert detect_format("application/rss+xml", "") == "rss"
    assert detect_format("application/atom+xml", "") == "atom"


def test_newsml_g2_ansa_item_field_by_field(normalizer):
    (envelope,) = envelopes("newsmlg2_ansa.xml")
    assert envelope["content_type"] == "application/vnd.iptc.g2.newsitem+xml"
    (item,) = items(normalizer, "newsmlg2_ansa.xml")
    assert item["kind"] == "article"
    assert item["headline"] == "Catalan independence declaration unacceptable - Alfano"
    assert item["body_text"].endswith("but halted implementation to allow for negotiations.")
    assert "Italian Foreign Minister Angelino Alfano" in item["body_text"]
    assert item["language"] == "it"  # xml:lang="it-IT" on the newsItem
    assert item["dateline"]["raw"] == "Rome"  # <located literal="Rome"/>
    assert item["routing_key"] == "geonames:3169070"  # Rome, IT in GeoNames
    assert item["agencies"] == [{"code": "ANSA", "name": None}]  # provider ansa.it, © ANSA
    assert item["published_at"] == "2017-10-11T09:41:00Z"  # versionCreated ...10:41:00+0100
    assert item["published_precision"] == "minute"
    assert item["agency_item"] == {
        "format": "newsml-g2",
        "guid": "tag:ansa.it,2017-10-11:40e5fb1034e7e2b21942ea09718fc85a",
        "version": 1,
        "pubstatus": "usable",
        "urgency": 5,
        "subjects": [
            {"code": None, "name": "ALR"},
            {"code": None, "name": "Catalan independence declaration unacceptable - Alfano"},
        ],
        "keywords": [],
        "byline": None,
        "copyright_holder": "ANSA",
        "slugline": None,
        "embargoed_until": None,
        "first_created": "2017-10-11T09:41:00Z",
    }


def test_newsml_g2_iptc_listing_headline_only_item(normalizer):
    (item,) = items(normalizer, "newsmlg2_iptc_listing1.xml")
    assert item["headline"] == 'Fed to halt QE to avert "bubble"'
    assert item["body_text"] == item["headline"]  # the listing's inlineXML holds no text
    assert item["language"] == "en"
    assert item["dateline"]["raw"] == "Berlin"  # <located><name>Berlin</name>
    assert [a["code"] for a in item["agencies"]] == ["REUTERS", "Example Enews LLP"]
    assert item["published_at"] == "2016-10-21T21:25:32Z"  # 16:25:32-05:00
    meta = item["agency_item"]
    assert meta["guid"] == "urn:newsml:acmenews.com:20161018:US-FINANCE-FED"
    assert meta["version"] == 9
    assert meta["embargoed_until"] == "2016-10-23T12:00:00Z"
    assert meta["first_created"] == "2016-10-18T18:12:21Z"
    assert meta["slugline"] == "US-Finance-Fed"
    assert meta["copyright_holder"] == "Example Enews LLP"  # rightsInfo/copyrightHolder/name
    assert meta["subjects"][:2] == [
        {"code": "medtop:04000000", "name": "economy, business and finance"},
        {"code": "medtop:20000523", "name": "labour market"},
    ]


def test_newsml_g2_message_gives_one_record_per_news_item_in_order(normalizer):
    records = envelopes("newsmlg2_ap_message.xml")
    assert [r["id"] for r in records] == ["newsmlg2_ap_message.xml#0", "newsmlg2_ap_message.xml#1"]
    first, second = items(normalizer, "newsmlg2_ap_message.xml")
    assert first["headline"] == "Nutrisystem beats 4Q earnings and revenue expectations"
    assert second["headline"] == (
        "DiamondRock Hospitality posts 4Q FFO of $50.7 million, results top expectations"
    )
    assert first["agency_item"]["guid"] == "tag:ap.org,2011:5e565888b587889c5c8bd62b6164118c-text"
    assert first["agency_item"]["version"] == 2
    assert first["dateline"]["raw"] == "FORT WASHINGTON, Pa."
    # The text's own `FORT WASHINGTON, Pa. (AP) _ ` opening is taken out, AP kept.
    assert first["body_text"].startswith("Nutrisystem Inc. (NTRI) on Monday reported")
    assert "AP" in [a["code"] for a in first["agencies"]]
    assert first["agency_item"]["keywords"] == ["Nutrisystem", "Earnings Report", "Pennsylvania"]


def test_newsml_g2_package_is_a_dead_letter_not_a_story(normalizer):
    (dead,) = outcomes(normalizer, "newsmlg2_iptc_package.xml")
    assert isinstance(dead, DeadLetter)
    assert dead.reason is Reason.NO_ITEMS
    assert "packageItem" in dead.message


def test_nitf_ap_story_field_by_field(normalizer):
    (item,) = items(normalizer, "nitf_ap.xml")
    assert item["headline"] == "Can trading pollution like stocks help fight climate change?"
    assert item["dateline"]["raw"] == "NEW YORK"  # <dateline><location>
    assert item["dateline"]["place"] == "New York City"  # GeoNames' name
    assert item["body_text"].startswith("The gas produced by hog manure at farms")
    assert item["body_text"].count("\n\n") == 2  # three <p> in the excerpt
    assert [a["code"] for a in item["agencies"]] == ["AP", "The Associated Press"]
    assert item["published_at"] == "2015-12-10T19:10:44Z"  # <date.issue norm="20151210T191044Z"/>
    assert item["agency_item"]["byline"] == "By BERNARD CONDON"  # without <byttl>
    assert item["agency_item"]["copyright_holder"] == "AP"  # <doc.copyright holder="AP"/>
    assert item["agency_item"]["format"] == "nitf"


def test_nitf_iptc_example_subheadings_status_and_subjects(normalizer):
    (item,) = items(normalizer, "nitf_iptc_fishing.xml")
    assert item["headline"] == "Weather and Tide Updates for Norfolk"
    assert item["subheadings"] == ["The Tides are High", "Local Nooks"]  # <hl2>
    assert "The Tides are High" in item["body_text"].split("\n\n")
    meta = item["agency_item"]
    assert meta["guid"] == "iptc.321656141.b"
    assert meta["pubstatus"] == "canceled"  # docdata management-status="canceled"
    assert meta["urgency"] == 3  # <urgency ed-urg="3"/>
    assert meta["keywords"] == ["fishing", "lures", "tides"]
    assert meta["subjects"][0] == {"code": "17000000", "name": "Weather"}
    assert meta["embargoed_until"] == "2002-02-26T14:30:00Z"  # date.release after date.issue


def test_iptc_7901_dpa_message_field_by_field(normalizer):
    (item,) = items(normalizer, "iptc7901_dpa.txt")
    assert item["headline"] == "Germany Social Democrats: Coalition talks with Merkel could fail"
    assert item["dateline"]["raw"] == "Berlin"  # `Berlin (dpa) - ` taken out of the text
    assert item["body_text"].startswith("Negotiations between German")
    assert item["body_text"].endswith("to be sworn in for a third term before Christmas.")
    assert "not for publication" not in item["body_text"]  # the dpa NOTEBOOK is cut
    assert "Wolfgang Schmidt" not in item["body_text"]
    assert item["agencies"][0]["code"] == "dpa"  # header `... dpa 061`
    assert item["agency_item"]["slugline"] == "Germany-politics"
    assert item["agency_item"]["urgency"] == 4  # priority digit of `eca062 4 i 211`
    assert item["agency_item"]["subjects"] == [{"code": "iptc7901:i", "name": None}]


def test_anpa_1312_ap_story_field_by_field(normalizer):
    (item,) = items(normalizer, "anpa_ap.tst")
    assert item["headline"] == "Deng has 30 points, short-handed Heat beat Hawks 115-111"
    assert item["dateline"]["raw"] == "ATLANTA"  # `ATLANTA (AP) _ ` taken out of the text
    assert item["body_text"].startswith("Luol Deng scored 30 points and Josh McRoberts had 19 —")
    assert item["body_text"].count("\n\n") == 2  # three tab-indented lines in the excerpt
    assert item["agencies"] == [{"code": "AP", "name": None}]
    assert item["published_at"] == "2016-02-20T03:37:00Z"  # sign-off AP-WF-02-20-16 0337GMT
    meta = item["agency_item"]
    assert meta["guid"] == "anpa:BC-BKN--Heat-Hawks:02-20"
    assert meta["version"] == 2  # 1stLd-Writethru
    assert meta["urgency"] == 5  # priority r(egular)
    assert meta["byline"] == "By CHARLES ODUM"
    assert meta["slugline"] == "Heat-Hawks"


def test_ninjs_1_item_field_by_field(normalizer):
    (item,) = items(normalizer, "ninjs_aap.json")
    assert item["headline"] == "headline"
    assert item["body_text"] == "The story so far."
    assert item["language"] == "fr"
    assert item["dateline"]["raw"] == "Milton Keynes"
    assert [a["code"] for a in item["agencies"]] == ["Australian Associated Press", "AAP"]
    assert item["published_at"] == "2017-08-24T04:38:34Z"
    meta = item["agency_item"]
    assert meta["guid"].startswith("urn:newsml:localhost:2017-08-24T14:37:19.783611:")
    assert (meta["version"], meta["urgency"], meta["pubstatus"]) == (2, 3, "usable")
    assert meta["byline"] == "Peter and Jane"
    assert meta["slugline"] == "slugline"
    assert meta["subjects"] == [{"code": "01000000", "name": "arts, culture and entertainment"}]
    assert meta["first_created"] == "2017-08-24T04:37:19Z"


def test_ninjs_iptc_example_paragraphs_from_body_xhtml(normalizer):
    (item,) = items(normalizer, "ninjs_iptc_simple.json")
    assert item["headline"] == "Captain of wrecked cruise ship on trial in Italy"
    assert item["body_text"].count("\n\n") == 3  # four <p> in body_xhtml
    assert item["agency_item"]["guid"] == "http://ninjs.example.com/newsitems/20130709simp123"
    assert item["published_at"] == "2013-07-09T10:37:00Z"


def test_rss_feed_gives_one_teaser_per_entry_in_order(normalizer):
    records = envelopes("rss_bbc_world.xml")
    assert len(records) == 3
    assert {r["content_type"] for r in records} == {"application/rss+xml"}
    found = items(normalizer, "rss_bbc_world.xml")
    assert [i["headline"] for i in found] == [
        "Rigopiano avalanche: Eight found alive in Italy hotel after two days",
        "Gambia crisis: Jammeh given last chance to resign as troops close in",
        "Syria: IS destroys part of Palmyra's Roman Theatre",
    ]
    first = found[0]
    assert first["kind"] == "teaser"  # a description only
    assert first["body_text"] == (
        "Two children are among the eight who have spent at least 40 hours buried in snow"
        " and rubble."
    )
    assert first["language"] == "en"  # <language>en-gb</language>
    assert first["published_at"] == "2017-01-20T12:55:28Z"
    assert first["agency_item"]["guid"] == "http://www.bbc.co.uk/news/world-europe-38691103"
    assert first["provenance"]["url"] == "http://www.bbc.co.uk/news/world-europe-38691103"


def test_atom_entry_field_by_field(normalizer):
    (item,) = items(normalizer, "atom_rfc4287.xml")
    assert item["headline"] == "Atom draft-07 snapshot"
    assert item["kind"] == "article"  # full <content>
    assert item["body_text"] == "[Update: The Atom draft is finished.]"
    assert item["language"] == "en"
    assert item["published_at"] == "2005-07-31T12:29:29Z"  # <updated>
    assert item["agency_item"]["first_created"] == "2003-12-13T12:29:29Z"  # <published>
    assert item["agency_item"]["guid"] == "tag:example.org,2003:3.2397"
    assert item["agency_item"]["byline"] == "Mark Pilgrim"


def test_multi_story_anpa_and_7901_files_split_in_order():
    anpa = (FIXTURES / "anpa_ap.tst").read_bytes()
    dpa = (FIXTURES / "iptc7901_dpa.txt").read_bytes()
    for data, name in ((anpa + anpa.replace(b"Heat", b"Heats"), "two.tst"), (dpa + dpa, "two.txt")):
        records = file_envelopes(data, source="s", fetched_at=FETCHED, name=name, file_id=name)
        assert [r["id"] for r in records] == [f"{name}#0", f"{name}#1"]
    assert (
        "Heats"
        in file_envelopes(
            anpa + anpa.replace(b"Heat", b"Heats"), source="s", fetched_at=FETCHED, name="x"
        )[1]["body"]
    )


def test_ninjs_array_splits_into_items():
    one = orjson.loads((FIXTURES / "ninjs_aap.json").read_bytes())
    two = dict(one, guid="urn:other", headline="other")
    records = file_envelopes(orjson.dumps([one, two]), source="s", fetched_at=FETCHED, name="a")
    assert [orjson.loads(r["body"])["headline"] for r in records] == ["headline", "other"]


def test_a_watched_directory_of_agency_files_gives_one_record_per_item_in_order(tmp_path):
    from wirestream.producer.sources import Accepted, path_candidates

    for name in ("newsmlg2_ap_message.xml", "rss_bbc_world.xml", "anpa_ap.tst"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "page.txt").write_text("Kop\nAMSTERDAM (ANP) - Tekst van het bericht.\n")
    found = list(path_candidates(tmp_path, source="wire"))
    assert all(isinstance(c, Accepted) for c in found)
    envelopes = [orjson.loads(c.value) for c in found]
    assert [(e["id"], e["content_type"]) for e in envelopes] == [
        ("anpa_ap.tst", "text/x-anpa-1312"),
        ("newsmlg2_ap_message.xml#0", "application/vnd.iptc.g2.newsitem+xml"),
        ("newsmlg2_ap_message.xml#1", "application/vnd.iptc.g2.newsitem+xml"),
        ("page.txt", "text/plain"),
        ("rss_bbc_world.xml#0", "application/rss+xml"),
        ("rss_bbc_world.xml#1", "application/rss+xml"),
        ("rss_bbc_world.xml#2", "application/rss+xml"),
    ]
