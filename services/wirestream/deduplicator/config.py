"""Deduplicator settings. Defaults were chosen by measurement with `bench/dedup.py`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DedupConfig:
    # Shingles: words per shingle.
    shingle_size: int = 3
    # Candidate search: an item is found by its first `lead_anchors` shingles (a teaser is the
    # lead of its article), by the shingles whose hash is 0 modulo 2**`sample_bits` (Broder's
    # MOD-m sample, m = 16 by default) and by its smallest shingle.
    lead_anchors: int = 4
    sample_bits: int = 4
    max_candidates: int = 8  # exact checks per item, best candidates first
    max_postings: int = 16  # an anchor shared by more items: only the newest count
    # Exact check: same story when resemblance (Jaccard) or, for items of at least
    # `min_contained` shingles, containment of the smaller in the larger reaches its threshold.
    # Measured on a generated corpus (seed 11, 2,000 stories, 25,014 items): 0.5/0.8 merged
    # template look-alikes (pairwise precision 0.9988), 0.6/0.9 halves that (0.9996) at
    # the same recall (0.99998); lower thresholds cost precision, never bought recall.
    resemblance: float = 0.6
    containment: float = 0.9
    min_contained: int = 10
    # Outside the place rule: an item that matches no remembered version of its own place
    # (or has no dateline) is checked against the versions of other places, or without a
    # dateline, in its partition that open with the same `lead_shingles` shingles (the same
    # first ten words: fewer would let stock openings such as "De beurswaarde van bedrijven
    # in de" crowd out the story); the exact check above still decides. Catches copy without
    # a dateline and a story re-filed from another city. False: places must agree, as
    # before issue 14.
    lead_across_places: bool = True
    lead_shingles: int = 8
    # Update rather than duplicate: at least this many shingles the story has not had yet.
    min_novel: int = 1
    # State: items are remembered for `window_hours` of item time (published_at, else
    # fetched_at), at most `max_entries` per partition; the oldest go first.
    window_hours: float = 72.0
    max_entries: int = 250_000

    def __post_init__(self) -> None:
        if self.shingle_size < 1 or self.max_entries < 1 or self.window_hours <= 0:
            raise ValueError("shingle_size, max_entries and window_hours must be positive")
        if not (0 < self.resemblance <= 1 and 0 < self.containment <= 1):
            raise ValueError("resemblance and containment thresholds must be in (0, 1]")
        if self.sample_bits < 0 or self.lead_anchors < 0 or self.max_candidates < 1:
            raise ValueError("sample_bits, lead_anchors must be >= 0, max_candidates >= 1")
