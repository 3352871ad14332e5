"""People and organisations on real agency copy: the `entities` enricher's name sets scored
against hand labels (tests/fixtures/real/entities.json), per language.

The labels were written by reading each item of the real-copy corpus, never from wirestream's
output: per item, one entry per person or organisation it names, each entry the forms that
name it (the fullest form in the text first; the others the text uses, and a well-known
person's usual full name where the text gives part of it), and `ignore`: forms careful
annotators would disagree on (agency credits, "White House", events, generic bodies), neither
required nor penalised. The enricher names a known person or organisation by the lexicon's
canonical name ("Dmitry Peskov" -> "Dmitri Peskov"), so an entry's forms include the
canonical name of each form the lexicon knows. A name the enricher gives is right when it
equals one form of an entry of its kind, case aside (two forms of one entry, "Westpac Banking
Corp" and "Westpac", are both right, as in CoNLL's name sets, where each is a name as
written); an entry is found when one of its forms is given.

Scores are micro-averaged per language: precision, recall and F1 of the name sets. Languages
with a trained model (nl, en, es, de, pt) are scored with it, the others with the rules; the
corpus is small (11-56 items per language), so a score moves by several points per name.

    .venv/bin/python -m bench.realnames     # the table, and each miss
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.realcopy import CORPUS, Case, Pipeline, load_corpus
from wirestream.enricher.entities import CanonicalNames, name_lexicon
from wirestream.enricher.entities_model import recogniser

KINDS = ("people", "organisations")


@dataclass(frozen=True, slots=True)
class Labels:
    """What one item names: per kind, the forms of each entry; and the forms not scored."""

    entries: Mapping[str, Sequence[Sequence[str]]]
    ignore: frozenset[str]

    @classmethod
    def of(cls, labelled: Mapping[str, Any]) -> Labels:
        lexicon = name_lexicon()
        index = {"people": lexicon.people, "organisations": lexicon.organisations}
        return cls(
            {
                kind: [[*forms, *canonical(forms, index[kind])] for forms in labelled[kind]]
                for kind in KINDS
            },
            frozenset(form.casefold() for form in labelled.get("ignore", ())),
        )


def canonical(forms: Iterable[str], names: CanonicalNames) -> list[str]:
    """The lexicon's canonical names of the forms it knows."""
    return [alias.canonical for form in forms if (alias := names.lookup(form))]


def load_labels(root: Path = CORPUS) -> dict[str, Labels]:
    """The hand labels by item id."""
    table = orjson.loads((root / "entities.json").read_bytes())
    return {item_id: Labels.of(labelled) for item_id, labelled in table["items"].items()}


@dataclass(slots=True)
class Tally:
    right: int = 0  # names given that are a form of an entry
    wrong: int = 0  # names given that are none and are not ignored
    found: int = 0  # entries some given name is a form of
    missed: int = 0  # entries no given name is a form of

    def add(self, other: Tally) -> None:
        self.right += other.right
        self.wrong += other.wrong
        self.found += other.found
        self.missed += other.missed

    def scores(self) -> dict[str, float]:
        precision = self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0
        recall = self.found / (self.found + self.missed) if self.found + self.missed else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1}


@dataclass(frozen=True, slots=True)
class Judgement:
    tally: Tally
    wrong: list[str]  # the names given that match no entry
    missed: list[str]  # each missed entry by its first form


def judge(
    given: Iterable[str], entries: Sequence[Sequence[str]], ignore: frozenset[str]
) -> Judgement:
    """One item's names of one kind against its labelled entries."""
    forms = [{form.casefold() for form in entry} for entry in entries]
    found: set[int] = set()
    right = 0
    wrong: list[str] = []
    for name in dict.fromkeys(given):
        folded = name.casefold()
        hits = {i for i, entry in enumerate(forms) if folded in entry}
        if hits:
            right += 1
            found |= hits
        elif folded not in ignore:
            wrong.append(name)
    missed = [entry[0] for i, entry in enumerate(entries) if i not in found]
    return Judgement(Tally(right, len(wrong), len(found), len(missed)), wrong, missed)


@dataclass(slots=True)
class NameScores:
    tallies: dict[str, dict[str, Tally]] = field(default_factory=dict)  # language -> kind ->
    items: dict[str, int] = field(default_factory=dict)
    by: dict[str, str] = field(default_factory=dict)  # language -> "model" or "rules"
    misses: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)

    def score(self, language: str, kind: str) -> dict[str, float]:
        return self.tallies[language][kind].scores()

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "lang": language,
                "items": self.items[language],
                "by": self.by[language],
                **{
                    f"{kind}_{measure}": value
                    for kind in KINDS
                    for measure, value in self.score(language, kind).items()
                },
            }
            for language in self.tallies
        ]


def score(cases: Sequence[Case], labels: Mapping[str, Labels], pipeline: Pipeline) -> NameScores:
    """Every labelled case through the normalizer and the `entities` enricher."""
    scores = NameScores()
    for case in cases:
        labelled = labels.get(case.id)
        if labelled is None:
            continue
        language = case.language.split("-")[0]
        item = pipeline.item(case)
        entities = (item or {}).get("entities") or {}
        tallies = scores.tallies.setdefault(language, {kind: Tally() for kind in KINDS})
        scores.items[language] = scores.items.get(language, 0) + 1
        scores.by[language] = "model" if language in recogniser().languages else "rules"
        for kind in KINDS:
            verdict = judge(entities.get(kind) or (), labelled.entries[kind], labelled.ignore)
            tallies[kind].add(verdict.tally)
            if verdict.wrong or verdict.missed:
                scores.misses.append((case.id, kind, verdict.wrong, verdict.missed))
    return scores


def run() -> dict[str, Any]:
    scores = score(load_corpus(), load_labels(), Pipeline(["entities"]))
    return {"rows": scores.rows(), "misses": [list(miss) for miss in scores.misses]}


def main() -> None:
    result = run()
    for row in result["rows"]:
        cells = " ".join(
            f"{kind} P/R/F1 {row[f'{kind}_precision']:.2f}/{row[f'{kind}_recall']:.2f}/"
            f"{row[f'{kind}_f1']:.2f}"
            for kind in KINDS
        )
        print(f"{row['lang']:>3} n={row['items']:<3} {row['by']:<5} {cells}")
    for item_id, kind, wrong, missed in result["misses"]:
        print(f"miss {item_id} {kind}: wrong {wrong}, missed {missed}", file=sys.stderr)


if __name__ == "__main__":
    main()
