"""What one enricher in the chain is and returns, and the data tables enrichers build from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

from wirestream.enricher.text import ItemText


@dataclass(frozen=True, slots=True)
class Enrichment:
    """Fields to set on the item, and counts for the metrics layer (e.g. gazetteer misses).

    Enrichers return counts instead of keeping them so they stay pure; the stage sums them.
    """

    fields: dict[str, Any]
    counts: Mapping[str, int] = field(default_factory=dict)


class ItemEnricher(Protocol):
    """A small pure object that adds its own fields to an item; it never mutates the item."""

    name: str
    events: tuple[str, ...]  # the counts it reports, zero until they happen

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment: ...


def data_table(name: str) -> Any:
    """A JSON table shipped inside the enricher package (rules, lexicons, curated places)."""
    return json.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))
