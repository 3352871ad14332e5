"""Synthetic, labelled news-wire corpora for benchmarks and tests (`wirestream generate`).

Development tooling, not runtime: no stage, service or the runtime imports it.

`generate(seed, stories)` returns a `Corpus`: raw envelopes in the seed page's format (plain
text and HTML, Dutch and English) in arrival order, an `ItemLabel` per expected item (story
key and dedup status) and the expected dead-letter reason of every bad input.
"""

from wirestream.generator.corpus import Corpus, GeneratorConfig, ItemLabel, generate

__all__ = ["Corpus", "GeneratorConfig", "ItemLabel", "generate"]
