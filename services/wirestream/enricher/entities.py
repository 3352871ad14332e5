"""People and organisations, by gazetteer and rules (entities.json); nothing downloaded.

One regex finds runs of capitalised words ("Kim Jong-un", "Raad van State"). Within a run,
known names and their aliases win (longest first: "Poetin" -> "Vladimir Poetin"); then a
person is a given name or a role cue ("president", "premier", "zakenman") followed by at
least two name words; an organisation is a run ending in an organisation word ("... Bank",
"... Partij"). Function words, months and country words ("Russische") are never names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from wirestream.core.folding import fold
from wirestream.enricher.countries import CountryLexicon, country_lexicon
from wirestream.enricher.enrichment import Enrichment, data_table
from wirestream.enricher.text import ItemText

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞİŁŃŇŐŒŘŚŞŠŢŤŪŮŰŹŻŽ"
# Starting with the capital's character set lets the regex engine skip ahead fast; a match
# inside a word ("iPhone") is dropped afterwards.
_NAME_WORD = rf"[{_UPPER}][\w'’]*(?:-[\w'’]+)*\+?"
MAX_NAME_WORDS = 4
# Names recur across items; folding each word once per process keeps the rules cheap.
fold_word = lru_cache(maxsize=1 << 16)(fold)


def name_runs(particles: Iterable[str]) -> re.Pattern[str]:
    """Runs of capitalised words on one line, joined by spaces and name particles."""
    particle = "|".join(sorted(map(re.escape, particles), key=len, reverse=True))
    return re.compile(rf"{_NAME_WORD}(?: +(?:(?:{particle}) +)*{_NAME_WORD})*")


class NameIndex:
    """Canonical name by alias: all-caps aliases ("WHO") case-sensitively, others folded."""

    def __init__(self, aliases: Mapping[str, Iterable[str]]) -> None:
        self.exact: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        # Longest alias (in words) by its folded first word: most words start none.
        self.longest: dict[str, int] = {}
        for canonical, names in aliases.items():
            for alias in (canonical, *names):
                words = alias.split(" ")
                if alias.isupper():
                    self.exact[alias] = canonical
                else:
                    self.folded[" ".join(map(fold, words))] = canonical
                first = fold_word(words[0])
                self.longest[first] = max(self.longest.get(first, 0), len(words))

    def match(self, words: list[str], folded: list[str], start: int) -> tuple[int, str | None]:
        """(words consumed, canonical name) of the longest alias at `start`, or (0, None)."""
        for length in range(min(self.longest.get(folded[start], 0), len(words) - start), 0, -1):
            end = start + length
            canonical = self.exact.get(" ".join(words[start:end])) or self.folded.get(
                " ".join(folded[start:end])
            )
            if canonical:
                return length, canonical
        return 0, None


@dataclass(frozen=True, slots=True)
class EntityRules:
    people: NameIndex
    organisations: NameIndex
    given_names: frozenset[str]
    role_cues: frozenset[str]
    not_names: frozenset[str]
    particles: frozenset[str]
    organisation_suffixes: frozenset[str]
    compound_suffixes: tuple[str, ...]
    runs: re.Pattern[str]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> EntityRules:
        return cls(
            people=NameIndex(table["people"]),
            organisations=NameIndex(table["organisations"]),
            given_names=frozenset(map(fold, table["given_names"])),
            role_cues=frozenset(map(fold, table["role_cues"])),
            not_names=frozenset(table["not_names"]),
            particles=frozenset(table["particles"]),
            organisation_suffixes=frozenset(map(fold, table["organisation_suffixes"])),
            compound_suffixes=tuple(map(fold, table["organisation_compound_suffixes"])),
            runs=name_runs(table["particles"]),
        )


@cache
def entity_rules() -> EntityRules:
    table = data_table("entities.json")
    return EntityRules.from_table(table)


class NamedEntities:
    """`entities`: {people: [...], organisations: [...]}, canonical names in text order."""

    name = "entities"
    events = ()

    def __init__(
        self, rules: EntityRules | None = None, lexicon: CountryLexicon | None = None
    ) -> None:
        self._rules = rules or entity_rules()
        self._lexicon = lexicon or country_lexicon()
        # A run's names depend only on its words and cue; names recur across items.
        self._names_in_run = lru_cache(maxsize=1 << 15)(self._read_run)

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        people: dict[str, None] = {}
        organisations: dict[str, None] = {}
        not_names = self._rules.not_names
        for passage in (text.headline, text.body):
            for run in self._rules.runs.finditer(passage):
                start, words = run.start(), run.group().split(" ")
                if (len(words) == 1 and words[0] in not_names) or (
                    start and passage[start - 1].isalnum()
                ):
                    continue  # "De" at a sentence start; "Phone" in "iPhone"
                run_people, run_organisations = self._names_in_run(
                    run.group(), self._follows_cue(passage, start)
                )
                people.update(dict.fromkeys(run_people))
                organisations.update(dict.fromkeys(run_organisations))
        return Enrichment(
            {"entities": {"people": list(people), "organisations": list(organisations)}}
        )

    def _follows_cue(self, passage: str, start: int) -> bool:
        """Whether the word before a run is a role cue ("president Vladimir ...")."""
        before = passage[max(0, start - 40) : start].rsplit(None, 1)
        return bool(before) and fold_word(before[-1]) in self._rules.role_cues

    def _is_name_word(self, word: str, folded: str) -> bool:
        rules = self._rules
        return (
            word not in rules.not_names
            and word not in rules.particles
            and folded not in rules.role_cues
            and not self._lexicon.is_country_word(folded)
        )

    def _read_run(self, run: str, cued: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(people, organisations) named in one run of capitalised words, in order."""
        rules = self._rules
        people: dict[str, None] = {}
        organisations: dict[str, None] = {}
        words = [word.removesuffix("'s").removesuffix("’s") for word in run.split(" ")]
        folded = [fold_word(word) for word in words]
        i = 0
        while i < len(words):
            length, organisation = rules.organisations.match(words, folded, i)
            if organisation:
                organisations[organisation] = None
                i, cued = i + length, False
                continue
            length, person = rules.people.match(words, folded, i)
            if person:
                people[person] = None
                i, cued = i + length, False
                continue
            if folded[i] in rules.role_cues:
                i, cued = i + 1, True
                continue
            given = folded[i] in rules.given_names  # "Frans Timmermans": before country words
            if given or self._is_name_word(words[i], folded[i]):
                if cued or given:
                    end = self._name_end(words, folded, i)
                    if end - i >= 2:
                        people[" ".join(words[i:end])] = None
                        i, cued = end, False
                        continue
                end = self._organisation_end(words, folded, i)
                if end:
                    organisations[" ".join(words[i:end])] = None
                    i, cued = end, False
                    continue
            i, cued = i + 1, False
        return tuple(people), tuple(organisations)

    def _name_end(self, words: list[str], folded: list[str], start: int) -> int:
        """End of a person's name starting at `start` (a given name or a cued word): name
        words, with particles only after the first ("Ursula von der Leyen", not "Femke
        Halsema van Amsterdam")."""
        end, i, name_words = start + 1, start + 1, 1
        while i < len(words) and name_words < MAX_NAME_WORDS:
            if words[i] in self._rules.particles:
                if name_words > 1:
                    break
                i += 1
            elif self._is_name_word(words[i], folded[i]):
                name_words += 1
                i = end = i + 1
            else:
                break
        return end

    def _organisation_end(self, words: list[str], folded: list[str], start: int) -> int:
        """End of an organisation name ending in an organisation word, or 0."""
        suffixes, particles = self._rules.organisation_suffixes, self._rules.particles
        word = folded[start]
        if (
            word.endswith(self._rules.compound_suffixes)
            and word not in suffixes
            and " " not in word
        ):
            return start + 1
        for end in range(len(words), start + 1, -1):
            if folded[end - 1] in suffixes and all(
                words[k] in particles or self._is_name_word(words[k], folded[k])
                for k in range(start, end)
            ):
                return end
        return 0
