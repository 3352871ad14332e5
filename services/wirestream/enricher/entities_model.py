"""The statistical name recogniser: a linear-chain CRF (CRFsuite) per language over word
features; PER, ORG, LOC and MISC mentions with their character offsets.

Models are package data (`models/ner-<lang>.crfsuite`), trained by `make train-ner`
(`entities_training.py`); nothing is downloaded. Tagging reads the model's weights and
decodes it here (`Decoder`, its sums and Viterbi in C: `_crf.c`), with the labels
CRFsuite's own tagger gives at about a tenth of its cost: the attribute strings of every
word were most of that tagger's cost.

Text is tagged line by line and sentence by sentence, so a name never runs across a line
break. Lines with no lower-case letter (headlines in capitals, ticker lines) are not
tagged: the model was trained on mixed-case copy and finds junk there.

Features are the classic CoNLL set (word, shape, affixes, a ±2 window, capitalisation
patterns) plus gazetteer flags from the enricher's own lexicons (given names, role cues,
organisation words, country words, GeoNames places) and two document flags (the word also
appears in lower case / capitalised mid-sentence elsewhere in the item), which separate
sentence-initial common words and all-caps emphasis from names.
"""

from __future__ import annotations

import gzip
import re
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate, chain, compress, count, pairwise, repeat
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pycrfsuite

from wirestream.core.folding import fold
from wirestream.enricher._crf import label_paths, label_spans, sum_rows
from wirestream.enricher.countries import country_lexicon
from wirestream.enricher.enrichment import data_table
from wirestream.geo import gazetteer

# "U.S." and "N.V." whole; words with inner hyphens, apostrophes, dots, ampersands whole
# ("Jong-un", "AT&T", "3.5", "Christo's"); every other non-space character alone. English
# splits the possessive ("Powell" "'s"), as the English training data does.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:[-'’.&]\w+)*|[^\w\s]")
_TOKEN_EN = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:[-.&]\w+|['’](?![sS]\b)\w+)*|['’][sS]\b|[^\w\s]")
_POSSESSIVE_SPLIT = frozenset({"en"})
# French writes an elided article or pronoun onto the next word ("l'Elysée", "d'Emmanuel
# Macron"): split off, as the French treebank does, so it is no part of a name.
_TOKEN_ELISION = re.compile(
    r"(?:[^\W\d_]\.){2,}|(?i:qu|jusqu|lorsqu|puisqu|[cdjlmnst])['’](?=\w)|\w+(?:[-'’.&]\w+)*|[^\w\s]"
)
_ELISION_SPLIT = frozenset({"fr"})
SENTENCE_END = frozenset(".!?")  # tokens that end a sentence
_LINE = re.compile(r"[^\n]+")
WINDOW = (-2, -1, 1, 2)  # the neighbours whose attributes a word carries
MODELS = "models"
CLUSTER_PREFIXES = (4, 6, 10, 20)  # Brown cluster path prefixes a word carries
LABELS = ("PER", "ORG", "LOC", "MISC")
# Context attributes: sentence start and end, the bigram with the word before and after,
# the document flags.
BOS, EOS, BEFORE, AFTER, DOC_LOWER, DOC_MIDCAP = (
    "bos",
    "eos",
    "b-1=",
    "b+1=",
    "doc:lower",
    "doc:midcap",
)
CONTEXT = (BOS, EOS, DOC_LOWER, DOC_MIDCAP)  # the context weights' rows, as `_crf.c` reads them
MARK_LOWER, MARK_MIDCAP = 1, 2  # a word's document flags, as bits for `_crf.c`


# A token is its match in the passage: the word by `.group()`, offsets by `.start()` and
# `.end()`; no object of our own is built per token.
Token: TypeAlias = re.Match[str]


@dataclass(frozen=True, slots=True)
class Mention:
    """One name as the model found it: type (PER/ORG/LOC/MISC), surface text, offsets."""

    label: str
    text: str
    start: int
    end: int


