"""Brokers that outlive the command that started them (`wirestream kafka start --detach`, one
or a cluster of several), recorded in a state file, and how commands find the cluster to
talk to."""

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
    """The broker(s) left running by ``wirestream kafka start --detach``: one process per
    node, all under `directory`; recorded in a state file."""

    pids: list[int]
    bootstrap: str
    directory: str
    version: str

    @classmethod
    def load(cls, directory: Path | None = None) -> DetachedBroker | None:
        state = (directory or run_dir()) / "broker.json"
        try:
            recorded = json.loads(state.read_text())
            if "pid" in recorded:  # recorded before clusters: one broker
                recorded["pids"] = [recorded.pop("pid")]
            return cls(**recorded)
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def save(self, directory: Path | None = None) -> Path:
        state = (directory or run_dir()) / "broker.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return state

    @staticmethod
    def forget(directory: Path | None = None) -> None:
        ((directory or run_dir()) / "broker.json").unlink(missing_ok=True)

    def running(self) -> list[int]:
        """The pids still running and still ours (not unrelated processes that reused them)."""
        return [pid for pid in self.pids if self._ours(pid)]

    def alive(self) -> bool:
        """Every node runs."""
        return len(self.running()) == len(self.pids)

    def _ours(self, pid: int) -> bool:
        if not pid_alive(pid):
            return False
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return True  # no /proc to check against: trust the pid
        return b"kafka.Kafka" in command and any(self.directory.encode() in a for a in command)

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop every node still running and remove the directory. Returns False if none
        was running."""
        running = self.running()
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(pid_alive(pid) for pid in running) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)
        return bool(running)


def find_cluster(explicit: str | None = None) -> str | None:
    """The cluster to talk to: ``explicit``, else ``$KAFKA_BOOTSTRAP``, else a detached
    local broker that is still running."""
    if explicit:
        return explicit
    external = cluster_from_env()
    if external:
        return external
    detached = DetachedBroker.load()
    return detached.bootstrap if detached and detached.running() else None


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
