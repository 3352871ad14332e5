"""What an update changed: the `changes` record, from the previous version's content units.

The deduplicator keeps the content of each story's latest version (`Content`, packed small)
and, on an update, compares it with the new version unit by unit: headline, paragraphs,
sub-headings, agencies, and the figures inside paragraphs that are otherwise the same.
Paragraphs are compared the way the shingles are (case, accents, punctuation, agency lists
and relative times folded away), so a re-scrape's cosmetic differences are never reported.

A teaser is the lead of its article, so when one side is a teaser only the article's lead is
compared with it: a `teaser → article` update says so instead of listing the whole article
as added.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from typing import NamedTuple, TypedDict, get_args

import orjson
from xxhash import xxh3_64_hexdigest

from wirestream.core.item import ChangeKind
from wirestream.deduplicator.figures import FIGURE_KEY, Token, counted, plain_number, tokens
from wirestream.deduplicator.shingles import strip_dateline, words

TEASER_TO_ARTICLE = "teaser → article"
# Paragraphs at least this alike (difflib ratio of their words) are one paragraph changed,
# not one removed and one added: a corrected name or revised figure keeps ~0.9, an added
# sentence ~0.7, unrelated paragraphs of one story stay under 0.3.
CHANGED_PARAGRAPH_RATIO = 0.5
# The remembered text of a version is capped; paragraphs past the cap are remembered by a
# fingerprint only, so they are not reported as added again (but cannot be shown as old text).
REMEMBERED_CHARS = 20_000
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_ELLIPSIS = ("...", "…")

# The kinds of change an update can make (the metric's `change` label, the bench's names).
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)


class Content(NamedTuple):
    """The content units of one item version, as remembered for the next comparison."""

    kind: str  # article | teaser
    headline: str | None
    paragraphs: tuple[str, ...]  # body paragraphs; sub-heading lines are in `subheadings`
    subheadings: tuple[str, ...]
    language: str | None
    cut: tuple[str, ...] = ()  # fingerprints of paragraphs past REMEMBERED_CHARS


class FigureChange(TypedDict):
    old: str
    new: str
    old_value: int | float
    new_value: int | float
    before: str  # the words the figure counts ("dodental"), or ""
    after: str  # its unit ("kilometer per uur", "doden"), or ""


class ChangedParagraph(TypedDict):
    old: str
    new: str
    only_figures: bool  # nothing but figures changed (they are in `changed_figures`)


class Changes(TypedDict):
    kinds: list[ChangeKind]  # what kinds of change these are (`CHANGE_KINDS`), for routing
    kind: str | None  # "teaser → article", else None
    headline: dict[str, str] | None  # {"old", "new"}
    added_paragraphs: list[str]
    removed_paragraphs: list[str]
    changed_paragraphs: list[ChangedParagraph]
    added_subheadings: list[str]
    added_agencies: list[str]
    changed_figures: list[FigureChange]


def content_of(
    body_text: str,
    headline: str | None,
    subheadings: Sequence[str],
    kind: str,
    language: str | None,
) -> Content:
    """An item's content units. `body_text` has sub-headings in place; they are taken out."""
    heading_keys = {_key(s) for s in subheadings}
    paragraphs = [
        " ".join(p.split())
        for p in _PARAGRAPH_BREAK.split(strip_dateline(body_text))
        if p.strip() and not (heading_keys and _key(p) in heading_keys)
    ]
    return Content(kind, headline, tuple(paragraphs), tuple(subheadings), language)


def pack(content: Content) -> bytes:
    """Content as stored in the dedup state: capped, JSON, deflated (~40 % of the text)."""
    kept: list[str] = []
    cut = list(content.cut)
    size = 0
    for paragraph in content.paragraphs:
        size += len(paragraph)
        if size <= REMEMBERED_CHARS:
            kept.append(paragraph)
        else:
            cut.append(_fingerprint(paragraph))
    fields = [content.kind, content.headline, kept, list(content.subheadings)]
    return zlib.compress(orjson.dumps([*fields, content.language, cut]), 6)