def token_pattern(language: str) -> re.Pattern[str]:
    if language in _POSSESSIVE_SPLIT:
        return _TOKEN_EN
    return _TOKEN_ELISION if language in _ELISION_SPLIT else _TOKEN


def tokens(text: str, language: str) -> list[str]:
    return token_pattern(language).findall(text)  # the patterns capture no group


def sentences(text: str, language: str) -> Iterator[tuple[list[Token], list[str]]]:
    """Sentences of one passage, their tokens and words: never across a line break; lines
    without a lower-case letter (capitals headlines, tables of codes) are left out."""
    pattern = token_pattern(language)
    for line in _LINE.finditer(text):
        if line.group().upper() == line.group():
            continue
        # Matched within the line's bounds of the whole text, so offsets need no shift (the
        # patterns look ahead only, and a line ends at a line break or the text's end).
        tokens = list(pattern.finditer(text, line.start(), line.end()))
        words = list(map(re.Match.group, tokens))
        start = 0
        for end in [place for place, word in enumerate(words, 1) if word in SENTENCE_END]:
            yield tokens[start:end], words[start:end]
            start = end
        if start < len(words):
            yield tokens[start:], words[start:]


def capitalised(word: str) -> bool:
    return word[:1].isupper()


def shape(word: str) -> str:
    """Xx, XX, x, d and punctuation, runs compressed: "McDonald" -> "XxXx", "G20" -> "Xd"."""
    out: list[str] = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.isalpha() else "d" if char.isdigit() else char
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


class Lexicons:
    """Gazetteer flags of one word, from the enricher's own tables."""

    def __init__(
        self,
        given_names: Iterable[str],
        role_cues: Iterable[str],
        organisation_words: Iterable[str],
        particles: Iterable[str],
        is_country_word: Callable[[str], bool],
        is_place: Callable[[str], bool],
    ) -> None:
        self.given_names = frozenset(map(fold, given_names))
        self.role_cues = frozenset(map(fold, role_cues))
        self.organisation_words = frozenset(map(fold, organisation_words))
        self.particles = frozenset(particles)
        self.is_country_word = is_country_word
        self.is_place = is_place

    def flags(self, word: str, folded: str) -> list[str]:
        flags = []
        if folded in self.given_names:
            flags.append("g:given")
        if folded in self.role_cues:
            flags.append("g:role")
        if folded in self.organisation_words:
            flags.append("g:org")
        if word in self.particles:
            flags.append("g:particle")
        if word[:1].isupper():
            if self.is_country_word(folded):
                flags.append("g:country")
            if self.is_place(folded):
                flags.append("g:place")
        return flags


@cache
def lexicons() -> Lexicons:
    table = data_table("entities.json")
    places = gazetteer()
    return Lexicons(
        given_names=table["given_names"],
        role_cues=table["role_cues"],
        organisation_words=table["organisation_suffixes"],
        particles=table["particles"],
        is_country_word=country_lexicon().is_country_word,
        is_place=lambda folded: bool(places.candidates(folded)),
    )


