"""RSS and Atom feeds, read by feedparser (every RSS dialect and Atom, dates included).

The XML is first parsed by the safe parser (`xml.parse_xml`): feedparser then only reads a
document already known to carry no entity or DTD declarations. A feed entry's `id` is its
guid; one with only a summary is a teaser of a story told in full elsewhere.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree

from wirestream.core.records import Reason
from wirestream.normalizer.formats.markup import Body, body_of_html, body_of_text
from wirestream.normalizer.formats.story import (
    AgencyStory,
    FormatError,
    Subject,
    agency_codes,
    each_story,
    squeeze,
)
from wirestream.normalizer.formats.xml import local_name

ATOM_NAMESPACES = frozenset({"http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"})
RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MAX_ENTRIES = 1000  # per record; the producer splits bigger feeds into one record per entry


def feed_format(root: etree._Element) -> str | None:
    """`rss` or `atom` for a feed root in its namespace, else None."""
    name, ns = local_name(root), etree.QName(root).namespace
    if (name == "rss" and ns is None) or (name == "RDF" and ns == RDF_NAMESPACE):
        return "rss"
    if name == "feed" and ns in ATOM_NAMESPACES:
        return "atom"
    return None


def entries(root: etree._Element) -> list[etree._Element]:
    """The entry elements (`item`, `entry`) of a feed, in order."""
    found = []
    for child in root:
        name = local_name(child)
        if name in ("item", "entry"):
            found.append(child)
        elif name == "channel":
            found.extend(grandchild for grandchild in child if local_name(grandchild) == "item")
    return found


def split(root: etree._Element) -> list[str]:
    """One feed document per entry: the feed's own metadata with that entry alone."""
    found = entries(root)
    for entry in found:
        entry.getparent().remove(entry)
    documents = []
    parent = root.find("channel") if local_name(root) == "rss" else root
    parent = root if parent is None else parent
    for entry in found:
        parent.append(entry)
        documents.append(etree.tostring(root, encoding="unicode"))
        parent.remove(entry)
    return documents


def parse(data: bytes, root: etree._Element) -> list[AgencyStory | FormatError]:
    format_name = feed_format(root)
    if format_name is None:
        raise FormatError(Reason.UNKNOWN_FORMAT, f"root {root.tag!r} is not an RSS or Atom feed")
    count = len(entries(root))
    if count == 0:
        return [FormatError(Reason.NO_ITEMS, f"{format_name} feed without entries")]
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    feed = parsed.get("feed", {})
    results = each_story(
        parsed.get("entries", [])[:MAX_ENTRIES], lambda entry: _story(format_name, feed, entry)
    )
    if count > MAX_ENTRIES:
        results.append(
            FormatError(
                Reason.OVERSIZE,
                f"feed of {count} entries: entries past {MAX_ENTRIES} were not read"
                " (produce the feed file to get one record per entry)",
            )
        )
    return results


def _story(format_name: str, feed: dict[str, Any], entry: dict[str, Any]) -> AgencyStory:
    contents = entry.get("content") or []
    full = next((c for c in contents if c.get("value")), None)
    body = _body(full) if full else _summary(entry)
    headline = squeeze(entry.get("title"))
    if headline is None and not body.paragraphs:
        raise FormatError(Reason.INVALID_ITEM, f"{format_name} entry without title or text")
    # dict.get: feedparser's own get would answer updated_parsed with published_parsed.
    updated = _instant(dict.get(entry, "updated_parsed"))
    published = _instant(dict.get(entry, "published_parsed"))
    return AgencyStory(
        format=format_name,
        headline=headline,
        paragraphs=tuple(body.paragraphs),
        subheadings=tuple(body.subheadings),
        teaser=full is None,
        guid=squeeze(entry.get("id")) or squeeze(entry.get("link")),
        agencies=agency_codes([entry.get("publisher"), feed.get("publisher")]),
        published_at=updated or published,
        first_created=published,
        language=squeeze((full or {}).get("language")) or squeeze(feed.get("language")),
        subjects=tuple(
            Subject(squeeze(tag.get("term")), squeeze(tag.get("label")))
            for tag in entry.get("tags") or []
        ),
        byline=squeeze((entry.get("author_detail") or {}).get("name") or entry.get("author")),
        url=squeeze(entry.get("link")),
    )


def _body(content: dict[str, Any]) -> Body:
    value = content.get("value") or ""
    return body_of_html(value) if "html" in content.get("type", "") else body_of_text(value)


def _summary(entry: dict[str, Any]) -> Body:
    detail = entry.get("summary_detail") or {}
    return _body({"value": entry.get("summary") or "", "type": detail.get("type", "text/html")})


def _instant(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
