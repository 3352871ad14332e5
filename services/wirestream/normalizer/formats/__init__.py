"""The agencies' own formats: recognised from content, split into items, parsed into stories.

    detect_format(content_type, text, name)  -> "newsml-g2" | "nitf" | ... | None (a page)
    split_document(format, data)              -> one document per item of a file, in order
    parse_document(format, text)              -> AgencyStory or FormatError per item

Recognition reads the content first (control characters, JSON shape, XML root element and
namespace); a specific media type or a file extension only decides what content leaves open.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import orjson
from lxml import etree

from wirestream.core.media import FORMAT_MEDIA_TYPES, MEDIA_TYPE_OF_FORMAT, SNIFFED_TYPES
from wirestream.normalizer.formats import anpa, feeds, iptc7901, newsmlg2, ninjs, nitf
from wirestream.normalizer.formats.story import AgencyStory, FormatError, Subject
from wirestream.normalizer.formats.xml import as_bytes, local_name, parse_xml
from wirestream.normalizer.text import decode_page

__all__ = [
    "FORMATS",
    "MEDIA_TYPE_OF_FORMAT",
    "AgencyStory",
    "FormatError",
    "Subject",
    "detect_format",
    "parse_document",
    "sniff_format",
    "split_document",
]

FORMATS = tuple(MEDIA_TYPE_OF_FORMAT)
_XML_ROOTS = {
    **dict.fromkeys(newsmlg2.ROOTS, "newsml-g2"),
    "nitf": "nitf",
    "rss": "rss",
    "RDF": "rss",
    "feed": "atom",
}
# The first element after the prolog, comments and doctype: `<prefix:name`.
_ROOT = re.compile(r"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_SUFFIX_HINTS = {
    ".nitf": "nitf",
    ".rss": "rss",
    ".atom": "atom",
    ".anpa": "anpa1312",
    ".tst": "anpa1312",
    ".7901": "iptc7901",
    ".ninjs": "ninjs",
}


def detect_format(content_type: str | None, text: str, name: str = "") -> str | None:
    """The agency format of `text`, or None for a page (text or HTML). A format's own media
    type decides; a generic one (`application/xml`, `application/json`) or none is sniffed."""
    if content_type in FORMAT_MEDIA_TYPES:
        return FORMAT_MEDIA_TYPES[content_type]
    if content_type is not None and content_type not in SNIFFED_TYPES:
        return None  # text/plain and text/html envelopes are pages
    return sniff_format(text, name)


def sniff_format(text: str, name: str = "") -> str | None:
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if head.startswith(anpa.START):
        return "anpa1312"
    if head.startswith(iptc7901.SOH) and iptc7901.STX in head:
        return "iptc7901"
    if head.startswith(("{", "[")):
        try:
            return "ninjs" if ninjs.is_ninjs(orjson.loads(text)) else None
        except orjson.JSONDecodeError:
            return None
    if head.startswith("<"):
        root = _ROOT.search(re.sub(r"<!--.*?-->", "", head, flags=re.S))
        if root is not None:  # the root element decides; HTML or unknown XML is no format
            return _XML_ROOTS.get(root[1])
    # Content that leaves it open (a root past the first 4 KiB): the extension hints.
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _SUFFIX_HINTS.get(suffix) if head.startswith(("<", "{", "[", "\x01")) else None


def split_document(format_name: str, data: bytes) -> list[str]:
    """One document per item of a file's bytes, in order (a single-item file: itself,
    re-serialized for XML). Raises FormatError when the document cannot be read at all."""
    if format_name in _XML_FORMATS:
        return _split_xml(format_name, parse_xml(data))  # lxml honours the declared encoding
    return _TEXT_SPLITTERS[format_name](decode_page(data))


def parse_document(format_name: str, text: str) -> list[AgencyStory | FormatError]:
    """The stories of one document (a FormatError for each entry that is not one). Raises
    FormatError when the document as a whole is unreadable or unsafe."""
    if format_name not in _XML_FORMATS:
        return _TEXT_PARSERS[format_name](text)
    data = as_bytes(text)
    root = parse_xml(data)
    if format_name in ("rss", "atom"):
        return feeds.parse(data, root)
    return nitf.parse(root) if format_name == "nitf" else newsmlg2.parse(root)


def _split_xml(format_name: str, root: etree._Element) -> list[str]:
    if format_name == "newsml-g2":
        found = newsmlg2.entries(root) if local_name(root) in newsmlg2.ROOTS else []
        if len(found) > 1:
            return [etree.tostring(element, encoding="unicode") for element in found]
    elif format_name in ("rss", "atom") and len(feeds.entries(root)) > 1:
        return feeds.split(root)
    return [etree.tostring(root, encoding="unicode")]


_XML_FORMATS = frozenset({"newsml-g2", "nitf", "rss", "atom"})
_TEXT_SPLITTERS: dict[str, Callable[[str], list[str]]] = {
    "iptc7901": iptc7901.split,
    "anpa1312": anpa.split,
    "ninjs": ninjs.split,
}
_TEXT_PARSERS: dict[str, Callable[[str], list[AgencyStory | FormatError]]] = {
    "iptc7901": iptc7901.parse,
    "anpa1312": anpa.parse,
    "ninjs": ninjs.parse,
}
