"""The `wirestream` command line: subcommands listed, bad arguments rejected with exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wirestream.cli import COMMANDS, main


def wirestream(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirestream.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_subcommand():
    result = wirestream("--help")
    assert result.returncode == 0
    for name in ("kafka", "topics", *COMMANDS):
        assert name in result.stdout


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_unknown_subcommand_exits_2():
    result = wirestream("no-such-command")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["kafka"],
        ["kafka", "restart"],
        ["kafka", "start", "--port", "not-a-number"],
        ["topics"],
        ["topics", "create", "--partitions"],
    ],
)
def test_missing_or_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: wirestream" in capsys.readouterr().err


def test_kafka_help_names_its_actions():
    result = wirestream("kafka", "--help")
    assert result.returncode == 0
    for action in ("start", "stop", "status"):
        assert action in result.stdout


def test_topics_without_a_cluster_says_how_to_get_one(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("WIRESTREAM_RUN_DIR", str(tmp_path))
    assert main(["topics", "list"]) == 2
    assert "KAFKA_BOOTSTRAP" in capsys.readouterr().err


def test_kafka_status_without_a_detached_broker_exits_1(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WIRESTREAM_RUN_DIR", str(tmp_path))
    assert main(["kafka", "status"]) == 1
    assert "no detached broker" in capsys.readouterr().out
    assert main(["kafka", "stop"]) == 0
