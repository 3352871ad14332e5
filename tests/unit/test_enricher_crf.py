"""The recogniser's decoding in C (`enricher/_crf.c`) against the same sums and Viterbi
written out in Python here, and against every path of short sentences; its word types'
summed weights against numpy's sums; its reading of BIO labels into names against
conlleval's reading written out here. Weights are small
integers, so sums are exact and ties are common: a tie must go to the lower label id, as
CRFsuite's does. (Labels on real copy against CRFsuite's own tagger are in
test_enricher_entities.py.)"""

from __future__ import annotations

from itertools import pairwise, product

import numpy as np
import pytest

from wirestream.enricher._crf import label_paths, label_spans, sum_rows

LABELS = ("O", "B-PER", "I-PER")
OFFSETS = (-2, -1, 1, 2)  # neighbour slots 1..4 of a type's row


def model(rng: np.random.Generator, types: int = 6, bigrams: int = 4) -> dict[str, np.ndarray]:
    labels = len(LABELS)
    return {
        "table": rng.integers(-3, 4, (types, 5, labels)).astype(float),
        "pairs": rng.integers(-3, 4, (bigrams, 2, labels)).astype(float),
        "context": rng.integers(-3, 4, (4, labels)).astype(float),
        "into": rng.integers(-3, 4, (labels, labels)).astype(float),
    }


def emissions(m, ids, following, marks) -> list[list[float]]:
    """Each word's label scores: own weights, neighbours at -2 -1 +1 +2, sentence start and
    end, bigram before and after, document flags."""
    n = len(ids)
    scores = []
    for place in range(n):
        score = m["table"][ids[place], 0].copy()
        for slot, offset in enumerate(OFFSETS, 1):
            if 0 <= place + offset < n:
                score += m["table"][ids[place + offset], slot]
        score += m["context"][0] * (place == 0) + m["context"][1] * (place == n - 1)
        if place > 0:
            score += m["pairs"][following[place - 1], 0]
        if place < n - 1:
            score += m["pairs"][following[place], 1]
        score += m["context"][2] * bool(marks[place] & 1) + m["context"][3] * bool(marks[place] & 2)
        scores.append(score.tolist())
    return scores


def viterbi(scores: list[list[float]], into: np.ndarray) -> list[int]:
    """Textbook Viterbi, first maximum wins (the lower label id)."""
    labels = range(len(LABELS))
    alpha, back = list(scores[0]), []
    for score in scores[1:]:
        steps = [max(labels, key=lambda f, t=t: alpha[f] + into[t][f]) for t in labels]
        back.append(steps)
        alpha = [alpha[steps[t]] + into[t][steps[t]] + score[t] for t in labels]
    path = [max(labels, key=alpha.__getitem__)]
    for steps in reversed(back):
        path.append(steps[path[-1]])
    return path[::-1]


def path_score(scores: list[list[float]], into: np.ndarray, path: tuple[int, ...]) -> float:
    return sum(scores[i][label] for i, label in enumerate(path)) + sum(
        into[to][frm] for frm, to in pairwise(path)
    )


def document(rng: np.random.Generator, m) -> tuple[list[int], list[int], bytearray, list[int]]:
    lengths = rng.integers(0, 6, rng.integers(1, 5)).tolist()
    words = sum(lengths)
    ids = rng.integers(0, len(m["table"]), words).tolist()
    following = rng.integers(0, len(m["pairs"]), max(words - 1, 0)).tolist()
    marks = bytearray(rng.integers(0, 4, words).astype(np.uint8).tobytes())
    return ids, following, marks, lengths


def decode(m, ids, following, marks, lengths) -> list[list[str]]:
    return label_paths(
        m["table"], m["pairs"], m["context"], m["into"], ids, following, marks, lengths, LABELS
    )


@pytest.mark.parametrize("seed", range(40))
def test_each_sentence_gets_the_best_path_with_ties_to_the_lower_label(seed):
    rng = np.random.default_rng(seed)
    m = model(rng)
    for _ in range(10):
        ids, following, marks, lengths = document(rng, m)
        got = decode(m, ids, following, marks, lengths)
        assert [len(path) for path in got] == lengths
        start = 0
        for length, path in zip(lengths, got, strict=True):
            end = start + length
            # A bigram across a sentence's end is not the sentence's: it ends with no next word.
            scores = emissions(m, ids[start:end], following[start : end - 1], marks[start:end])
            start = end
            if not length:
                assert path == []
                continue
            expected = viterbi(scores, m["into"])
            assert path == [LABELS[i] for i in expected]
            best = max(path_score(scores, m["into"], p) for p in product(range(3), repeat=length))
            assert path_score(scores, m["into"], tuple(expected)) == best


def test_a_document_without_words_has_a_path_per_sentence():
    m = model(np.random.default_rng(0))
    assert decode(m, [], [], bytearray(), [0, 0]) == [[], []]
    assert decode(m, [], [], bytearray(), []) == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ids": [0, 6]}, r"ids: 6 is not in \[0, 6\)"),
        ({"ids": [0, -1]}, r"ids: -1 is not in \[0, 6\)"),
        ({"ids": [0]}, "ids: 1 values, expected 2"),
        ({"following": [4]}, r"following: 4 is not in \[0, 4\)"),
        ({"following": []}, "following: 0 values, expected 1"),
        ({"marks": bytearray(3)}, "marks: 3 bytes for 2 words"),
        ({"lengths": [1, -1]}, "lengths: a negative length"),
        ({"context": np.zeros((3, 3))}, "context: 72 bytes"),
        ({"into": np.zeros((3, 2))}, "into: 48 bytes"),
        ({"table": np.zeros((2, 5, 2))}, "table: 160 bytes"),
    ],
)
def test_input_that_does_not_fit_the_tables_is_refused(change, message):
    m = model(np.random.default_rng(1))
    args = {"ids": [0, 5], "following": [3], "marks": bytearray(2), "lengths": [2]}
    tables = {key: change.pop(key, value) for key, value in m.items()}
    args |= change
    with pytest.raises(ValueError, match=message):
        decode(tables, args["ids"], args["following"], args["marks"], args["lengths"])


