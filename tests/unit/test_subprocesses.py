"""stop_gracefully: SIGTERM first, SIGKILL for a child that ignores it, always reaped."""

from __future__ import annotations

import signal
import subprocess
import sys

from wirestream.devbroker.subprocesses import stop_gracefully


def child(code: str) -> subprocess.Popen:
    ready = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    process = subprocess.Popen(
        [sys.executable, "-c", code + ready + "import time\ntime.sleep(60)"], stdout=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_a_child_that_honours_sigterm_exits_by_it():
    process = child("")
    stop_gracefully(process, timeout=10)
    assert process.returncode == -signal.SIGTERM


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout():
    process = child("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n")
    stop_gracefully(process, timeout=0.5)
    assert process.returncode == -signal.SIGKILL


def test_an_exited_child_is_left_alone():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    stop_gracefully(process, timeout=1)
    assert process.returncode == 0