class Features:
    """CRFsuite attributes of each token, defined once for training (attribute strings) and
    tagging (their summed weights): a word's own attributes, its attributes as a neighbour
    at each offset of the window, and the few that depend on its place in the sentence and
    the document."""

    def __init__(self, lexicons: Lexicons, clusters: Mapping[str, int] | None = None) -> None:
        self._lexicons = lexicons
        self._clusters = clusters or {}
        self._own = lru_cache(maxsize=1 << 17)(self.own)
        self._neighbour = lru_cache(maxsize=1 << 17)(self.neighbour)

    def own(self, word: str) -> tuple[str, ...]:
        lower = word.lower()
        folded = fold(word)
        word_shape = shape(word)
        attributes = [
            "w=" + lower,
            "s=" + word_shape,
            "ls=" + ("long" if len(word) > 12 else str(len(word)) if len(word) < 4 else "mid"),
            *(f"p{n}={lower[:n]}" for n in (1, 2, 3, 4) if len(lower) >= n),
            *(f"x{n}={lower[-n:]}" for n in (1, 2, 3, 4) if len(lower) > n),
            *self._lexicons.flags(word, folded),
        ]
        if word.istitle():
            attributes.append("title")
        elif word.isupper() and len(word) > 1:
            attributes.append("upper")
        if any(char.isdigit() for char in word):
            attributes.append("digit")
        if "-" in word:
            attributes.append("hyphen")
        if self._clusters:
            if path := self.cluster(word):
                attributes.extend(f"c{n}={path & ((1 << n) - 1)}" for n in CLUSTER_PREFIXES)
            else:
                attributes.append("c=none")
        return tuple(attributes)

    def neighbour(self, word: str, offset: int) -> tuple[str, ...]:
        lower = word.lower()
        attributes = [f"{offset}w={lower}", f"{offset}s={shape(word)}"]
        if offset in (-1, 1):
            attributes.append(f"{offset}x3={lower[-3:]}")
            if self._clusters:
                path = self.cluster(word)
                attributes.extend((f"{offset}c6={path & 63}", f"{offset}c20={path}"))
        return tuple(attributes)

    def cluster(self, word: str) -> int:
        """The word's Brown cluster as written, else capitalised or lower-cased (headlines
        in capitals); 0 for a word the clusters do not know."""
        clusters = self._clusters
        return clusters.get(word) or clusters.get(word.title()) or clusters.get(word.lower(), 0)

    @staticmethod
    def bigrams(lowered: Sequence[str]) -> list[str]:
        """Each pair of neighbours: "b-1=" of the second word, "b+1=" of the first."""
        return list(map("|".join, pairwise(lowered)))  # map: no Python frame per pair

    @staticmethod
    def marks(
        lowered: Sequence[str],
        capitals: Iterable[int],
        lower: Collection[str],
        midcap: Collection[str],
    ) -> bytearray:
        """Each word's document flags as bits (MARK_LOWER, MARK_MIDCAP): only a capitalised
        word has them, when its lower-case form is among the document flags' words."""
        marks = bytearray(len(lowered))
        for place in capitals:
            word = lowered[place]
            marks[place] = MARK_LOWER * (word in lower) | MARK_MIDCAP * (word in midcap)
        return marks

    def context(
        self, words: Sequence[str], lower_in_doc: frozenset[str], midcap_in_doc: frozenset[str]
    ) -> list[list[str]]:
        """Attributes of each word that depend on more than the word: sentence start and
        end, the bigrams with its neighbours, the item's document flags."""
        contexts = []
        last = len(words) - 1
        lowered = [word.lower() for word in words]
        bigrams = self.bigrams(lowered)
        capitals = [i for i, word in enumerate(words) if capitalised(word)]
        marks = self.marks(lowered, capitals, lower_in_doc, midcap_in_doc)
        for i in range(len(words)):
            attributes = []
            if i == 0:
                attributes.append(BOS)
            if i == last:
                attributes.append(EOS)
            if i > 0:
                attributes.append(BEFORE + bigrams[i - 1])
            if i < last:
                attributes.append(AFTER + bigrams[i])
            if marks[i] & MARK_LOWER:
                attributes.append(DOC_LOWER)
            if marks[i] & MARK_MIDCAP:
                attributes.append(DOC_MIDCAP)
            contexts.append(attributes)
        return contexts

    def sentence(
        self, words: Sequence[str], lower_in_doc: frozenset[str], midcap_in_doc: frozenset[str]
    ) -> list[list[str]]:
        """Attributes of each word of one sentence; the sets are the item's document flags."""
        last = len(words) - 1
        return [
            [
                *self._own(word),
                *(
                    attribute
                    for offset in WINDOW
                    if 0 <= i + offset <= last
                    for attribute in self._neighbour(words[i + offset], offset)
                ),
                *context,
            ]
            for i, (word, context) in enumerate(
                zip(words, self.context(words, lower_in_doc, midcap_in_doc), strict=True)
            )
        ]


