"""The real-copy corpus (tests/fixtures/real/) is well-formed and traceable, and its scorer
judges items the way bench/realcopy.py documents."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import orjson
import pytest
from bench.realcopy import CORPUS, FIELDS, Case, agency_names, judge, load_corpus, publication_day

MANIFEST = orjson.loads((CORPUS / "manifest.json").read_bytes())["items"]
README = (CORPUS / "README.md").read_text("utf-8")
LANGUAGES = {"nl", "en", "de", "fr", "es", "it", "pt"}


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda entry: entry["id"])
def test_each_item_is_a_page_with_handwritten_expectations_and_provenance(entry):
    text = (CORPUS / entry["file"]).read_text("utf-8")
    expected = entry["expected"]
    assert expected["language"] in LANGUAGES
    assert entry["file"].startswith(f"{expected['language']}/")
    if expected["headline"] is not None:  # teasers have none
        assert any(expected["headline"] in line for line in text.splitlines()[:4]), "headline first"
    dateline = expected["dateline"]
    if dateline is not None:
        assert set(dateline) == {"written", "place", "country"}
        assert dateline["written"] in text, "the place as written appears in the copy"
        assert re.fullmatch(r"[A-Z]{2}", dateline["country"])
    assert isinstance(expected["agencies"], list)
    if expected["date"] is not None:  # scored against the text's date, else the fetch time
        assert entry["fetched_at"][:10] == expected["date"]
    provenance = entry["provenance"]
    assert provenance["licence"]
    assert provenance.get("url") or {"repo", "path", "commit"} <= set(provenance)
    assert entry["id"] in README, "every item's provenance is listed in the README"


def test_item_ids_are_unique_and_every_text_file_is_in_the_manifest():
    ids = [entry["id"] for entry in MANIFEST]
    assert len(ids) == len(set(ids))
    files = {path.relative_to(CORPUS).as_posix() for path in CORPUS.glob("*/*.txt")}
    assert files == {entry["file"] for entry in MANIFEST}


def test_the_corpus_has_items_without_a_dateline():
    assert any(case.expected["dateline"] is None for case in load_corpus())


def _case(**expected) -> Case:
    defaults = {
        "language": "en",
        "headline": "Gold rises",
        "dateline": {"written": "TORONTO", "place": "Toronto", "country": "CA"},
        "agencies": ["Reuters"],
        "date": "2026-02-26",
    }
    return Case("x", "en", "", "test", "2026-02-26T12:00:00Z", {**defaults, **expected})


def _item(**fields):
    item = {
        "headline": "Gold rises",
        "dateline": {"raw": "Toronto, Feb 26", "place": "Toronto", "country_code": "CA"},
        "agencies": [{"code": "RTR", "name": None}],
        "language": "en",
        "published_at": "2026-02-26T00:00:00Z",
        "published_precision": "day",
        "fetched_at": "2026-02-26T12:00:00Z",
    }
    return {**item, **fields}


def test_a_right_item_is_right_on_every_field_and_agency_codes_are_compared_by_name():
    assert judge(_case(), _item()) == dict.fromkeys(FIELDS, True)
    assert agency_names(["RTR"]) == agency_names(["Reuters"]) != agency_names(["AFP"])


def test_a_dead_letter_is_wrong_on_every_field_and_an_undated_item_has_no_date_verdict():
    verdicts = judge(_case(date=None), None)
    assert verdicts.pop("date") is None
    assert set(verdicts.values()) == {False}


def test_an_expected_null_dateline_is_right_only_when_the_item_has_none():
    case = _case(dateline=None)
    assert judge(case, _item(dateline=None))["dateline"] is True
    assert judge(case, _item())["dateline"] is False
    assert judge(_case(), _item(dateline=None))["place"] is False


def test_a_day_is_some_zones_midnight_and_an_item_without_a_time_was_published_when_fetched():
    amsterdam_midnight = _item(published_at="2026-02-25T23:00:00Z")
    assert publication_day(amsterdam_midnight) == date(2026, 2, 26)
    unknown = _item(published_at=None, published_precision="none")
    assert publication_day(unknown) == date(2026, 2, 26)


def test_the_corpus_meets_issue_12s_size_per_language():
    counts = Counter(entry["expected"]["language"] for entry in MANIFEST)
    assert sum(counts.values()) >= 120
    assert counts["nl"] >= 40 and counts["en"] >= 40
    assert all(counts[language] >= 10 for language in ("de", "fr", "es", "it", "pt"))
