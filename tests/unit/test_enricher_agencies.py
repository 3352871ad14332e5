"""Agencies: codes to canonical names; unknown codes kept as written and counted."""

from __future__ import annotations

from enricher_fixtures import wire_item

from wirestream.core.records import Origin
from wirestream.enricher import Enricher


def agencies_of(*codes: str) -> tuple[list[dict], Enricher]:
    enricher = Enricher(["agencies"])
    item = wire_item("Tekst.", agencies=codes)
    return enricher.process(item, Origin())[0].item["agencies"], enricher


def test_known_codes_get_canonical_names_in_order():
    agencies, _ = agencies_of("ANP", "RTR", "AFP", "DPA", "AP", "AFN")
    assert agencies == [
        {"code": "ANP", "name": "Algemeen Nederlands Persbureau"},
        {"code": "RTR", "name": "Reuters"},
        {"code": "AFP", "name": "Agence France-Presse"},
        {"code": "DPA", "name": "Deutsche Presse-Agentur"},
        {"code": "AP", "name": "Associated Press"},
        {"code": "AFN", "name": "ANP Financieel Nieuws"},
    ]


def test_aliases_and_case_map_to_one_name():
    agencies, _ = agencies_of("Reuters", "rtr", "Belga", "KYODO", "Bloomberg", "TASS", "EFE")
    names = [agency["name"] for agency in agencies]
    assert names[:2] == ["Reuters", "Reuters"]
    assert None not in names
    assert agencies[0]["code"] == "Reuters"  # kept as written


def test_an_unknown_code_is_kept_with_a_null_name_and_counted():
    agencies, enricher = agencies_of("ANP", "AF", "XYZ")
    assert agencies[1] == {"code": "AF", "name": None}  # not guessed to be AFP
    assert agencies[2] == {"code": "XYZ", "name": None}
    assert enricher.counters["unknown_agencies"] == 2