_HEADER = struct.Struct("<4sI4s9I")  # CRFsuite's crf1d model file header
_FEATURE = struct.Struct("<IIId")  # type (0 state, 1 transition), source, destination, weight
# A CQDB chunk (the model's label and attribute names): id, size, flags, byte order, then
# the count and offset of its backward array, which holds each id's record offset; a
# record is its id, the name's size with its NUL, and the name. Offsets are the chunk's.
_CQDB = struct.Struct("<4sIIIII")
_CQDB_RECORD = struct.Struct("<II")
_TYPES = 1 << 15  # word types whose summed weights are kept (~12 MB); then start over


@dataclass(frozen=True, slots=True)
class Weights:
    """A CRFsuite model's parameters: label names by id, each attribute's weight per label
    (a row of `state`), and the label-to-label transition weights."""

    labels: tuple[str, ...]
    attributes: dict[str, int]
    state: np.ndarray
    transitions: np.ndarray


def read_weights(path: Path) -> Weights:
    """The exact weights from the model file (the tagger's dump rounds them to six
    decimals, which would change labels), and the names of labels and attributes by id.
    Read from the file's own tables: the tagger's dump, parsed line by line, took ~0.4 s
    a model at every start of a service."""
    data = path.read_bytes()
    magic, _, kind, _, _, num_labels, num_attributes, features, *names = _HEADER.unpack_from(data)
    if magic != b"lCRF" or kind != b"FOMC" or data[features : features + 4] != b"FEAT":
        raise ValueError(f"{path}: not a CRFsuite linear-chain model")
    labels, attributes = (_names(data, offset, path) for offset in names[:2])
    if len(labels) != num_labels or len(attributes) != num_attributes:
        raise ValueError(f"{path}: its name tables disagree with its header")
    state = np.zeros((num_attributes, num_labels))
    transitions = np.zeros((num_labels, num_labels))
    (count,) = struct.unpack_from("<I", data, features + 8)
    for kind_id, source, destination, weight in _FEATURE.iter_unpack(
        data[features + 12 : features + 12 + count * _FEATURE.size]
    ):
        (transitions if kind_id else state)[source, destination] = weight
    return Weights(
        tuple(labels), {name: i for i, name in enumerate(attributes)}, state, transitions
    )


def _names(data: bytes, chunk: int, path: Path) -> list[str]:
    """The names of a CQDB chunk at `chunk`, by id."""
    magic, _, _, _, count, backward = _CQDB.unpack_from(data, chunk)
    if magic != b"CQDB":
        raise ValueError(f"{path}: no name table at {chunk}")
    names = []
    for expected, offset in enumerate(struct.unpack_from(f"<{count}I", data, chunk + backward)):
        start = chunk + offset
        name_id, size = _CQDB_RECORD.unpack_from(data, start)
        if name_id != expected:
            raise ValueError(f"{path}: name table out of order at id {expected}")
        start += _CQDB_RECORD.size
        names.append(data[start : start + size - 1].decode())
    return names


