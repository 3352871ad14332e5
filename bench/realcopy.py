"""Accuracy on real agency copy: the normalizer (and the enricher, for the canonical place and
country) over the hand-labelled corpus in tests/fixtures/real/, scored per field per language.

Each item is one page of text (headline, then the dateline-led body) with expectations written
from the item's own metadata (tests/fixtures/real/manifest.json). A dead-lettered item counts
as wrong on every field. Fields:

    dateline   the place as the copy writes it ("GENÈVE"), compared case-insensitively;
               an expected null dateline is right only when the item has none
    place      the enricher's canonical English place ("Geneva")
    country    the enricher's ISO 3166-1 alpha-2 country of the dateline
    agencies   the set of agencies credited, compared by canonical name (RTR = Reuters)
    language   the primary language subtag
    headline   the headline, whitespace collapsed
    date       the publication day (published_at, else the fetch time); only over items
               whose metadata gives a date

    .venv/bin/python -m bench.realcopy     # the table, and each miss with what came out
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from wirestream.core.folding import fold
from wirestream.core.records import Emit, Origin
from wirestream.enricher import Enricher
from wirestream.enricher.agencies import load_agency_names
from wirestream.geo import geonames_cities
from wirestream.normalizer import Normalizer

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real"
FIELDS = ("dateline", "place", "country", "agencies", "language", "headline", "date")
# Issue 12's targets: the languages the project's users read most, then the other wires'.
TARGETS = {"nl": 0.98, "en": 0.98}
OTHER_TARGET = 0.95
_ORIGIN = Origin(topic=None, partition=None, offset=None)
# Items whose metadata gives no time are fetched at a fixed instant; their date is not scored.
_UNDATED_FETCH = "2026-01-15T12:00:00Z"


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus item: its page text, how it was fetched, and what it must come out as."""

    id: str
    language: str
    text: str
    source: str
    fetched_at: str
    expected: Mapping[str, Any]

    def envelope(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "source": self.source,
                "fetched_at": self.fetched_at,
                "content_type": "text/plain",
                "body": self.text,
            }
        )


def load_corpus(root: Path = CORPUS) -> list[Case]:
    """The manifest's items with their page texts."""
    manifest = orjson.loads((root / "manifest.json").read_bytes())
    return [
        Case(
            id=entry["id"],
            language=entry["expected"]["language"],
            text=(root / entry["file"]).read_text("utf-8"),
            source=entry["source"],
            fetched_at=entry.get("fetched_at") or _UNDATED_FETCH,
            expected=entry["expected"],
        )
        for entry in manifest["items"]
    ]


class Pipeline:
    """Normalizer, then enrichers (the dateline and agency ones unless told), in-process: one
    item per page."""

    def __init__(self, enrichers: Sequence[str] = ("dateline", "agencies")) -> None:
        self._normalizer = Normalizer()
        self._enricher = Enricher(enrichers)

    def item(self, case: Case) -> dict[str, Any] | None:
        """The page's main item (its article, else its first item); None when dead-lettered."""
        emitted = [
            o for o in self._normalizer.process(case.envelope(), _ORIGIN) if isinstance(o, Emit)
        ]
        if not emitted:
            return None
        first = next((o.item for o in emitted if o.item["kind"] == "article"), emitted[0].item)
        enriched = self._enricher.process(first, _ORIGIN)[0]
        return enriched.item if isinstance(enriched, Emit) else None


def judge(case: Case, item: Mapping[str, Any] | None) -> dict[str, bool | None]:
    """Right or wrong per field; None where the field is not scored for this item."""
    expected = case.expected
    verdicts: dict[str, bool | None] = dict.fromkeys(FIELDS, False)
    if expected.get("date") is None:
        verdicts["date"] = None
    if item is None:
        return verdicts
    want, got = expected["dateline"], item.get("dateline")
    if want is None:
        verdicts["dateline"] = verdicts["place"] = verdicts["country"] = got is None
    elif got is not None:
        verdicts["dateline"] = _same(_written_place(got), want["written"])
        verdicts["place"] = same_city(got, want["place"])
        verdicts["country"] = got.get("country_code") == want["country"]
    verdicts["agencies"] = agency_names(a["code"] for a in item.get("agencies") or ()) == (
        agency_names(expected["agencies"])
    )
    verdicts["language"] = item.get("language", "").split("-")[0] == case.language.split("-")[0]
    verdicts["headline"] = _words(item.get("headline")) == _words(expected["headline"])
    if verdicts["date"] is not None:
        verdicts["date"] = publication_day(item) == date.fromisoformat(expected["date"])
    return verdicts


def same_city(dateline: Mapping[str, Any], english_name: str) -> bool:
    """The item's place is the expected one: its name, or the GeoNames name of the city the
    enricher resolved it to, is the expected English name ("Den Haag" is "The Hague")."""
    city = _cities().get(str(dateline.get("geonames_id")))
    names = (dateline.get("place"), city and city["name"])
    return fold(english_name) in {fold(name) for name in names if name}


