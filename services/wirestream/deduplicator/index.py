"""What one partition remembers: item versions grouped into stories, found by their anchors.

`StoryIndex` is the per-partition state and decision loop; `CandidateIndex` is the candidate
search it asks for likely matches (`AnchorIndex` here; the benchmark swaps in datasketch's
MinHashLSH behind the same protocol). Everything is a deterministic function of the items
seen, in order, so a partition restored from its changelog decides exactly as before.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple, Protocol

import orjson

from wirestream.core.item import DedupStatus
from wirestream.deduplicator import state
from wirestream.deduplicator.changes import Changes, Content, changes_between, pack, unpack
from wirestream.deduplicator.config import DedupConfig
from wirestream.deduplicator.decision import Overlap, same_story, status_of_match
from wirestream.deduplicator.fingerprint import anchors


class CandidateIndex(Protocol):
    """Candidate search over remembered items, identified by integer keys.

    `place` is the item's folded dateline place (None without one): only items of the same
    place can be one story, so an index may keep places apart.
    """

    def add(self, key: int, shingles: Sequence[int], place: str | None) -> None: ...

    def remove(self, key: int, shingles: Sequence[int], place: str | None) -> None: ...

    def candidates(self, query: set[int], place: str | None, limit: int) -> list[int]:
        """Up to `limit` keys of items likely to match `query` (a set of shingle hashes),
        best first."""
        ...


Postings = dict[int, int | tuple[int, ...]]


class AnchorIndex:
    """An inverted index, per dateline place, from anchor shingles to the items having them.

    Keeping places apart keeps postings short: template phrases ("De beurswaarde van
    bedrijven in de ...") recur across many stories, but rarely within one place. A posting
    is a bare key for the common single-item anchor and a tuple of keys (in insertion
    order) once shared: near one dict slot per anchor, and nothing the garbage collector
    keeps scanning.
    """

    def __init__(self, config: DedupConfig) -> None:
        self._lead = config.lead_anchors
        self._sample_bits = config.sample_bits
        self._max_postings = config.max_postings
        self._places: dict[str | None, Postings] = {}

    def add(self, key: int, shingles: Sequence[int], place: str | None) -> None:
        postings = self._places.get(place)
        if postings is None:
            postings = self._places[place] = {}
        for anchor in anchors(shingles, self._lead, self._sample_bits):
            posting = postings.get(anchor)
            if posting is None:
                postings[anchor] = key
            elif type(posting) is int:
                postings[anchor] = (posting, key)
            else:
                postings[anchor] = (*posting, key)

    def remove(self, key: int, shingles: Sequence[int], place: str | None) -> None:
        postings = self._places[place]
        for anchor in anchors(shingles, self._lead, self._sample_bits):
            posting = postings.get(anchor)
            if posting == key:
                del postings[anchor]
            elif type(posting) is tuple:
                at = posting.index(key)  # near the front: the oldest leave first
                remaining = posting[:at] + posting[at + 1 :]
                postings[anchor] = remaining[0] if len(remaining) == 1 else remaining
        if not postings:
            del self._places[place]

    def candidates(self, query: set[int], place: str | None, limit: int) -> list[int]:
        postings = self._places.get(place)
        if not postings:
            return []
        newest = -self._max_postings
        keys: list[int] = []
        for anchor in postings.keys() & query:
            posting = postings[anchor]
            if type(posting) is int:
                keys.append(posting)
            else:  # a shared phrase: its newest items are the likely matches
                keys.extend(posting[newest:])
        # Most shared anchors first, newest first among equals: an order that depends on
        # nothing but the keys, so a restored index ranks the same.
        ranked = sorted(Counter(keys).items(), key=itemgetter(1, 0), reverse=True)
        return [key for key, _ in ranked[:limit]]

    def __len__(self) -> int:
        return sum(map(len, self._places.values()))


# One remembered item version. State is built from tuples, strings, numbers and bytes only,
# which the cyclic garbage collector stops tracking: a window of 100,000 versions then costs
# no collection time (as class instances, every full collection would scan them all).
Entry = state.EntryRecord
Versions = tuple[Entry, ...]  # a story's remembered versions, oldest first


class Sighting(Protocol):
    """An item as the decision sees it."""

    item_id: str
    time: float  # seconds since the epoch: published, else fetched
    agencies: tuple[str, ...]  # upper-case codes, sorted
    place: str | None  # folded dateline place
    text_key: int  # stable hash of the exact text and place: a verbatim repeat has the same

    def shingles(self) -> list[int]:
        """Shingle hashes in text order; raises `ValueError` when there are none."""
        ...

    def content(self) -> Content:
        """Its content units: what the next version's `changes` are computed against."""
        ...


class Decision(NamedTuple):
    status: DedupStatus
    story_id: str
    version: int
    matched_id: str | None
    similarity: float | None
    # An update's changes against the story's previous version; None when that version's
    # content is unknown (state written before versions kept it).
    changes: Changes | None = None


class StoryIndex:
    """One partition's remembered stories, its time window, and its pending changelog."""

    def __init__(self, config: DedupConfig, candidates: CandidateIndex | None = None) -> None:
        self.config = config
        self._candidates: CandidateIndex = candidates or AnchorIndex(config)
        self._entries: dict[int, Entry] = {}
        self._stories: dict[str, Versions] = {}  # story id -> its versions
        self._by_text: dict[int, int] = {}  # text key -> newest version with that text
        self._by_lead: dict[int, tuple[int, ...]] = {}  # lead key -> newest versions
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

    def decide(self, item: Sighting) -> Decision:
        """Decide an item and remember it when it is new or an update.

        A verbatim repeat of a remembered version (most of a wire: the same teaser list on
        every page) is found by its text key without shingling or candidate search.
        """
        repeat_of = self._by_text.get(item.text_key)
        # Shingle before touching state, so an item without words changes nothing.
        shingles = item.shingles() if repeat_of is None else None
        self._advance(item.time)
        repeated = self._entries.get(repeat_of) if repeat_of is not None else None
        if repeated is not None:
            match: tuple[Entry, float] | None = (repeated, 1.0)
            novel = 0
        else:
            shingles = shingles or item.shingles()
            query = set(shingles)
            match = self._best_match(query, item.place)
            if match is None and self.config.lead_across_places:
                match = self._lead_match(query, shingles, item.place)
        if match is None:
            story_id = item.item_id
            if story_id in self._stories:
                story_id = f"{story_id}#{self._next_seq}"
            self._remember(item, story_id, 1, shingles or item.shingles())
            return Decision("new", story_id, 1, None, None)
        entry, similarity = match
        story_id = entry.story_id
        versions = self._stories[story_id]
        if repeated is None:
            # What no version has; the matched version usually has it all (a teaser inside
            # its article), so the story's other versions are scanned only when it has not.
            unseen = query.difference(state.hashes(entry.shingles))
            if unseen:
                others = (v for v in versions if v is not entry)
                unseen.difference_update(*(state.hashes(v.shingles) for v in others))
            novel = len(unseen)
        story_agencies = {code for version in versions for code in version.agencies}
        status = status_of_match(novel, item.agencies, story_agencies, self.config)
        if status == "duplicate":
            return Decision(status, story_id, versions[-1].version, entry.item_id, similarity)
        version = versions[-1].version + 1
        changes = _changes_since(versions[-1], item)
        self._remember(item, story_id, version, shingles or item.shingles(), changes)
        return Decision(status, story_id, version, entry.item_id, similarity, changes)

    def latest_version(self, story_id: str) -> int | None:
        """The newest remembered version of a story, None once it left the window."""
        versions = self._stories.get(story_id)
        return versions[-1].version if versions else None

    def add_version(self, item: Sighting, story_id: str, version: int) -> Changes | None:
        """Remember `item` as `version` of `story_id`, decided elsewhere (by the agency's
        guid): later copies without a guid then find the story by this text too. Returns
        its changes against the story's latest remembered version (None without one)."""
        self._advance(item.time)
        versions = self._stories.get(story_id)
        changes = _changes_since(versions[-1], item) if versions else None
        self._remember(item, story_id, version, item.shingles(), changes)
        return changes

    def _best_match(self, query: set[int], place: str | None) -> tuple[Entry, float] | None:
        """The remembered version that best matches: the first candidate (in the candidate
        index's order) wholly containing or contained in the query, else the most similar."""
        best: tuple[float, int] | None = None
        for key in self._candidates.candidates(query, place, self.config.max_candidates):
            entry = self._entries[key]
            # Items with different dateline places (or one without) are different stories:
            # the normalizer routes them to different partitions anyway, and this keeps the
            # decision independent of how many partitions there are.
            if entry.place != place:
                continue
            shingles = state.hashes(entry.shingles)
            overlap = Overlap(len(query.intersection(shingles)), len(query), len(shingles))
            if same_story(overlap, self.config):
                score = (round(overlap.similarity, 4), key)
                if score[0] == 1.0:
                    return entry, 1.0
                if best is None or score > best:
                    best = score
        if best is None:
            return None
        return self._entries[best[1]], best[0]

    def _lead_match(
        self, query: set[int], shingles: Sequence[int], place: str | None
    ) -> tuple[Entry, float] | None:
        """The best match among versions of other places (or without a dateline) that open
        with the same lead words: copy without a dateline, a story re-filed from another
        city. The newest `max_candidates` of them are checked exactly."""
        best: tuple[float, int] | None = None
        for key in reversed(
            self._by_lead.get(self._lead_key(shingles), ())[-self.config.max_candidates :]
        ):
            entry = self._entries[key]
            if entry.place == place:  # already checked under the place rule
                continue
            stored = state.hashes(entry.shingles)
            overlap = Overlap(len(query.intersection(stored)), len(query), len(stored))
            if same_story(overlap, self.config):
                score = (round(overlap.similarity, 4), key)
                if best is None or score > best:
                    best = score
        return (self._entries[best[1]], best[0]) if best is not None else None

    def _lead_key(self, shingles: Sequence[int]) -> int:
        """The item's opening words: its first `lead_shingles` shingles (a teaser is the lead
        of its article; a copy without a dateline or from another city keeps it)."""
        return hash(tuple(shingles[: self.config.lead_shingles]))

    def _remember(
        self,
        item: Sighting,
        story_id: str,
        version: int,
        shingles: Sequence[int],
        changes: Changes | None = None,
    ) -> None:
        time = item.time
        if time < self._watermark - self._window:
            self.too_old += 1
            return
        # A story lives as long as its latest version: versions leave the window oldest first.
        versions = self._stories.get(story_id)
        if versions:
            time = max(time, versions[-1].time)
        entry = Entry(
            self._next_seq,
            item.item_id,
            story_id,
            version,
            time,
            item.agencies,
            item.place,
            item.text_key,
            state.pack_hashes(shingles),
            orjson.dumps(changes) if changes is not None else b"",
            pack(item.content()),
        )
        self._next_seq += 1
        self._meta_changed = True
        self._changes[state.entry_key(entry.seq)] = state.encode_entry(entry)
        self._insert(entry)
        while len(self._entries) > self.config.max_entries:
            self._evict_oldest()

    def _insert(self, entry: Entry) -> None:
        # An update's changes are history (`wirestream story` reads them from the changelog):
        # deciding never needs them, so memory does not keep them.
        entry = entry._replace(changes=b"")
        self._entries[entry.seq] = entry
        self._by_text[entry.text_key] = entry.seq
        if self.config.lead_across_places:
            lead = self._lead_key(state.hashes(entry.shingles))
            # A lead shared by many versions (a stock opening): only the newest count.
            newest = self.config.max_postings
            self._by_lead[lead] = (*self._by_lead.get(lead, ()), entry.seq)[-newest:]
        versions = self._stories.get(entry.story_id, ())
        if versions and versions[-1].content:
            # Only the latest version's content is compared with: memory holds one per story.
            superseded = versions[-1]._replace(content=b"")
            self._entries[superseded.seq] = superseded
            versions = (*versions[:-1], superseded)
        self._stories[entry.story_id] = (*versions, entry)
        heapq.heappush(self._expiry, (entry.time, entry.seq))
        self._candidates.add(entry.seq, state.hashes(entry.shingles), entry.place)

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
        if self._by_text.get(entry.text_key) == seq:
            del self._by_text[entry.text_key]
        self._candidates.remove(seq, state.hashes(entry.shingles), entry.place)
        if self.config.lead_across_places:
            lead = self._lead_key(state.hashes(entry.shingles))
            remaining_lead = tuple(s for s in self._by_lead.get(lead, ()) if s != seq)
            if remaining_lead:
                self._by_lead[lead] = remaining_lead
            else:
                self._by_lead.pop(lead, None)
        remaining = tuple(v for v in self._stories[entry.story_id] if v.seq != seq)
        if remaining:
            self._stories[entry.story_id] = remaining
        else:
            del self._stories[entry.story_id]
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
            records.append((state.entry_key(seq), state.encode_entry(entry)))
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
            index._insert(record)
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


def _changes_since(previous: Entry, item: Sighting) -> Changes | None:
    if not previous.content:
        return None
    old = unpack(previous.content)
    return changes_between(old, previous.agencies, item.content(), item.agencies)