class Decoder:
    """Labels of sentences by one model, as CRFsuite's tagger gives them, for a fraction
    of its cost: a word type's summed weights (its own attributes, and its attributes as a
    neighbour at each offset) are computed once, so a token costs a lookup plus its few
    context attributes; the scores and best paths of a document's sentences are worked
    out in C (`_crf.c`)."""

    def __init__(self, weights: Weights, features: Features) -> None:
        self.labels = weights.labels
        self._weights = weights
        self._features = features
        self._into = np.ascontiguousarray(weights.transitions.T)
        # The model's weights with a last, all-zero row for attributes it does not know.
        state = np.vstack([weights.state, np.zeros((1, len(weights.labels)))])
        unknown = len(weights.state)
        known = weights.attributes
        self._context = state[[known.get(name, unknown) for name in CONTEXT]]
        # The bigrams the model knows (a few thousand): most words' pairs are none of them.
        # Id 0 is the unknown pair; its weights, like an id's missing side, are zero. (One
        # slice strips either prefix: "b-1=" and "b+1=" are as long.)
        found = sorted({name[len(BEFORE) :] for name in known if name.startswith((BEFORE, AFTER))})
        # Keyed by the two words, so a document's pairs are looked up as `zip` makes them,
        # with no "a|b" string built and hashed per word. A pair's name splits at one of its
        # "|" (a word may be "|" itself); only the split into its own two words ever meets
        # a document's pair.
        self._bigrams = {
            (pair[:at], pair[at + 1 :]): i
            for i, pair in enumerate(found, 1)
            for at in range(1, len(pair) - 1)
            if pair[at] == "|"
        }
        rows = np.array(
            [
                (unknown, unknown),
                *(
                    (known.get(BEFORE + pair, unknown), known.get(AFTER + pair, unknown))
                    for pair in found
                ),
            ],
            np.intp,
        )
        self._pairs = state[rows]  # [bigram id, as b-1 / as b+1, label]
        self._types: dict[str, int] = {}
        # Row of a word type: its own weights, then as a neighbour at each WINDOW offset.
        self._scores = np.zeros((1024, 1 + len(WINDOW), len(weights.labels)))
        # Of each row's word: capitalised, written in lower case, and lower-cased (per word,
        # `str.lower`'s new string and the document flags' loop cost as much as the rest
        # of a word's lookups).
        self._capital = [False]
        self._lower = [False]
        self._lowered = [""]

    def _type_ids(self, words: Sequence[str]) -> list[int]:
        """Row of each word's summed weights; row 0 (all zero) stands for no word."""
        ids = list(map(self._types.get, words, repeat(0)))  # map: no Python frame per word
        if 0 not in ids:
            return ids
        new = {word for word in words if word not in self._types}
        if len(self._types) + len(new) > max(_TYPES, len(new)):
            self._types.clear()
            del self._capital[1:], self._lower[1:], self._lowered[1:]
            new = set(words)
        needed = 1 + len(self._types) + len(new)
        if needed > len(self._scores):
            grown = np.zeros((max(needed, 2 * len(self._scores)), *self._scores.shape[1:]))
            grown[: len(self._scores)] = self._scores
            self._scores = grown
        # Each new type's rows: the weights of its own attributes, then of its attributes as
        # the neighbour at each offset, summed in C (numpy's per-call cost was most of it).
        known, features, slots = self._weights.attributes, self._features, 1 + len(WINDOW)
        first, new_types = 1 + len(self._types), list(new)
        targets: list[int] = []
        groups: list[list[int]] = []
        for row, word in enumerate(new_types, first):
            attributes = (features.own(word), *(features.neighbour(word, o) for o in WINDOW))
            for slot, names in enumerate(attributes):
                targets.append(row * slots + slot)
                groups.append([i for name in names if (i := known.get(name)) is not None])
        sum_rows(self._scores, self._weights.state, len(self.labels), targets, groups)
        for row, word in enumerate(new_types, first):
            self._types[word] = row
            self._capital.append(capitalised(word))
            self._lower.append(word.islower())
            self._lowered.append(word.lower())
        return [self._types[word] for word in words]

    def tag(self, document: Sequence[Sequence[str]]) -> list[list[str]]:
        """Label of each word, the best path of each sentence: CRFsuite's labels, its sums
        in its order and its ties to the lower label id (`_crf.c`)."""
        ids = self._type_ids(list(chain.from_iterable(document)))
        lowered = list(map(self._lowered.__getitem__, ids))
        # zip, not pairwise: zip hands the same pair tuple back once `get` lets it go.
        pairs = zip(lowered, lowered[1:], strict=False)  # noqa: RUF007
        following = list(map(self._bigrams.get, pairs, repeat(0)))
        lengths = [len(sentence) for sentence in document]
        return label_paths(
            self._scores,
            self._pairs,
            self._context,
            self._into,
            ids,
            following,
            self._marks(ids, lowered, lengths),
            lengths,
            self.labels,
        )

    def _marks(self, ids: Sequence[int], lowered: Sequence[str], lengths: list[int]) -> bytearray:
        """Each word's document flags as bits, as `document_flags` and `Features.context`
        define them, read from the word types' case: only a capitalised word has them."""
        capitals = list(compress(count(), map(self._capital.__getitem__, ids)))
        lower = set(compress(lowered, map(self._lower.__getitem__, ids)))
        starts = set(accumulate(lengths, initial=0))
        midcap = {lowered[place] for place in capitals if place not in starts}
        return self._features.marks(lowered, capitals, lower, midcap)


