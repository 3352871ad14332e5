"""IPTC ninjs (News in JSON) in: 1.x/2.x (`headline`, `body_html`, `versioncreated`) and 3.x
(`headlines[]`, `bodies[]`, `versionCreated`) property names alike.

A JSON array holds several items; each object is one story.
"""

from __future__ import annotations

from typing import Any

import orjson

from wirestream.core.records import Reason
from wirestream.normalizer.formats.markup import Body, body_of_html, body_of_text
from wirestream.normalizer.formats.story import (
    AgencyStory,
    FormatError,
    Subject,
    agency_codes,
    each_story,
    parse_instant,
    pubstatus_of,
    squeeze,
    urgency_of,
    version_of,
)

# Properties that make a JSON object a ninjs item, in any version.
SIGNATURE = frozenset(
    {"headline", "headlines", "body_html", "body_text", "body_xhtml", "bodies", "versioncreated"}
    | {"versionCreated"}
)


def is_ninjs(document: object) -> bool:
    """A ninjs object (or a list of them): an id (`uri`/`guid`) and a story property."""
    first = document[0] if isinstance(document, list) and document else document
    return (
        isinstance(first, dict)
        and bool({"uri", "guid"} & first.keys())
        and bool(SIGNATURE & first.keys())
    )


def split(text: str) -> list[str]:
    """The items of a document as JSON texts: one for an object, one each for an array."""
    document = _load(text)
    items = document if isinstance(document, list) else [document]
    return [orjson.dumps(item).decode() for item in items]


def parse(text: str) -> list[AgencyStory | FormatError]:
    document = _load(text)
    items = document if isinstance(document, list) else [document]
    return each_story(items, _story)


def _load(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise FormatError(Reason.INVALID_ITEM, f"ninjs is not valid JSON: {error}") from None


def _story(item: object) -> AgencyStory:
    if not isinstance(item, dict) or not is_ninjs(item):
        raise FormatError(Reason.INVALID_ITEM, "not a ninjs item (no uri/guid with a story)")

    def get(*names: str) -> Any:
        return next((item[name] for name in names if item.get(name) not in (None, "")), None)

    if get("type") not in (None, "text", "composite"):
        raise FormatError(Reason.NO_ITEMS, f"ninjs item of type {get('type')!r} has no story text")
    body = _body(item)
    headline = _headline(get("headlines"), get("headline"))
    if headline is None and not body.paragraphs:
        raise FormatError(Reason.INVALID_ITEM, "ninjs item without headline or body")
    first_created = parse_instant(_text(get("firstCreated", "firstcreated")))
    holder = get("copyrightHolder", "copyrightholder")
    return AgencyStory(
        format="ninjs",
        headline=headline,
        paragraphs=tuple(body.paragraphs),
        subheadings=tuple(body.subheadings),
        guid=_text(get("uri", "guid")),
        version=version_of(get("version")),
        dateline=_located(get("located")) or body.dateline,
        agencies=agency_codes(
            [_name(holder), _text(get("source")), *(_name(s) for s in _list(get("infoSources")))]
        ),
        published_at=parse_instant(_text(get("versionCreated", "versioncreated"))) or first_created,
        first_created=first_created,
        language=_text(get("language")),
        urgency=urgency_of(get("urgency")),
        subjects=tuple(
            Subject(_text(s.get("uri") or s.get("code")), _text(s.get("name")))
            for s in _list(get("subjects", "subject"))
            if isinstance(s, dict)
        ),
        keywords=tuple(k for k in (_text(k) for k in _list(get("keywords"))) if k),
        byline=_text(get("by", "byline")),
        copyright_holder=_name(holder),
        slugline=_text(get("slugline")),
        embargoed_until=parse_instant(_text(get("embargoed"))),
        pubstatus=pubstatus_of(_text(get("pubStatus", "pubstatus"))),
    )


def _headline(headlines: Any, headline: Any) -> str | None:
    for entry in _list(headlines):
        if isinstance(entry, dict) and entry.get("role") in (None, "main"):
            return _text(entry.get("value"))
    return _text(headline)


def _body(item: dict[str, Any]) -> Body:
    bodies = [b for b in _list(item.get("bodies")) if isinstance(b, dict) and b.get("value")]
    for body in sorted(bodies, key=lambda b: b.get("role") not in (None, "main")):
        if "html" in str(body.get("contentType", "")):
            return body_of_html(str(body["value"]))
        return body_of_text(str(body["value"]))
    for name in ("body_html", "body_xhtml"):
        if isinstance(item.get(name), str) and item[name].strip():
            return body_of_html(item[name])
    if isinstance(item.get("body_text"), str):
        return body_of_text(item["body_text"])
    return Body()


def _located(value: Any) -> str | None:
    return _text(value.get("name") if isinstance(value, dict) else value)


def _name(value: Any) -> str | None:
    return _text(value.get("name") or value.get("literal") if isinstance(value, dict) else value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return squeeze(str(value)) if isinstance(value, str | int | float) else None
