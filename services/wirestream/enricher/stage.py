"""The enricher stage: a configurable chain of small enrichers over each unique item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.enricher.agencies import AgencyNames
from wirestream.enricher.countries import CountryMentions
from wirestream.enricher.enrichment import ItemEnricher
from wirestream.enricher.entities import NamedEntities
from wirestream.enricher.gazetteer import DatelineGeography
from wirestream.enricher.subjects import TopicRulesClassifier
from wirestream.enricher.text import ItemText

# Configuration name -> factory, in the default order.
ENRICHERS: dict[str, Callable[[], ItemEnricher]] = {
    "dateline": DatelineGeography,
    "agencies": AgencyNames,
    "countries": CountryMentions,
    "entities": NamedEntities,
    "topics": TopicRulesClassifier,
}


class Enricher:
    """Adds geography, agency names, countries, entities and topics to each item.

    `enrichers` names the chain (default: all, in `ENRICHERS` order). An enricher that raises
    marks the item (`enrichment_errors: ["<enricher>: <error>"]`, else `[]`); the item is
    still emitted. The input item is never mutated.
    `counters` holds plain totals (gazetteer_misses, unknown_agencies, errors.<enricher>)
    for the metrics layer to read.
    """

    name = "enricher"

    def __init__(self, enrichers: Sequence[str] | None = None) -> None:
        names = list(ENRICHERS) if enrichers is None else list(enrichers)
        unknown = [name for name in names if name not in ENRICHERS]
        if unknown:
            raise ValueError(f"unknown enrichers {unknown}; choose from {list(ENRICHERS)}")
        self.enrichers: list[ItemEnricher] = [ENRICHERS[name]() for name in names]
        # Every event starts at zero so the metrics layer exposes it before it first happens.
        self.counters: Counter[str] = Counter(
            {
                event: 0
                for enricher in self.enrichers
                for event in (*enricher.events, f"errors.{enricher.name}")
            }
        )

    def counts(self) -> dict[str, int]:
        """For the metrics layer (`core.stage.Counted`)."""
        return dict(self.counters)

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        if not isinstance(record, dict) or not isinstance(record.get("routing_key"), str):
            return [self._reject(record, origin, "an item must be a dict with a routing_key")]
        try:
            text = ItemText(record)
        except Exception as exc:  # headline/body of the wrong type: the item is malformed
            return [self._reject(record, origin, f"unreadable text: {exc!r}")]
        # Every enrichment field is present (schemas/normalized-item.v1.json) even when its
        # enricher is not configured or failed; `enrichment_errors` says which failed.
        enriched = {"countries": [], "entities": NamedEntities.found([], [], [], []), "topics": []}
        enriched.update(record)
        errors: list[str] = []
        for enricher in self.enrichers:
            try:
                enrichment = enricher.enrich(record, text)
            except Exception as exc:
                errors.append(f"{enricher.name}: {type(exc).__name__}: {exc}")
                self.counters[f"errors.{enricher.name}"] += 1
                continue
            enriched.update(enrichment.fields)
            for counter, value in enrichment.counts.items():
                self.counters[counter] += value
        enriched["enrichment_errors"] = errors
        return [Emit(key=record.get("story_id") or record["routing_key"], item=enriched)]

    def _reject(self, record: Any, origin: Origin, message: str) -> DeadLetter:
        try:
            original = orjson.dumps(record, default=repr)
        except TypeError:
            original = repr(record).encode("utf-8", "replace")
        return DeadLetter(Reason.INVALID_ITEM, message, original, self.name, origin)
