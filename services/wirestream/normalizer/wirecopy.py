"""The wires' conventions around the story: headline slugs and housekeeping lines.

    UPDATE 2-GLOBAL MARKETS-Asian shares rise      Reuters' slugs: metadata, not headline
    AMP.- O.Próximo.- Netanyahu acusa al TPI ...   Europa Press' slugs
    (Adds Gov. Cuomo's announcement in paragraph 3) editors' notes: metadata, not text
    Editing by Jane Doe / Reporting by John Roe      credits of the desk: notes too
    Reuter   REUTER   (AP)   (ANSA).   Lusa/Fim       sign-offs: the agency, not text
    hh/ph/ts   axm/ch/jm   (pol/PE/adnkronos)         initials of the desk
    ___   -0-   ###                                  separators
None of these is a sub-heading, a dateline or body prose; the deduplicator must not compare
them (an article opening with `(Adds ...)` still matches its teaser).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from wirestream.normalizer.dateline import is_known_agency

# Reuters' slug words (topic desks and story states); a German compound such as `EU-Gipfel`
# or `FIFA-Boss` is no slug, so the words are listed rather than guessed from capitals.
_SLUG_WORDS = (
    "UPDATE|CORRECTED|CORRECTION|REFILE|RPT|REPEAT|EXCLUSIVE|WRAPUP|ANALYSIS|INSIGHT|"
    "BRIEF|PRECIOUS|METALS|BASE METALS|FOREX|GRAINS|SOFTS|OIL|TREASURIES|FACTBOX|TIMELINE|"
    "COLUMN|BREAKINGVIEWS|BUZZ|EXPLAINER|FEATURE|PREVIEW|POLL|DIARY|SNAP ANALYSIS|"
    "HIGHLIGHTS|INTERVIEW|SPECIAL REPORT|URGENT|ADVISORY|"
    "(?:GLOBAL|EMERGING|EUROPEAN|ASIAN|EURO ZONE|US) MARKETS|(?:[A-Z]+ )?STOCKS|[A-Z]+ BONDS"
)
_REUTERS_SLUG = re.compile(rf"(?:(?:{_SLUG_WORDS})(?: \d+)?-)+(?=\S)")
_EUROPA_PRESS_SLUG = re.compile(r"(?:[A-Z][\w.]{0,15}\.-\s+)+(?=\S)")
_EDITORS_NOTE = re.compile(
    r"\((?:adds|updates|corrects|recasts|changes|rewrites|refiles|repeats|fixes|removes|"
    r"inserts|combines|moves|adds|clarifies|deletes|releases|eds|editors?['’]? note)\b.*\)\.?"
    r"|(?:editing|reporting|writing|additional reporting|compiled|edited|produced) by\b.{0,200}"
    r"|editor['’]?s note\b.*",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"[-_=*#~.\s]{3,}|-0-")
_SIGN_OFF = re.compile(r"\(?(?P<tokens>[^\W\d_]{1,12}(?:\s*\\?/\s*[^\W\d_]{1,12}){0,5})\)?\.?")
_FIGURES = re.compile(r"\bvs\.?\s+(?:loss\s+)?-?[\d.,]+", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d.,/]*")


class Housekeeping(NamedTuple):
    """A line that is not story text: an editors' note (kept as metadata) or a sign-off
    crediting `agencies`."""

    note: bool
    agencies: tuple[str, ...] = ()


def headline_slug(line: str) -> tuple[str | None, str]:
    """The headline's slug (None without one) and the headline without it. An all-caps
    headline has no slug: `BROWN-FORMAN INC <BFD> 4TH QTR NET` is one name."""
    match = _REUTERS_SLUG.match(line)
    if match is not None and any(ch.islower() for ch in line[match.end() :]):
        return match.group().rstrip("-"), line[match.end() :]
    match = _EUROPA_PRESS_SLUG.match(line)
    if match is not None:
        return match.group().rstrip(), line[match.end() :]
    return None, line


def housekeeping(line: str) -> Housekeeping | None:
    """What a housekeeping line is, or None for story text."""
    if _EDITORS_NOTE.fullmatch(line):
        return Housekeeping(note=True)
    if _SEPARATOR.fullmatch(line):
        return Housekeeping(note=False)
    sign_off = _SIGN_OFF.fullmatch(line)
    if sign_off is None:
        return None
    tokens = [token.strip() for token in re.split(r"\\?/", sign_off["tokens"])]
    agencies = tuple(_agency(token) for token in tokens if _agency(token))
    # One word is a sign-off only when it names an agency ("Reuter", "Belga"); a slashed
    # list is initials of the desk ("hh/ph/ts"), credits among them included.
    if agencies or len(tokens) > 1:
        return Housekeeping(note=False, agencies=agencies)
    return None


def _agency(token: str) -> str:
    if token.casefold() == "reuter":  # Reuters' sign-off until the 1990s
        return "Reuters"
    return token if is_known_agency(token) else ""


def is_figures(line: str) -> bool:
    """A row of a table of figures: `Oper net 13.5 mln vs 14.6 mln`, `Shr 45 cts`."""
    if _FIGURES.search(line):
        return True
    numbers = len(_NUMBER.findall(line))
    return numbers >= 2 and numbers * 3 >= len(line.split())  # "Revs 22.5 mln 20.1 mln"
