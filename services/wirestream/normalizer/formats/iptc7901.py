"""IPTC 7901 text messages: `SOH` header, keyword lines, `STX` headline and text, `ETX`.

The header line (`eca062 4 i 211 ccccb   dpa 061`) gives service and message number, the
priority digit (urgency), the category and, last, the sending agency; the lines before STX
are the keyword (slugline); the first text line is the headline (ending ` =` by dpa's
convention). Text after an editors' "not for publication" marker is not the story.
"""

from __future__ import annotations

import re

from wirestream.core.records import Reason
from wirestream.normalizer.formats.markup import plain_paragraphs
from wirestream.normalizer.formats.story import (
    AgencyStory,
    FormatError,
    Subject,
    agency_codes,
    each_story,
    squeeze,
    urgency_of,
)

SOH, STX, ETX = "\x01", "\x02", "\x03"
_HEADER = re.compile(
    r"(?P<service>[A-Za-z]*)(?P<number>\d*) (?P<priority>\S) (?P<category>[A-Za-z]{1,3})"
    r"(?: (?P<words>\d+))?(?P<rest>[^\r\n]*)"
)
_SENDER = re.compile(r"\s{2,}(?P<agency>[A-Za-z][A-Za-z-]{1,12})\s+\d+\s*$")
_NOT_FOR_PUBLICATION = re.compile(
    r"^(?:#.*|\*(?: \*)+|.*not (?:intended )?for publication.*)$", re.IGNORECASE | re.MULTILINE
)


def split(text: str) -> list[str]:
    """The messages of a file, each from its SOH."""
    return [SOH + part for part in text.split(SOH)[1:] if part.strip()]


def parse(message: str) -> list[AgencyStory | FormatError]:
    return each_story([message], _story)


def _story(message: str) -> AgencyStory:
    start = message.find(SOH)
    text_start = message.find(STX)
    if start < 0 or text_start < 0:
        raise FormatError(Reason.INVALID_ITEM, "IPTC 7901 message without SOH or STX")
    header_lines = message[start + 1 : text_start].replace("\r", "").split("\n")
    header = _HEADER.match(header_lines[0])
    if header is None:
        raise FormatError(Reason.INVALID_ITEM, f"IPTC 7901 header {header_lines[0][:40]!r}")
    end = message.find(ETX, text_start)
    text = message[text_start + 1 : end if end >= 0 else len(message)].replace("\r", "")
    headline, _, body = text.partition("\n")
    cut = _NOT_FOR_PUBLICATION.search(body)
    paragraphs = plain_paragraphs(body[: cut.start()] if cut else body)
    sender = _SENDER.search(header["rest"] or "")
    slugline = squeeze(" ".join(line.strip().rstrip("/") for line in header_lines[1:]))
    return AgencyStory(
        format="iptc7901",
        headline=squeeze(headline.rstrip().removesuffix("=")),
        paragraphs=tuple(paragraphs),
        agencies=agency_codes([sender["agency"] if sender else None]),
        urgency=urgency_of(header["priority"]),
        subjects=(Subject(f"iptc7901:{header['category']}", None),),
        slugline=slugline,
    )
