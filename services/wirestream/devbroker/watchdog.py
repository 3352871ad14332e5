"""Runs beside a local broker (`python -m wirestream.devbroker.watchdog PGID GRACE DIR`) so no
JVM outlives its owner. It reads one byte from a pipe only the owner holds open: a byte means
"disarm"; end-of-file means the owner died, so it stops the broker's process group (SIGTERM,
SIGKILL after GRACE seconds) and removes its directory.

Kept to the standard library: it starts beside every broker and must start fast."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pgid, grace, directory = int(argv[0]), float(argv[1]), argv[2]
    if sys.stdin.buffer.read(1):
        return 0
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
