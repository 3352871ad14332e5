"""People, organisations and places: a trained recogniser finds them, the lexicon names them.

For a language with a shipped model (`entities_model.py`: Dutch, English, Spanish) the CRF
finds the mentions (PER, ORG, LOC, with offsets); the lexicon (entities.json) then gives a
mention its canonical name, only when the whole mention is a known alias of the same type
("Poetin" -> "Vladimir Poetin", never "African National Congress" -> "US Congress"), and a
bare surname of a person with a `context` list only when the item names them in full or
mentions their context ("Powell" is Jerome Powell beside "Fed", not in a football report).

For other languages the rules below stand in: one regex finds runs of capitalised words
("Kim Jong-un", "Raad van State"). Within a run, known names and their aliases win (longest
first); then a person is a given name or a role cue ("president", "premier", "zakenman")
followed by at least two name words; an organisation is a run ending in an organisation word
("... Bank", "... Partij"). Function words, months and country words ("Russische") are
never names.
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
from wirestream.enricher.entities_model import Mention, Recogniser, recogniser
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
    titles: frozenset[str]  # words that come off the front of a person's name: role cues too
    title_suffixes: tuple[str, ...]  # and compounds ending in these ("Armeesprecher")
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
            titles=frozenset(map(fold, [*table["role_cues"], *table["titles"]])),
            title_suffixes=tuple(map(fold, table["role_compound_suffixes"])),
            not_names=frozenset(table["not_names"]),
            particles=frozenset(table["particles"]),
            organisation_suffixes=frozenset(map(fold, table["organisation_suffixes"])),
            compound_suffixes=tuple(map(fold, table["organisation_compound_suffixes"])),
            runs=name_runs(table["particles"]),
        )

    def is_title(self, folded: str) -> bool:
        return folded in self.titles or folded.endswith(self.title_suffixes)


@cache
def entity_rules() -> EntityRules:
    table = data_table("entities.json")
    return EntityRules.from_table(table)


@dataclass(frozen=True, slots=True)
class Alias:
    canonical: str
    partial: bool  # one word standing for a longer name: "Powell" for "Jerome Powell"


class CanonicalNames:
    """The canonical name of a whole mention, by the lexicon's aliases of one kind (people
    or organisations): all-caps aliases case-sensitively ("WHO", not "Who"), others folded.
    A partial alias of a name with a `context` list needs that context in the item."""

    def __init__(
        self, aliases: Mapping[str, Iterable[str]], context: Mapping[str, Iterable[str]]
    ) -> None:
        self.exact: dict[str, Alias] = {}
        self.folded: dict[str, Alias] = {}
        for canonical, names in aliases.items():
            several_words = " " in canonical
            for alias in (canonical, *names):
                if alias.isupper():
                    self.exact.setdefault(alias, Alias(canonical, False))
                else:
                    entry = Alias(canonical, several_words and " " not in alias)
                    self.folded.setdefault(fold(alias), entry)
        self.context = {
            name: tuple(word if word.startswith("@") else fold(word) for word in words)
            for name, words in context.items()
        }

    def lookup(self, surface: str) -> Alias | None:
        return self.exact.get(surface) or self.folded.get(fold(surface))

    def canonical(self, alias: Alias, named_in_full: set[str], item: ItemContext) -> str | None:
        """The alias' name, unless it is a bare part of a name whose context is missing."""
        context = self.context.get(alias.canonical)
        if not alias.partial or not context or alias.canonical in named_in_full:
            return alias.canonical
        return alias.canonical if any(map(item.mentions, context)) else None


class ItemContext:
    """What a partial alias' context is checked against: the item's folded words and the
    countries it mentions (a context entry "@US")."""

    def __init__(self, text: ItemText, lexicon: CountryLexicon) -> None:
        self._text = text
        self._lexicon = lexicon
        self._folded: str | None = None

    def mentions(self, phrase: str) -> bool:
        if phrase.startswith("@"):
            return phrase[1:] in self._lexicon.mentions(self._text)
        if self._folded is None:
            self._folded = f" {' '.join(self._text.tokens)} "
        return f" {phrase} " in self._folded


@dataclass(frozen=True, slots=True)
class NameLexicon:
    people: CanonicalNames
    organisations: CanonicalNames

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> NameLexicon:
        return cls(
            CanonicalNames(table["people"], table["context"]),
            CanonicalNames(table["organisations"], table["context"]),
        )


@cache
def name_lexicon() -> NameLexicon:
    return NameLexicon.from_table(data_table("entities.json"))


def without_possessive(name: str) -> str:
    return name.removesuffix("'s").removesuffix("’s")


# Only published versions (new or updated stories) reach the model; a duplicate is held.
PUBLISHED = frozenset({"new", "update"})
_FIELDS = (("headline", "headline"), ("body", "body_text"))
_LISTS = {"PER": "people", "ORG": "organisations", "LOC": "places"}


