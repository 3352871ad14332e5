"""ANPA 1312 (AP's wire format): `SYN SYN SOH` header, `STX` text, `ETX` sign-off, `EOT`.

The second header line (`r z^S^Q BC-BKN--Heat-Hawks 1stLd-Writethru   02-20 0500`) gives
priority, category, keyword (slug), version and date; text lines starting with `^` are
headers (keyword line, headline, byline ending `=`), lines starting with a tab are the body.
The sign-off after ETX (`AP-WF-02-20-16 0337GMT`) dates the take. ANPA has no story id:
AP identifies a story by its keyword and date, and counts its versions as leads
(`1stLd-Writethru` is the second version), so that is the guid and version here. AP's
typewriter conventions become their characters: ` _ ` a dash, ``` `` ``` and `''` quotes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from wirestream.core.records import Reason
from wirestream.normalizer.formats.story import (
    AgencyStory,
    FormatError,
    Subject,
    each_story,
    squeeze,
)

START = "\x16\x16\x01"
STX, ETX = "\x02", "\x03"
_HEADER = re.compile(
    r"(?P<priority>[a-z]) (?P<category>[a-z])[\x13\x14][\x11\x12] (?P<keyword>\S+)"
    r"(?P<take>.*?)\s+(?P<month>\d{1,2})-(?P<day>\d{1,2})(?: (?P<words>\d{1,4}))?\s*$",
    re.IGNORECASE,
)
_LEAD = re.compile(r"(?P<number>\d+)(?:st|nd|rd|th)\s*Ld", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"(?P<agency>[A-Z]{2,6})-[A-Z]{1,4}-(?P<month>\d\d)-(?P<day>\d\d)-(?P<year>\d\d)"
    r" (?P<hour>\d\d)(?P<minute>\d\d)GMT"
)
_PRIORITY_URGENCY = {"f": 1, "b": 2, "u": 3, "r": 5, "a": 6, "d": 7}
_AP_CHARACTERS = (
    (re.compile(r" _ "), " — "),
    (re.compile(r"``"), "“"),
    (re.compile(r"''"), "”"),
)


def split(text: str) -> list[str]:
    """The stories of a file, each from its SYN SYN SOH."""
    return [START + part for part in text.split(START)[1:] if part.strip()]


def parse(story: str) -> list[AgencyStory | FormatError]:
    return each_story([story], _story)


def _story(story: str) -> AgencyStory:
    text_start = story.find(STX)
    if not story.startswith(START) or text_start < 0:
        raise FormatError(Reason.INVALID_ITEM, "ANPA 1312 story without SYN SYN SOH or STX")
    header_lines = story[len(START) : text_start].replace("\r", "").split("\n")
    header = next(filter(None, (_HEADER.match(line) for line in header_lines[1:])), None)
    if header is None:
        raise FormatError(Reason.INVALID_ITEM, "ANPA 1312 story without its keyword header")
    end = story.find(ETX, text_start)
    text = story[text_start + 1 : end if end >= 0 else len(story)].replace("\r", "")
    headers = [
        line.strip().lstrip("^").rstrip("<= ").strip()
        for line in text.split("\n")
        if line.startswith("^")
    ]
    bylines = [line for line in headers if line.lower().startswith("by ")]
    paragraphs = [
        _ap_characters(squeeze(line) or "") for line in text.split("\n") if line.startswith("\t")
    ]
    keyword = header["keyword"]
    lead = _LEAD.search(header["take"] or "")
    sign_off = _SIGN_OFF.search(story, end) if end >= 0 else None
    return AgencyStory(
        format="anpa1312",
        headline=_ap_characters(headers[1]) if len(headers) > 1 else None,
        paragraphs=tuple(p for p in paragraphs if p),
        guid=f"anpa:{keyword}:{int(header['month']):02d}-{int(header['day']):02d}",
        version=int(lead["number"]) + 1 if lead else 1,
        agencies=(sign_off["agency"],) if sign_off else (),
        published_at=_signed_off(sign_off) if sign_off else None,
        urgency=_PRIORITY_URGENCY.get(header["priority"].lower()),
        subjects=(Subject(f"anpa:{header['category'].lower()}", None),),
        byline=bylines[0] if bylines else None,
        slugline=keyword.split("--", 1)[-1],
    )


def _signed_off(match: re.Match[str]) -> datetime | None:
    try:
        return datetime(
            2000 + int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _ap_characters(text: str) -> str:
    for pattern, character in _AP_CHARACTERS:
        text = pattern.sub(character, text)
    return text