def _written_place(dateline: Mapping[str, Any]) -> str:
    """The place as written: the raw dateline up to its first comma ("WASHINGTON, March 9")
    or parenthesised qualifier ("GUBBIO (PERUGIA), 08 MAG")."""
    return re.split(r",|\s\(", dateline.get("raw") or "", maxsplit=1)[0]


def _same(got: str | None, want: str) -> bool:
    return got is not None and got.strip().casefold() == want.strip().casefold()


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def agency_names(codes: Iterable[str]) -> frozenset[str]:
    """Codes as the copy writes them ("RTR", "dpa", "Reuters") -> canonical names."""
    names = _agency_table()
    return frozenset(names.get(code.strip().upper(), fold(code)) for code in codes)


@cache
def _cities() -> dict[str, dict[str, Any]]:
    return geonames_cities()


@cache
def _agency_table() -> dict[str, str]:
    return load_agency_names()


def publication_day(item: Mapping[str, Any]) -> date:
    """The day an item says it was published: a day-precision instant is some zone's local
    midnight, within 12 hours of that UTC day; otherwise the UTC day of the instant."""
    if item.get("published_at") is None:
        return _instant(item["fetched_at"]).date()
    instant = _instant(item["published_at"])
    if item.get("published_precision") == "day":
        instant += timedelta(hours=12)
    return instant.date()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(slots=True)
class Scores:
    """Per language and field: items right, items scored."""

    right: dict[str, dict[str, int]]
    scored: dict[str, dict[str, int]]
    misses: list[tuple[str, str, Any, Any]]

    def score(self, language: str, field: str) -> float | None:
        scored = self.scored[language][field]
        return self.right[language][field] / scored if scored else None

    def rows(self) -> list[dict[str, Any]]:
        """One row per language: items and each field's score, for the bench table."""
        return [
            {
                "lang": language,
                "items": max(self.scored[language].values()),
                **{field: self.score(language, field) for field in FIELDS},
                "target": target(language),
            }
            for language in sorted(self.scored, key=_language_order)
        ]

    def below_target(self) -> list[str]:
        """ "nl headline 0.95 < 0.98" for every field under its language's target."""
        return [
            f"{row['lang']} {field} {row[field]:.3f} < {row['target']}"
            for row in self.rows()
            for field in FIELDS
            if row[field] is not None and row[field] < row["target"]
        ]


def target(language: str) -> float:
    return TARGETS.get(language, OTHER_TARGET)


def _language_order(language: str) -> tuple[int, str]:
    return (list(TARGETS).index(language) if language in TARGETS else len(TARGETS), language)


def score(cases: list[Case], pipeline: Pipeline | None = None) -> Scores:
    pipeline = pipeline or Pipeline()
    right: dict[str, dict[str, int]] = {}
    scored: dict[str, dict[str, int]] = {}
    misses: list[tuple[str, str, Any, Any]] = []
    for case in cases:
        item = pipeline.item(case)
        language = case.language.split("-")[0]
        right.setdefault(language, dict.fromkeys(FIELDS, 0))
        scored.setdefault(language, dict.fromkeys(FIELDS, 0))
        for field, verdict in judge(case, item).items():
            if verdict is None:
                continue
            scored[language][field] += 1
            right[language][field] += verdict
            if not verdict:
                misses.append((case.id, field, _expected(case, field), _got(item, field)))
    return Scores(right, scored, misses)


def _expected(case: Case, field: str) -> Any:
    dateline = case.expected["dateline"]
    if field in ("dateline", "place", "country"):
        key = {"dateline": "written", "place": "place", "country": "country"}[field]
        return dateline and dateline[key]
    if field == "language":
        return case.language
    return case.expected[field]


def _got(item: Mapping[str, Any] | None, field: str) -> Any:
    if item is None:
        return "dead letter"
    dateline = item.get("dateline")
    if field in ("dateline", "place", "country"):
        key = {"dateline": "raw", "place": "place", "country": "country_code"}[field]
        return dateline and dateline.get(key)
    if field == "agencies":
        return [a["code"] for a in item.get("agencies") or ()]
    if field == "date":
        return item.get("published_at") or f"fetched {item.get('fetched_at')}"
    return item.get(field)


def run() -> dict[str, Any]:
    """What `make bench` reports: the per-language table and the misses."""
    scores = score(load_corpus())
    return {
        "rows": scores.rows(),
        "below_target": scores.below_target(),
        "misses": [list(miss) for miss in scores.misses],
    }


def main() -> None:
    result = run()
    for row in result["rows"]:
        cells = " ".join(
            f"{field}={row[field]:.3f}" if row[field] is not None else f"{field}=–"
            for field in FIELDS
        )
        print(f"{row['lang']:>3} n={row['items']:<3} {cells}")
    for case_id, field, want, got in result["misses"]:
        print(f"miss {case_id} {field}: expected {want!r}, got {got!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
