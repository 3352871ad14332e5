"""The normalizer stage: one raw envelope in, its article and teasers out as wire items."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import xxhash

from wirestream.core.envelope import (
    Envelope,
    EnvelopeError,
    format_rfc3339,
    parse_envelope,
)
from wirestream.core.item import ITEM_SCHEMA_VERSION, ItemKind, Precision
from wirestream.core.media import SNIFFED_TYPES
from wirestream.core.records import DeadLetter, Emit, Origin, Outcome, Reason
from wirestream.geo import City, gazetteer, place_key, place_name
from wirestream.normalizer.dateline import (
    Dateline,
    DatelineDate,
    parse_opening,
    qualified_by_text,
)
from wirestream.normalizer.formats import AgencyStory, FormatError, detect_format, parse_document
from wirestream.normalizer.html import html_to_text
from wirestream.normalizer.language import detect_language, load_model
from wirestream.normalizer.page import Article, Teaser, not_an_article, split_page
from wirestream.normalizer.text import clean_lines
from wirestream.normalizer.timeparse import resolve

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_FINGERPRINT_WORDS = 8
_WORD = re.compile(r"\w+")
# A dateline element as written: `London (dpa) -`, `FORT WASHINGTON, Pa.`, `Rome`.
_WRITTEN_DATELINE = re.compile(
    r"(?P<raw>.*?)\s*(?:\((?P<agencies>[^()]{1,60})\))?[\s\-–—]*", re.DOTALL
)


class Normalizer:
    """Raw envelope bytes → `Emit`s keyed by routing key, or one `DeadLetter`. Never raises."""

    name = "normalizer"

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        # Once per process (~1 s each): not on the first item, mid-batch in a transaction.
        load_model()
        gazetteer()

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        raw = _as_bytes(record)
        if raw is None:
            message = f"record is a {type(record).__name__}, not bytes or text"
            original = repr(record).encode("utf-8", errors="replace")[: self.max_bytes]
            return [DeadLetter(Reason.INVALID_ENVELOPE, message, original, self.name, origin)]
        try:
            return self._normalize(raw, origin)
        except EnvelopeError as error:
            return [DeadLetter(error.reason, error.message, raw, self.name, origin, error.source)]
        except Exception as error:  # the stage contract: a bug dead-letters one record only
            message = f"{type(error).__name__}: {error}"
            return [DeadLetter(Reason.STAGE_ERROR, message, raw, self.name, origin)]

    def _normalize(self, raw: bytes, origin: Origin) -> list[Outcome]:
        envelope = parse_envelope(raw, self.max_bytes)
        format_name = detect_format(envelope.content_type, envelope.body)
        if format_name is not None:
            return self._normalize_format(format_name, envelope, raw, origin)
        if envelope.content_type in SNIFFED_TYPES:
            raise EnvelopeError(
                Reason.UNKNOWN_FORMAT,
                f"{envelope.content_type} body is none of the agency formats wirestream reads",
                envelope.source,
            )
        body = envelope.body
        if envelope.content_type == "text/html" or _HTML_START.match(body):
            body = html_to_text(body)
        lines = clean_lines(body)
        page = split_page(lines)
        # Without any dateline a page is still news, unless it visibly is something else.
        kind = None if page.has_dateline else not_an_article(lines, page)
        if kind is not None:
            raise EnvelopeError(Reason.NOT_AN_ARTICLE, f"not an article: {kind}", envelope.source)
        page_items = ([(0, page.article)] if page.article else []) + [
            (position, teaser) for position, teaser in enumerate(page.teasers, start=1)
        ]
        raw_id = envelope.id or xxhash.xxh3_128_hexdigest(raw)
        page_fields = {
            "section": page.section,
            "fetched_at": format_rfc3339(envelope.fetched_at),
            "source": envelope.source,
        }
        outcomes: list[Outcome] = []
        for position, part in page_items:
            item = _item(part, position, page_fields, envelope, raw_id, origin)
            outcomes.append(Emit(item["routing_key"], item))
        return outcomes

    def _normalize_format(
        self, format_name: str, envelope: Envelope, raw: bytes, origin: Origin
    ) -> list[Outcome]:
        """An agency document: one item per story, a dead letter per entry that is none."""
        try:
            stories = parse_document(format_name, envelope.body)
        except FormatError as error:
            raise EnvelopeError(error.reason, error.message, envelope.source) from None
        if not stories:  # e.g. entries lxml sees but feedparser does not: never a silent drop
            message = f"{format_name} document without a readable entry"
            raise EnvelopeError(Reason.NO_ITEMS, message, envelope.source)
        raw_id = envelope.id or xxhash.xxh3_128_hexdigest(raw)
        outcomes: list[Outcome] = []
        for position, story in enumerate(stories):
            if isinstance(story, FormatError):
                reason, detail = story.reason, story.message
            else:
                item = _story_item(story, position, envelope, raw_id, origin)
                if item["body_text"]:
                    outcomes.append(Emit(item["routing_key"], item))
                    continue
                # Neither paragraphs nor a headline (a header-only ANPA take): nothing to publish.
                reason, detail = Reason.INVALID_ITEM, "entry without text or headline"
            message = f"{format_name} entry {position}: {detail}"
            outcomes.append(DeadLetter(reason, message, raw, self.name, origin, envelope.source))
        return outcomes


def _story_item(
    story: AgencyStory, position: int, envelope: Envelope, raw_id: str, origin: Origin
) -> dict[str, Any]:
    """A wire item from the story's own structure; the text's opening dateline is taken out
    of the body (its agencies kept) and used where the format has no dateline element."""
    paragraphs = list(story.paragraphs)
    dateline = _written_dateline(story.dateline) if story.dateline else None
    agencies = list(story.agencies) + list(dateline.agencies if dateline else ())
    opening = parse_opening(paragraphs[0]) if paragraphs else None
    if opening is not None:
        paragraphs[0:1] = [opening.text] if opening.text.strip() else []
        agencies.extend(opening.agencies)
        dateline = dateline or opening.dateline
    headline = story.headline
    body_text = "\n\n".join(paragraphs) or headline or ""  # a flash may be a headline only
    if story.published_at is not None:
        published_at, precision = format_rfc3339(story.published_at), "minute"
    else:
        published_at, precision = _published(
            None, dateline.date if dateline else None, envelope.fetched_at
        )
    dateline_record = _dateline_record(dateline) if dateline else None
    return {
        "schema_version": ITEM_SCHEMA_VERSION,
        "id": _hash(f"{raw_id}\x1f{position}\x1f{headline}\x1f{body_text}"),
        "kind": "teaser" if story.teaser else "article",
        "headline": headline,
        "body_text": body_text,
        "subheadings": list(story.subheadings),
        "section": None,
        "language": _primary_language(story.language)
        or detect_language(f"{headline}. {body_text}" if headline else body_text),
        "dateline": dateline_record,
        "agencies": [{"code": code, "name": None} for code in _unique(agencies)],
        "published_at": published_at,
        "published_precision": precision,
        "fetched_at": format_rfc3339(envelope.fetched_at),
        "source": envelope.source,
        "word_count": word_count(body_text),
        "routing_key": routing_key(dateline_record, dateline, body_text),
        "provenance": {
            "raw_id": raw_id,
            "position": position,
            "url": envelope.url or story.url,
            "topic": origin.topic,
            "partition": origin.partition if origin.topic is not None else None,
            "offset": origin.offset,
        },
        "agency_item": _agency_item(story),
    }


def _agency_item(story: AgencyStory) -> dict[str, Any]:
    """The format's own identity and metadata, kept for the deduplicator and downstream."""
    return {
        "format": story.format,
        "guid": story.guid,
        "version": story.version,
        "pubstatus": story.pubstatus,
        "urgency": story.urgency,
        "subjects": [{"code": s.code, "name": s.name} for s in story.subjects],
        "keywords": list(story.keywords),
        "byline": story.byline,
        "copyright_holder": story.copyright_holder,
        "slugline": story.slugline,
        "embargoed_until": _instant(story.embargoed_until),
        "first_created": _instant(story.first_created),
    }


