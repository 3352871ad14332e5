"""Geography shared by the normalizer (canonical dateline place, routing) and the enricher
(coordinates, disambiguation by the countries a text mentions): one gazetteer per process."""

from wirestream.geo.gazetteer import (
    City,
    Gazetteer,
    Region,
    gazetteer,
    geonames_cities,
    place_key,
    place_name,
    regions,
)

__all__ = [
    "City",
    "Gazetteer",
    "Region",
    "gazetteer",
    "geonames_cities",
    "place_key",
    "place_name",
    "regions",
]
