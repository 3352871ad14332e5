"""Where raw envelopes come from: page files, directories of them, NDJSON files, stdin.

Every source yields `Accepted` (an envelope and its JSON bytes) or `Rejected` (what was wrong
and the original bytes), never nothing: the publisher counts and reports every rejection.

A page file becomes one envelope (an agency document one per item, README: formats in): its
bytes decoded by the normalizer's charset detection,
`fetched_at` from the file's modification time, `source` from `--source` or else the name of
the directory the page sits in (scrapers keep one directory per source), `id` its path.
Files ending in .ndjson or .jsonl hold one envelope per line.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from wirestream.core.envelope import EnvelopeError, parse_envelope
from wirestream.core.records import DeadLetter, Reason
from wirestream.producer.page_envelopes import file_envelopes

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
# Reasons about an envelope's body, found only after its structure (and source) checked out.
CONTENT_REASONS = frozenset({Reason.EMPTY, Reason.BINARY, Reason.UNDECODABLE})


@dataclass(frozen=True, slots=True)
class Accepted:
    """An envelope ready to publish: its JSON bytes, its source (the message key), and where
    it came from (a path, `path:line`, `stdin` or `request`)."""

    source: str
    value: bytes
    where: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input the producer will not publish, with the original bytes for a dead-letter file."""

    where: str
    reason: Reason
    message: str
    original: bytes
    source: str | None = None  # the envelope's source, when it named one

    def dead_letter(self) -> DeadLetter:
        """The dead-letter record of this rejection (stage `producer`)."""
        return DeadLetter(
            reason=self.reason,
            message=self.message,
            original=self.original,
            stage="producer",
            source=self.source,
        )


Candidate = Accepted | Rejected


def page_file(
    path: Path,
    *,
    root: Path | None = None,
    source: str | None = None,
    fetched_at: datetime | None = None,
) -> Iterator[Candidate]:
    """A page file as one envelope, or an agency document as one envelope per item (in
    order); `root` (the directory given) makes the id relative; `fetched_at` defaults to the
    file's modification time."""
    where = str(path)
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as error:
        yield Rejected(where, Reason.UNDECODABLE, f"cannot read: {error.strerror}", b"")
        return
    relative = path.relative_to(root) if root is not None else Path(path.name)
    for envelope in file_envelopes(
        data,
        source=source or path.resolve().parent.name or "files",
        fetched_at=fetched_at or datetime.fromtimestamp(mtime, UTC),
        name=path.name,
        file_id=relative.as_posix(),
    ):
        yield Accepted(envelope["source"], orjson.dumps(envelope), where)


def envelope_bytes(data: bytes, where: str) -> Candidate:
    """Envelope JSON from NDJSON or a request, checked with the normalizer's own parser and
    published as given. Only a broken envelope is rejected here: a well-formed one whose
    *content* is bad (empty, binary, undecodable body) goes on, so the normalizer dead-letters
    it with its original bytes for a replay after a fix. Size is the publisher's call."""
    try:
        envelope = parse_envelope(data, max_bytes=len(data))
    except EnvelopeError as error:
        if error.reason in CONTENT_REASONS and error.source:
            return Accepted(error.source, data, where)
        return Rejected(where, error.reason, error.message, data, error.source)
    return Accepted(envelope.source, data, where)


def ndjson_lines(lines: Iterable[bytes], where: str) -> Iterator[Candidate]:
    """Envelopes from NDJSON lines; blank lines are skipped, bad ones rejected with their line."""
    for number, line in enumerate(lines, start=1):
        data = line.strip()
        if data:
            yield envelope_bytes(data, f"{where}:{number}")


def ndjson_file(path: Path) -> Iterator[Candidate]:
    try:
        handle = path.open("rb")
    except OSError as error:
        yield Rejected(str(path), Reason.UNDECODABLE, f"cannot read: {error.strerror}", b"")
        return
    with handle:
        yield from ndjson_lines(handle, str(path))


def file_candidates(
    path: Path,
    *,
    root: Path | None = None,
    source: str | None = None,
    fetched_at: datetime | None = None,
) -> Iterator[Candidate]:
    """A single file: NDJSON envelopes or one page, chosen by its suffix."""
    if path.suffix.lower() in NDJSON_SUFFIXES:
        yield from ndjson_file(path)
    else:
        yield from page_file(path, root=root, source=source, fetched_at=fetched_at)


def directory_files(root: Path) -> list[Path]:
    """Regular, non-hidden files under `root`, recursively, in a stable order."""
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, n) for n in sorted(names) if not n.startswith("."))
    return found


def path_candidates(
    path: Path, *, source: str | None = None, fetched_at: datetime | None = None
) -> Iterator[Candidate]:
    """Everything under a path argument: a file, or a directory walked recursively."""
    if path.is_dir():
        for file in directory_files(path):
            yield from file_candidates(file, root=path, source=source, fetched_at=fetched_at)
    elif path.exists():
        yield from file_candidates(path, source=source, fetched_at=fetched_at)
    else:
        yield Rejected(str(path), Reason.UNDECODABLE, "no such file or directory", b"")


def stream_candidates(
    stream: BinaryIO, *, source: str = "stdin", fetched_at: datetime | None = None
) -> Iterator[Candidate]:
    """stdin: NDJSON envelopes when it opens with `{`, else the whole stream is one page."""
    first = b""
    while not first.strip():  # skip leading blank lines to find the first real byte
        chunk = stream.readline()
        if not chunk:
            return
        first += chunk
    if first.lstrip().startswith(b"{"):
        yield from ndjson_lines(_chain_first(first, stream), "stdin")
        return
    when = fetched_at or datetime.now(UTC)
    for envelope in file_envelopes(first + stream.read(), source=source, fetched_at=when,
                                   name="stdin"):  # fmt: skip
        yield Accepted(envelope["source"], orjson.dumps(envelope), "stdin")


def _chain_first(first: bytes, stream: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from stream


class DirectoryWatch:
    """New or changed files under a directory, reported once their size and modification time
    have held still for one poll, so a file being written is not published half-way."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._published: dict[Path, tuple[int, int]] = {}
        self._pending: dict[Path, tuple[int, int]] = {}

    def mark_published(self, paths: Iterable[Path]) -> None:
        """Files already published (by the initial scan) that are only reported again on change."""
        for path in paths:
            signature = _signature(path)
            if signature is not None:
                self._published[path] = signature

    def poll(self) -> list[Path]:
        """Files that are new or changed and have been stable since the previous poll."""
        ready: list[Path] = []
        pending: dict[Path, tuple[int, int]] = {}
        for path in directory_files(self.root):
            signature = _signature(path)
            if signature is None or self._published.get(path) == signature:
                continue
            if self._pending.get(path) == signature:
                ready.append(path)
                self._published[path] = signature
            else:
                pending[path] = signature
        self._pending = pending
        return ready


async def watch_candidates(
    root: Path, *, interval: float, source: str | None = None
) -> AsyncIterator[Candidate]:
    """Everything under `root` now, then new or changed files as they appear, forever."""
    watch = DirectoryWatch(root)
    initial = directory_files(root)
    watch.mark_published(initial)
    for file in initial:
        for candidate in file_candidates(file, root=root, source=source):
            yield candidate
    while True:
        await asyncio.sleep(interval)
        for file in watch.poll():
            for candidate in file_candidates(file, root=root, source=source):
                yield candidate


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:  # removed between listing and stat
        return None
    return (stat.st_mtime_ns, stat.st_size)