def document_flags(sentences: Sequence[Sequence[str]]) -> tuple[frozenset[str], frozenset[str]]:
    """Words of the document written in lower case, and written capitalised not at a
    sentence start (keys are lower-cased)."""
    lower: set[str] = set()
    midcap: set[str] = set()
    for words in sentences:
        for i, word in enumerate(words):
            if word.islower():
                lower.add(word)
            elif i and word[:1].isupper():
                midcap.add(word.lower())
    return frozenset(lower), frozenset(midcap)


# Marks that are never part of a name, though a model may take them in: Reuters writes
# companies as "<Versatile Corp>" and tickers as "<BCOM.L>" (after the name they follow).
_NOT_IN_NAMES = frozenset("<>[]{}|")


def mentions_in(labels: Sequence[str], sentence: Sequence[Token], text: str) -> list[Mention]:
    """Mentions of one sentence from its BIO labels, with offsets into `text`: a span starts
    after the marks that are never part of a name and ends before the next one."""
    found = []
    for start, end, kind in label_spans(labels):
        while start < end and sentence[start].group() in _NOT_IN_NAMES:
            start += 1
        for i in range(start + 1, end):  # a loop, not a generator: most names are one word
            if sentence[i].group() in _NOT_IN_NAMES:
                end = i
                break
        if start < end:
            first, last = sentence[start].start(), sentence[end - 1].end()
            found.append(Mention(kind, text[first:last], first, last))
    return found


