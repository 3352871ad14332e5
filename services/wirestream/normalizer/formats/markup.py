"""Body text from markup: paragraphs and sub-headings from the elements that say so.

XHTML (NewsML-G2 `inlineXML`), NITF `body.content`, ninjs `body_html` and feed HTML all
mark paragraphs (`p`, `li`, `pre`) and sub-headings (`h1`-`h6`, NITF `hl2`); reading those
elements is exact where text heuristics would guess.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from wirestream.normalizer.formats.story import squeeze
from wirestream.normalizer.formats.xml import local_name, text_of

_PARAGRAPHS = frozenset({"p", "li", "pre", "blockquote", "dd", "dt", "td"})
_SUBHEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hl2"})
_SKIPPED = frozenset(
    {"script", "style", "media", "table-reference", "figure", "img", "object"}
    | {"head", "header", "nav", "footer", "aside"}  # XHTML page furniture: not the story
)
# Wire copy starts a paragraph with an indent or after a blank line.
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=[ \t]{2,}\S)")
_MARKUP_START = re.compile(r"\s*<[A-Za-z!]")


class Body:
    """Paragraphs (sub-headings in place) and the sub-headings on their own."""

    __slots__ = ("dateline", "paragraphs", "subheadings")

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.subheadings: list[str] = []
        self.dateline: str | None = None  # an XHTML `<span class="dateline">`, taken out


def _take_dateline(container: etree._Element, body: Body) -> None:
    """Remove the first element marked `class="dateline"` (dpa, IPTC's XHTML guidance),
    keeping the text after it, and keep its text as the body's dateline."""
    for element in container.iter():
        if "dateline" in (element.get("class") or "").split():
            body.dateline = text_of(element)
            parent = element.getparent()
            if parent is not None:
                previous = element.getprevious()
                tail = element.tail or ""
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
                parent.remove(element)
            return


def body_of_element(container: etree._Element) -> Body:
    """The paragraphs and sub-headings inside `container`, in document order."""
    body = Body()
    _take_dateline(container, body)
    _walk(container, body)
    if not body.paragraphs:  # markup without block elements: its text is one paragraph
        body.paragraphs.extend(plain_paragraphs(" ".join(container.itertext())))
    return body


def body_of_html(html: str) -> Body:
    """Body of an HTML fragment (ninjs `body_html`, an RSS `content:encoded`)."""
    if not html.strip():
        return Body()
    container = lxml.html.fragment_fromstring(html, create_parent="div")
    return body_of_element(container)


def body_of_text(text: str) -> Body:
    """Body of a text that may be HTML in disguise (a `text/plain` inlineData with `<p>`s)."""
    if _MARKUP_START.match(text):
        return body_of_html(text)
    body = Body()
    body.paragraphs.extend(plain_paragraphs(text))
    return body


def plain_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain wire text: split at blank lines and indents, lines joined."""
    return [p for p in (squeeze(part) for part in _PARAGRAPH_BREAK.split(text)) if p]


def _walk(element: etree._Element, body: Body) -> None:
    for child in element:
        name = local_name(child)
        if name in _SKIPPED:
            continue
        if name in _SUBHEADINGS:
            heading = text_of(child)
            if heading:
                body.subheadings.append(heading)
                body.paragraphs.append(heading)
        elif name in _PARAGRAPHS:
            paragraph = text_of(child)
            if paragraph:
                body.paragraphs.append(paragraph)
        else:
            _walk(child, body)
