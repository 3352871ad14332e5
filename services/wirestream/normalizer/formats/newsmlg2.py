"""IPTC NewsML-G2: a `newsItem`, or a `newsMessage` carrying several.

Mapped from the item's own elements: `guid`/`version` attributes, `itemMeta` (provider,
versionCreated, firstCreated, pubStatus, embargoed), `contentMeta` (urgency, located,
dateline, creator, by, slugline, subject, keyword, headline, language) and the body from
`contentSet` (`inlineXML` XHTML, else `inlineData` text). A `packageItem` only references
items, so it carries no story of its own; a picture or video item carries no text.
"""

from __future__ import annotations

from lxml import etree

from wirestream.core.records import Reason
from wirestream.normalizer.formats.markup import Body, body_of_element, body_of_text
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
from wirestream.normalizer.formats.xml import language_of, local_name, text_of, value_of

NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
ROOTS = frozenset({"newsMessage", "newsItem", "packageItem"})
_G2 = f"{{{NAMESPACE}}}"
_MAIN_HEADLINE_ROLES = frozenset({None, "", "hld:main", "main"})


def entries(root: etree._Element) -> list[etree._Element]:
    """The story-carrying elements of a G2 document, in order (packageItems excluded)."""
    _check_root(root)
    if local_name(root) == "newsItem":
        return [root]
    if local_name(root) == "packageItem":
        return []
    return [element for element in root.iter(f"{_G2}newsItem")]


def parse(root: etree._Element) -> list[AgencyStory | FormatError]:
    """One story per newsItem; an entry that is not a text story is a FormatError."""
    found = entries(root)
    if not found:
        return [FormatError(Reason.NO_ITEMS, f"NewsML-G2 {local_name(root)} holds no newsItem")]
    return each_story(found, news_item)


def news_item(item: etree._Element) -> AgencyStory:
    item_meta = item.find(f"{_G2}itemMeta")
    content_meta = item.find(f"{_G2}contentMeta")
    if item_meta is None or content_meta is None:
        raise FormatError(Reason.INVALID_ITEM, "newsItem without itemMeta or contentMeta")
    item_class = (item_meta.findtext(f"{_G2}itemClass") or "") + (
        _attribute(item_meta, "itemClass", "qcode") or ""
    )
    if item_class and not item_class.endswith(("text", "composite")):
        raise FormatError(Reason.NO_ITEMS, f"newsItem of class {item_class!r} has no story text")
    body = _body(item)
    headline = _headline(content_meta)
    if headline is None and not body.paragraphs:
        raise FormatError(Reason.INVALID_ITEM, "newsItem without headline or text")
    version_created = parse_instant(item_meta.findtext(f"{_G2}versionCreated"))
    first_created = parse_instant(item_meta.findtext(f"{_G2}firstCreated"))
    language = item.get("{http://www.w3.org/XML/1998/namespace}lang") or _attribute(
        content_meta, "language", "tag"
    )
    return AgencyStory(
        format="newsml-g2",
        headline=headline,
        paragraphs=tuple(body.paragraphs),
        subheadings=tuple(body.subheadings),
        guid=squeeze(item.get("guid")),
        version=version_of(item.get("version")),
        dateline=_dateline(content_meta) or body.dateline,
        agencies=_agencies(item, item_meta, content_meta),
        published_at=version_created or first_created,
        first_created=first_created,
        language=language or language_of(item),
        urgency=urgency_of(content_meta.findtext(f"{_G2}urgency")),
        subjects=tuple(
            Subject(squeeze(subject.get("qcode")), value_of_name(subject))
            for subject in content_meta.iterfind(f"{_G2}subject")
        ),
        keywords=tuple(
            keyword
            for keyword in (text_of(k) for k in content_meta.iterfind(f"{_G2}keyword"))
            if keyword
        ),
        byline=text_of(content_meta.find(f"{_G2}by")),
        copyright_holder=value_of(item.find(f"{_G2}rightsInfo/{_G2}copyrightHolder")),
        slugline=text_of(content_meta.find(f"{_G2}slugline")),
        embargoed_until=parse_instant(item_meta.findtext(f"{_G2}embargoed")),
        pubstatus=pubstatus_of(_attribute(item_meta, "pubStatus", "qcode")),
    )


def value_of_name(concept: etree._Element) -> str | None:
    """A concept's name (`literal` or `<name>`), never its qcode (kept as the code)."""
    literal = squeeze(concept.get("literal"))
    if literal:
        return literal
    name = concept.find(f"{_G2}name")
    return text_of(name)


def _check_root(root: etree._Element) -> None:
    name = local_name(root)
    if root.tag != f"{_G2}{name}" or name not in ROOTS:
        raise FormatError(
            Reason.UNKNOWN_FORMAT,
            f"root {root.tag!r} is not a NewsML-G2 newsMessage, newsItem or packageItem"
            f" in {NAMESPACE}",
        )


def _attribute(parent: etree._Element, child: str, attribute: str) -> str | None:
    element = parent.find(f"{_G2}{child}")
    return element.get(attribute) if element is not None else None


def _headline(content_meta: etree._Element) -> str | None:
    for headline in content_meta.iterfind(f"{_G2}headline"):
        if headline.get("role") in _MAIN_HEADLINE_ROLES:
            return text_of(headline)
    return None


def _dateline(content_meta: etree._Element) -> str | None:
    written = text_of(content_meta.find(f"{_G2}dateline"))
    if written:
        return written
    located = content_meta.find(f"{_G2}located")
    return value_of_name(located) if located is not None else None


def _agencies(
    item: etree._Element, item_meta: etree._Element, content_meta: etree._Element
) -> tuple[str, ...]:
    """Provider, organisation creators and copyright holder, each once."""
    candidates = [value_of(item_meta.find(f"{_G2}provider"))]
    for creator in content_meta.iterfind(f"{_G2}creator"):
        if "organisation" in (creator.get("type") or "") or "nprov:" in (
            creator.get("qcode") or ""
        ):
            candidates.append(value_of(creator))
    rights = item.find(f"{_G2}rightsInfo/{_G2}copyrightHolder")
    candidates.append(value_of(rights))
    return agency_codes(candidates)


def _body(item: etree._Element) -> Body:
    content_set = item.find(f"{_G2}contentSet")
    if content_set is None:
        return Body()
    inline_xml = content_set.find(f"{_G2}inlineXML")
    if inline_xml is not None:
        return body_of_element(inline_xml)
    for inline_data in content_set.iterfind(f"{_G2}inlineData"):
        if (inline_data.get("contenttype") or "text/plain").startswith("text/"):
            return body_of_text(inline_data.text or "")
    return Body()
