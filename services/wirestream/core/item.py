"""The wire item: the contract between stages and with downstream (schemas/wire-item.v1.json).

Items are plain dicts (cheap to build, serialized by orjson without a copy). These TypedDicts
document and type-check their shape. The normalizer fills the `WireItem` fields (the dateline
resolved to its canonical GeoNames city); the deduplicator adds `story_id`, `version` and
`dedup`; the enricher adds the enrichment fields (and may re-resolve an ambiguous dateline by
the countries the text mentions).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

ITEM_SCHEMA_VERSION = "1.4.0"

ItemKind = Literal["article", "teaser"]
Precision = Literal["minute", "hour", "day", "none"]
DedupStatus = Literal["new", "update", "duplicate", "kill"]  # kill: the agency withdrew it
# The kinds of change an update can make (`changes.kinds`, deduplicator/changes.py).
ChangeKind = Literal[
    "teaser_to_article",
    "headline",
    "figure",
    "text",
    "paragraph_added",
    "paragraph_removed",
    "subheading",
    "agency",
    "other",
]


class DatelineRecord(TypedDict):
    raw: str  # as written, e.g. "'S-HERTOGENBOSCH" or "WASHINGTON, March 9"
    place: str | None  # canonical GeoNames name; an unknown place in title case as written
    country_code: str | None  # ISO 3166-1 alpha-2; None for an unknown place
    lat: float | None
    lon: float | None
    geonames_id: int | None


class Agency(TypedDict):
    code: str  # as written, e.g. "RTR"
    name: str | None  # canonical name, set by the enricher; None when unknown


class Provenance(TypedDict):
    raw_id: str  # the envelope's id, or a hash of its bytes when it has none
    position: int  # 0 for the main article, 1.. for teasers in page order
    url: str | None
    topic: str | None  # raw record's topic/partition/offset when read from Kafka
    partition: int | None
    offset: int | None


class AgencySubject(TypedDict):
    code: str | None  # as the agency codes it: "medtop:20000763", "04001000", "anpa:z"
    name: str | None


class AgencyItem(TypedDict):
    """An agency format's own identity and metadata (schema 1.1.0), on items from one."""

    format: str  # newsml-g2 | nitf | iptc7901 | anpa1312 | ninjs | rss | atom
    guid: str | None
    version: int | None
    pubstatus: Literal["usable", "canceled", "withheld"]
    urgency: int | None  # 1 (flash) .. 9
    subjects: list[AgencySubject]
    keywords: list[str]
    byline: str | None
    copyright_holder: str | None
    slugline: str | None
    embargoed_until: str | None  # RFC 3339 UTC
    first_created: str | None


class Dedup(TypedDict):
    status: DedupStatus
    matched_id: str | None  # id of the item version this one matched
    similarity: float | None  # resemblance/containment score of the match


class Topic(TypedDict):
    code: str  # IPTC Media Topic, e.g. "16000000"
    name: str


class EntityMention(TypedDict):
    type: Literal["PER", "ORG", "LOC"]
    text: str  # as written
    name: str  # canonical (lexicon) or as written
    field: Literal["headline", "body_text"]
    start: int  # character offsets into the field
    end: int


class Entities(TypedDict):
    people: list[str]
    organisations: list[str]
    places: NotRequired[list[str]]  # schema 1.4.0: from the trained recogniser
    mentions: NotRequired[list[EntityMention]]  # schema 1.4.0


class WireItem(TypedDict):
    schema_version: str
    id: str  # unique per item version: derived from raw id, position and content
    kind: ItemKind
    headline: str | None  # teasers have none
    body_text: str
    subheadings: list[str]
    section: str | None  # from the "Meer uit X" / "More from X" line
    language: str  # BCP 47, "und" when undetermined
    dateline: DatelineRecord | None
    agencies: list[Agency]
    published_at: str | None  # RFC 3339 UTC
    published_precision: Precision
    fetched_at: str  # RFC 3339 UTC
    source: str
    word_count: int
    routing_key: str  # "geonames:<id>", an unknown place folded, or "~" + lead fingerprint
    provenance: Provenance
    agency_item: NotRequired[AgencyItem]  # items from an agency format only
    # Added by the deduplicator.
    story_id: NotRequired[str]
    version: NotRequired[int]
    dedup: NotRequired[Dedup]
    # On updates (1.2.0): what changed since the story's previous version, as
    # `deduplicator.changes.Changes`; None when that version's text is unknown.
    changes: NotRequired[dict[str, Any] | None]
    # Added by the enricher.
    countries: NotRequired[list[str]]
    entities: NotRequired[Entities]
    topics: NotRequired[list[Topic]]
    enrichment_errors: NotRequired[list[str]]
