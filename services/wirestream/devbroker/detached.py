"""Brokers that outlive the command that started them (`wirestream kafka start --detach`),
recorded in a state file, and how commands find the cluster to talk to."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP"
ENV_RUN_DIR = "WIRESTREAM_RUN_DIR"


def cluster_from_env() -> str | None:
    """The bootstrap address of an existing cluster from ``$KAFKA_BOOTSTRAP``, if set."""
    return os.environ.get(ENV_BOOTSTRAP, "").strip() or None


def run_dir() -> Path:
    """Where detached brokers are recorded: ``$WIRESTREAM_RUN_DIR`` or ``.run/kafka``."""
    return Path(os.environ.get(ENV_RUN_DIR, ".run")) / "kafka"


@dataclass(frozen=True, slots=True)
class DetachedBroker:
    """A broker left running by ``wirestream kafka start --detach``, recorded in a state file."""

    pid: int
    bootstrap: str
    directory: str
    version: str

    @classmethod
    def load(cls, directory: Path | None = None) -> DetachedBroker | None:
        state = (directory or run_dir()) / "broker.json"
        try:
            return cls(**json.loads(state.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def save(self, directory: Path | None = None) -> Path:
        state = (directory or run_dir()) / "broker.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return state

    @staticmethod
    def forget(directory: Path | None = None) -> None:
        ((directory or run_dir()) / "broker.json").unlink(missing_ok=True)

    def alive(self) -> bool:
        """Running, and still our broker (not an unrelated process that reused the pid)."""
        if not pid_alive(self.pid):
            return False
        try:
            command = Path(f"/proc/{self.pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return True  # no /proc to check against: trust the pid
        return b"kafka.Kafka" in command and any(self.directory.encode() in a for a in command)

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop it and remove its directory. Returns False if it was not running."""
        was_alive = self.alive()
        if was_alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)
        return was_alive


def find_cluster(explicit: str | None = None) -> str | None:
    """The cluster to talk to: ``explicit``, else ``$KAFKA_BOOTSTRAP``, else a detached
    local broker that is still running."""
    if explicit:
        return explicit
    external = cluster_from_env()
    if external:
        return external
    detached = DetachedBroker.load()
    return detached.bootstrap if detached and detached.alive() else None


def pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True
