"""The deduplicator service: new, update or duplicate, with story ids and versions."""

from wirestream.deduplicator.config import DedupConfig
from wirestream.deduplicator.stage import Deduplicator

__all__ = ["DedupConfig", "Deduplicator"]
