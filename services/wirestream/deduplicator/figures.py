"""Figures in wire text: numbers as newsrooms write them, and the words that say what they count.

A revised death toll is the update a newsroom most wants flagged, so a text is read as tokens
in which every figure is one token with its value: `27`, `1.200` (Dutch thousands), `1,5
miljoen` (Dutch decimal comma and scale word), `$1.2 billion`, `3,5%`, `twaalf`, `twelve`.
Two texts are then compared with every figure as the same placeholder, so a sentence whose
only difference is a number still matches word for word and the figures can be paired up.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from wirestream.core.folding import strip_accents


def _vocabulary(words: str) -> list[str]:
    return words.split()


# Languages that write a decimal comma (`1,5`) and a thousands point (`1.200`).
_DECIMAL_COMMA = frozenset(
    _vocabulary("nl de fr it es pt da sv no nb nn fi pl cs sk ru uk tr ro hu el id")
)

_SCALES = {
    "duizend": 1e3, "thousand": 1e3, "k": 1e3,
    "miljoen": 1e6, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6,
    "miljard": 1e9, "billion": 1e9, "mld": 1e9, "mrd": 1e9, "bn": 1e9,
    "biljoen": 1e12, "trillion": 1e12,
}  # fmt: skip
# Simple number words only ("twaalf", "twelve"); compounds like "vijfentwintig" stay words.
# Dutch "een" and English "a" are articles far more often than numbers, so they are left out.
_NUMBER_WORDS = {
    **dict(zip(_vocabulary(
        "twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien "
        "zestien zeventien achttien negentien twintig"), range(2, 21), strict=True
    )),
    **dict(zip(_vocabulary(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty"), range(1, 21), strict=True
    )),
    "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "zeventig": 70, "tachtig": 80,
    "negentig": 90, "honderd": 100, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "dozijn": 12,
}  # fmt: skip
# Function words: skipped when looking for the words a figure counts.
_NOT_CONTEXT = frozenset(
    _vocabulary("""de het een en of in op van voor met aan bij tot naar uit over onder door om te
    als dan dat die dit deze zijn is was waren wordt werd worden zal zullen kan kunnen heeft hebben
    had hadden er al nog ook maar niet geen wel meer bijna ruim zeker minstens ongeveer circa
    zo'n ten minste inmiddels nu toen sinds na tijdens per zich hij zij ze we wij ik hun haar
    hem wie wat waar volgens kwamen kwam vielen viel gemeld meldt meldde
    the a an and or of in on at to for with by from into
    over under about as than that this these those is are was were be been being has have
    had will would can could may might it its their they he she we i you his her there also
    still not no more nearly almost around some least up down after before since during
    while which who whom whose what when where now pay paid pays worth""")
)
# Verbs that carry a figure: in `Het dodental door het noodweer is opgelopen tot 27` and
# `The death toll from the floods rose to 27` the figure counts the clause's subject.
_CHANGE_VERBS = frozenset(
    _vocabulary("""gestegen opgelopen gedaald gezakt toegenomen afgenomen verhoogd verlaagd
    bedraagt bedroeg stijgt steeg daalt daalde loopt liep rose risen rises rise climbed climbs
    fell fallen falls dropped increased decreased reached reaches stood stands totalled
    totaled totals jumped jumps grew grown""")
)

_CONTEXT_WORDS = 2  # "death toll", "kilometer per uur" (the unit's "per" adds one)

_TOKEN = re.compile(
    r"(?P<currency>(?:[A-Z]{1,2})?[$€£¥])"
    r"|(?P<digits>\d+(?:[.,]\d+)*)(?P<suffix>%|(?:bn|mln|mld|mrd|mn|k|m)(?![^\W_]))?(?![^\W_])"
    r"|(?P<word>[^\W_]+(?:['’][^\W_]+)?)"
    r"|(?P<stop>[.!?;:,()\[\]\"“”«»]|\s[-–—]\s)"
)

FIGURE_KEY = "#"  # what every figure compares as


class Token(NamedTuple):
    text: str  # as written (a figure with its currency and scale: "$1.2 billion")
    key: str  # what comparisons see: the folded word, or FIGURE_KEY
    value: float | None  # a figure's value
    boundary: bool  # punctuation stands between this token and the one before


def fold(word: str) -> str:
    return strip_accents(word.lower())


def tokens(text: str, language: str | None) -> list[Token]:
    """The words and figures of `text`, in order, punctuation marked as boundaries."""
    decimal_comma = (language or "").split("-")[0] in _DECIMAL_COMMA
    found: list[Token] = []
    boundary = False
    currency_at: int | None = None  # where a currency sign before the next figure starts
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "stop":
            boundary, currency_at = True, None
            continue
        if kind == "currency":
            currency_at = match.start()
            continue
        if kind == "suffix":  # the suffix group closes a digits match
            kind = "digits"
        start = match.start() if currency_at is None else currency_at
        if kind == "digits":
            value = _digits_value(match.group("digits"), decimal_comma)
            suffix = match.group("suffix") or ""
            value *= _SCALES.get(suffix.lower(), 1.0)
            found.append(Token(text[start : match.end()], FIGURE_KEY, value, boundary))
        else:
            word = match.group()
            key = fold(word)
            number = _NUMBER_WORDS.get(key)
            scale = _SCALES.get(key) if key not in {"k", "m"} else None
            previous = found[-1] if found else None
            if scale and previous is not None and previous.value is not None and not boundary:
                # "1,5 miljoen", "$1.2 billion": the scale word joins its figure.
                found[-1] = previous._replace(
                    text=f"{previous.text} {word}", value=previous.value * scale
                )
            elif number is not None:
                found.append(Token(text[start : match.end()], FIGURE_KEY, float(number), boundary))
            else:
                found.append(Token(word, key, None, boundary))
        boundary, currency_at = False, None
    return found


def _digits_value(digits: str, decimal_comma: bool) -> float:
    """`1.200` and `1,5` read the language's way; a mark used twice (`1,200,000`) or followed
    by exactly three digits in the other convention (`1,200` in Dutch copy from an English
    wire) separates thousands."""
    decimal, thousands = (",", ".") if decimal_comma else (".", ",")
    marks = [ch for ch in digits if ch in ".,"]
    if not marks:
        return float(digits)
    if len(set(marks)) == 2:  # "1.200,5" or "1,200.5": the last mark is the decimal one
        decimal, thousands = marks[-1], marks[0]
    else:
        groups_of_three = all(len(g) == 3 for g in digits.split(marks[0])[1:])
        if marks.count(decimal) > 1 or (marks[0] == thousands and not groups_of_three):
            decimal, thousands = thousands, decimal
    number = digits.replace(thousands, "").replace(decimal, ".")
    if number.count(".") > 1 or "," in number:  # "1,1,1", "1.2,3.4": no one decimal mark
        number = digits.replace(",", "").replace(".", "")
    return float(number)


def plain_number(value: float) -> int | float:
    """A value as JSON shows it best: 27, not 27.0."""
    return int(value) if value.is_integer() else round(value, 6)


def counted(sequence: list[Token], at: int) -> tuple[str, str]:
    """What the figure at `at` counts: the words before it (`dodental`, `death toll`) or,
    when a word follows in the same clause, that unit (`mensen`, `kilometer per uur`).
    Returns (before, after); one of them is empty."""
    after = _unit_after(sequence, at)
    if after:
        return "", after
    start = at  # the first token of the figure's clause
    while start > 0 and not sequence[start].boundary:
        start -= 1
    clause = sequence[start:at]
    if any(token.key in _CHANGE_VERBS for token in clause):
        return " ".join(_first_words(clause)), ""
    return " ".join(reversed(_first_words(clause[::-1]))), ""


def _first_words(clause: list[Token]) -> list[str]:
    """The first run of content words (at most `_CONTEXT_WORDS`) in `clause`."""
    words: list[str] = []
    for token in clause:
        if token.value is not None or token.key in _NOT_CONTEXT or token.key in _CHANGE_VERBS:
            if words:
                break
            continue
        words.append(token.text)
        if len(words) == _CONTEXT_WORDS:
            break
    return words


def _unit_after(sequence: list[Token], at: int) -> str:
    following = sequence[at + 1 : at + 4]
    if not following or following[0].boundary:
        return ""
    unit = following[0]
    if unit.value is not None or unit.key in _NOT_CONTEXT:
        return ""
    if (
        len(following) == 3
        and following[1].key == "per"
        and not following[1].boundary
        and not following[2].boundary
        and following[2].value is None
    ):
        return f"{unit.text} per {following[2].text}"
    return unit.text
