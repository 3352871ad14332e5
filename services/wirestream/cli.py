"""The `wirestream` command. Each subcommand lives in `wirestream.commands.<name>` and exposes
`add_arguments(parser)` and `run(args) -> int`; modules load lazily so `--help` stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> one-line help. Module: wirestream.commands.<name>.
COMMANDS: dict[str, str] = {
    "kafka": "start, stop or inspect a local single-node Kafka broker (no Docker)",
    "topics": "create the pipeline topics on a cluster",
    "process": "run the pipeline stages in-process over files or stdin (no broker)",
    "serve": "run a stage (or the whole pipeline) as a Kafka service: exactly-once, with DLQ",
    "generate": "write a deterministic labelled synthetic corpus of raw wire pages",
    "produce": "publish raw pages or envelopes from files, dirs, NDJSON, stdin or HTTP",
    "tail": "follow wire.normalized and print the items (pretty or NDJSON)",
    "story": "print a story's versions in order, with what each update changed",
    "dlq": "list dead letters by reason, or replay their original bytes after a fix",
    "demo": "the whole pipeline on the sample pages: broker, topics, services, output (make run)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirestream",
        description="News-wire text in, a clean, deduplicated, enriched Kafka stream out.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=f"wirestream.commands.{name}")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _run_command(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # Ctrl-C before a command's own handler is in place: no traceback
        return 130


def _run_command(argv: list[str]) -> int:
    parser = build_parser()
    # Parse the command name first, then let its module add its own arguments.
    known, _ = parser.parse_known_args(argv[:1] if argv and not argv[0].startswith("-") else argv)
    if getattr(known, "command", None) is None:
        parser.print_help()
        return 2
    module = importlib.import_module(known._module)
    command_parser = argparse.ArgumentParser(
        prog=f"wirestream {known.command}", description=COMMANDS[known.command]
    )
    module.add_arguments(command_parser)
    args = command_parser.parse_args(argv[1:])
    return int(module.run(args) or 0)


def _version() -> str:
    from wirestream import __version__

    return f"wirestream {__version__}"


if __name__ == "__main__":
    raise SystemExit(main())
