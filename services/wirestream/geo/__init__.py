"""Geography shared by the normalizer (canonical dateline place, routing) and the enricher
(coordinates, disambiguation by the countries a text mentions): one gazetteer per process."""

from wirestream.geo.gazetteer import (
    City,
    Gazetteer,
    gazetteer,
    geonames_cities,
    place_key,
    place_name,
)

__all__ = ["City", "Gazetteer", "gazetteer", "geonames_cities", "place_key", "place_name"]
