"""Subcommands of the `wirestream` CLI, one module each (see wirestream.cli.COMMANDS)."""