class Recogniser:
    """Names in text, by the CRF model of its language; `languages` lists those shipped."""

    def __init__(self, models: dict[str, Path], features: Mapping[str, Features]) -> None:
        self.languages = frozenset(models)
        self.models = dict(models)
        self.features = dict(features)
        self._decoders = {
            language: Decoder(read_weights(path), self.features[language])
            for language, path in models.items()
        }
        self._taggers: dict[str, pycrfsuite.Tagger] = {}

    def mentions(self, language: str, passages: Sequence[str]) -> list[list[Mention]]:
        """Mentions in each passage (e.g. headline and body) of one document, by offset."""
        split = [list(sentences(passage, language)) for passage in passages]
        words = [sentence_words for each in split for _, sentence_words in each]
        labels = iter(self.tag_words(language, words))
        return [
            [
                mention
                for tokens, _ in passage_sentences
                for mention in mentions_in(next(labels), tokens, passage)
            ]
            for passage, passage_sentences in zip(passages, split, strict=True)
        ]

    def tag_words(self, language: str, document: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO labels of the tokenized sentences of one document."""
        return propagate(document, self.model_labels(language, document))

    def model_labels(self, language: str, document: Sequence[Sequence[str]]) -> list[list[str]]:
        """The model's own labels of each sentence, before one-name-one-type."""
        return self._decoders[language].tag(document)

    def crfsuite_labels(self, language: str, document: Sequence[Sequence[str]]) -> list[list[str]]:
        """The same labels by CRFsuite's own tagger: the reference the decoder is checked
        and timed against."""
        if language not in self._taggers:
            self._taggers[language] = pycrfsuite.Tagger()
            self._taggers[language].open(str(self.models[language]))
        tagger = self._taggers[language]
        flags = document_flags(document)
        features = self.features[language]
        return [tagger.tag(features.sentence(words, *flags)) for words in document]


def propagate(document: Sequence[Sequence[str]], labels: list[list[str]]) -> list[list[str]]:
    """One name, one type per document: a capitalised word run the model tagged elsewhere
    in the document (always with the same type), or the surname of a person it tagged, is
    tagged where the model left it out ("Joe Biden ... Daarna sprak Biden")."""
    known = known_names(document, labels)
    if not known:
        return labels
    longest = max(map(len, known))
    # Only a known name's first word can start one: most sentences have none, and the
    # places of the others are few. A place inside a run just tagged is no longer "O".
    firsts = {name[0] for name in known}
    for words, sentence_labels in zip(document, labels, strict=True):
        if firsts.isdisjoint(words):
            continue
        for i in [i for i, word in enumerate(words) if word in firsts]:
            if run := known_run_at(words, sentence_labels, i, known, longest):
                kind, length = run
                sentence_labels[i : i + length] = [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)
    return labels


def known_run_at(
    words: Sequence[str],
    sentence_labels: Sequence[str],
    i: int,
    known: Mapping[tuple[str, ...], str],
    longest: int,
) -> tuple[str, int] | None:
    """The longest known name (type, length) that starts at place `i` of a sentence, if the
    model left that capitalised word untagged and the name would not run into a name that
    goes on after it (what follows is untagged, a "B-", or the sentence's end)."""
    if sentence_labels[i] != "O" or not words[i][:1].isupper():
        return None
    for length in range(min(longest, len(words) - i), 0, -1):
        kind = known.get(tuple(words[i : i + length]))
        after = i + length
        if kind and (
            after == len(words)
            or sentence_labels[after] == "O"
            or sentence_labels[after].startswith("B-")
        ):
            return kind, length
    return None


def known_names(
    document: Sequence[Sequence[str]], labels: list[list[str]]
) -> dict[tuple[str, ...], str]:
    """The word runs the model tagged in the document, each with its one type (a run it
    gave two types is left out), and the surname of each person it tagged as PER. A
    surname it tagged alone is made "B-PER" in `labels`: "Biden" alone is no MISC beside
    "Joe Biden"."""
    spans = [label_spans(sentence_labels) for sentence_labels in labels]
    surnames = {
        words[end - 1]
        for words, found in zip(document, spans, strict=True)
        for start, end, kind in found
        if kind == "PER" and end - start > 1 and words[end - 1].istitle()
    }
    types: dict[tuple[str, ...], set[str]] = {}
    for words, sentence_labels, found in zip(document, labels, spans, strict=True):
        for start, end, kind in found:
            if end - start == 1 and words[start] in surnames:
                sentence_labels[start] = "B-PER"
            else:
                types.setdefault(tuple(words[start:end]), set()).add(kind)
    known = {name: kinds.pop() for name, kinds in types.items() if len(kinds) == 1}
    known.update(((surname,), "PER") for surname in surnames)
    return known


def model_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath(MODELS)))


def clusters_path(directory: Path, language: str) -> Path:
    return directory / f"clusters-{language}.tsv.gz"


def read_clusters(path: Path) -> dict[str, int]:
    """Word -> Brown cluster path as an integer whose lowest bit is the path's first (so a
    prefix of n bits is the value masked to n bits): `word<TAB>integer` lines."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return {word: int(bits) for word, bits in (line.rstrip("\n").split("\t") for line in lines)}


def language_features(language: str, directory: Path) -> Features:
    """The features of one language's model: with its word clusters where the model
    directory has them (written by `make train-ner` beside the model)."""
    path = clusters_path(directory, language)
    return Features(lexicons(), read_clusters(path) if path.exists() else None)


@cache
def recogniser() -> Recogniser:
    """The shipped models, loaded once per process."""
    directory = model_dir()
    models = {
        path.stem.removeprefix("ner-"): path for path in sorted(directory.glob("ner-*.crfsuite"))
    }
    return Recogniser(
        models, {language: language_features(language, directory) for language in models}
    )
