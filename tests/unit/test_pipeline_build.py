"""Building the pipeline's stages leaves no cyclic garbage: `serve` freezes what it built
(`freeze_built`), and garbage frozen with it would never be collected."""

from __future__ import annotations

import gc

from wirestream.pipeline import PipelineOptions, build_stages


def test_building_the_stages_leaves_no_cyclic_garbage():
    gc.collect()
    stages = build_stages(PipelineOptions())
    assert gc.collect() == 0
    assert [stage.name for stage in stages] == ["normalizer", "deduplicator", "enricher"]
