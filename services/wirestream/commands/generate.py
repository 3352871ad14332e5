"""`wirestream generate`: a deterministic, labelled synthetic corpus of raw wire pages."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from wirestream.generator import GeneratorConfig, generate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = GeneratorConfig()
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--stories", type=int, default=100, help="number of stories")
    parser.add_argument(
        "--out",
        type=Path,
        help="directory for envelopes.ndjson and labels.ndjson (default: envelopes to stdout)",
    )
    parser.add_argument(
        "--base-time",
        type=_timestamp,
        default=defaults.base_time,
        help=f"publication time of the first story, RFC 3339 (default {defaults.base_time:%Y-%m-%dT%H:%M:%SZ})",  # noqa: E501
    )
    parser.add_argument(
        "--span-hours", type=float, default=defaults.span_hours, help="publication span"
    )
    parser.add_argument("--html-rate", type=float, default=defaults.html_rate)
    parser.add_argument("--bad-rate", type=float, default=defaults.bad_rate)
    parser.add_argument("--english-share", type=float, default=defaults.english_share)


def run(args: argparse.Namespace) -> int:
    if args.stories < 1:
        print("wirestream generate: --stories must be at least 1", file=sys.stderr)
        return 2
    corpus = generate(
        args.seed,
        args.stories,
        GeneratorConfig(
            base_time=args.base_time,
            span_hours=args.span_hours,
            html_rate=args.html_rate,
            bad_rate=args.bad_rate,
            english_share=args.english_share,
        ),
    )
    if args.out is None:
        out = sys.stdout.buffer
        for record in corpus.records():
            out.write(record + b"\n")
        out.flush()
    else:
        corpus.write(args.out)
    summary = " ".join(f"{name}={count}" for name, count in corpus.summary().items())
    print(f"generated seed={args.seed} {summary}", file=sys.stderr)
    return 0


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from error
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"time needs a UTC offset: {text!r}")
    return moment.astimezone(UTC)
