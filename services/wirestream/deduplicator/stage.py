"""The deduplicator stage: each normalized item becomes new, an update, or a duplicate.

State is kept per input partition (the normalizer routes likely duplicates to one
partition), so the Kafka runtime can restore a partition from its changelog on assignment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from xxhash import xxh3_64_intdigest

from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.deduplicator import state
from wirestream.deduplicator.changes import Content, content_of
from wirestream.deduplicator.config import DedupConfig
from wirestream.deduplicator.identity import IdentityIndex
from wirestream.deduplicator.index import CandidateIndex, Decision, StoryIndex
from wirestream.deduplicator.shingles import item_texts, shingle_hashes, words
from wirestream.geo.gazetteer import place_key

STAGE_NAME = "deduplicator"


class InvalidItem(ValueError):
    """An item without what deduplication needs."""


class DedupInput:
    """What the decision needs from a wire item, checked (a `Sighting`)."""

    __slots__ = (
        "_content",
        "_item",
        "_shingles",
        "_texts",
        "agencies",
        "item_id",
        "place",
        "shingle_size",
        "text_key",
        "time",
    )

    def __init__(self, item: Any, shingle_size: int) -> None:
        if not isinstance(item, dict):
            raise InvalidItem(f"item is a {type(item).__name__}, not an object")
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            raise InvalidItem("item has no id")
        body = item.get("body_text")
        headline = item.get("headline")
        subheadings = item.get("subheadings") or []
        if not isinstance(body, str):
            raise InvalidItem("item has no body_text")
        if headline is not None and not isinstance(headline, str):
            raise InvalidItem("headline is not a string")
        if not isinstance(subheadings, list) or not all(isinstance(s, str) for s in subheadings):
            raise InvalidItem("subheadings is not a list of strings")
        self.item_id = item_id
        self.time = item_time(item.get("published_at"), item.get("fetched_at"))
        self.agencies = agency_codes(item.get("agencies") or [])
        self.place = dateline_place(item.get("dateline"))
        self._texts = item_texts(body, headline, subheadings)
        self.text_key = xxh3_64_intdigest(
            "\x1f".join((self.place or "", *self._texts)).encode("utf-8", "surrogatepass")
        )
        self.shingle_size = shingle_size
        self._shingles: list[int] | None = None
        self._content: Content | None = None
        self._item = item

    def content(self) -> Content:
        """Only new versions need it (to be compared with the next one); computed once, as an
        update needs it twice (its changes, then what it remembers)."""
        if self._content is None:
            item = self._item
            kind = item.get("kind")
            language = item.get("language")
            self._content = content_of(
                item["body_text"],
                item.get("headline"),
                item.get("subheadings") or [],
                kind if kind == "teaser" else "article",
                language if isinstance(language, str) else None,
            )
        return self._content

    def shingles(self) -> list[int]:
        """Computed on first use: a verbatim repeat never needs them."""
        if self._shingles is None:
            packed = _packed_shingles(tuple(self._texts), self.shingle_size)
            self._shingles = state.hashes(packed).tolist()
            if not self._shingles:
                raise InvalidItem("item has no words to compare")
        return self._shingles


def item_time(published_at: Any, fetched_at: Any) -> float:
    """Seconds since the epoch that place an item in the window: when it was published,
    else when it was fetched. A publication time after the fetch is a parsing slip, so the
    earlier of the two counts."""
    published = _timestamp("published_at", published_at) if published_at is not None else None
    fetched = _timestamp("fetched_at", fetched_at) if fetched_at is not None else None
    if published is None and fetched is None:
        raise InvalidItem("item has neither published_at nor fetched_at")
    if published is None or fetched is None:
        return published if fetched is None else fetched  # type: ignore[return-value]
    return min(published, fetched)


def _timestamp(field: str, value: Any) -> float:
    if not isinstance(value, str):
        raise InvalidItem(f"{field} is not a string")
    return _seconds(field, value)


@lru_cache(maxsize=4096)  # a page's items share their fetch time, teasers their publication
def _seconds(field: str, value: str) -> float:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidItem(f"{field} is not an RFC 3339 time: {value[:40]!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def dateline_place(dateline: Any) -> str | None:
    """The dateline's canonical place (its GeoNames id, so `PARIJS` and `PARIS` agree), else
    the place folded so `GENÈVE` and `GENEVE` agree; None without one."""
    if dateline is None:
        return None
    if not isinstance(dateline, dict):
        raise InvalidItem("dateline is not an object")
    geonames_id = dateline.get("geonames_id")
    if geonames_id is not None:
        if type(geonames_id) is not int:
            raise InvalidItem("dateline.geonames_id is not an integer")
        return _place_key(geonames_id)
    place = dateline.get("place")
    if place is None:
        return None
    if not isinstance(place, str):
        raise InvalidItem("dateline.place is not a string")
    return _folded_place(place) or None


def agency_codes(agencies: Any) -> tuple[str, ...]:
    """Upper-case codes, sorted, each once."""
    if not isinstance(agencies, list):
        raise InvalidItem("agencies is not a list")
    codes = tuple(agency.get("code") if isinstance(agency, dict) else None for agency in agencies)
    if not all(isinstance(code, str) for code in codes):
        raise InvalidItem("an agency has no code")
    return _agency_list(codes)


@lru_cache(maxsize=1024)  # every item of a page, and most of a wire, repeat a few lists
def _agency_list(codes: tuple[str, ...]) -> tuple[str, ...]:
    key = tuple(sorted({code.upper() for code in codes}))
    # Every remembered version shares one tuple per list.
    return _AGENCY_LISTS.setdefault(key, tuple(map(sys.intern, key)))


_AGENCY_LISTS: dict[tuple[str, ...], tuple[str, ...]] = {}


# A teaser contained in its remembered article is decided a duplicate and not remembered, so
# each page repeating it would shingle it again: the hashes are kept per text (packed, 4 bytes
# each; with their texts, a few MB for 2,048 entries of teasers and articles).
@lru_cache(maxsize=2048)
def _packed_shingles(texts: tuple[str, ...], size: int) -> bytes:
    return state.pack_hashes(shingle_hashes(texts, size))


@lru_cache(maxsize=4096)  # a wire names few places, again and again
def _folded_place(place: str) -> str:
    return sys.intern(" ".join(words(place)))


@lru_cache(maxsize=4096)  # one interned string per place
def _place_key(geonames_id: int) -> str:
    return sys.intern(place_key(geonames_id))


class Deduplicator:
    """`StatefulStage`: decides new / update / duplicate / kill per item, state per partition
    (the agency's guid first where an item has one: `identity.py`).

    Counters for the metrics layer: `decisions` (by status), `dead_letters`,
    `evictions()`, `entries()`.
    """

    name = STAGE_NAME

    def __init__(
        self,
        config: DedupConfig | None = None,
        candidate_index: type[CandidateIndex] | None = None,
    ) -> None:
        """`candidate_index`: a class taking the config, to swap the candidate search
        (the benchmark's datasketch baseline); the anchor index by default."""
        self.config = config or DedupConfig()
        self._candidate_index = candidate_index
        self._partitions: dict[int, StoryIndex] = {}
        self._identities: dict[int, IdentityIndex] = {}  # agency guids, decided first
        self.decisions: dict[str, int] = {"new": 0, "update": 0, "duplicate": 0, "kill": 0}
        self.dead_letters = 0
        self._evictions_of_revoked = 0

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        try:
            return [self._process(record, origin)]
        except InvalidItem as exc:
            return [self._dead_letter(Reason.INVALID_ITEM, str(exc), record, origin)]
        except Exception as exc:  # never raise: a bug dead-letters the item, not the partition
            message = f"{type(exc).__name__}: {exc}"
            return [self._dead_letter(Reason.STAGE_ERROR, message, record, origin)]

    def _process(self, record: Any, origin: Origin) -> Outcome:
        sighting = DedupInput(record, self.config.shingle_size)
        decision = self._identity_index(origin.partition).decide(
            record, sighting, self._partition(origin.partition)
        )
        self.decisions[decision.status] += 1
        return Emit(
            key=decision.story_id,
            item=with_decision(record, decision),
            publish=decision.status != "duplicate",
            decision=decision.status,
        )

    def _partition(self, partition: int) -> StoryIndex:
        index = self._partitions.get(partition)
        if index is None:
            index = self._partitions[partition] = self._new_index()
        return index

    def _identity_index(self, partition: int) -> IdentityIndex:
        index = self._identities.get(partition)
        if index is None:
            index = self._identities[partition] = IdentityIndex(
                self.config.window_hours, self.config.max_entries
            )
        return index

    def _new_index(self) -> StoryIndex:
        factory = self._candidate_index
        return StoryIndex(self.config, factory(self.config) if factory else None)

    def _dead_letter(self, reason: Reason, message: str, record: Any, origin: Origin) -> DeadLetter:
        self.dead_letters += 1
        source = record.get("source") if isinstance(record, dict) else None
        return DeadLetter(
            reason=reason,
            message=message,
            original=_original_bytes(record),
            stage=self.name,
            origin=origin,
            source=source if isinstance(source, str) else None,
        )

    # StatefulStage

    def assign(self, partition: int, changelog: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Restore a partition from its changelog. Raises `StateError` on unreadable state:
        deciding on a silently emptied partition would publish duplicates as new."""
        factory = self._candidate_index
        records = list(changelog)
        self._partitions[partition] = StoryIndex.restore(
            self.config, records, factory(self.config) if factory else None
        )
        self._identities[partition] = IdentityIndex.restore(
            self.config.window_hours, self.config.max_entries, records
        )

    def revoke(self, partition: int) -> None:
        self._identities.pop(partition, None)
        index = self._partitions.pop(partition, None)
        if index is not None:
            self._evictions_of_revoked += index.evictions

    def drain_changes(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        index = self._partitions.get(partition)
        identities = self._identities.get(partition)
        return (index.drain_changes() if index is not None else []) + (
            identities.drain_changes() if identities is not None else []
        )

    def snapshot(self, partition: int) -> bytes:
        """A partition's whole state as one blob (see `StoryIndex.restore`)."""
        records = self._partition(partition).records()
        return state.pack_records(records + self._identity_index(partition).records())

    # Counters

    def counts(self) -> dict[str, int]:
        """For the metrics layer (`core.stage.Counted`)."""
        return {"evictions": self.evictions()}

    def evictions(self) -> int:
        return self._evictions_of_revoked + sum(i.evictions for i in self._partitions.values())

    def entries(self) -> int:
        return sum(len(index) for index in self._partitions.values())

    def partition_entries(self) -> dict[int, int]:
        return {partition: len(index) for partition, index in self._partitions.items()}


def with_decision(item: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """A copy of `item` with its story, version and dedup verdict, and an update's changes."""
    decided = {
        **item,
        "story_id": decision.story_id,
        "version": decision.version,
        "dedup": {
            "status": decision.status,
            "matched_id": decision.matched_id,
            "similarity": decision.similarity,
        },
    }
    if decision.status == "update":
        decided["changes"] = decision.changes
    return decided


def _original_bytes(record: Any) -> bytes:
    if isinstance(record, bytes | bytearray):
        return bytes(record)
    try:
        return orjson.dumps(record)
    except TypeError:
        return repr(record).encode("utf-8", "replace")
