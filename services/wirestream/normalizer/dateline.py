"""Datelines: the place, qualifiers, date and agency credit opening a wire paragraph.

Forms recognised at the start of a line, as the agencies send them:
    VLADIVOSTOK (ANP/RTR/AFP) - De Noord-Koreaanse leider ...      ANP, all upper case
    'S-HERTOGENBOSCH (ANP) - ...         GENÈVE (ANP/AFP) - ...     AMSTERDAM - ...
    Berlin (dpa) - ...   Zürich (awp/sda) - ...   Tel Aviv/Beirut (dpa) - ...   dpa
    WASHINGTON, March 9 (Reuters) - ...  Toronto, Feb 26 - ...   Jan 30 (Reuters) - ...
    BUFFALO, N.Y. (AP) — ...   ROSCOE, South Dakota (AP) _ ...   (AP) — ...         AP
    (ANSA) - ROMA, 08 MAG - ...          GUBBIO (PERUGIA), 08 MAG - ...            ANSA
    MOSCOW, January 21. /TASS/. ...      SAITAMA, Japan, Dec. 9 Kyodo - ...   TASS, Kyodo
    Nueva Delhi, 21 ene (EFE).- ...      La Habana, 5 ene (Prensa Latina) ...  EFE, PL
    Paris, 21 jan 2019 (AFP) - ...       Paris (ats afp) ...   Lisboa, 27 mar (Lusa) - ...
    Roma, 27 apr.(adnkronos)- ...        (Belga) Les ministres ...
A place in capitals needs only the dash after it. A place in mixed case (`Berlin`, `La
Habana`) needs a date or a credit naming a known agency as well: that is what keeps the
capitalised first word of an ordinary sentence (`Die Regierung - ...`) from becoming a place.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from wirestream.core.folding import strip_accents

# Capitals and small letters of the Latin, Greek and Cyrillic scripts (no \p{Lu} in `re`).
_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x530)) if ch.isupper())
_LOWER = "".join(ch for ch in map(chr, range(0x61, 0x530)) if ch.islower())
_CAPS_WORD = f"['’]?[{_UPPER}][{_UPPER}'’.\\-]*"
# The first word is 2+ characters long or followed by another word ("A CORUÑA").
_CAPS_NAME = (
    f"(?:['’]?[{_UPPER}][{_UPPER}'’.\\-]+|[{_UPPER}](?= ['’]?[{_UPPER}]))(?: {_CAPS_WORD}){{0,4}}"
)
_CAPS_PLACE = f"{_CAPS_NAME}(?:/{_CAPS_NAME})?"  # NEW YORK/WASHINGTON
_TITLE_WORD = f"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)*\\.?"
# Lower-case words inside place names: Frankfurt am Main, La Habana, Rio de Janeiro.
_JOINER = "(?:am|an|de|del|der|di|do|da|dos|das|du|la|le|sur|upon|on|im|ob)"
_MIXED_PLACE = f"{_TITLE_WORD}(?:(?: {_JOINER})? {_TITLE_WORD}|/{_TITLE_WORD}){{0,3}}"

# Month names of the wires' languages; any unambiguous prefix of 3+ letters is an abbreviation.
_MONTH_NAMES = (
    "january januari januar jänner janvier enero gennaio janeiro",
    "february februari februar février fevrier febrero febbraio fevereiro",
    "march maart mrt märz marz mars marzo março marco",
    "april avril abril aprile",
    "may mei mai mayo maggio maio",
    "june juni juin junio giugno junho",
    "july juli juillet julio luglio julho",
    "august augustus août aout agosto",
    "september septembre septiembre setiembre settembre setembro",
    "october oktober octobre octubre ottobre outubro",
    "november novembre noviembre novembro",
    "december dezember décembre decembre diciembre dicembre dezembro",
)
_ENGLISH_NAMES = tuple(names.split()[0] for names in _MONTH_NAMES)


def _month_table() -> dict[str, int]:
    prefixes: dict[str, set[int]] = {}
    for number, names in enumerate(_MONTH_NAMES, start=1):
        for name in names.split():
            for end in range(3, len(name) + 1):
                prefixes.setdefault(name[:end], set()).add(number)
    return {word: months.pop() for word, months in prefixes.items() if len(months) == 1}


MONTHS: dict[str, int] = _month_table()
# Month words of English copy (any prefix of an English name, "Sept", "Marc") give UTC days;
# the others Central European ones.
_ENGLISH_MONTHS = frozenset(
    word for word in MONTHS if any(name.startswith(word) for name in _ENGLISH_NAMES)
)
_MONTH = "(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + f")(?![{_LOWER}{_UPPER}])"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?!\d)"
_DATE = (
    rf"(?:(?P<month>{_MONTH})\.?\s+(?P<day>{_DAY})(?:,?\s+(?P<year>\d{{4}}))?"
    rf"|(?P<day2>{_DAY})\.?\s+(?:de\s+)?(?P<month2>{_MONTH})\.?(?:,?\s+(?:de\s+)?(?P<year2>\d{{4}}))?)"
)
# A qualifier after the place: a state, province or country, never a month.
_QUALIFIER_WORD = rf"(?!{_MONTH}\.?\s+\d)[{_UPPER}][{_UPPER}{_LOWER}.'’\-]*"
_QUALIFIER = f"{_QUALIFIER_WORD}(?: {_QUALIFIER_WORD}){{0,2}}"
_CREDIT_LIST = r"[^()\n]{1,40}"
# Dashes as wires send them, AP's typewriter ` _ ` and EFE's `.-` included.
_DASH = r"(?:\s*(?:\.?-{1,2}|[–—])|\s+_)\s*"

_OPENING = re.compile(
    rf"(?:\((?P<lead>{_CREDIT_LIST})\)(?:{_DASH}|\s+))?"  # (ANSA) - ROMA, ...  /  (AP) —
    r"(?P<raw>"
    rf"(?:(?P<caps>{_CAPS_PLACE})|(?P<mixed>{_MIXED_PLACE}))"
    rf"(?:\s\((?P<province>[{_UPPER}][{_UPPER} ]+)\)(?=,))?"  # GUBBIO (PERUGIA), 08 MAG
    rf"(?P<qualifiers>(?:,\s*{_QUALIFIER}){{0,2}})"
    rf"(?:,?\s+{_DATE}\.?)?"
    r")?"
    r"(?:"
    rf"\s*\((?P<agencies>{_CREDIT_LIST})\)\.?"  # (Reuters)  (EFE).  (Prensa Latina)
    r"|\s*/(?P<slashed>[A-Z][A-Za-z\-]{1,15})/\.?"  # /TASS/.
    rf"|\s+(?P<named>[A-Z][A-Za-z]{{1,15}})(?={_DASH})"  # Dec. 9 Kyodo -
    r")?"
)
_PLACELESS_DATE = re.compile(rf"{_DATE}\s*\((?P<credit>{_CREDIT_LIST})\)")  # Jan 30 (Reuters) -
_DASH_AFTER = re.compile(_DASH)
_TEXT_START = re.compile(rf"\s*(?=[{_UPPER}\d\"'“‘«„¿¡])")


class DatelineDate(NamedTuple):
    """A calendar date written in a dateline (`March 9`, `3 februari`, `08 MAG`); the year is
    inferred from the fetch time when absent."""

    month: int
    day: int
    year: int | None
    central_european: bool  # continental month names: a Europe/Amsterdam calendar day


class Dateline(NamedTuple):
    raw: str  # as written, without agencies and dash: "WASHINGTON, March 9", "'S-HERTOGENBOSCH"
    place: str  # the place as written: "WASHINGTON", "GENÈVE", "La Habana"
    agencies: tuple[str, ...]  # as written: ("ANP", "RTR")
    date: DatelineDate | None
    qualifiers: tuple[str, ...] = ()  # state, province or country: ("N.Y.",), ("Japan",)

    @property
    def display_place(self) -> str:
        """The place in title case ("Den Haag", "Genève", "'s-Hertogenbosch")."""
        return _title_case(self.place) if self.place.isupper() else self.place

    @property
    def routing_key(self) -> str:
        """Upper case, accents folded, one apostrophe form: how one place always spells."""
        return _fold(self.place)


class Opening(NamedTuple):
    """What opens a paragraph: a dateline, or only an agency credit and date (`(AP) —`,
    `Jan 30 (Reuters) -`), and the text after it."""

    dateline: Dateline | None
    agencies: tuple[str, ...]
    date: DatelineDate | None
    text: str


# Places repeat from page to page: both spellings are cached.
@lru_cache(maxsize=4096)
def _title_case(place: str) -> str:
    titled = place.title()
    if titled.startswith(("'S-", "’S-")):
        titled = titled[0] + "s" + titled[2:]
    return titled


@lru_cache(maxsize=4096)
def _fold(place: str) -> str:
    return strip_accents(place.replace("’", "'")).upper()


def parse_dateline(line: str) -> tuple[Dateline, str] | None:
    """The dateline opening `line` and the text after it, or None."""
    opening = parse_opening(line)
    if opening is None or opening.dateline is None:
        return None
    return opening.dateline, opening.text


# A section's teaser list repeats on each of its article pages, so lines are parsed again and
# again; the opening regex costs ~20 us a line, a cached answer well under 1 us.
@lru_cache(maxsize=8192)
def parse_opening(line: str) -> Opening | None:
    """The dateline or agency credit opening `line`, or None when the line opens with text.
    Answers are cached (tuples, never mutated)."""
    match = _OPENING.match(line)
    if match is None:
        return None
    return _placed(line, match) or _placeless(line, match)


def _placed(line: str, match: re.Match[str]) -> Opening | None:
    if match["raw"] is None:
        return None
    lead = _credited(match["lead"])
    credit = _credit(match)
    if lead is None or credit is None:
        return None
    dated = bool(match["month"] or match["month2"])
    vouched = dated or any(map(is_known_agency, credit))
    if match["mixed"] is not None and not vouched:
        return None  # "Die Regierung - ...", "Mark Rutte (VVD) zei"
    text = _text_after(line, match.end(), dashless=bool(credit) and vouched)
    if text is None:
        return None
    qualifiers = tuple(q.strip() for q in match["qualifiers"].split(",") if q.strip())
    if match["province"]:
        qualifiers = (match["province"], *qualifiers)
    date = _date(match) if dated else None
    agencies = lead + credit
    place = match["caps"] or match["mixed"]
    dateline = Dateline(match["raw"].rstrip(), place, agencies, date, qualifiers)
    return Opening(dateline, agencies, date, text)


def qualified_by_text(dateline: Dateline, lead: str) -> Dateline:
    """The dateline with the region the lead gives its place in brackets, as ANP writes a
    small place: `ROCKANJE (ANP) - De woningbrand in Rockanje (Zuid-Holland) ...`."""
    if dateline.qualifiers or f"{dateline.display_place} (" not in lead:
        return dateline
    bracketed = re.search(
        rf"\b{re.escape(dateline.display_place)} \(([{_UPPER}][\w\- ]{{2,30}})\)", lead
    )
    if bracketed is None:
        return dateline
    return dateline._replace(qualifiers=(bracketed[1],))


def _placeless(line: str, match: re.Match[str]) -> Opening | None:
    """`(AP) — text`, `(Belga) Text`, or Reuters' `Jan 30 (Reuters) - text`."""
    if match["lead"] is not None:
        lead = _credited(match["lead"])
        if not lead or not all(map(is_known_agency, lead)):
            return None  # "(Adds quotes)", "(foto)"
        text = _text_after(line, match.end("lead") + 1, dashless=True)
        return Opening(None, lead, None, text) if text else None
    dated = _PLACELESS_DATE.match(line)
    if dated is None:
        return None
    credit = _credited(dated["credit"])
    if not credit or not any(map(is_known_agency, credit)):
        return None
    text = _text_after(line, dated.end(), dashless=False)
    return Opening(None, credit, _date(dated), text) if text else None


