"""Train and score the name recogniser's CRF models (`make train-ner`).

    python -m wirestream.enricher.entities_training [--languages nl en es] [--score-only]

Reads the CoNLL shared-task files from the data directory ($WIRESTREAM_NER_DATA, default
~/.cache/wirestream/ner-data), downloading each missing file from its pinned public copy
and checking its SHA-256. Trains on `train` only (never on `testa`/`testb`), writes
`models/ner-<lang>.crfsuite` into the package, and scores each model on its `testb` split:
conlleval mention-level F1 (exact type and span) and per-document name-set F1 for people
and organisations. Scores are printed as JSON and written to `models/scores.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from wirestream.enricher.entities_model import (
    Features,
    Recogniser,
    document_flags,
    label_spans,
    lexicons,
    model_dir,
)

_TEROPA = "https://raw.githubusercontent.com/teropa/nlp/f89bc5a15b516208de1cfe2abe9692b7ed9a43e2/resources/corpora/conll2002/"
_HSCRF = "https://raw.githubusercontent.com/ZhixiuYe/HSCRF-pytorch/86bb64890317b74517c5ad44b47c66635df327d8/data/"


@dataclass(frozen=True, slots=True)
class Source:
    """One shared-task file: where a public copy lives and its SHA-256."""

    url: str
    sha256: str


SOURCES: dict[str, Source] = {
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
}
# Language -> (training file, development file, test file); development and test files are
# only ever scored (settings are compared on the development file, reported on the test).
CORPORA: dict[str, tuple[str, str, str]] = {
    "nl": ("conll2002.ned.train", "conll2002.ned.testa", "conll2002.ned.testb"),
    "en": ("conll2003.eng.train", "conll2003.eng.testa", "conll2003.eng.testb"),
    "es": ("conll2002.esp.train", "conll2002.esp.testa", "conll2002.esp.testb"),
}
# L1 keeps the model small (most feature weights go to zero); L2 smooths the rest.
TRAINING = {
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 200,
    "feature.possible_transitions": True,
}

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


def read_conll(path: Path) -> list[Document]:
    """Documents (split at -DOCSTART-; a file without them: one document per sentence) of
    sentences, words and IOB2 labels (the last column)."""
    documents: list[Document] = []
    document: Document = []
    words: list[str] = []
    labels: list[str] = []
    has_docstart = "-DOCSTART-" in path.read_text("utf-8")[:200]

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

    for line in path.read_text("utf-8").splitlines():
        columns = line.split()
        if not columns:
            end_sentence()
        elif columns[0] == "-DOCSTART-":
            end_sentence()
            end_document()
        else:
            words.append(columns[0])
            labels.append(columns[-1])
    end_sentence()
    end_document()
    return documents


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
    parser.add_argument("--languages", nargs="+", default=list(CORPORA), choices=list(CORPORA))
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
    settings = {**TRAINING, **dict(setting.split("=", 1) for setting in args.set)}
    features = Features(lexicons())
    results: dict[str, dict] = {}
    scores_path = args.models / "scores.json"
    if scores_path.exists():
        results = json.loads(scores_path.read_text("utf-8"))
    for language in args.languages:
        train_name, dev_name, test_name = CORPORA[language]
        test_name = dev_name if args.dev else test_name
        model = args.models / f"ner-{language}.crfsuite"
        if not args.score_only:
            documents = read_conll(corpus_file(train_name, args.data))
            started = time.process_time()
            train(documents, features, model, settings)
            print(
                f"{language}: trained on {train_name} "
                f"({sum(len(w) for w, _ in sentences_of(documents))} words) "
                f"in {time.process_time() - started:.0f} s CPU, {model.stat().st_size} bytes",
                file=sys.stderr,
            )
        recogniser = Recogniser({language: model}, features)
        results[language] = {
            "train": train_name,
            "test": test_name,
            "model_bytes": model.stat().st_size,
            "settings": settings,
            **evaluate(recogniser, language, read_conll(corpus_file(test_name, args.data))),
        }
        print(json.dumps({language: results[language]}, indent=1))
    if not args.dev:  # the shipped scores are on the test splits
        scores_path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
