"""Topics: IPTC Media Topic top-level codes by keyword rules kept as data (topics.json).

Each folded word of headline and body scores for every topic listing it as a word, or a
stem it starts with (Dutch compounds: "oorlogsschip" under "oorlog"); a phrase scores when
its words appear in sequence. Headline hits count double. Topics reaching `min_score` are
assigned, best first, at most `max_topics`; if none does, the best topic with any hit; if
nothing matched at all, the documented fallback (14000000 society). Every item gets one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from wirestream.core.folding import fold
from wirestream.enricher.enrichment import Enrichment, data_table
from wirestream.enricher.text import ItemText

HEADLINE_WEIGHT = 2


@dataclass(frozen=True, slots=True)
class TopicRules:
    names: dict[str, str]  # code -> name, in table order (ties go to the earlier topic)
    words: dict[str, tuple[str, ...]]  # folded word -> codes
    stems: dict[int, dict[str, tuple[str, ...]]]  # stem length -> stem -> codes
    phrases: dict[str, list[tuple[tuple[str, ...], str]]]  # first word -> (words, code)
    min_score: int
    max_topics: int
    fallback: dict[str, str]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> TopicRules:
        words: dict[str, list[str]] = {}
        stems: dict[int, dict[str, list[str]]] = {}
        phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for topic in table["topics"]:
            code = topic["code"]
            for word in topic["words"]:
                words.setdefault(fold(word), []).append(code)
            for stem in map(fold, topic["stems"]):
                stems.setdefault(len(stem), {}).setdefault(stem, []).append(code)
            for phrase in topic["phrases"]:
                sequence = tuple(fold(phrase).split(" "))
                phrases.setdefault(sequence[0], []).append((sequence, code))
        return cls(
            names={topic["code"]: topic["name"] for topic in table["topics"]},
            words={word: tuple(dict.fromkeys(codes)) for word, codes in words.items()},
            stems={n: {s: tuple(c) for s, c in by.items()} for n, by in sorted(stems.items())},
            phrases=phrases,
            min_score=table["min_score"],
            max_topics=table["max_topics"],
            fallback=table["fallback"],
        )

    def word_topics(self, word: str) -> tuple[str, ...]:
        """Codes a single folded word scores for (exact word, else its stems)."""
        codes = self.words.get(word, ())
        for length, by_stem in self.stems.items():
            if length >= len(word):
                break
            codes += by_stem.get(word[:length], ())
        return tuple(dict.fromkeys(codes))


@cache
def topic_rules() -> TopicRules:
    table = data_table("topics.json")
    return TopicRules.from_table(table)


class TopicRulesClassifier:
    """`topics`: one or more {code, name}, by the keyword rules; never empty."""

    name = "topics"
    events = ()

    def __init__(self, rules: TopicRules | None = None) -> None:
        self._rules = rules or topic_rules()
        # Word -> codes is a pure function of the word; news vocabulary repeats a lot.
        self._word_topics = lru_cache(maxsize=1 << 16)(self._rules.word_topics)

    def scores(self, text: ItemText) -> Counter[str]:
        rules, tokens = self._rules, text.tokens
        # Count each distinct word once; the headline's words are counted a second time.
        counts = Counter(tokens)
        counts.update(tokens[: text.headline_words])
        scores: Counter[str] = Counter()
        for word in filter(self._word_topics, counts):  # the few words with any topic
            for code in self._word_topics(word):
                scores[code] += counts[word]
        starts = rules.phrases.keys() & counts.keys()
        if starts:
            passages = (f" {' '.join(tokens)} ", f" {' '.join(tokens[: text.headline_words])} ")
            for sequence, code in (phrase for word in starts for phrase in rules.phrases[word]):
                needle = f" {' '.join(sequence)} "
                scores[code] += sum(passage.count(needle) for passage in passages)
        return scores

    def enrich(self, item: Mapping[str, Any], text: ItemText) -> Enrichment:
        rules = self._rules
        scores = self.scores(text)
        order = {code: n for n, code in enumerate(rules.names)}
        ranked = sorted(scores, key=lambda code: (-scores[code], order[code]))
        chosen = [code for code in ranked if scores[code] >= rules.min_score][: rules.max_topics]
        if not chosen and ranked:
            chosen = ranked[:1]
        topics = [{"code": code, "name": rules.names[code]} for code in chosen]
        return Enrichment({"topics": topics or [dict(rules.fallback)]})