def _text_after(line: str, end: int, *, dashless: bool) -> str | None:
    """The text after the opening's dash, or after a credit with no dash (Prensa Latina,
    ATS: `(ats afp) Les ...`) when a sentence visibly starts there."""
    dash = _DASH_AFTER.match(line, end)
    if dash is not None and dash.end() < len(line):
        return line[dash.end() :]
    if dashless:
        start = _TEXT_START.match(line, end)
        if start is not None and start.end() > end and start.end() < len(line):
            return line[start.end() :]
    return None


def _credit(match: re.Match[str]) -> tuple[str, ...] | None:
    """The agencies credited after the place; None when the parenthesis is no credit."""
    if match["agencies"] is not None:
        return _credited(match["agencies"])
    if match["slashed"] is not None:
        return (match["slashed"],)
    if match["named"] is not None:
        named = match["named"].strip()
        return (named,) if is_known_agency(named) else None
    return ()


def _credited(written: str | None) -> tuple[str, ...] | None:
    """Agency codes as written: `ANP/RTR`, `ANP / Belga`, `ats afp`, `Prensa Latina`;
    None when the text cannot be a credit (a sentence in brackets)."""
    if written is None:
        return ()
    codes = [code.strip() for code in written.replace("\\/", "/").split("/")]
    if any(not code or len(code) > 20 or code.count(" ") > 2 for code in codes):
        return None
    split: list[str] = []
    for code in codes:
        words = code.split()
        # Codes listed with spaces are short and of one case: "ats afp", "ANP RTR".
        if len(words) > 1 and all(len(w) <= 5 and (w.islower() or w.isupper()) for w in words):
            split.extend(words)
        else:
            split.append(code)
    return tuple(split)


# The enricher's table of agency codes, read as a file: importing the enricher package would
# load its recognisers into every normalizer.
_AGENCY_TABLE = Path(__file__).resolve().parent.parent / "enricher" / "agencies.json"


@cache
def _agency_codes() -> frozenset[str]:
    return frozenset(code.upper() for code in json.loads(_AGENCY_TABLE.read_text("utf-8"))["codes"])


def is_known_agency(code: str) -> bool:
    """Whether `code` names an agency of the shared agency table (any case)."""
    return code.upper() in _agency_codes()


def _date(match: re.Match[str]) -> DatelineDate:
    month_name = (match["month"] or match["month2"]).lower()
    year = match["year"] or match["year2"]
    return DatelineDate(
        MONTHS[month_name],
        int(match["day"] or match["day2"]),
        int(year) if year else None,
        month_name not in _ENGLISH_MONTHS,
    )
