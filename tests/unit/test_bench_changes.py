"""bench/changes.py scores `changes` against the generator's labels: on a small corpus every
update it scores is named exactly, and a wrong label is caught as a miss."""

from __future__ import annotations

from dataclasses import replace

from bench.changes import run

from wirestream.core.records import Emit, Origin
from wirestream.generator import generate
from wirestream.normalizer import Normalizer


def test_changes_name_the_generators_revisions_and_a_wrong_label_is_a_miss():
    corpus = generate(5, 60, bad_rate=0)
    normalizer = Normalizer()
    items = [
        outcome.item
        for record in corpus.records()
        for outcome in normalizer.process(record, Origin())
        if isinstance(outcome, Emit)
    ]
    result = run(items, corpus)
    assert result["updates_scored"] > 20
    assert result["share_named"] >= 0.95
    assert result["compare_cpu_us_per_update"] > 0
    first_update = next(i for i, label in enumerate(corpus.labels) if label.status == "update")
    wrong = replace(corpus.labels[first_update], change="headline+agency")
    corpus.labels[first_update] = wrong
    missed = run(items, corpus)
    assert missed["named_exactly"] == result["named_exactly"] - 1
    assert missed["misses"][0]["labelled"] == "agency+headline"