class NamedEntities:
    """`entities`: people, organisations and places (canonical names in text order) and
    `mentions` ({type, text, name, field, start, end}: where each name is in the item)."""

    name = "entities"
    events = ("entities_by_model", "entities_by_rules")

    def __init__(
        self,
        rules: EntityRules | None = None,
        lexicon: CountryLexicon | None = None,
        model: Recogniser | None = None,
        names: NameLexicon | None = None,
    ) -> None:
        self._rules = rules or entity_rules()
        self._lexicon = lexicon or country_lexicon()
        self._model = model or recogniser()
        self._names = names or name_lexicon()
        particles = "|".join(map(re.escape, self._rules.particles))
        self._particle_tail = re.compile(rf"(?: (?:{particles}))+ [^\W\d_][\w'’-]*")
        # A run's names depend only on its words and cue; names recur across items.
        self._names_in_run = lru_cache(maxsize=1 << 15)(self._read_run)

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        if (item.get("dedup") or {}).get("status", "new") not in PUBLISHED:
            return Enrichment({"entities": self.found([], [], [], [])})
        language = str(item.get("language") or "").split("-")[0].lower()
        if language in self._model.languages:
            passages = self._model.mentions(language, [text.headline, text.body])
            return Enrichment({"entities": self._named(passages, text)}, {"entities_by_model": 1})
        return Enrichment({"entities": self._by_rules(text)}, {"entities_by_rules": 1})

    @staticmethod
    def found(
        people: Iterable[str],
        organisations: Iterable[str],
        places: Iterable[str],
        mentions: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "people": list(people),
            "organisations": list(organisations),
            "places": list(places),
            "mentions": mentions,
        }

    def _named(self, passages: list[list[Mention]], text: ItemText) -> dict[str, Any]:
        """The model's PER/ORG/LOC mentions with their canonical names (MISC is dropped)."""
        named: list[tuple[str, str, Mention, str]] = []  # kind, name, mention, field
        resolved: list[tuple[str, Mention, str, Alias | None]] = []
        for (passage, field), mentions in zip(_FIELDS, passages, strict=True):
            covered = 0  # the end of a mention extended over the ones after it
            for found in mentions:
                if found.start < covered:
                    continue
                mention = self._without_role(self._with_particles(found, getattr(text, passage)))
                covered = mention.end
                kind, alias = self._typed(mention)
                if kind in _LISTS:
                    resolved.append((kind, mention, field, alias))
        in_full = {alias.canonical for *_, alias in resolved if alias and not alias.partial}
        context = ItemContext(text, self._lexicon)
        names = []
        for kind, mention, _, alias in resolved:
            index = self._names.people if kind == "PER" else self._names.organisations
            canonical = alias and index.canonical(alias, in_full, context)
            names.append(canonical or without_possessive(mention.text))
        # A bare surname is the person the item names in full ("Nick Powell ... Powell").
        full_names = {
            without_possessive(mention.text).rsplit(" ", 1)[-1]: name
            for (kind, mention, _, _), name in zip(resolved, names, strict=True)
            if kind == "PER" and " " in mention.text
        }
        for (kind, mention, field, _), name in zip(resolved, names, strict=True):
            if kind == "PER" and " " not in mention.text:
                name = full_names.get(without_possessive(mention.text), name)
            named.append((kind, name, mention, field))
        lists: dict[str, dict[str, None]] = {kind: {} for kind in _LISTS}
        for kind, name, _, _ in named:
            lists[kind][name] = None
        mentions = [
            {
                "type": kind,
                "text": mention.text,
                "name": name,
                "field": field,
                "start": mention.start,
                "end": mention.end,
            }
            for kind, name, mention, field in named
        ]
        return self.found(lists["PER"], lists["ORG"], lists["LOC"], mentions)

    def _typed(self, mention: Mention) -> tuple[str, Alias | None]:
        """The mention's type and lexicon alias. A known name in full keeps the lexicon's
        type ("Shell", "Taliban" are organisations even where the model says PER); a bare
        part of a name ("Powell", "Congress") only names a mention of its own type."""
        surface = without_possessive(mention.text)
        organisation = self._names.organisations.lookup(surface)
        person = self._names.people.lookup(surface)
        if organisation and not organisation.partial:
            return "ORG", organisation
        if person and not person.partial:
            return "PER", person
        if mention.label == "PER":
            return "PER", person
        if mention.label == "ORG":
            return "ORG", organisation
        return mention.label, None

    def _with_particles(self, mention: Mention, passage: str) -> Mention:
        """A person the model ended before the particles of a known name ("Ursula" of "Ursula
        von der Leyen": in German "von der" is more often a preposition and an article),
        extended to that name; an unknown name stays as the model found it."""
        if mention.label != "PER":
            return mention
        tail = self._particle_tail.match(passage, mention.end)
        if tail is None or not tail.group().rsplit(" ", 1)[1].istitle():
            return mention
        person = self._names.people.lookup(mention.text + tail.group())
        if person is None or person.partial:
            return mention
        return Mention(mention.label, mention.text + tail.group(), mention.start, tail.end())

    def _without_role(self, mention: Mention) -> Mention:
        """A person without a capitalised role word or title the model took in ("Econoom
        Indermit Gill" at a sentence start, "Chairman Powell")."""
        first, _, rest = mention.text.partition(" ")
        if mention.label != "PER" or not rest or not self._rules.is_title(fold_word(first)):
            return mention
        start = mention.start + len(first) + 1
        return Mention(mention.label, rest, start, mention.end)

    def _by_rules(self, text: ItemText) -> dict[str, Any]:
        """People and organisations by the rules, for languages without a model."""
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
        return self.found(people, organisations, [], [])

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
