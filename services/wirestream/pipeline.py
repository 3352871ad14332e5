"""The pipeline's stages in order, built from options. Later stages append themselves here."""

from __future__ import annotations

from dataclasses import dataclass

from wirestream.core.stage import Stage
from wirestream.deduplicator import DedupConfig, Deduplicator
from wirestream.enricher import Enricher
from wirestream.normalizer import DEFAULT_MAX_BYTES, Normalizer


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Knobs of every stage; each stage's engineer adds its fields with defaults."""

    max_bytes: int = DEFAULT_MAX_BYTES  # normalizer: larger raw records are dead-lettered
    enrichers: tuple[str, ...] | None = None  # enricher: chain by name; None = all
    dedup: DedupConfig | None = None  # deduplicator: thresholds, window; None = defaults


def build_stages(options: PipelineOptions | None = None) -> list[Stage]:
    """The stages `wirestream process` and `serve pipeline` chain, in order."""
    options = options or PipelineOptions()
    stages: list[Stage] = [Normalizer(max_bytes=options.max_bytes)]
    stages.append(Deduplicator(options.dedup))
    stages.append(Enricher(options.enrichers))  # last: it enriches unique items only
    return stages
