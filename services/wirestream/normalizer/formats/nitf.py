"""NITF (News Industry Text Format) 3.x: one story per `nitf` document.

`head/docdata` gives the identity and status (`doc-id`, `du-key` version, `urgency`,
`date.issue`/`date.release`, `doc.copyright`, `key-list`, the `management-status` attribute),
`head/tobject` the subjects, `body.head` the headline (`hl1`), byline, distributor and the
dateline (`location`, `story.date`), `body.content` the paragraphs and `hl2` sub-headings.
"""

from __future__ import annotations

from lxml import etree

from wirestream.core.records import Reason
from wirestream.normalizer.formats.markup import body_of_element
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
from wirestream.normalizer.formats.xml import language_of, local_name, text_of

NAMESPACES = frozenset({None, "http://iptc.org/std/NITF/2006-10-18/"})


def parse(root: etree._Element) -> list[AgencyStory | FormatError]:
    if local_name(root) != "nitf" or etree.QName(root).namespace not in NAMESPACES:
        raise FormatError(Reason.UNKNOWN_FORMAT, f"root {root.tag!r} is not an NITF document")
    return each_story([root], _story)


def _story(root: etree._Element) -> AgencyStory:
    ns = etree.QName(root).namespace
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    docdata = root.find(f"{q('head')}/{q('docdata')}")
    body_head = root.find(f"{q('body')}/{q('body.head')}")
    content = root.find(f"{q('body')}/{q('body.content')}")
    body = body_of_element(content) if content is not None else None
    headline = (
        text_of(body_head.find(f"{q('hedline')}/{q('hl1')}")) if body_head is not None else None
    )
    headline = headline or text_of(root.find(f"{q('head')}/{q('title')}"))
    if headline is None and (body is None or not body.paragraphs):
        raise FormatError(Reason.INVALID_ITEM, "NITF document without headline or body text")

    def doc(tag: str, attribute: str) -> str | None:
        element = docdata.find(q(tag)) if docdata is not None else None
        return element.get(attribute) if element is not None else None

    dateline = body_head.find(q("dateline")) if body_head is not None else None
    location = dateline.find(q("location")) if dateline is not None else None
    story_date = dateline.find(q("story.date")) if dateline is not None else None
    released = parse_instant(doc("date.release", "norm"))
    issued = parse_instant(doc("date.issue", "norm"))
    written_date = parse_instant(story_date.get("norm")) if story_date is not None else None
    return AgencyStory(
        format="nitf",
        headline=headline,
        paragraphs=tuple(body.paragraphs) if body else (),
        subheadings=tuple(body.subheadings) if body else (),
        guid=squeeze(doc("doc-id", "id-string")),
        version=version_of(doc("du-key", "version")),
        dateline=text_of(location) if location is not None else _own_text(dateline),
        agencies=agency_codes(
            [
                doc("doc.copyright", "holder"),
                text_of(body_head.find(q("distributor"))) if body_head is not None else None,
                doc("doc-id", "regsrc"),
            ]
        ),
        published_at=issued or released or written_date,
        first_created=written_date,
        language=language_of(content if content is not None else root),
        urgency=urgency_of(doc("urgency", "ed-urg")),
        subjects=tuple(
            Subject(
                squeeze(subject.get("tobject.subject.refnum")),
                squeeze(subject.get("tobject.subject.matter"))
                or squeeze(subject.get("tobject.subject.type")),
            )
            for subject in root.iter(q("tobject.subject"))
        ),
        keywords=tuple(
            key for key in (squeeze(k.get("key")) for k in root.iter(q("keyword"))) if key
        ),
        byline=_byline(body_head.find(q("byline")) if body_head is not None else None),
        copyright_holder=squeeze(doc("doc.copyright", "holder")),
        slugline=squeeze(doc("du-key", "key")),
        embargoed_until=released if released and issued and released > issued else None,
        pubstatus=pubstatus_of(docdata.get("management-status") if docdata is not None else None),
    )


def _byline(byline: etree._Element | None) -> str | None:
    """The byline's own text (`By BERNARD CONDON`), without the writer's title (`byttl`)."""
    if byline is None:
        return None
    parts = [byline.text or ""]
    for child in byline:
        if local_name(child) != "byttl":
            parts.append(text_of(child) or "")
        parts.append(child.tail or "")
    return squeeze(" ".join(parts))


def _own_text(element: etree._Element | None) -> str | None:
    """An element's own text, without its children's (a dateline's `story.date`)."""
    return squeeze(element.text) if element is not None else None
