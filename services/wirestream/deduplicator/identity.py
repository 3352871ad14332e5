"""The agency's own identity decides first, where an item has one (`agency_item.guid`).

A guid seen before with a higher agency version is an **update** of its story, with the same
(or an older) version a **duplicate**; a `canceled` or `withheld` pubstatus is a **kill**,
published so downstream can take the story down. A guid seen for the first time goes to the
text comparison, which may still link it to a story told elsewhere (a feed teaser, a scraped
page), and the guid is then remembered with the story the text chose: both agree from then on.
An updated version is remembered by the story index too, so later copies without a guid
(the teaser on a page) still find the story by its text.

Identities live per partition beside the story index: the same time window, and the same
changelog topic under `g:` keys, restored on assignment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from wirestream.deduplicator.index import Decision, Sighting, StoryIndex

KILL_STATUSES = frozenset({"canceled", "withheld"})
_KEY_PREFIX = b"g:"


class AgencyIdentity(NamedTuple):
    """What an item says about itself in its format's metadata."""

    guid: str
    version: int | None
    pubstatus: str


class KnownIdentity(NamedTuple):
    """A guid as remembered: its story and where the agency's versions stand."""

    story_id: str
    version: int  # the story version wirestream published last for this guid
    agency_version: int | None
    item_id: str
    text_key: int  # for guids without versions (feeds): a changed text is an update
    killed: bool
    time: float


def identity_of(item: dict[str, Any]) -> AgencyIdentity | None:
    """The item's agency identity, or None (pages, and formats without a guid)."""
    meta = item.get("agency_item")
    if not isinstance(meta, dict) or not isinstance(meta.get("guid"), str) or not meta["guid"]:
        return None
    version = meta.get("version")
    return AgencyIdentity(
        meta["guid"],
        version if isinstance(version, int) and not isinstance(version, bool) else None,
        meta.get("pubstatus") if isinstance(meta.get("pubstatus"), str) else "usable",
    )


class IdentityIndex:
    """One partition's guids, windowed like its story index, with a pending changelog."""

    def __init__(self, window_hours: float, max_entries: int) -> None:
        self._window = window_hours * 3600.0
        self._max_entries = max_entries
        self._known: dict[str, KnownIdentity] = {}  # least recently decided first
        self._watermark = float("-inf")
        self._changes: dict[bytes, bytes | None] = {}

    def __len__(self) -> int:
        return len(self._known)

    def decide(self, item: dict[str, Any], sighting: Sighting, stories: StoryIndex) -> Decision:
        """The decision for `item`: by its guid where known, else by its text."""
        identity = identity_of(item)
        if identity is None:
            return stories.decide(sighting)
        known = self._known.get(identity.guid)
        decision = (
            stories.decide(sighting)
            if known is None and identity.pubstatus not in KILL_STATUSES
            else self._by_identity(identity, known, sighting, stories)
        )
        if decision.status != "duplicate" or known is None:
            self._remember(identity, decision, sighting)
        return decision

    def _by_identity(
        self,
        identity: AgencyIdentity,
        known: KnownIdentity | None,
        sighting: Sighting,
        stories: StoryIndex,
    ) -> Decision:
        if identity.pubstatus in KILL_STATUSES:
            if known is None:  # a kill of a story this partition never saw: still published
                return Decision("kill", sighting.item_id, 1, None, None)
            if known.killed:
                return Decision("duplicate", known.story_id, known.version, known.item_id, None)
            return Decision("kill", known.story_id, known.version + 1, known.item_id, None)
        assert known is not None
        if not _is_newer(identity, known, sighting):
            return Decision("duplicate", known.story_id, known.version, known.item_id, None)
        version = max(known.version, stories.latest_version(known.story_id) or 0) + 1
        changes = stories.add_version(sighting, known.story_id, version)
        return Decision("update", known.story_id, version, known.item_id, None, changes)

    def _remember(self, identity: AgencyIdentity, decision: Decision, item: Sighting) -> None:
        previous = self._known.pop(identity.guid, None)
        agency_version = identity.version
        if previous is not None and previous.agency_version is not None:
            agency_version = max(previous.agency_version, agency_version or 0)
        known = KnownIdentity(
            decision.story_id,
            decision.version,
            agency_version,
            item.item_id,
            item.text_key,
            decision.status == "kill" or bool(previous and previous.killed),
            item.time,
        )
        self._known[identity.guid] = known
        self._changes[_KEY_PREFIX + identity.guid.encode()] = orjson.dumps(list(known))
        self._watermark = max(self._watermark, item.time)
        self._evict()

    def _evict(self) -> None:
        horizon = self._watermark - self._window
        while self._known:
            guid, oldest = next(iter(self._known.items()))
            if oldest.time >= horizon and len(self._known) <= self._max_entries:
                return
            del self._known[guid]
            self._changes[_KEY_PREFIX + guid.encode()] = None

    # State: the partition's changelog records under `g:` keys.

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]:
        changes = list(self._changes.items())
        self._changes.clear()
        return changes

    def records(self) -> list[tuple[bytes, bytes | None]]:
        return [(_KEY_PREFIX + g.encode(), orjson.dumps(list(k))) for g, k in self._known.items()]

    @classmethod
    def restore(
        cls, window_hours: float, max_entries: int, records: Iterable[tuple[bytes, bytes | None]]
    ) -> IdentityIndex:
        """Rebuild from changelog records in order; keys other than `g:` are not ours."""
        index = cls(window_hours, max_entries)
        for key, value in records:
            if not key.startswith(_KEY_PREFIX):
                continue
            guid = key[len(_KEY_PREFIX) :].decode()
            index._known.pop(guid, None)
            if value is not None:
                known = KnownIdentity(*orjson.loads(value))
                index._known[guid] = known
                index._watermark = max(index._watermark, known.time)
        return index


def _is_newer(identity: AgencyIdentity, known: KnownIdentity, item: Sighting) -> bool:
    """A higher agency version; for formats without versions, a changed text."""
    if identity.version is not None and known.agency_version is not None:
        return identity.version > known.agency_version
    return item.text_key != known.text_key
