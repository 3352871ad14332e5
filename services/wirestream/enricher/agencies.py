"""Agencies: the codes in a dateline ("ANP/RTR/AFP") -> canonical agency names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirestream.enricher.enrichment import Enrichment, data_table
from wirestream.enricher.text import ItemText


def load_agency_names() -> dict[str, str]:
    """The packaged code table, keyed by upper-case code."""
    table = data_table("agencies.json")
    return {code.upper(): name for code, name in table["codes"].items()}


class AgencyNames:
    """Names each agency code; an unknown code keeps its spelling, gets a null name and is
    counted. No guessing: "AF" is not "AFP"."""

    name = "agencies"
    events = ("unknown_agencies",)

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self._names = dict(load_agency_names() if names is None else names)

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        agencies = []
        unknown = 0
        for agency in item.get("agencies") or ():
            code = agency["code"]
            name = self._names.get(code.strip().upper())
            unknown += name is None
            agencies.append({"code": code, "name": name})
        return Enrichment({"agencies": agencies}, {"unknown_agencies": unknown})
