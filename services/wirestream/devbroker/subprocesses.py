"""Child processes the CLI and its tests start (services, brokers) and must not leave behind."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stop_gracefully(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (a service finishes its batch, commits and leaves its group), then SIGKILL if it
    has not exited within `timeout` seconds; always reaped."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def die_with_parent() -> None:
    """For `preexec_fn`: the child gets SIGTERM once the process that started it is gone,
    however it went (kill -9 included). A killed benchmark left its `serve pipeline` running
    for over an hour, logging its lost broker and taking CPU from the runs after it. Linux
    only (prctl); elsewhere the child outlives its parent as before. Linux sends the signal
    when the starting *thread* ends: start such children from a thread that outlives them
    (the main thread, as the bench and the test harness do)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
