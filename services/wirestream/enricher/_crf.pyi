from collections.abc import Sequence

from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

def label_paths(
    table: Buffer,
    pairs: Buffer,
    context: Buffer,
    into: Buffer,
    ids: list[int],
    following: list[int],
    marks: Buffer,
    lengths: list[int],
    labels: tuple[str, ...],
) -> list[list[str]]: ...
def sum_rows(
    table: Buffer, state: Buffer, labels: int, targets: list[int], groups: list[list[int]]
) -> None: ...
def label_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]: ...
