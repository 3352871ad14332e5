"""The enricher service: offline, deterministic enrichment of unique items (see README.md)."""

from wirestream.enricher.stage import ENRICHERS, Enricher

__all__ = ["ENRICHERS", "Enricher"]
