"""Dateline geography: gazetteer lookups, exonyms, disambiguation by evidence, misses."""

from __future__ import annotations

import pytest
from enricher_fixtures import page_items, wire_item

from wirestream.core.records import Origin
from wirestream.enricher import Enricher
from wirestream.enricher.gazetteer import DatelineGeography
from wirestream.enricher.text import ItemText
from wirestream.geo import gazetteer


def resolve(dateline: str, body: str = "Er gebeurde iets.") -> dict:
    item = wire_item(body, dateline=dateline)
    return DatelineGeography().enrich(item, ItemText(item)).fields["dateline"]


def test_the_fixture_page_datelines_resolve_to_their_countries():
    enricher = Enricher(["dateline"])
    found = {
        out.item["dateline"]["raw"]: out.item["dateline"]["country_code"]
        for item in page_items()
        for out in enricher.process(item, Origin())
    }
    assert found == {
        "VLADIVOSTOK": "RU",
        "WASHINGTON": "US",
        "DNIPRO": "UA",
        "SION": "CH",
        "KYIV": "UA",
        "QUETTA": "PK",
        "TURIJN": "IT",
    }
    assert enricher.counters["gazetteer_misses"] == 0


def test_a_resolved_dateline_has_canonical_place_coordinates_and_geonames_id():
    dateline = resolve("TURIJN")
    assert dateline["raw"] == "TURIJN"
    assert dateline["place"] == "Turin"
    assert dateline["country_code"] == "IT"
    assert dateline["geonames_id"] == 3165524
    assert dateline["lat"] == pytest.approx(45.07, abs=0.01)
    assert dateline["lon"] == pytest.approx(7.69, abs=0.01)


@pytest.mark.parametrize(
    ("raw", "place", "country"),
    [
        ("'S-HERTOGENBOSCH", "'s-Hertogenbosch", "NL"),
        ("DEN HAAG", "Den Haag", "NL"),
        ("GENÈVE", "Geneva", "CH"),
        ("GENEVE", "Geneva", "CH"),
        ("PARIJS", "Paris", "FR"),
        ("KAAPSTAD", "Cape Town", "ZA"),
        ("BERLIJN", "Berlin", "DE"),
        ("LISSABON", "Lisbon", "PT"),
        ("KIEV", "Kyiv", "UA"),
        ("KYIV", "Kyiv", "UA"),
        ("NEW YORK", "New York City", "US"),
        ("WASHINGTON, March 9", "Washington", "US"),
        ("NEW YORK/WASHINGTON", "New York City", "US"),
        ("zürich", "Zürich", "CH"),
    ],
)
def test_exonyms_match_case_and_accent_insensitively(raw, place, country):
    dateline = resolve(raw)
    assert (dateline["place"], dateline["country_code"]) == (place, country)


def test_an_ambiguous_place_follows_the_countries_in_the_text():
    swiss = resolve("SION", "Een 18-jarige Zwitser is overleden, meldt de Zwitserse justitie.")
    assert (swiss["place"], swiss["country_code"]) == ("Sion", "CH")
    in_english = resolve("SION", "Police in Switzerland said a man was arrested.")
    assert in_english["country_code"] == "CH"


def test_without_evidence_the_most_populous_candidate_wins():
    names = {city.country_code for city in gazetteer().candidates("SION")}
    assert {"CH", "IL"} <= names  # genuinely ambiguous in the gazetteer
    assert resolve("SION", "Er werd een man aangehouden.")["country_code"] == "IL"


def test_an_unknown_place_keeps_its_raw_form_and_is_counted():
    enricher = Enricher(["dateline"])
    item = wire_item("Een brand in een dorp.", dateline="KLEINDORPJE-AAN-ZEE")
    out = enricher.process(item, Origin())[0].item["dateline"]
    assert out == {
        "raw": "KLEINDORPJE-AAN-ZEE",
        "place": "Kleindorpje-Aan-Zee",
        "country_code": None,
        "lat": None,
        "lon": None,
        "geonames_id": None,
    }
    assert enricher.counters["gazetteer_misses"] == 1


def test_an_item_without_dateline_is_left_alone():
    item = wire_item("Tekst zonder dateline.", dateline=None)
    assert DatelineGeography().enrich(item, ItemText(item)).fields == {}


def _qualified(raw: str, qualifiers: list[str], body: str = "A short report.") -> dict:
    item = wire_item(body, dateline=raw)
    item["dateline"]["qualifiers"] = qualifiers
    return Enricher(["dateline"]).process(item, Origin())[0].item["dateline"]


@pytest.mark.parametrize(
    ("raw", "qualifiers", "place", "country", "admin1"),
    [
        # en-reuters21578-149 `TROY, MICH., Feb 26 -`: Troy, Michigan, not New York's
        ("TROY, MICH., Feb 26", ["MICH."], "Troy", "US", "MI"),
        ("TROY, N.Y.", ["N.Y."], "Troy", "US", "NY"),
        # en-reuters21578-38 `Scarborough, Ontario, Feb 26 -`: no such city of 15,000 in
        # GeoNames, so the place as written in the qualifier's country, not England's
        ("Scarborough, Ontario, Feb 26", ["Ontario"], "Scarborough", "CA", None),
        # the issue: Fort Washington, Pa. is not Cincinnati (GeoNames lists the name for it)
        ("FORT WASHINGTON, Pa.", ["Pa."], "Fort Washington", "US", None),
        ("GROSSETO, Italy", ["Italy"], "Grosseto", "IT", None),
        ("GUBBIO (PERUGIA), 08 MAG", ["PERUGIA"], "Gubbio", "IT", None),  # a province's city
    ],
)
def test_a_qualifier_steers_the_gazetteer(raw, qualifiers, place, country, admin1):
    dateline = _qualified(raw, qualifiers)
    assert (dateline["place"], dateline["country_code"]) == (place, country)
    if admin1 is not None:
        city = next(
            c for c in gazetteer().candidates(place) if c.geonames_id == dateline["geonames_id"]
        )
        assert city.admin1 == admin1


def test_a_city_of_the_name_comes_before_one_that_lists_it_as_another_name():
    # GeoNames lists "Porto" among Bordeaux's names and "Deerfield" among Deerfield Beach's.
    assert gazetteer().candidates("Porto")[0].country_code == "PT"
    assert gazetteer().candidates("DEERFIELD")[0].admin1 == "IL"
