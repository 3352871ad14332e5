"""Child processes the CLI and its tests start (services, brokers) and must not leave behind."""

from __future__ import annotations

import signal
import subprocess


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
