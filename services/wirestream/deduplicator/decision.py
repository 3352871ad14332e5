"""The dedup decision, as pure functions over shingle-set sizes and overlaps.

Candidate search only proposes; this decides. Two measures are needed: resemblance (Jaccard)
catches re-scrapes and revisions; containment of the smaller item in the larger catches a
teaser and its full article, which share only about a fifth of their shingles but the
teaser is almost wholly inside the article.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from wirestream.core.item import DedupStatus
from wirestream.deduplicator.config import DedupConfig


@dataclass(frozen=True, slots=True)
class Overlap:
    """How two shingle sets overlap."""

    shared: int
    size_a: int
    size_b: int

    @property
    def resemblance(self) -> float:
        union = self.size_a + self.size_b - self.shared
        return self.shared / union if union else 0.0

    @property
    def containment(self) -> float:
        """The share of the smaller set that lies in the larger."""
        smaller = min(self.size_a, self.size_b)
        return self.shared / smaller if smaller else 0.0

    @property
    def similarity(self) -> float:
        """The score reported as `dedup.similarity`: the stronger of the two measures."""
        return max(self.resemblance, self.containment)


def same_story(overlap: Overlap, config: DedupConfig) -> bool:
    """Whether two items tell the same story.

    Containment only counts when the smaller item has `min_contained` shingles: a short item
    made of a boilerplate phrase ("Dat meldt persbureau Reuters.") is contained in many
    unrelated stories. Identical short items still match by resemblance.
    """
    if overlap.resemblance >= config.resemblance:
        return True
    return (
        min(overlap.size_a, overlap.size_b) >= config.min_contained
        and overlap.containment >= config.containment
    )


def status_of_match(
    novel_shingles: int,
    agencies: Collection[str],
    story_agencies: Collection[str],
    config: DedupConfig,
) -> DedupStatus:
    """`update` when the item adds text or an agency to its story, else `duplicate`."""
    if novel_shingles >= config.min_novel:
        return "update"
    if any(code not in story_agencies for code in agencies):
        return "update"
    return "duplicate"
