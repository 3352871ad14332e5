"""Dateline geography: the dateline's place resolved against the shared GeoNames gazetteer
(`wirestream.geo`), with the text's country mentions as evidence.

The normalizer has already resolved the written name without reading the text (the pinned
or most populous candidate; that choice routes the item). Here an ambiguous name (SION:
Sion in Switzerland, or Jerusalem) goes to the candidate in a country the text mentions
("Zwitserse"), else stays with the most populous candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wirestream.core.folding import fold
from wirestream.enricher.countries import CountryLexicon, country_lexicon
from wirestream.enricher.enrichment import Enrichment
from wirestream.enricher.text import ItemText
from wirestream.geo import Gazetteer, Region, gazetteer, place_name, regions


def dateline_place(dateline: Mapping[str, Any]) -> str:
    """The name as written: the raw dateline's place (the normalizer's `place` is already
    canonical), else the place."""
    return place_name(dateline.get("raw") or dateline.get("place") or "")


class DatelineGeography:
    """Fills `dateline.place` (canonical), `country_code`, `lat`, `lon`, `geonames_id`.
    An unknown place keeps what the normalizer wrote and counts as a gazetteer miss."""

    name = "dateline"
    events = ("gazetteer_misses",)

    def __init__(
        self, places: Gazetteer | None = None, lexicon: CountryLexicon | None = None
    ) -> None:
        self._places = places or gazetteer()
        self._lexicon = lexicon or country_lexicon()

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        dateline = item.get("dateline")
        if not dateline:
            return Enrichment({})
        place = dateline_place(dateline)
        qualified = self._regions(dateline.get("qualifiers") or ())
        mentioned = self._lexicon.mentions(text)
        city = self._places.resolve(place, mentioned, qualified) if place else None
        if city is None and qualified:  # a small place: as written, in its qualifier's country
            resolved = {
                "place": place.title() if place.isupper() else place,
                "country_code": qualified[0].country_code,
                "lat": None,
                "lon": None,
                "geonames_id": None,
            }
            return Enrichment({"dateline": {**dateline, **resolved}}, {"gazetteer_misses": 1})
        if city is None:
            resolved = {
                "place": dateline.get("place") or place or None,
                "country_code": dateline.get("country_code"),
                "lat": dateline.get("lat"),
                "lon": dateline.get("lon"),
                "geonames_id": dateline.get("geonames_id"),
            }
            missed = int(resolved["geonames_id"] is None)
            return Enrichment({"dateline": {**dateline, **resolved}}, {"gazetteer_misses": missed})
        resolved = {
            "place": city.name,
            "country_code": city.country_code,
            "lat": city.lat,
            "lon": city.lon,
            "geonames_id": city.geonames_id,
        }
        return Enrichment({"dateline": {**dateline, **resolved}}, {"gazetteer_misses": 0})

    def _regions(self, qualifiers: Iterable[str]) -> list[Region]:
        """Where a dateline's qualifiers put it, most specific first: a state or province
        (`N.Y.`, `Ontario`), a country (`Japan`, `Italy`), or a city's country (`PERUGIA`)."""
        found: list[Region] = []
        for qualifier in qualifiers:
            key = fold(qualifier)
            if key in regions():
                found.append(regions()[key])
            if (country := self._lexicon.country(key)) is not None:
                found.append(Region(country))
            elif city := self._places.canonical(qualifier):
                found.append(Region(city.country_code))
        return found