@pytest.mark.parametrize(
    "table, array, message",
    [
        ("into", np.zeros((3, 6))[:, ::2], "not C-contiguous"),
        # As many bytes as float64 rows of half the count: read as doubles, it would be junk.
        ("table", np.zeros((12, 5, 3), np.float32), r"table: not float64 \(format f\)"),
        ("context", np.zeros((4, 3), np.int64), r"context: not float64 \(format l\)"),
        ("pairs", b"\0" * 48, r"pairs: not float64 \(format B\)"),
    ],
)
def test_a_table_that_is_not_contiguous_float64_is_refused(table, array, message):
    m = model(np.random.default_rng(2))
    m[table] = array
    with pytest.raises(ValueError, match=message):
        decode(m, [0], [], bytearray(1), [1])


def test_a_new_word_types_rows_are_numpys_sums_bit_for_bit():
    # Real-valued weights, groups of 0 to 40 rows with repeats: the order of the additions
    # shows in the last bits, and the labels depend on them (ties).
    rng = np.random.default_rng(3)
    state = rng.normal(0, 2, (50, 9))
    table = np.full((6, 5, 9), np.nan)
    targets = list(range(1, 30))
    groups = [rng.integers(0, 50, rng.integers(0, 41)).tolist() for _ in targets]
    sum_rows(table, state, 9, targets, groups)
    cells = table.reshape(-1, 9)
    for target, group in zip(targets, groups, strict=True):
        assert cells[target].tobytes() == state[group].sum(axis=0).tobytes()
    assert np.isnan(cells[0]).all() and np.isnan(cells[30:]).all()  # nothing else written


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"targets": [30]}, ValueError, r"targets: 30 is not in \[0, 30\)"),
        ({"groups": [[50]]}, ValueError, r"groups: 50 is not in \[0, 50\)"),
        ({"groups": [(1, 2)]}, TypeError, "a group is not a list"),
        ({"groups": []}, ValueError, "0 groups for 1 targets"),
        ({"labels": 0}, ValueError, "0 labels"),
        ({"table": np.zeros((6, 5, 9)).T}, ValueError, "not C-contiguous"),
        ({"table": np.zeros((6, 5, 9), np.float32)}, ValueError, "table: not float64"),
        ({"state": np.zeros((50, 8))}, ValueError, "state: 3200 bytes, not whole rows of 9"),
    ],
)
def test_rows_that_do_not_fit_the_tables_are_refused(change, error, message):
    args = {"table": np.zeros((6, 5, 9)), "state": np.ones((50, 9)), "labels": 9}
    args |= {"targets": [1], "groups": [[0, 1]]} | change
    with pytest.raises(error, match=message):
        sum_rows(args["table"], args["state"], args["labels"], args["targets"], args["groups"])


def test_a_read_only_table_is_not_written():
    table = np.zeros((6, 5, 9))
    table.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        sum_rows(table, np.ones((50, 9)), 9, [1], [[0]])
    assert not table.any()


def spans_read_in_python(labels: list[str]) -> list[tuple[int, int, str]]:
    """BIO labels read as conlleval reads IOB1: a name ends at an "O", a "B-" or another
    type; an "I-" after an "O" starts one."""
    found: list[tuple[int, int, str]] = []
    start: int | None = None
    kind = ""
    for i, label in enumerate([*labels, "O"]):
        if start is not None and (label == "O" or label.startswith("B-") or label[2:] != kind):
            found.append((start, i, kind))
            start = None
        if label != "O" and start is None:
            start, kind = i, label[2:]
    return found


@pytest.mark.parametrize(
    ("labels", "spans"),
    [
        ([], []),
        (["O", "O"], []),
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        (["O", "I-ORG", "I-ORG"], [(1, 3, "ORG")]),  # IOB1: an I- after an O starts a name
        (["B-PER", "B-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["B-PER", "I-LOC"], [(0, 1, "PER"), (1, 2, "LOC")]),  # another type ends a name
        (["B-PER", "I-SER"], [(0, 1, "PER"), (1, 2, "SER")]),  # by its first letter too
        (("B-MISC", "I-MISC"), [(0, 2, "MISC")]),  # any sequence
    ],
)
def test_label_spans_reads_bio_labels_as_conlleval(labels, spans):
    assert label_spans(labels) == spans == spans_read_in_python(list(labels))


def test_label_spans_matches_the_python_reading_on_odd_labels_too():
    # Labels a model never gives (a bare "B-", "X", "", non-ASCII types) read the same way.
    pool = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-", "I-", "X", "", "Ö"]
    pool += ["B-PERS", "I-PÉR", "I-SER", "O-", "BX", "B-ÄÖ", "I-ÄÖ", "I-😀", "B-😀"]
    rng = np.random.default_rng(5)
    for _ in range(20_000):
        labels = [str(label) for label in rng.choice(pool, rng.integers(0, 10))]
        assert label_spans(labels) == spans_read_in_python(labels), labels


@pytest.mark.parametrize(("labels", "message"), [(["O", 3], "1 is not a str"), (5, "sequence")])
def test_label_spans_refuses_what_is_not_a_sequence_of_str(labels, message):
    with pytest.raises(TypeError, match=message):
        label_spans(labels)
