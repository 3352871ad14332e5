"""Normalized word shingles of a wire item, hashed to 32-bit integers.

Matching must not see what changes between re-scrapes of the same story: case, accents,
punctuation, the dateline and its agency list, and relative times ("5 uur geleden", "2 hours
ago"). The normalizer already strips datelines and relative times from `body_text`; they are
removed here again so a raw or half-cleaned text still matches its clean twin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from xxhash import xxh32_intdigest

from wirestream.core.folding import strip_accents

_WORD = re.compile(r"[^\W_]+")

_UNITS_NL = (
    "seconde|seconden|sec|minuut|minuten|min|kwartier|uur|uren|u|dag|dagen|week|weken|"
    "maand|maanden|jaar"
)
_UNITS_EN = "seconds?|secs?|minutes?|mins?|hours?|hrs?|h|m|days?|weeks?|months?|years?"
# Applied to lower-cased, accent-folded text. No trailing \b: scraped pages glue the time
# to the next teaser's dateline ("5 uur geledenDNIPRO").
_RELATIVE_TIME = re.compile(
    rf"\b(?:\d+|een|enkele|an?|a few)\s*(?:{_UNITS_NL})\s+geleden"
    rf"|\b(?:\d+|an?|a few)\s*(?:{_UNITS_EN})\s+ago"
    r"|\b(?:eergisteren|gisteren|zojuist|yesterday|just now)"
)
# Every relative time contains one of these; most texts contain none, so the regex is skipped.
_RELATIVE_TIME_MARKERS = ("geleden", "ago", "gister", "zojuist", "yesterday", "just now")
# A dateline at the start of a text: upper-case place, optional ", March 9", optional
# "(ANP/RTR)", then a dash. Checked for upper case separately (regex classes can't).
_LEAD_DATELINE = re.compile(r"\s*([^\n()]{2,60}?)\s*(\([^()\n]{1,60}\))?\s*[-–—]\s")
# Agency lists anywhere ("... meldt (ANP/RTR) ..."), upper-case codes only.
_AGENCY_LIST = re.compile(r"\((?:[A-Z]{2,8}|Reuters)(?:\s*/\s*(?:[A-Z]{2,8}|Reuters))*\)")
_ELLIPSIS = ("...", "…")

# Separates the texts of one item so no shingle spans headline and body.
_FIELD_BREAK = "\x00"


def strip_dateline(text: str) -> str:
    """`text` without a leading `PLACE (AGENCIES) - ` dateline, when it has one."""
    if not text.lstrip()[:2].isupper():  # cheap: almost every body starts in lower case
        return text
    match = _LEAD_DATELINE.match(text)
    if match is None:
        return text
    place = match.group(1).split(",", 1)[0]
    if not (place.isupper() and any(ch.isalpha() for ch in place)):
        return text
    return text[match.end() :]


def words(text: str) -> list[str]:
    """Lower-case, accent-free words of `text`, without agency lists and relative times.

    A trailing ellipsis marks a truncated teaser: its last word may be cut, so it is dropped.
    """
    truncated = text.rstrip().endswith(_ELLIPSIS)
    folded = (_AGENCY_LIST.sub(" ", text) if "(" in text else text).lower()
    if not folded.isascii():
        folded = strip_accents(folded)
    if any(marker in folded for marker in _RELATIVE_TIME_MARKERS):
        folded = _RELATIVE_TIME.sub(" ", folded)
    tokens = _WORD.findall(folded)
    if truncated and len(tokens) > 1:
        tokens.pop()
    return tokens


def shingle_hashes(texts: Iterable[str], size: int) -> list[int]:
    """Distinct 32-bit hashes of the `size`-word shingles of `texts`, in first-seen order.

    Texts shorter than `size` words give one shingle of all their words, so a two-word item
    still has a fingerprint. The order matters: the first hashes are the lead of the first
    text, which a teaser shares with its full article.
    """
    tokens: list[str] = []
    for text in texts:
        field = words(text)
        if not field:
            continue
        if tokens:
            tokens.append(_FIELD_BREAK)
        if len(field) < size:
            tokens.append(" ".join(field))
        else:
            tokens.extend(field)
    if not tokens:
        return []
    if len(tokens) < size:
        return [xxh32_intdigest(" ".join(tokens).encode())]
    windows = zip(*(tokens[i:] for i in range(size)), strict=False)
    return list(dict.fromkeys(map(xxh32_intdigest, map(str.encode, map(" ".join, windows)))))


def item_texts(body_text: str, headline: str | None, subheadings: Iterable[str]) -> list[str]:
    """The texts of an item that carry its story, body first (its lead matters most)."""
    texts = [strip_dateline(body_text)]
    if headline:
        texts.append(headline)
    texts.extend(subheadings)
    return texts