def _written_dateline(written: str) -> Dateline | None:
    match = _WRITTEN_DATELINE.fullmatch(written.strip())
    raw = match["raw"].strip(" ,") if match else ""
    if not raw:
        return None
    agencies = tuple(a.strip() for a in (match["agencies"] or "").split("/") if a.strip())
    return Dateline(raw, raw.split(",", 1)[0].strip().upper(), agencies, None)


def _primary_language(tag: str | None) -> str | None:
    """`it-IT` → `it`: the primary subtag, as the normalizer writes every language."""
    primary = (tag or "").split("-", 1)[0].split("_", 1)[0].strip().lower()
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def _unique(codes: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for code in codes:
        seen.setdefault(code.upper(), code)
    return list(seen.values())


def _instant(instant: datetime | None) -> str | None:
    return format_rfc3339(instant) if instant is not None else None


def _item(
    part: Article | Teaser,
    position: int,
    page_fields: dict[str, Any],
    envelope: Envelope,
    raw_id: str,
    origin: Origin,
) -> dict[str, Any]:
    article = part if isinstance(part, Article) else None
    kind: ItemKind = "article" if article else "teaser"
    body_text = "\n\n".join(part.paragraphs)
    headline = part.headline
    dateline = part.dateline and qualified_by_text(part.dateline, part.paragraphs[0])
    published_at, precision = _published(part.time_text, part.date, envelope.fetched_at)
    dateline_record = _dateline_record(dateline) if dateline else None
    return {
        "schema_version": ITEM_SCHEMA_VERSION,
        "id": _hash(f"{raw_id}\x1f{position}\x1f{headline}\x1f{body_text}"),
        "kind": kind,
        "headline": headline,
        "body_text": body_text,
        "subheadings": article.subheadings if article else [],
        "slug": article.slug if article else None,
        "editors_notes": article.editors_notes if article else [],
        "section": page_fields["section"],
        "language": detect_language(f"{headline}. {body_text}" if headline else body_text),
        "dateline": dateline_record,
        "agencies": [{"code": code, "name": None} for code in part.agencies],
        "published_at": published_at,
        "published_precision": precision,
        "fetched_at": page_fields["fetched_at"],
        "source": page_fields["source"],
        "word_count": word_count(body_text),
        "routing_key": routing_key(dateline_record, dateline, body_text),
        "provenance": {
            "raw_id": raw_id,
            "position": position,
            "url": envelope.url,
            "topic": origin.topic,
            "partition": origin.partition if origin.topic is not None else None,
            "offset": origin.offset,
        },
    }


@lru_cache(maxsize=4096)  # a page's teasers share fetch time and often their time words
def _published(
    time_text: str | None, date: DatelineDate | None, fetched_at: datetime
) -> tuple[str | None, Precision]:
    instant, precision = resolve(time_text, date, fetched_at)
    return (format_rfc3339(instant) if instant else None), precision


def word_count(body_text: str) -> int:
    """Words of a normalized body: single spaces inside paragraphs, blank lines between."""
    if not body_text:
        return 0
    return body_text.count(" ") + body_text.count("\n\n") + 1


def routing_key(record: dict[str, Any] | None, dateline: Dateline | None, body_text: str) -> str:
    """The key of `wire.items`: the canonical place (its `record`), so Parijs and Paris or
    Kiev and Kyiv reach one deduplicator partition; an unknown place as written (folded);
    without a dateline, the opening words."""
    if record is None or dateline is None:
        return text_fingerprint(body_text)
    geonames_id = record["geonames_id"]
    return place_key(geonames_id) if geonames_id is not None else dateline.routing_key


def text_fingerprint(text: str) -> str:
    """Routing key for an item without a dateline: a hash of its opening words, which a
    teaser shares with the article it leads."""
    words = _WORD.findall(text.lower())[:_FINGERPRINT_WORDS]
    return "~" + xxhash.xxh64_hexdigest(" ".join(words).encode())


def _hash(text: str) -> str:
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", errors="surrogatepass"))


def _dateline_record(dateline: Dateline) -> dict[str, Any]:
    """The dateline with its canonical place (the enricher may refine an ambiguous name by
    the countries the text mentions); an unknown place in title case, as written."""
    city = _canonical(dateline.place)
    if city is None:
        return {
            "raw": dateline.raw,
            "qualifiers": list(dateline.qualifiers),
            "place": dateline.display_place,
            "country_code": None,
            "lat": None,
            "lon": None,
            "geonames_id": None,
        }
    return {
        "raw": dateline.raw,
        "qualifiers": list(dateline.qualifiers),
        "place": city.name,
        "country_code": city.country_code,
        "lat": city.lat,
        "lon": city.lon,
        "geonames_id": city.geonames_id,
    }


@lru_cache(maxsize=4096)  # a wire names few places, again and again
def _canonical(place: str) -> City | None:
    return gazetteer().canonical(place_name(place))


def _as_bytes(record: Any) -> bytes | None:
    if isinstance(record, bytes):
        return record
    if isinstance(record, bytearray | memoryview):
        return bytes(record)
    if isinstance(record, str):
        return record.encode("utf-8", errors="surrogatepass")
    return None
