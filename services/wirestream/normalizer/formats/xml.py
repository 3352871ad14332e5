"""Safe XML for the agencies' formats: no entity expansion, no DTD, no network, bounded depth.

An entity declaration or an internal DTD subset is refused before parsing (the billion-laughs
bomb and external-entity attacks both need one); lxml then runs with entity resolution, DTD
loading and network access off and without its huge-document mode, and the element depth is
counted while parsing so a deeply nested document stops early.
"""

from __future__ import annotations

import html
import io
import re

from lxml import etree

from wirestream.core.records import Reason
from wirestream.normalizer.formats.story import FormatError, squeeze

MAX_DEPTH = 64  # NewsML-G2 with XHTML nests ~12 deep; 64 leaves room for any real markup
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_UNSAFE = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


def as_bytes(document: str | bytes) -> bytes:
    """XML text as UTF-8 bytes; a decoded string loses its encoding declaration, which
    would otherwise contradict the UTF-8 it is now written in."""
    if isinstance(document, bytes):
        return document
    return _DECLARATION.sub("", document, count=1).encode("utf-8", errors="replace")


def parse_xml(document: str | bytes) -> etree._Element:
    """The root element, or FormatError: `unsafe_xml` for entity or DTD declarations and
    nesting past MAX_DEPTH, `malformed_xml` for anything the parser rejects."""
    data = as_bytes(document)
    if _UNSAFE.search(data):
        raise FormatError(
            Reason.UNSAFE_XML, "XML with an entity declaration or internal DTD subset refused"
        )
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    try:
        for event, _element in events:
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise FormatError(Reason.UNSAFE_XML, f"XML nested deeper than {MAX_DEPTH}")
    except etree.XMLSyntaxError as error:
        raise FormatError(Reason.MALFORMED_XML, f"malformed XML: {error}") from None
    return events.root


def local_name(element: etree._Element) -> str:
    """The tag without its namespace (`{http://...}newsItem` → `newsItem`)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def namespace(element: etree._Element) -> str | None:
    return etree.QName(element).namespace


def text_of(element: etree._Element | None) -> str | None:
    """All text inside an element, whitespace squeezed. An entity reference left unresolved
    (NITF declares `&eacute;` in a DTD that is never loaded) reads as its HTML character."""
    if element is None:
        return None
    text = "".join(element.itertext())
    return squeeze(html.unescape(text) if "&" in text else text)


def value_of(element: etree._Element | None) -> str | None:
    """An IPTC concept's readable value: its `literal`, its `name` child or text, its `qcode`."""
    if element is None:
        return None
    literal = squeeze(element.get("literal"))
    if literal:
        return literal
    for child in element:
        if local_name(child) == "name":
            return text_of(child)
    return text_of(element) or squeeze(element.get("qcode"))


def language_of(element: etree._Element) -> str | None:
    """The nearest xml:lang, on the element or an ancestor."""
    for node in (element, *element.iterancestors()):
        lang = node.get(XML_LANG)
        if lang:
            return lang
    return None
