"""Accent and case folding: the one lookup key for names across stages.

Accents stripped, case folded, runs of non-letters collapsed to one space, so
"'S-HERTOGENBOSCH" and "'s-Hertogenbosch" both become "s hertogenbosch" and a dictionary
lookup replaces per-item regexes.
"""

from __future__ import annotations

import re
import unicodedata

_COMBINING = re.compile(r"[\u0300-\u036f]+")
_NON_WORD = re.compile(r"[\W_]+")


def strip_accents(text: str) -> str:
    """Accents off ("Oekraïense" -> "Oekraiense"); ASCII, the common case, passes untouched."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold(text: str) -> str:
    """The lookup key of a name: accent- and case-insensitive, punctuation as single spaces."""
    return _NON_WORD.sub(" ", strip_accents(text).casefold()).strip()
