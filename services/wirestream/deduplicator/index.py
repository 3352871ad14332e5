"""What one partition remembers: item versions grouped into stories, found by their anchors.

`StoryIndex` is the per-partition state and decision loop; `CandidateIndex` is the candidate
search it asks for likely matches (`AnchorIndex` here; the benchmark swaps in datasketch's
MinHashLSH behind the same protocol). Everything is a deterministic function of the items
seen, in order, so a partition restored from its changelog decides exactly as before.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from wirestream.core.item import DedupStatus
from wirestream.deduplicator import state
from wirestream.deduplicator.config import DedupConfig
from wirestream.deduplicator.decision import Overlap, same_story, status_of_match
from wirestream.deduplicator.fingerprint import anchors


class CandidateIndex(Protocol):
    """Candidate search over remembered items, identified by integer keys."""

    def add(self, key: int, shingles: Sequence[int]) -> None: ...

    def remove(self, key: int, shingles: Sequence[int]) -> None: ...

    def candidates(self, query: set[int], limit: int) -> list[int]:
        """Up to `limit` keys of items likely to match `query` (a set of shingle hashes),
        best first."""
        ...


class AnchorIndex:
    """An inverted index from anchor shingles to the items that have them.

    A posting is a bare key for the common single-item anchor and a list (in insertion
    order) once shared, which keeps memory near one dict slot per anchor.
    """

    def __init__(self, config: DedupConfig) -> None:
        self._lead = config.lead_anchors
        self._sample_bits = config.sample_bits
        self._max_postings = config.max_postings
        self._postings: dict[int, int | list[int]] = {}

    def add(self, key: int, shingles: Sequence[int]) -> None:
        postings = self._postings
        for anchor in anchors(shingles, self._lead, self._sample_bits):
            posting = postings.get(anchor)
            if posting is None:
                postings[anchor] = key
            elif type(posting) is int:
                postings[anchor] = [posting, key]
            else:
                posting.append(key)

    def remove(self, key: int, shingles: Sequence[int]) -> None:
        postings = self._postings
        for anchor in anchors(shingles, self._lead, self._sample_bits):
            posting = postings.get(anchor)
            if posting == key:
                del postings[anchor]
            elif type(posting) is list:
                posting.remove(key)
                if len(posting) == 1:
                    postings[anchor] = posting[0]

    def candidates(self, query: set[int], limit: int) -> list[int]:
        postings = self._postings
        hits: dict[int, int] = {}
        for anchor in postings.keys() & query:
            posting = postings[anchor]
            if type(posting) is int:
                hits[posting] = hits.get(posting, 0) + 1
            else:
                # A boilerplate shingle: only its newest items are worth an exact check.
                for key in posting[-self._max_postings :]:
                    hits[key] = hits.get(key, 0) + 1
        if len(hits) <= limit:
            return sorted(hits, key=lambda k: (-hits[k], -k))
        return heapq.nsmallest(limit, hits, key=lambda k: (-hits[k], -k))

    def __len__(self) -> int:
        return len(self._postings)


class Story:
    """The remembered versions of one story, oldest first."""

    __slots__ = ("entries", "story_id")

    def __init__(self, story_id: str) -> None:
        self.story_id = story_id
        self.entries: list[Entry] = []

    @property
    def latest(self) -> Entry:
        return self.entries[-1]


class Entry:
    """One remembered item version."""

    __slots__ = ("agencies", "item_id", "seq", "shingles", "story", "time", "version")

    def __init__(
        self,
        seq: int,
        item_id: str,
        story: Story,
        version: int,
        time: float,
        agencies: tuple[str, ...],
        shingles: array,
    ) -> None:
        self.seq = seq
        self.item_id = item_id
        self.story = story
        self.version = version
        self.time = time
        self.agencies = agencies
        self.shingles = shingles

    def record(self) -> state.EntryRecord:
        return state.EntryRecord(
            self.seq,
            self.item_id,
            self.story.story_id,
            self.version,
            self.time,
            self.agencies,
            self.shingles,
        )


class Decision(NamedTuple):
    status: DedupStatus
    story_id: str
    version: int
    matched_id: str | None
    similarity: float | None


class StoryIndex:
    """One partition's remembered stories, its time window, and its pending changelog."""

    def __init__(self, config: DedupConfig, candidates: CandidateIndex | None = None) -> None:
        self.config = config
        self._candidates: CandidateIndex = candidates or AnchorIndex(config)
        self._entries: dict[int, Entry] = {}
        self._stories: dict[str, Story] = {}
        self._expiry: list[tuple[float, int]] = []  # heap of (time, seq): eviction order
        self._window = config.window_hours * 3600.0
        self._watermark = float("-inf")  # latest item time seen: the partition's clock
        self._next_seq = 0
        self._changes: dict[bytes, bytes | None] = {}
        self._meta_changed = False
        self.evictions = 0
        self.too_old = 0  # items older than the window when they arrived: decided, not kept

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stories(self) -> int:
        return len(self._stories)

    def decide(
        self, item_id: str, time: float, shingles: Sequence[int], agencies: tuple[str, ...]
    ) -> Decision:
        """Decide an item (its shingles in text order, non-empty) and remember it when it is
        new or an update."""
        self._advance(time)
        query = set(shingles)
        match = self._best_match(query)
        if match is None:
            story_id = item_id if item_id not in self._stories else f"{item_id}#{self._next_seq}"
            self._remember(item_id, Story(story_id), 1, time, agencies, shingles)
            return Decision("new", story_id, 1, None, None)
        entry, similarity = match
        story = entry.story
        novel = len(query.difference(*(version.shingles for version in story.entries)))
        story_agencies = {code for version in story.entries for code in version.agencies}
        status = status_of_match(novel, agencies, story_agencies, self.config)
        if status == "duplicate":
            return Decision(status, story.story_id, story.latest.version, entry.item_id, similarity)
        version = story.latest.version + 1
        self._remember(item_id, story, version, time, agencies, shingles)
        return Decision(status, story.story_id, version, entry.item_id, similarity)

    def _best_match(self, query: set[int]) -> tuple[Entry, float] | None:
        best: tuple[float, int] | None = None
        for key in self._candidates.candidates(query, self.config.max_candidates):
            entry = self._entries[key]
            overlap = Overlap(
                len(query.intersection(entry.shingles)), len(query), len(entry.shingles)
            )
            if same_story(overlap, self.config):
                score = (round(overlap.similarity, 4), key)
                if best is None or score > best:
                    best = score
        if best is None:
            return None
        return self._entries[best[1]], best[0]

    def _remember(
        self,
        item_id: str,
        story: Story,
        version: int,
        time: float,
        agencies: tuple[str, ...],
        shingles: Sequence[int],
    ) -> None:
        if time < self._watermark - self._window:
            self.too_old += 1
            return
        # A story lives as long as its latest version: versions leave the window oldest first.
        if story.entries:
            time = max(time, story.latest.time)
        else:
            self._stories[story.story_id] = story
        entry = Entry(self._next_seq, item_id, story, version, time, agencies, array("I", shingles))
        self._next_seq += 1
        self._meta_changed = True
        self._insert(entry)
        self._changes[state.entry_key(entry.seq)] = state.encode_entry(entry.record())
        while len(self._entries) > self.config.max_entries:
            self._evict_oldest()

    def _insert(self, entry: Entry) -> None:
        self._entries[entry.seq] = entry
        entry.story.entries.append(entry)
        heapq.heappush(self._expiry, (entry.time, entry.seq))
        self._candidates.add(entry.seq, entry.shingles)

    def _advance(self, time: float) -> None:
        if time <= self._watermark:
            return
        self._watermark = time
        self._meta_changed = True
        horizon = time - self._window
        while self._expiry and self._expiry[0][0] < horizon:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        _, seq = heapq.heappop(self._expiry)
        entry = self._entries.pop(seq)
        self._candidates.remove(seq, entry.shingles)
        story = entry.story
        story.entries.remove(entry)
        if not story.entries:
            del self._stories[story.story_id]
        self._changes[state.entry_key(seq)] = None
        self.evictions += 1

    # State: changelog and snapshots.

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]:
        """Changelog records since the last drain, the latest per key."""
        if self._meta_changed:
            self._changes[state.META_KEY] = state.encode_meta(self._meta())
            self._meta_changed = False
        changes = list(self._changes.items())
        self._changes.clear()
        return changes

    def records(self) -> list[tuple[bytes, bytes | None]]:
        """The whole state as changelog records (what a compacted changelog holds)."""
        records: list[tuple[bytes, bytes | None]] = [
            (state.META_KEY, state.encode_meta(self._meta()))
        ]
        for seq, entry in sorted(self._entries.items()):
            records.append((state.entry_key(seq), state.encode_entry(entry.record())))
        return records

    def snapshot(self) -> bytes:
        return state.pack_records(self.records())

    @classmethod
    def restore(
        cls,
        config: DedupConfig,
        records: Iterable[tuple[bytes, bytes | None]],
        candidates: CandidateIndex | None = None,
    ) -> StoryIndex:
        """Rebuild a partition from its changelog records (or a snapshot's), in order.

        Raises `state.StateError` on an unreadable record.
        """
        index = cls(config, candidates)
        live = state.compact(records)
        meta = live.pop(state.META_KEY, None)
        entries = sorted(
            (
                state.decode_entry(key, value)
                for key, value in live.items()
                if state.is_entry_key(key)
            ),
            key=lambda record: record.seq,
        )
        for record in entries:
            story = index._stories.get(record.story_id)
            if story is None:
                story = index._stories[record.story_id] = Story(record.story_id)
            index._insert(
                Entry(
                    record.seq,
                    record.item_id,
                    story,
                    record.version,
                    record.time,
                    record.agencies,
                    record.shingles,
                )
            )
        if meta is not None:
            watermark, next_seq = state.decode_meta(meta)
            index._watermark = watermark
            index._next_seq = max(next_seq, entries[-1].seq + 1 if entries else 0)
        elif entries:
            index._watermark = max(record.time for record in entries)
            index._next_seq = entries[-1].seq + 1
        return index

    def _meta(self) -> state.MetaRecord:
        return state.MetaRecord(self._watermark, self._next_seq)
