"""The local broker's watchdog on a stand-in process group (a `sleep`), no Java needed: end of
file on its pipe stops the group and removes the directory; a byte disarms it."""

from __future__ import annotations

import subprocess
import sys

from wirestream.devbroker.detached import pid_alive


def start(tmp_path):
    directory = tmp_path / "broker"
    directory.mkdir()
    group = subprocess.Popen(["sleep", "60"], start_new_session=True)
    arguments = [str(group.pid), "5", str(directory)]
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "wirestream.devbroker.watchdog", *arguments], stdin=subprocess.PIPE
    )
    return group, watchdog, directory


def test_when_the_owner_goes_the_watchdog_stops_the_group_and_removes_its_directory(tmp_path):
    group, watchdog, directory = start(tmp_path)
    assert watchdog.stdin is not None
    watchdog.stdin.close()  # what the owner's death does to the pipe
    assert watchdog.wait(timeout=20) == 0
    assert group.wait(timeout=5) == -15  # SIGTERM
    assert not directory.exists()


def test_a_byte_on_the_pipe_disarms_the_watchdog(tmp_path):
    group, watchdog, directory = start(tmp_path)
    try:
        assert watchdog.stdin is not None
        watchdog.stdin.write(b"x")
        watchdog.stdin.close()
        assert watchdog.wait(timeout=20) == 0
        assert pid_alive(group.pid)
        assert directory.exists()
    finally:
        group.kill()
        group.wait()
