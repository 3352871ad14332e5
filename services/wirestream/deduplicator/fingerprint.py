"""Anchors: the few shingles an item is indexed by, so its near-duplicates can find it.

A query looks up *all* its shingles among the anchors of remembered items, so an item B is
found for a query A whenever A shares one of B's anchors. Three kinds, cheap to compute:

- the lead: the first shingles of the body. A teaser is the lead of its full article, so
  teaser and article share these in either order of arrival;
- a MOD-m sample (Broder 1997): every shingle whose hash is 0 modulo m. Value-based, so a
  shingle that is sampled in one item is sampled in every item that has it — a revision or
  re-scrape shares on average 1/m of its common shingles as anchors;
- the smallest shingle, so even a very short item has an anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import filterfalse


def anchors(shingles: Sequence[int], lead: int, sample_bits: int) -> set[int]:
    """The anchors of an item with these shingle hashes (in text order; may be empty)."""
    if not shingles:
        return set()
    mask = (1 << sample_bits) - 1
    chosen = set(shingles[:lead])
    chosen.update(filterfalse(mask.__and__, shingles))  # h & mask == 0, looped in C
    chosen.add(min(shingles))
    return chosen
