"""The recogniser's training script: CoNLL reading, IOB1 -> IOB2, and conlleval scoring."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wirestream.enricher.entities_training import (
    HELD_OUT,
    READERS,
    SOURCES,
    Corpus,
    Source,
    chunks,
    iob2,
    read_conll,
    read_documents,
    read_germeval,
    read_sequoia,
    read_uner,
    score,
    splits,
)

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


def test_a_file_whose_first_document_start_was_dropped_still_reads_documents(tmp_path: Path):
    # The public English copies begin with the first sentence, not -DOCSTART-.
    path = tmp_path / "eng.sample"
    path.write_text(CONLL_2003_STYLE.split("\n", 2)[2], "utf-8")
    assert [len(document) for document in read_conll(path)] == [2, 1]


def test_a_file_without_document_starts_has_one_document_per_sentence(tmp_path: Path):
    path = tmp_path / "esp.sample"
    path.write_text("Madrid B-LOC\n, O\n\nEFE B-ORG\n", "utf-8")
    assert [len(document) for document in read_conll(path)] == [1, 1]


GERMEVAL_STYLE = (  # GermEval 2014's TSV: a source line, then index, word, outer, embedded
    "#\thttp://de.wikipedia.org/wiki/Manfred_Korfmann\t[2009-10-17]\n"
    "1\tFC\tB-ORG\tO\n2\tKickers\tI-ORG\tO\n3\tDarmstadt\tI-ORG\tB-LOC\n"
    "4\tund\tO\tO\n5\tdie\tO\tO\n6\tisraelische\tB-LOCderiv\tO\n"
    "7\tTroia-Ausstellung\tB-LOCpart\tO\n8\t„\tO\tO\n9\tTroia\tB-OTH\tB-LOC\n"
    "10\tTraum\tI-OTH\tO\n\n"
    "#\thttp://www.heise.de/tp/r4/artikel/32/32883/1.html\t[2010-07-04]\n"
    "1\tMerkel\tB-PER\tO\n\n"
)


def test_germeval_files_read_outer_names_one_document_per_sentence(tmp_path: Path):
    path = tmp_path / "NER-de-dev.tsv"
    path.write_text(GERMEVAL_STYLE, "utf-8")
    documents = read_germeval(path)
    assert [len(document) for document in documents] == [1, 1]
    words, labels = documents[0][0]
    assert words[:3] == ["FC", "Kickers", "Darmstadt"]
    # Outer spans only; OTH is MISC; derived and partial names are no names, as in CoNLL.
    assert labels == ["B-ORG", "I-ORG", "I-ORG", "O", "O", "O", "O", "O", "B-MISC", "I-MISC"]
    assert documents[1] == [(["Merkel"], ["B-PER"])]


UNER_STYLE = (  # Universal NER's IOB2: the treebank's words, contractions split ("de o")
    "# global.columns = ID FORM NER MISC ANNOTATOR\n"
    "# newdoc id = batch-0000\n# sent_id = batch-0000-0001\n# text = PT em o governo\n"
    "1\tPT\tB-ORG\t-\tborje\n2\tem\tO\t-\t-\n3\to\tO\t-\t-\n4\tgoverno\tO\t-\t-\n\n"
    "# sent_id = batch-0000-0002\n"
    "1\tEm\tO\t-\t-\n2\ta\tO\t-\t-\n3\tvisita\tO\t-\t-\n4\tde\tO\t-\t-\n"
    "5\ta\tB-ORG\t-\tborje\n6\tFolha\tI-ORG\t-\tborje\n7\ta\tO\t-\t-\n"
    "8\ta\tO\t-\t-\n9\tLula\tB-PER\t-\tborje\n\n"
    "# newdoc id = batch-0001\n# sent_id = batch-0001-0001\n"
    "1\tde\tO\t-\t-\n2\tum\tO\t-\t-\n3\tLisboa\tB-LOC\t-\t-\n\n"
)


def test_uner_files_read_as_documents_with_the_copys_contractions(tmp_path: Path):
    path = tmp_path / "pt_bosque-ud-dev.iob2"
    path.write_text(UNER_STYLE, "utf-8")
    documents = read_uner(path)
    assert [len(document) for document in documents] == [2, 1]
    assert documents[0][0] == (["PT", "no", "governo"], ["B-ORG", "O", "O"])
    # "de a Folha": the contraction "da" is no part of the name, which starts after it.
    assert documents[0][1] == (
        ["Na", "visita", "da", "Folha", "à", "Lula"],
        ["O", "O", "O", "B-ORG", "O", "B-PER"],
    )
    # "de um" is written either way: left as the treebank has it.
    assert documents[1] == [(["de", "um", "Lisboa"], ["O", "O", "B-LOC"])]


def sequoia_row(number: str, form: str, parseme: str) -> str:
    return "\t".join([number, form, *"_" * 8, parseme, "*"]) + "\n"


SEQUOIA_STYLE = (  # CoNLL-U with PARSEME-FR's expressions and names in the 11th column
    "# sent_id = annodis.er_00004\n"
    + sequoia_row("1", "Cora", "1:PROPN|NE-ORG.prim|_;2:PROPN|NE-LOC.final|_")
    + sequoia_row("2-3", "du", "*")
    + sequoia_row("2", "de", "*")
    + sequoia_row("3", "le", "*")
    + sequoia_row("4", "Tour", "3:PROPN|NE-EVE.final|_")
    + sequoia_row("5", "de", "3")
    + sequoia_row("6", "France", "3;4:PROPN|NE-LOC.final|_")
    + sequoia_row("7", "Jeanine", "5:PROPN|NE-PERS.final|_")
    + sequoia_row("8", "et", "*")
    + sequoia_row("9", "Schaer", "5")
    + "\n# sent_id = Europar.550_00001\n"
    + sequoia_row("1", "Strasbourg", "1:PROPN|NE-LOC.final|_")
    + "\n"
)


def test_sequoia_files_read_names_by_what_they_are_with_the_copys_words(tmp_path: Path):
    path = tmp_path / "sequoia-ud.parseme.frsemcor.dev"
    path.write_text(SEQUOIA_STYLE, "utf-8")
    documents = read_sequoia(path)
    assert [len(document) for document in documents] == [1, 1]  # one per source
    words, labels = documents[0][0]
    # "du" as written; Cora by what it is (ORG) rather than how it is used; the longer name
    # wins over the one inside it; an event is MISC; a name with a gap is left out.
    assert words == ["Cora", "du", "Tour", "de", "France", "Jeanine", "et", "Schaer"]
    assert labels == ["B-ORG", "O", "B-MISC", "I-MISC", "I-MISC", "O", "O", "O"]
    assert documents[1] == [(["Strasbourg"], ["B-LOC"])]


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


# Europeana Newspapers style: one token per line, punctuation glued to words, no blank lines.
TOKEN_STREAM = """De O
Minister O
van O
Oorlog O
te O
Amsterdam, B-LOC
Jan B-PER
van I-PER
Speijk. I-PER
Hij O
reisde O
naar O
Den B-LOC
Haag. I-LOC
"""


def test_a_token_stream_is_retokenized_and_split_into_sentences_never_inside_a_name(
    tmp_path: Path,
):
    path = tmp_path / "enp_NL.sample.bio"
    path.write_text(TOKEN_STREAM, "utf-8")
    [document] = read_conll(path)
    assert [words for words, _ in document] == [
        ["De", "Minister", "van", "Oorlog", "te", "Amsterdam", ",", "Jan", "van", "Speijk", "."],
        ["Hij", "reisde", "naar", "Den", "Haag", "."],
    ]
    assert document[0][1][5:] == ["B-LOC", "O", "B-PER", "I-PER", "I-PER", "O"]
    assert document[1][1][3:] == ["B-LOC", "I-LOC", "O"]


def test_labels_outside_the_four_types_are_read_as_outside(tmp_path: Path):
    path = tmp_path / "btc.sample"
    path.write_text("Obama B-PER\nfoo B-DATE\nbar I-DATE\n", "utf-8")
    [[(_, labels)]] = read_conll(path)
    assert labels == ["B-PER", "O", "O"]


def test_a_corpus_without_test_files_holds_out_every_tenth_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    lines = "".join(f"-DOCSTART- O\n\nword{n} O\n\n" for n in range(HELD_OUT * 3))
    (tmp_path / "docs.conll").write_text(lines, "utf-8")
    digest = hashlib.sha256(lines.encode()).hexdigest()
    monkeypatch.setitem(SOURCES, "docs.conll", Source("https://example.invalid/docs", digest))
    data = splits(Corpus(("docs.conll",)), tmp_path)
    assert (len(data.train), len(data.dev), len(data.test)) == (24, 3, 3)
    words = {
        name: {doc[0][0][0] for doc in getattr(data, name)} for name in ("train", "dev", "test")
    }
    assert words["test"] == {"word9", "word19", "word29"}
    assert words["dev"] == {"word8", "word18", "word28"}
    assert not words["train"] & (words["dev"] | words["test"])


def test_every_corpus_file_names_a_reader_and_is_read_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    assert {source.format for source in SOURCES.values()} <= set(READERS)
    assert {SOURCES[name].format for name in SOURCES if name.startswith("germeval")} == {"germeval"}
    (tmp_path / "de.tsv").write_text(GERMEVAL_STYLE, "utf-8")
    digest = hashlib.sha256(GERMEVAL_STYLE.encode()).hexdigest()
    monkeypatch.setitem(SOURCES, "de.tsv", Source("https://example.invalid/de", digest, "germeval"))
    assert read_documents("de.tsv", tmp_path) == read_germeval(tmp_path / "de.tsv")
