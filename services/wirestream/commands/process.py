"""`wirestream process`: run the pipeline stages in-process over files or stdin (no broker).

    wirestream process [--all] [--format items|ninjs] [--fetched-at TIME] [--dead-letter FILE]
                       PATH...

PATH is an NDJSON file of raw envelopes (`.ndjson`/`.jsonl`, one per line), a text or HTML
page file, an agency document (NewsML-G2, NITF, IPTC 7901, ANPA 1312, ninjs, RSS/Atom:
one envelope per item, format recognised from the content), a directory (walked
recursively), or `-` for stdin (NDJSON when it starts with `{`, else a page). Input is read
by the producer's own sources, so a file gets the same envelope here as through
`wirestream produce` (`source` from `--source`, else the file's directory name; `id` its path
relative to the directory given; `fetched_at` from `--fetched-at`, else the file's
modification time, or now for stdin) and so the same item ids. Items go to stdout as NDJSON
in input order; rejects go to the dead-letter file as NDJSON and as one summary line each to
stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from wirestream.core.chain import Chain
from wirestream.core.envelope import format_rfc3339, parse_rfc3339
from wirestream.core.records import DeadLetter, Emit, Origin
from wirestream.ninjs import to_ninjs
from wirestream.pipeline import PipelineOptions, build_stages
from wirestream.producer.sources import Candidate, Rejected, path_candidates, stream_candidates

STDIN = "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        metavar="PATH",
        nargs="+",
        help="an .ndjson file of raw envelopes, a page or agency file, a directory, or - for stdin",
    )
    parser.add_argument("--source", help="source of page files (default: their directory's name)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also print items the pipeline holds back (duplicates)",
    )
    parser.add_argument(
        "--fetched-at",
        metavar="TIME",
        type=_rfc3339_argument,
        help="RFC 3339 fetch time for page files (default: the file's modification time)",
    )
    parser.add_argument(
        "--format",
        choices=("items", "ninjs"),
        default="items",
        help="print normalized items (default) or IPTC ninjs 3.x objects",
    )
    parser.add_argument(
        "--dead-letter",
        metavar="FILE",
        type=Path,
        help="write dead-letter records here as NDJSON",
    )


def run(args: argparse.Namespace) -> int:
    for path in args.paths:
        if path != STDIN and not Path(path).exists():
            print(f"wirestream process: error: no such file or directory: {path}", file=sys.stderr)
            return 2
    if args.paths.count(STDIN) > 1:
        print("wirestream process: error: stdin (-) given more than once", file=sys.stderr)
        return 2
    try:
        dead_letters = args.dead_letter.open("wb") if args.dead_letter else None
    except OSError as error:
        print(f"wirestream process: error: --dead-letter: {error}", file=sys.stderr)
        return 2
    # With --all, duplicates pass the enricher too: shown as their story is (place, agencies).
    chain = Chain(build_stages(PipelineOptions.from_env()), held_back_through=args.all)
    render = to_ninjs if args.format == "ninjs" else _as_is
    out = sys.stdout.buffer
    try:
        for candidate in _candidates(args):
            if isinstance(candidate, Rejected):
                _reject(candidate.dead_letter(), candidate.where, dead_letters)
                continue
            for outcome in chain.process(candidate.value, Origin()):
                if isinstance(outcome, Emit):
                    if outcome.publish or args.all:
                        out.write(orjson.dumps(render(outcome.item)) + b"\n")
                else:
                    _reject(outcome, candidate.where, dead_letters)
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; not every input was processed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if dead_letters is not None:
            dead_letters.close()
    return 0


def _candidates(args: argparse.Namespace) -> Iterator[Candidate]:
    """Every path's envelopes, read as `wirestream produce` reads them."""
    for path in args.paths:
        if path == STDIN:
            source = args.source or "stdin"
            yield from stream_candidates(
                sys.stdin.buffer, source=source, fetched_at=args.fetched_at
            )
        else:
            yield from path_candidates(Path(path), source=args.source, fetched_at=args.fetched_at)


def _as_is(item: dict) -> dict:
    return item


def _reject(dead_letter: DeadLetter, location: str, sink: BinaryIO | None) -> None:
    failed_at = format_rfc3339(datetime.now(UTC))
    if sink is not None:
        sink.write(orjson.dumps(dead_letter.to_record(failed_at)) + b"\n")
    print(
        f"dead letter: {location}: {dead_letter.reason.value}: {dead_letter.message}",
        file=sys.stderr,
    )


def _rfc3339_argument(text: str) -> datetime:
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
