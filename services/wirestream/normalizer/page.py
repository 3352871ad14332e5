"""Splitting a wire page into its main article and the teasers listed under it.

    Headline                                  <- first line, when it has no dateline
    Door onze redacteur / 2 uur geleden       <- metadata and the article's time, not text
    CITY (AGENCIES) - first paragraph         <- the article's dateline paragraph
    Paragraph / Sub-heading / Paragraph
    Meer uit Buitenland                       <- section marker ("More from World")
    CITY (AGENCIES) - teaser text
    5 uur geledenCITY (AGENCIES) - teaser     <- the time belongs to the teaser *before* it
    13 uur geleden                            <- ...alone on the last line too

Time words never end up in item text: deduplication compares texts across re-scrapes in
which only the relative times differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wirestream.normalizer.dateline import Dateline, parse_dateline
from wirestream.normalizer.timeparse import is_time_line, split_trailing_time, time_prefix_length

_SECTION_MARKER = re.compile(
    r"(?i:meer uit|meer over|meer nieuws uit|more from|more in|more news from)"
    r"\s+(?P<section>.{1,60})"
)
_CLOSING = tuple(".!?:;…\"'”’»)")
_MAX_HEADING_CHARS = 120


@dataclass(slots=True)
class Teaser:
    dateline: Dateline | None
    paragraphs: list[str]
    headline: str | None = None
    time_text: str | None = None


@dataclass(slots=True)
class Article:
    headline: str | None
    dateline: Dateline | None
    paragraphs: list[str]  # sub-headings included, in page order
    subheadings: list[str]
    time_text: str | None


@dataclass(slots=True)
class Page:
    article: Article | None
    teasers: list[Teaser] = field(default_factory=list)
    section: str | None = None

    @property
    def has_dateline(self) -> bool:
        return (self.article is not None and self.article.dateline is not None) or any(
            teaser.dateline is not None for teaser in self.teasers
        )


def split_page(lines: list[str]) -> Page:
    """The article and teasers of a page given as clean, non-empty lines."""
    for index, line in enumerate(lines):
        marker = _SECTION_MARKER.fullmatch(line)
        if marker is not None:
            section = marker["section"].strip()
            return Page(_article(lines[:index]), _teasers(lines[index + 1 :]), section)
    if sum(1 for line in lines if _dateline_after_time(line) is not None) >= 2:
        return Page(None, _teasers(lines))  # a bare teaser list
    return Page(_article(lines))


def is_subheading(line: str) -> bool:
    """Short lines without closing punctuation are sub-headings (and teaser headlines)."""
    return len(line) <= _MAX_HEADING_CHARS and not line.endswith(_CLOSING)


def _article(lines: list[str]) -> Article | None:
    headline = None
    if lines and parse_dateline(lines[0]) is None and not is_time_line(lines[0]):
        headline, lines = lines[0], lines[1:]
    dateline = None
    time_text = None
    paragraphs: list[str] = []
    subheadings: list[str] = []
    for line in lines:
        if is_time_line(line):
            time_text = time_text or line
            continue
        if dateline is None:
            parsed = parse_dateline(line)
            if parsed is not None:
                # Short lines between headline and dateline are page metadata (byline,
                # "Gepubliceerd", labels), not text; a standfirst sentence stays.
                paragraphs = [kept for kept in paragraphs if kept not in subheadings]
                subheadings.clear()
                dateline, line = parsed
                paragraphs.append(line)
                continue
        if is_subheading(line):
            subheadings.append(line)
        paragraphs.append(line)
    if len(paragraphs) == len(subheadings):  # a headline with nothing under it is no article
        return None
    return Article(headline, dateline, paragraphs, subheadings, time_text)


def _teasers(lines: list[str]) -> list[Teaser]:
    teasers: list[Teaser] = []
    pending_headline: str | None = None
    for line in lines:
        parsed, text = _leading_time(line, teasers)
        if not text:
            continue
        if parsed is None:
            parsed = parse_dateline(text)
        text, time_text = split_trailing_time(parsed[1] if parsed else text)
        if parsed is not None:
            teasers.append(Teaser(parsed[0], [text], pending_headline, time_text))
            pending_headline = None
        elif is_subheading(text) and time_text is None:
            # A teaser's own headline above its dateline line; one that no teaser follows is
            # navigation ("Bekijk alle berichten").
            pending_headline = text
        elif teasers and pending_headline is None:
            teasers[-1].paragraphs.append(text)
            teasers[-1].time_text = teasers[-1].time_text or time_text
        else:
            teasers.append(Teaser(None, [text], pending_headline, time_text))
            pending_headline = None
    return teasers


def _leading_time(line: str, teasers: list[Teaser]) -> tuple[tuple[Dateline, str] | None, str]:
    """Give a time opening `line` (alone, or glued to the next dateline) to the teaser before
    it; return the dateline parsed on the way and the line's remaining text."""
    prefix = time_prefix_length(line)
    if not prefix:
        return None, line
    rest = line[prefix:].lstrip()
    parsed = parse_dateline(rest) if rest else None
    if rest and parsed is None:
        return None, line  # an ordinary sentence opening with "Gisteren ..."
    if teasers and teasers[-1].time_text is None:
        teasers[-1].time_text = line[:prefix]
    return parsed, rest


def _dateline_after_time(line: str) -> tuple[Dateline, str] | None:
    return parse_dateline(line[time_prefix_length(line) :].lstrip())
