"""Datelines: the `PLACE (AGENCY/AGENCY) - ` opening of a wire paragraph.

Forms recognised at the start of a line (Dutch and English wire styles):
    VLADIVOSTOK (ANP/RTR/AFP) - De Noord-Koreaanse leider ...
    'S-HERTOGENBOSCH (ANP) - ...          GENÈVE (ANP/AFP) - ...
    WASHINGTON, March 9 (Reuters) - ...   NAIROBI (Reuters) - ...
    KANSAS CITY, Mo. (AP) — ...           AMSTERDAM - ...   DEN HAAG, 3 februari (ANP) - ...
The place must be written in capitals; that, plus the dash, is what separates a dateline
from an ordinary sentence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Capitals of the Latin, Greek and Cyrillic scripts (Python's `re` has no \p{Lu}).
_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x530)) if ch.isupper())
_PLACE_WORD = f"['’]?[{_UPPER}][{_UPPER}'’.\\-]*"
# The first word is 2+ characters long or followed by another word ("A CORUÑA").
_PLACE = (
    f"(?:['’]?[{_UPPER}][{_UPPER}'’.\\-]+|[{_UPPER}](?= ['’]?[{_UPPER}]))(?: {_PLACE_WORD}){{0,4}}"
)

_MONTH_NAMES = (
    ("january", "jan", "januari"),
    ("february", "feb", "februari"),
    ("march", "mar", "maart", "mrt"),
    ("april", "apr"),
    ("may", "mei"),
    ("june", "jun", "juni"),
    ("july", "jul", "juli"),
    ("august", "aug", "augustus"),
    ("september", "sep", "sept"),
    ("october", "oct", "oktober", "okt"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names
}
_DUTCH_MONTHS = frozenset(
    ("januari", "februari", "maart", "mrt", "mei", "juni", "juli", "augustus", "oktober", "okt")
)
_MONTH = "(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"

_DATELINE = re.compile(
    rf"(?P<raw>(?P<place>{_PLACE})"
    r"(?:,\s*(?:"
    rf"(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>\d{{4}}))?"
    rf"|(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH})\.?(?:\s+(?P<year2>\d{{4}}))?"
    r"|(?P<region>[A-Z][a-z]{1,12}\.(?:\s?[A-Z][a-z]{0,3}\.)?)"
    r"))?)"
    r"(?:\s*\((?P<agencies>[^()\n]{1,60})\))?"
    r"\s*(?:--|[-–—])\s*(?=\S)"
)


class DatelineDate(NamedTuple):
    """A calendar date written in a dateline (`March 9`, `3 februari`); the year is inferred
    from the fetch time when absent."""

    month: int
    day: int
    year: int | None
    dutch: bool  # Dutch month names: a Europe/Amsterdam calendar day


class Dateline(NamedTuple):
    raw: str  # as written, without agencies and dash: "WASHINGTON, March 9", "'S-HERTOGENBOSCH"
    place: str  # the place in capitals as written: "WASHINGTON", "GENÈVE"
    agencies: tuple[str, ...]  # as written: ("ANP", "RTR")
    date: DatelineDate | None

    @property
    def display_place(self) -> str:
        """The place in title case ("Den Haag", "Genève", "'s-Hertogenbosch")."""
        return _title_case(self.place)

    @property
    def routing_key(self) -> str:
        """Upper case, accents folded, one apostrophe form: how one place always spells."""
        return _fold(self.place)


# Places repeat from page to page: both spellings are cached.
@lru_cache(maxsize=4096)
def _title_case(place: str) -> str:
    titled = place.title()
    if titled.startswith(("'S-", "’S-")):
        titled = titled[0] + "s" + titled[2:]
    return titled


@lru_cache(maxsize=4096)
def _fold(place: str) -> str:
    if place.isascii():
        return place
    folded = unicodedata.normalize("NFKD", place.replace("’", "'"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).upper()


def parse_dateline(line: str) -> tuple[Dateline, str] | None:
    """The dateline opening `line` and the text after it, or None."""
    match = _DATELINE.match(line)
    if match is None:
        return None
    agencies = match["agencies"]
    dateline = Dateline(
        match["raw"],
        match["place"],
        _agencies(agencies) if agencies else (),
        _date(match) if match["month"] or match["month2"] else None,
    )
    return dateline, line[match.end() :]


def _agencies(written: str) -> tuple[str, ...]:
    codes = written.split("/")
    if " " in written:
        codes = [code.strip() for code in codes]
    return tuple(filter(None, codes))


def _date(match: re.Match[str]) -> DatelineDate | None:
    month_name = match["month"] or match["month2"]
    day = int(match["day"] or match["day2"])
    year = match["year"] or match["year2"]
    month_name = month_name.lower()
    if not 1 <= day <= 31:
        return None
    year_number = int(year) if year else None
    return DatelineDate(MONTHS[month_name], day, year_number, month_name in _DUTCH_MONTHS)
