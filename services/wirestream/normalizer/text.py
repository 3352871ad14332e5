"""Text hygiene: decoding page bytes, mojibake repair, Unicode NFC and whitespace.

Everything here is cheap on clean text: the expensive repairs (charset detection, ftfy) run
only when a fast check says they are needed, because almost every page is clean UTF-8.
"""

from __future__ import annotations

import re
import unicodedata

import charset_normalizer
import ftfy

# UTF-8 read as Latin-1/cp1252 leaves a lead byte (Ã, Â, â, Å, Ä, Ð...) followed by a
# character from the continuation range (0x80-0xBF as Latin-1 or its cp1252 look-alikes).
_MOJIBAKE = re.compile(
    "[\u00c2-\u00c5\u00ce\u00d0\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178"
    "\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)
# Non-ASCII characters that a Western European text decoded as cp1252 would not contain.
_NOT_WESTERN = re.compile(
    "[^\t\n\r\u0020-\u007e\u00a0\u00ab\u00b0\u00b7\u00bb\u00c0-\u00ff\u0152\u0153"
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026\u20ac]"
)
_OTHER_SPACE = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
# Runs of horizontal whitespace that need collapsing; a lone space (nearly all) is no match.
_SPACES = re.compile(f" (?=[ {_OTHER_SPACE}])[ {_OTHER_SPACE}]*|[{_OTHER_SPACE}][ {_OTHER_SPACE}]*")
# Zero-width characters, directional marks, embeddings and isolates, soft hyphens and C0/C1
# controls other than newline: never content (a mark before `AMSTERDAM (ANP) -` hid the dateline).
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f"
    "\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
# Mojibake lead characters, invisibles and whitespace other than space and newline.
_SUSPICIOUS = re.compile(
    "[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u00a0\u00ad\u00c2-\u00c5\u00ce\u00d0"
    "\u00e2\u061c\u1680\u2000-\u200f\u202a-\u202f\u205f\u2060\u2066-\u2069\u3000"
    "\ufeff]"
)
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n\r"


def decode_page(data: bytes) -> str:
    """Page bytes to text, never failing: UTF-8 (with or without BOM) when valid; else
    cp1252 when it yields mostly ASCII with only Western European letters and punctuation
    (charset detection guesses e.g. cp1250 for a short Dutch Latin-1 page); else the
    detected charset; else cp1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = data.decode("latin-1")
    non_ascii = len(western) - len(western.encode("ascii", "ignore"))
    if _NOT_WESTERN.search(western) is None and non_ascii <= 0.2 * len(western):
        return western
    best = charset_normalizer.from_bytes(data).best()
    return western if best is None else str(best)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as Latin-1/cp1252 (`OekraÃ¯ne` → `Oekraïne`)."""
    if _MOJIBAKE.search(text) is None:
        return text
    return ftfy.fix_encoding(text)


def unusual_characters(text: str) -> str:
    """The characters of `text` other than printable ASCII and line breaks, in order.

    Scanning a page with a regex costs ~10 ns a character; this C-level encode-and-delete
    leaves the few characters worth a regex (removing ASCII never splits a UTF-8 sequence)."""
    data = text.encode("utf-8", "surrogatepass").translate(None, _PLAIN_ASCII)
    return data.decode("utf-8", "surrogatepass")


def clean_lines(text: str) -> list[str]:
    """Repaired, NFC-normalized, whitespace-collapsed non-empty lines of a text."""
    # One scan finds every character that needs work; clean text (most pages) skips it all.
    if _SUSPICIOUS.search(unusual_characters(text)) is not None:
        text = repair_mojibake(text)
        text = _INVISIBLE.sub(_invisible_replacement, text)
        text = _SPACES.sub(" ", text)
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return [stripped for line in text.splitlines() if (stripped := line.strip())]


def _invisible_replacement(match: re.Match[str]) -> str:
    # Vertical tabs, form feeds and the like separate lines; the rest just disappears.
    return "\n" if match.group() in "\u000b\u000c\u001c\u001d\u001e" else ""
