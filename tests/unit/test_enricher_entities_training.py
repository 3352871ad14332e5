"""The recogniser's training script: CoNLL reading, IOB1 -> IOB2, and conlleval scoring."""

from __future__ import annotations

from pathlib import Path

from wirestream.enricher.entities_training import chunks, iob2, read_conll, score

CONLL_2003_STYLE = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
met VBD I-VP O
Blair NNP I-NP I-PER
Brown NNP I-NP B-PER

-DOCSTART- -X- O O

Ajax NNP I-NP I-ORG
won VBD I-VP O
"""


def test_conll_files_read_as_documents_of_iob2_sentences(tmp_path: Path):
    path = tmp_path / "eng.sample"
    path.write_text(CONLL_2003_STYLE, "utf-8")
    documents = read_conll(path)
    assert [len(document) for document in documents] == [2, 1]
    words, labels = documents[0][1]
    assert words == ["Peter", "Blackburn", "met", "Blair", "Brown"]
    assert labels == ["B-PER", "I-PER", "O", "B-PER", "B-PER"]


def test_a_file_without_document_starts_has_one_document_per_sentence(tmp_path: Path):
    path = tmp_path / "esp.sample"
    path.write_text("Madrid B-LOC\n, O\n\nEFE B-ORG\n", "utf-8")
    assert [len(document) for document in read_conll(path)] == [1, 1]


def test_iob1_continuation_after_another_type_starts_a_name():
    assert iob2(["I-PER", "I-PER", "I-ORG", "O", "I-LOC"]) == [
        "B-PER",
        "I-PER",
        "B-ORG",
        "O",
        "B-LOC",
    ]


def test_chunks_are_read_as_conlleval_reads_them():
    assert chunks(["B-PER", "I-PER", "B-PER", "I-ORG", "O", "I-LOC"]) == {
        (0, 2, "PER"),
        (2, 3, "PER"),
        (3, 4, "ORG"),
        (5, 6, "LOC"),
    }


def test_mentions_count_only_exact_spans_and_types_and_name_sets_per_document():
    words = ["Peter", "Blackburn", "met", "Blair", "at", "Ajax"]
    gold = ["B-PER", "I-PER", "O", "B-PER", "O", "B-ORG"]
    got = ["B-PER", "O", "O", "B-PER", "O", "B-LOC"]  # a short span and a wrong type
    result = score([[(words, gold)]], [[got]])
    assert result["mentions"]["ALL"] == {"precision": 0.3333, "recall": 0.3333, "f1": 0.3333}
    assert result["mentions"]["PER"]["precision"] == 0.5
    assert result["name_sets"]["PER"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert result["name_sets"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
