"""The shared gazetteer and the canonical place the normalizer routes by."""

from __future__ import annotations

import orjson
import pytest

from wirestream.core.records import Emit, Origin
from wirestream.geo import gazetteer, place_key, place_name
from wirestream.normalizer import Normalizer

# Exonyms and transliterations of one city, with the GeoNames id of that city.
SAME_CITY = [
    ("PARIJS", "PARIS", 2988507),
    ("BRUSSEL", "BRUSSELS", 2800866),
    ("KEULEN", "COLOGNE", 2886242),
    ("DEN BOSCH", "'S-HERTOGENBOSCH", 2747351),
    ("KIEV", "KYIV", 703448),
    ("KHARKOV", "KHARKIV", 706483),
    ("DNEPR", "DNIPRO", 709930),
    ("DNJEPR", "DNIPRO", 709930),
    ("ODESSA", "ODESA", 698740),
    ("DEN HAAG", "THE HAGUE", 2747373),
]


@pytest.mark.parametrize(("one", "other", "geonames_id"), SAME_CITY)
def test_exonyms_and_transliterations_are_one_city(one, other, geonames_id):
    places = gazetteer()
    assert places.canonical(one).geonames_id == geonames_id
    assert places.canonical(other).geonames_id == geonames_id


def test_the_canonical_choice_ignores_the_text_and_takes_the_most_populous():
    assert gazetteer().canonical("PARIS").country_code == "FR"  # not Paris, Texas
    assert gazetteer().canonical("KLEINDORPJE-AAN-ZEE") is None


def test_the_name_looked_up_stops_at_a_comma_or_slash():
    assert place_name("WASHINGTON, March 9") == "WASHINGTON"
    assert place_name("NEW YORK/WASHINGTON") == "NEW YORK"


def normalized(body: str) -> dict:
    envelope = {
        "source": "test",
        "fetched_at": "2026-02-01T12:00:00Z",
        "content_type": "text/plain",
        "body": body,
    }
    (outcome,) = Normalizer().process(orjson.dumps(envelope), Origin())
    assert isinstance(outcome, Emit)
    assert outcome.key == outcome.item["routing_key"]
    return outcome.item


@pytest.mark.parametrize(("one", "other", "geonames_id"), SAME_CITY)
def test_the_normalizer_keys_both_spellings_by_the_city(one, other, geonames_id):
    text = " (ANP) - De politie heeft een verdachte aangehouden na een steekpartij."
    first, second = normalized(one + text), normalized(other + text)
    assert first["routing_key"] == second["routing_key"] == place_key(geonames_id)
    assert first["dateline"]["geonames_id"] == second["dateline"]["geonames_id"] == geonames_id
    assert first["dateline"]["place"] == second["dateline"]["place"]
    assert (first["dateline"]["raw"], second["dateline"]["raw"]) == (one, other)


def test_an_unknown_place_routes_by_its_folded_form_as_written():
    item = normalized("KLEINDORPJE-AAN-ZEE (ANP) - Een brand in een dorp aan de kust.")
    assert item["routing_key"] == "KLEINDORPJE-AAN-ZEE"
    assert item["dateline"]["place"] == "Kleindorpje-Aan-Zee"
    assert item["dateline"]["geonames_id"] is None
