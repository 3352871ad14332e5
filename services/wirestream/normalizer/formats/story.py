"""The story an agency format carries, before it becomes a wire item.

Every parser in this package maps its format onto `AgencyStory`: the text (headline,
paragraphs, sub-headings from the markup) and the agency's own metadata (guid, version,
pubstatus, urgency, subjects...), which the normalizer keeps in the item's `agency_item`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from wirestream.core.records import Reason

PubStatus = Literal["usable", "canceled", "withheld"]
PUBSTATUSES: tuple[PubStatus, ...] = ("usable", "canceled", "withheld")


class FormatError(Exception):
    """A document or one entry of it that cannot become a story, with the dead-letter reason."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject or category as the agency codes it (`medtop:20000763`, an IPTC subject
    code `04001000`, an ANPA category `s`) with its name where the document gives one."""

    code: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class AgencyStory:
    format: str  # "newsml-g2", "nitf", "iptc7901", "anpa1312", "ninjs", "rss", "atom"
    headline: str | None
    paragraphs: tuple[str, ...]  # body paragraphs, sub-headings in place
    subheadings: tuple[str, ...] = ()
    teaser: bool = False  # a feed entry with only a summary leads a story told elsewhere
    guid: str | None = None
    version: int | None = None
    dateline: str | None = None  # the dateline element as written (`Rome`, `NEW YORK`)
    agencies: tuple[str, ...] = ()  # provider, creator, copyright holder: codes as written
    published_at: datetime | None = None  # versionCreated, else firstCreated / pubDate
    first_created: datetime | None = None
    language: str | None = None  # from xml:lang or the format's language field
    urgency: int | None = None  # 1 (flash) .. 9 (lowest), the IPTC scale
    subjects: tuple[Subject, ...] = ()
    keywords: tuple[str, ...] = ()
    byline: str | None = None
    copyright_holder: str | None = None
    slugline: str | None = None
    embargoed_until: datetime | None = None
    pubstatus: PubStatus = "usable"
    url: str | None = None


_SPACE = re.compile(r"\s+")
Entry = TypeVar("Entry")


def each_story(
    entries: Iterable[Entry], story: Callable[[Entry], AgencyStory]
) -> list[AgencyStory | FormatError]:
    """A story per entry, or the FormatError that entry raised: one bad entry of a message
    or feed becomes a dead letter beside the good items."""
    results: list[AgencyStory | FormatError] = []
    for entry in entries:
        try:
            results.append(story(entry))
        except FormatError as error:
            results.append(error)
    return results


def squeeze(text: str | None) -> str | None:
    """Whitespace runs to one space, trimmed; None for nothing left."""
    if text is None:
        return None
    squeezed = _SPACE.sub(" ", text).strip()
    return squeezed or None


def parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 time as agencies write it (`2017-10-11T10:41:00+0100`, `20151210T191044Z`,
    a bare date) as an aware UTC datetime; None when absent or unreadable. A time without
    an offset is taken as UTC, as the formats' specifications say."""
    text = squeeze(text)
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def pubstatus_of(text: str | None) -> PubStatus:
    """`stat:canceled`, `canceled`, `Withheld`... as one of PUBSTATUSES (usable otherwise)."""
    word = (text or "").rsplit(":", 1)[-1].strip().lower()
    if word == "cancelled":
        return "canceled"
    return word if word in PUBSTATUSES else "usable"  # type: ignore[return-value]


def urgency_of(value: object) -> int | None:
    """An urgency digit 1-9, or None."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 1 <= number <= 9 else None


def version_of(value: object) -> int | None:
    """A positive version number, or None."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number >= 1 else None


def agency_codes(values: list[str | None]) -> tuple[str, ...]:
    """Agency codes as datelines write them, each once: `nprov:REUTERS` → `REUTERS`,
    `ansa.it` → `ANSA`, so the enricher's agency table knows them."""
    seen: dict[str, str] = {}
    for value in values:
        code = _agency_code(value)
        if code and code.upper() not in seen:
            seen[code.upper()] = code
    return tuple(seen.values())


def _agency_code(value: str | None) -> str | None:
    value = squeeze(value)
    if value is None:
        return None
    if value.startswith("nprov:"):
        value = value.removeprefix("nprov:")
    if " " not in value and "." in value and not value.endswith("."):  # a domain: its name
        value = value.lower().removeprefix("www.").split(".")[0].upper()
    return value or None
