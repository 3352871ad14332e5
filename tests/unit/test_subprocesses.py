"""stop_gracefully: SIGTERM first, SIGKILL for a child that ignores it, always reaped;
die_with_parent: a child does not outlive the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def running(pid: int) -> bool:
    """Alive, not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_a_child_started_to_die_with_its_parent_ends_when_the_parent_is_killed():
    # The parent starts two sleeping children, one of them with die_with_parent, prints
    # their pids and is then killed with SIGKILL: nothing of its own runs to stop them.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "from wirestream.devbroker.subprocesses import die_with_parent\n"
            "sleep = [sys.executable, '-c', 'import time; time.sleep(60)']\n"
            "bound = subprocess.Popen(sleep, preexec_fn=die_with_parent)\n"
            "free = subprocess.Popen(sleep)\n"
            "print(bound.pid, free.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert parent.stdout is not None
    bound, free = map(int, parent.stdout.readline().split())
    try:
        assert running(bound) and running(free)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while running(bound) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not running(bound)
        assert running(free)  # the control: without it, a child outlives its parent
    finally:
        for pid in (bound, free):
            if running(pid):
                os.kill(pid, signal.SIGKILL)
