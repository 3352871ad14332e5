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
which only the relative times differ. Nor do the wires' housekeeping lines (see `wirecopy.py`):
bylines above the dateline, editors' notes (`(Adds ...)`, `Editing by ...`, kept apart as
metadata), sign-offs (`Reuter`, `(ANSA).`, `Lusa/Fim`, whose agency is credited when the copy
credits none elsewhere), initials and separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from wirestream.normalizer.dateline import Dateline, DatelineDate, Opening, parse_opening
from wirestream.normalizer.timeparse import is_time_line, split_trailing_time, time_prefix_length
from wirestream.normalizer.wirecopy import headline_slug, housekeeping, is_figures

_SECTION_MARKER = re.compile(
    r"(?i:meer uit|meer over|meer nieuws uit|more from|more in|more news from|mehr aus|"
    r"plus de|más de|más noticias de|altre notizie|mais de|mais notícias de)"
    r"\s+(?P<section>.{1,60})"
)
# Positive signs of pages that are no article, in the wires' languages.
_NOT_AN_ARTICLE = (
    (
        "cookie wall or consent banner",
        re.compile(
            r"\b(?:cookies?|consent|toestemming|privacy ?(?:settings|instellingen)|accepteren|"
            r"weigeren|accept all|reject all|alle akzeptieren|tout accepter|aceptar|accetta|"
            r"einwilligung|zustimm\w*|consentement|consentimiento|consenso|consentimento)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "error page",
        re.compile(
            r"\b(?:404|not found|niet gevonden|nicht gefunden|introuvable|no encontrada|"
            r"non trovata|não encontrada|foutcode|error|fehler|erreur)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "login page",
        re.compile(
            r"\b(?:log ?in|sign ?in|inloggen|anmelden|password|wachtwoord|passwort|"
            r"mot de passe|se connecter|contraseña|iniciar sesión|accedi)\b",
            re.IGNORECASE,
        ),
    ),
)
_SIGN_LINE_CHARS = 200  # signs count on short lines (buttons, titles), not in prose
_SHORT_PAGE_LINES = 6
_PROSE_WORDS = 6  # an agency's alert is one sentence: its headline repeated
# Headings of a list of related teasers that names no section (and html.py's marker).
_LIST_MARKER = re.compile(
    r"(?i:related(?: stories| news| articles)?|gerelateerd(?: nieuws)?|lees ook|ook interessant|"
    r"mehr zum thema|lesen sie auch|à lire aussi|lire aussi|noticias relacionadas|"
    r"leggi anche|veja também|leia também)"
)
_CLOSING = tuple(".!?:;…\"'”’»)")
_MAX_HEADING_CHARS = 120


@dataclass(slots=True)
class Teaser:
    dateline: Dateline | None
    paragraphs: list[str]
    headline: str | None = None
    time_text: str | None = None
    agencies: tuple[str, ...] = ()  # the dateline's, or a place-less credit's: `(AP) —`
    date: DatelineDate | None = None


@dataclass(slots=True)
class Article:
    headline: str | None
    dateline: Dateline | None
    paragraphs: list[str]  # sub-headings included, in page order
    subheadings: list[str]
    time_text: str | None
    agencies: tuple[str, ...] = ()
    date: DatelineDate | None = None
    slug: str | None = None  # Reuters' `UPDATE 2-`, Europa Press' `AMP.-`: not headline
    editors_notes: list[str] = field(default_factory=list)


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
        if marker is not None or _LIST_MARKER.fullmatch(line):
            section = marker["section"].strip() if marker else None
            return Page(_article(lines[:index]), _teasers(lines[index + 1 :]), section)
    if sum(1 for line in lines if _opening_after_time(line) is not None) >= 2:
        return Page(None, _teasers(lines))  # a bare teaser list
    return Page(_article(lines))


def is_list_heading(line: str) -> bool:
    """Whether a line heads a list of teasers: `Meer uit Buitenland`, `Related`, `Lees ook`."""
    return bool(_SECTION_MARKER.fullmatch(line) or _LIST_MARKER.fullmatch(line))


def not_an_article(lines: list[str], page: Page) -> str | None:
    """What a page without any dateline is when it is no article (a cookie wall, an error
    or login page, an empty shell), or None for an article: a headline and prose."""
    for kind, sign in _NOT_AN_ARTICLE:
        signed = [line for line in lines if len(line) <= _SIGN_LINE_CHARS and sign.search(line)]
        if signed and (
            signed[0] is lines[0] or len(signed) >= 2 or len(lines) <= _SHORT_PAGE_LINES
        ):
            return kind
    article = page.article
    if article is None or not any(
        len(paragraph.split()) >= _PROSE_WORDS for paragraph in article.paragraphs
    ):
        return "empty shell (no headline and prose)"
    return None


def is_subheading(line: str) -> bool:
    """Short lines without closing punctuation are sub-headings (and teaser headlines); a row
    of figures (`Net 12.6 mln vs 15.8 mln`) is none."""
    return len(line) <= _MAX_HEADING_CHARS and not line.endswith(_CLOSING) and not is_figures(line)


def _article(lines: list[str]) -> Article | None:
    headline = slug = None
    if lines and _opening_after_time(lines[0]) is None and not is_time_line(lines[0]):
        slug, headline = headline_slug(lines[0])
        lines = lines[1:]
    opening: Opening | None = None
    time_text = None
    paragraphs: list[str] = []
    subheadings: list[str] = []
    notes: list[str] = []
    signed: list[str] = []
    for line in lines:
        if is_time_line(line):
            time_text = time_text or line
            continue
        kept_apart = housekeeping(line)
        if kept_apart is not None:
            if kept_apart.note:
                notes.append(line)
            signed.extend(kept_apart.agencies)
            continue
        if opening is None:
            opening = _opening_after_time(line)
            if opening is not None:
                # Short lines between headline and dateline are page metadata (byline,
                # "Gepubliceerd", labels), not text; a standfirst sentence stays.
                paragraphs = [kept for kept in paragraphs if kept not in subheadings]
                subheadings.clear()
                paragraphs.append(opening.text)
                continue
        if is_subheading(line):
            subheadings.append(line)
        paragraphs.append(line)
    if len(paragraphs) == len(subheadings):  # a headline with nothing under it is no article
        return None
    # A sign-off credits its agency only when the copy credits none elsewhere.
    agencies = (opening.agencies if opening else ()) or tuple(dict.fromkeys(signed))
    return Article(
        headline, opening.dateline if opening else None, paragraphs, subheadings, time_text,
        agencies, opening.date if opening else None, slug, notes,
    )  # fmt: skip


class TeaserLine(NamedTuple):
    """What one line of a teaser list says, read without the teasers around it."""

    given_time: str | None  # a time opening the line: it belongs to the teaser before
    skipped: bool  # nothing of a teaser: a time alone, or a second list's heading
    opening: Opening | None  # the dateline (or credit) opening the text
    text: str  # after the opening and without a trailing time
    time_text: str | None  # the time trailing the text


# A section's teaser list repeats on each of its article pages, so its lines come back again
# and again; an answer holds only tuples and strings, never changed by a reader.
@lru_cache(maxsize=8192)
def read_teaser_line(line: str) -> TeaserLine:
    given_time, parsed, text = _leading_time(line)
    if not text or is_list_heading(text):  # a second list's heading: not a headline
        return TeaserLine(given_time, True, None, text, None)
    if parsed is None:
        parsed = parse_opening(text)
    text, time_text = split_trailing_time(parsed.text if parsed else text)
    return TeaserLine(given_time, False, parsed, text, time_text)


def _teasers(lines: list[str]) -> list[Teaser]:
    teasers: list[Teaser] = []
    pending_headline: str | None = None
    for line in lines:
        read = read_teaser_line(line)
        if read.given_time is not None and teasers and teasers[-1].time_text is None:
            teasers[-1].time_text = read.given_time
        if read.skipped:
            continue
        parsed, text, time_text = read.opening, read.text, read.time_text
        if parsed is not None:
            teasers.append(
                Teaser(
                    parsed.dateline, [text], pending_headline, time_text, parsed.agencies,
                    parsed.date,
                )
            )  # fmt: skip
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


def _leading_time(line: str) -> tuple[str | None, Opening | None, str]:
    """A time opening `line` (alone, or glued to the next dateline: it belongs to the teaser
    before), the dateline parsed on the way, and the line's remaining text."""
    prefix = time_prefix_length(line)
    if not prefix:
        return None, None, line
    rest = line[prefix:].lstrip()
    parsed = parse_opening(rest) if rest else None
    if rest and parsed is None:
        return None, None, line  # an ordinary sentence opening with "Gisteren ..."
    return line[:prefix], parsed, rest


def _opening_after_time(line: str) -> Opening | None:
    """The opening of a line, after a time glued before it (`16:50 VLISSINGEN - `)."""
    return parse_opening(line[time_prefix_length(line) :].lstrip())