def unpack(blob: bytes) -> Content:
    """Raises `ValueError` on a blob `pack` did not write."""
    try:
        kind, headline, paragraphs, subheadings, language, cut = orjson.loads(zlib.decompress(blob))
    except (zlib.error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise ValueError(f"unreadable content: {exc}") from exc
    return Content(kind, headline, tuple(paragraphs), tuple(subheadings), language, tuple(cut))


def changes_between(
    old: Content, old_agencies: Sequence[str], new: Content, new_agencies: Sequence[str]
) -> Changes:
    """What `new` changed against `old`, the story's previous version."""
    language = new.language or old.language
    changes = Changes(
        kinds=[],
        kind=TEASER_TO_ARTICLE if (old.kind, new.kind) == ("teaser", "article") else None,
        headline=None,
        added_paragraphs=[],
        removed_paragraphs=[],
        changed_paragraphs=[],
        added_subheadings=[],
        added_agencies=[code for code in new_agencies if code not in set(old_agencies)],
        changed_figures=[],
    )
    if "teaser" in (old.kind, new.kind):
        _compare_leads(old, new, language, changes)
    else:
        if old.headline and new.headline and _key(old.headline) != _key(new.headline):
            changes["headline"] = {"old": old.headline, "new": new.headline}
        seen_headings = {_key(s) for s in old.subheadings}
        changes["added_subheadings"] = [s for s in new.subheadings if _key(s) not in seen_headings]
        _compare_paragraphs(old, new, language, changes)
    changes["kinds"] = change_kinds(changes)
    return changes


def _compare_leads(old: Content, new: Content, language: str | None, changes: Changes) -> None:
    """A teaser against the other version's lead: only what the teaser shows can differ."""
    old_lead = old.paragraphs[0] if old.paragraphs else ""
    new_lead = new.paragraphs[0] if new.paragraphs else ""
    figures, reworded = _compare_texts(old_lead, new_lead, language, lead_only=True)
    changes["changed_figures"] = figures
    if figures or reworded:
        changes["changed_paragraphs"] = [
            ChangedParagraph(old=old_lead, new=new_lead, only_figures=not reworded)
        ]


def _compare_paragraphs(old: Content, new: Content, language: str | None, changes: Changes) -> None:
    old_keys = [_key(p) for p in old.paragraphs]
    new_keys = [_key(p) for p in new.paragraphs]
    cut = set(old.cut)
    added: list[str] = []
    paired: set[int] = set()
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, o1, o2, n1, n2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds = list(range(o1, o2))
        for n in range(n1, n2):
            if cut and _fingerprint(new.paragraphs[n]) in cut:
                continue
            match = _most_alike(old_keys, olds, new_keys[n])
            if match is None:
                added.append(new.paragraphs[n])
                continue
            olds = olds[olds.index(match) + 1 :]  # pairs keep the paragraphs' order
            paired.add(match)
            changes["changed_paragraphs"].append(
                _changed_paragraph(old.paragraphs[match], new.paragraphs[n], language, changes)
            )
    # A paragraph moved elsewhere is neither added nor removed.
    old_set, new_set = set(old_keys), set(new_keys)
    changes["added_paragraphs"] = [p for p in added if _key(p) not in old_set]
    changes["removed_paragraphs"] = [
        paragraph
        for o, paragraph in enumerate(old.paragraphs)
        if o not in paired and old_keys[o] not in new_set
    ]


def _changed_paragraph(
    old: str, new: str, language: str | None, changes: Changes
) -> ChangedParagraph:
    figures, reworded = _compare_texts(old, new, language)
    changes["changed_figures"].extend(figures)
    return ChangedParagraph(old=old, new=new, only_figures=bool(figures) and not reworded)


def _most_alike(old_keys: list[str], candidates: list[int], new_key: str) -> int | None:
    best, best_ratio = None, CHANGED_PARAGRAPH_RATIO
    new_words = new_key.split()
    for index in candidates:
        matcher = SequenceMatcher(None, old_keys[index].split(), new_words, autojunk=False)
        ratio = matcher.ratio()
        if ratio >= best_ratio and (best is None or ratio > best_ratio):
            best, best_ratio = index, ratio
    return best


def _compare_texts(
    old: str, new: str, language: str | None, *, lead_only: bool = False
) -> tuple[list[FigureChange], bool]:
    """The figures that changed between two versions of a text, and whether anything but
    figures changed. `lead_only`: one text is a teaser, so the longer one's tail (and a
    teaser's cut last word) is not a difference."""
    if _same_words(_key(old), _key(new), lead_only):
        return [], False  # the common case, without tokenizing: a teaser's own article
    old_tokens, new_tokens = _text_tokens(old, language), _text_tokens(new, language)
    matcher = SequenceMatcher(
        None, [t.key for t in old_tokens], [t.key for t in new_tokens], autojunk=False
    )
    opcodes = matcher.get_opcodes()
    if lead_only and opcodes and opcodes[-1][0] in {"insert", "delete"}:
        opcodes.pop()
    figures: list[FigureChange] = []
    reworded = False
    for tag, o1, o2, n1, n2 in opcodes:
        if tag != "equal":
            reworded = True
            continue
        if o2 - o1 < 2:  # a figure alone between differences is not "the same sentence"
            continue
        for o, n in zip(range(o1, o2), range(n1, n2), strict=True):
            was, now = old_tokens[o], new_tokens[n]
            if was.key == FIGURE_KEY and was.value != now.value:
                before, after = counted(new_tokens, n)
                figures.append(_figure(was, now, before, after))
            elif was.key == FIGURE_KEY and was.text != now.text:
                reworded = True  # "twaalf" became "12": the same value, other words
    return figures, reworded


def _same_words(old_key: str, new_key: str, lead_only: bool) -> bool:
    if old_key == new_key:
        return True
    shorter, longer = sorted((old_key, new_key), key=len)
    return lead_only and longer.startswith(shorter + " ")


def _text_tokens(text: str, language: str | None) -> list[Token]:
    found = tokens(text, language)
    if found and text.rstrip().endswith(_ELLIPSIS):
        found.pop()  # a teaser's last word may be cut
    return found


def _figure(was: Token, now: Token, before: str, after: str) -> FigureChange:
    assert was.value is not None and now.value is not None  # figures always have one
    return FigureChange(
        old=was.text,
        new=now.text,
        old_value=plain_number(was.value),
        new_value=plain_number(now.value),
        before=before,
        after=after,
    )


# A story's versions share most paragraphs, and each comparison keys both sides' paragraphs
# again (and the content of a new version once more): the keys are kept per text.
@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return " ".join(words(text))


def _fingerprint(paragraph: str) -> str:
    return xxh3_64_hexdigest(_key(paragraph).encode())


def change_kinds(changes: Changes) -> list[ChangeKind]:
    """The kinds of change an update made (names from `CHANGE_KINDS`), in that order."""
    found: dict[ChangeKind, bool] = {
        "teaser_to_article": changes["kind"] == TEASER_TO_ARTICLE,
        "headline": changes["headline"] is not None,
        "figure": bool(changes["changed_figures"]),
        "text": any(not p["only_figures"] for p in changes["changed_paragraphs"]),
        "paragraph_added": bool(changes["added_paragraphs"]),
        "paragraph_removed": bool(changes["removed_paragraphs"]),
        "subheading": bool(changes["added_subheadings"]),
        "agency": bool(changes["added_agencies"]),
    }
    return [kind for kind, present in found.items() if present] or ["other"]


def summary(changes: Changes) -> str:
    """One line: `dodental 12 → 27; +1 paragraph`."""
    parts: list[str] = []
    if changes["kind"]:
        parts.append(changes["kind"])
    if changes["headline"]:
        parts.append(f"headline “{changes['headline']['new']}”")
    for figure in changes["changed_figures"]:
        line = f"{figure['old']} → {figure['new']}"
        parts.append(" ".join(filter(None, (figure["before"], line, figure["after"]))))
    reworded = sum(not p["only_figures"] for p in changes["changed_paragraphs"])
    for sign, count in (
        ("+", len(changes["added_paragraphs"])),
        ("-", len(changes["removed_paragraphs"])),
        ("~", reworded),
    ):
        if count:
            parts.append(f"{sign}{count} paragraph{'s' if count > 1 else ''}")
    parts.extend(f"+subheading “{s}”" for s in changes["added_subheadings"])
    if changes["added_agencies"]:
        parts.append("+" + "/".join(changes["added_agencies"]))
    return "; ".join(parts) or "no visible change"
