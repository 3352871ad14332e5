"""The name recogniser: cost per published item and per word on the generator corpus, and
accuracy on the test splits of the shipped models' data (never trained on: CoNLL-2002/2003,
GermEval 2014's development split for German, Universal NER's Bosque test split for
Portuguese).

`run(items)` is what `make bench` (part `ner`) calls with the corpus' published items. The
scores need those files in the data directory of `make train-ner`
($WIRESTREAM_NER_DATA, default ~/.cache/wirestream/ner-data); without them the scores are
reported as not available. Alone: `python -m bench --only ner --no-write [--quick]`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from wirestream.enricher.entities import NamedEntities
from wirestream.enricher.entities_model import Recogniser, recogniser, sentences
from wirestream.enricher.entities_training import SHIPPED, data_dir, evaluate, read_documents
from wirestream.enricher.text import ItemText

_REPEAT = 3  # best of: the machine is shared


def run(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cost": cost(items), "decoding": decoding(items), "test_splits": test_split_scores()}


def cost(items: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU time of the entities enricher on the items a model reads (texts tokenized
    beforehand, as the chain shares them), per item and per word, against the rules on the
    same items."""
    model = recogniser()
    read = [item for item in items if item.get("language") in model.languages]
    texts = [ItemText(item) for item in read]
    words = sum(len(text.raw_tokens) for text in texts)
    entities = NamedEntities()
    rules = [{**item, "language": "und"} for item in read]  # the rules' path, same text

    def best(batch: list[dict[str, Any]]) -> float:
        runs = []
        for _ in range(_REPEAT):
            started = time.process_time()
            for item, text in zip(batch, texts, strict=False):
                entities.enrich(item, text)
            runs.append(time.process_time() - started)
        return min(runs)

    best(read[:100])  # warm the word caches (zip stops at the batch)
    model_cpu, rules_cpu = best(read), best(rules)
    return {
        "items": len(read),
        "words": words,
        "items_per_cpu_s": round(len(read) / model_cpu) if model_cpu else None,
        "us_per_item": round(model_cpu / len(read) * 1e6) if read else None,
        "us_per_word": round(model_cpu / words * 1e6, 1) if words else None,
        "rules_items_per_cpu_s": round(len(read) / rules_cpu) if rules_cpu else None,
    }


Tagger = Callable[[str, Sequence[Sequence[str]]], list[list[str]]]


def decoding(items: list[dict[str, Any]], rounds: int = 5) -> dict[str, Any]:
    """The model's labelling alone, CRFsuite's own tagger (the attribute strings of each
    word) against the decoder of the summed weights, interleaved rounds on the same items'
    sentences; CPU µs per word (median of rounds) and labels that differ."""
    model = recogniser()
    documents = [  # as Recogniser.mentions splits an item: headline and body
        (
            item["language"],
            [
                words
                for passage in (text.headline, text.body)
                for _, words in sentences(passage, item["language"])
            ],
        )
        for item in items
        if item.get("language") in model.languages
        for text in [ItemText(item)]
    ]
    words = sum(len(s) for _, document in documents for s in document)
    paths: dict[str, Tagger] = {"crfsuite": model.crfsuite_labels, "decoder": model.model_labels}
    labels = {name: label_all(tag, documents) for name, tag in paths.items()}  # warms caches
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, tag in paths.items():
            started = time.process_time()
            label_all(tag, documents)
            seconds[name].append(time.process_time() - started)
    median = {name: sorted(runs)[len(runs) // 2] for name, runs in seconds.items()}
    return {
        "documents": len(documents),
        "words": words,
        **{f"{name}_us_per_word": round(median[name] / words * 1e6, 2) for name in paths},
        "speedup": round(median["crfsuite"] / median["decoder"], 2),
        "labels_differing": differing(labels["crfsuite"], labels["decoder"]),
    }


def label_all(tag: Tagger, documents: list[tuple[str, list[list[str]]]]) -> list[list[list[str]]]:
    return [tag(language, document) for language, document in documents]


def differing(expected: list[list[list[str]]], got: list[list[list[str]]]) -> int:
    return sum(
        want != have
        for document, other in zip(expected, got, strict=True)
        for sentence, other_sentence in zip(document, other, strict=True)
        for want, have in zip(sentence, other_sentence, strict=True)
    )


def agreement(model: Recogniser, language: str, documents: list[list[list[str]]]) -> int:
    """Labels of a CoNLL test split where the decoder and CRFsuite's tagger differ."""
    return differing(
        label_all(model.crfsuite_labels, [(language, d) for d in documents]),
        label_all(model.model_labels, [(language, d) for d in documents]),
    )


def test_split_scores() -> dict[str, Any]:
    """Mention-level and per-document name-set scores of each shipped model on its test
    split, and the words per CPU second of tagging it."""
    model = recogniser()
    scores: dict[str, Any] = {}
    for language in sorted(model.languages):
        path = data_dir() / SHIPPED[language].test[0]
        if not path.exists():
            scores[language] = {"missing": str(path)}
            continue
        documents = read_documents(path.name, path.parent)
        started = time.process_time()
        result = evaluate(model, language, documents)
        seconds = time.process_time() - started
        scores[language] = {
            "test": path.name,
            "mention_f1": result["mentions"]["ALL"]["f1"],
            "per_f1": result["mentions"]["PER"]["f1"],
            "org_f1": result["mentions"]["ORG"]["f1"],
            "loc_f1": result["mentions"]["LOC"]["f1"],
            "people_set_f1": result["name_sets"]["PER"]["f1"],
            "organisations_set_f1": result["name_sets"]["ORG"]["f1"],
            "words_per_cpu_s": round(result["words"] / seconds) if seconds else None,
            "labels_unlike_crfsuite": agreement(
                model, language, [[words for words, _ in d] for d in documents]
            ),
        }
    return scores
