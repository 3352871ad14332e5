"""A real single-node Apache Kafka broker (KRaft, combined mode) from Maven jars, no Docker.

The jars are resolved once with Maven into a per-version cache outside the repository; later
starts need no network. Each broker gets a fresh temporary directory and free loopback ports,
and runs in its own process group so it can be stopped as a whole. A watchdog process
(`watchdog.py`) kills the broker if the Python process that started it dies without stopping
it, so no JVM outlives its owner (unless started with ``watchdog=False``, as
``wirestream kafka start --detach`` does).

    with LocalKafka() as kafka:
        print(kafka.bootstrap, kafka.version)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from wirestream.devbroker.detached import DetachedBroker
from wirestream.devbroker.errors import LocalKafkaError, PortTaken
from wirestream.devbroker.jars import default_version, require_tool, resolve_jars
from wirestream.devbroker.node import (
    ClusterNode,
    another_free_port,
    free_port,
    log4j2_properties,
    new_cluster_id,
    server_properties,
)
from wirestream.devbroker.probe import metadata_probe, port_accepts, run_in_thread

_BROKER_VERSION_LINE = re.compile(r"Kafka version: (\S+)")
_PORT_TAKEN = "Address already in use"
_START_ATTEMPTS = 3


_running: weakref.WeakSet[LocalKafka] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for kafka in list(_running):
        kafka.stop()


class LocalKafka:
    """A single-node KRaft broker on free loopback ports, in a fresh temporary directory."""

    def __init__(
        self,
        version: str | None = None,
        *,
        port: int | None = None,
        start_timeout: float = 120.0,
        stop_timeout: float = 20.0,
        heap: tuple[str, str] = ("256m", "512m"),
        watchdog: bool = True,
        keep_dir: bool = False,
        listeners: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        format_args: Sequence[str] = (),
        node: ClusterNode | None = None,
    ) -> None:
        """`listeners`: more listeners beside PLAINTEXT, name -> security protocol (e.g.
        ``{"SECURE": "SASL_SSL"}``), each on a free port (`listener_ports`); `properties`:
        broker settings over the defaults (keystores, SASL); `format_args`: more arguments
        for the storage format (e.g. ``--add-scram``). The readiness probe uses PLAINTEXT.
        `node`: this broker's place in a multi-node cluster (`LocalCluster` makes them)."""
        self.version = version or default_version()
        self.requested_port = port
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.heap = heap
        self.watchdog = watchdog
        self.keep_dir = keep_dir
        self.listeners = dict(listeners or {})
        self.properties = dict(properties or {})
        self.format_args = list(format_args)
        self.node = node
        self.listener_ports: dict[str, int] = {}
        self.port: int | None = None
        self.directory: Path | None = None
        self.broker_version: str | None = None
        self.cluster_id: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._command: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise LocalKafkaError("the local broker is not running")
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def log_file(self) -> Path:
        if self.directory is None:
            raise LocalKafkaError("the local broker has no directory yet")
        return self.directory / "broker.log"

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LocalKafka:
        """Resolve jars, format storage, start the JVM and wait until it answers metadata."""
        if self.process is not None:
            raise LocalKafkaError(f"already running at {self.bootstrap}")
        java = require_tool("java", "Java 17+ (apt-get install openjdk-17-jre-headless)")
        libs = resolve_jars(self.version)
        attempts_left = 1 if self.requested_port else _START_ATTEMPTS
        while True:
            attempts_left -= 1
            try:
                self._launch(java, libs)
                self._await_ready()
                return self
            except PortTaken:
                # A port we picked was taken before the broker bound it: pick others.
                self.stop()
                if not attempts_left:
                    raise
            except BaseException:
                # Covers Ctrl-C during start as well as a broker that never came up.
                self.stop()
                raise

    def launch(self) -> None:
        """Format storage and start the JVM without waiting for it: a cluster's nodes only
        answer once a majority of its controllers runs, so they are all launched first."""
        if self.process is not None:
            raise LocalKafkaError(f"already running at {self.bootstrap}")
        java = require_tool("java", "Java 17+ (apt-get install openjdk-17-jre-headless)")
        self._launch(java, resolve_jars(self.version))

    def _launch(self, java: str, libs: Path) -> None:
        node = self.node
        if node is None:
            self.directory = Path(tempfile.mkdtemp(prefix="wirestream-kafka-"))
            self.port = self.requested_port or free_port()
            taken = {self.port}
            controller_port = another_free_port(taken)
            self.cluster_id = new_cluster_id()
        else:
            self.directory = node.directory
            self.directory.mkdir(parents=True, exist_ok=True)
            self.port, controller_port = node.port, node.controller_port
            taken = {*node.taken}
            self.cluster_id = node.cluster_id
        self.listener_ports = {name: another_free_port(taken) for name in self.listeners}
        properties = self.directory / "server.properties"
        listeners = {n: (p, self.listener_ports[n]) for n, p in self.listeners.items()}
        properties.write_text(
            server_properties(
                self.directory / "data",
                self.port,
                controller_port,
                listeners,
                self.properties,
                node_id=node.node_id if node else 1,
                voters=node.voters if node else None,
            )
        )
        log4j = self.directory / "log4j2.properties"
        log4j.write_text(log4j2_properties(self.log_file))
        classpath = f"{libs}/*"
        jvm = [java, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        # -g ignores an already formatted directory, so a retried start does not fail on it.
        # A lone node makes itself the quorum (--standalone); a cluster's voters are fixed.
        quorum = [] if node else ["--standalone"]
        storage_args = ["-t", self.cluster_id, "-c", str(properties), "-g", *self.format_args]
        formatted = subprocess.run(
            [*jvm, "kafka.tools.StorageTool", "format", *quorum, *storage_args],
            capture_output=True,
            text=True,
            timeout=self.start_timeout,
            check=False,
        )
        if formatted.returncode != 0:
            raise LocalKafkaError(
                f"formatting KRaft storage failed:\n{(formatted.stdout + formatted.stderr)[-2000:]}"
            )
        heap = [java, f"-Xms{self.heap[0]}", f"-Xmx{self.heap[1]}"]
        self._command = [*heap, *jvm[1:], "kafka.Kafka", str(properties)]
        self._spawn()

    def _spawn(self) -> None:
        assert self.directory is not None
        with open(self.directory / "stdout.log", "ab") as stdout:
            self.process = subprocess.Popen(
                self._command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                # Own process group: Ctrl-C reaches us, not the JVM, and stop() can signal
                # the whole group.
                start_new_session=True,
            )
        _running.add(self)
        if self.watchdog:
            watched = [str(self.process.pid), str(self.stop_timeout), str(self.directory)]
            self._watchdog = subprocess.Popen(
                [sys.executable, "-m", "wirestream.devbroker.watchdog", *watched],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    def await_ready(self, brokers: int = 1) -> None:
        """Wait until this node answers metadata listing at least `brokers` brokers."""
        self._await_ready(brokers)

    def _await_ready(self, brokers: int = 1) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        last_error = "port never accepted a connection"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                failure = PortTaken if _PORT_TAKEN in self.log_tail(400) else LocalKafkaError
                raise failure(
                    f"the broker exited with code {self.process.returncode} during start: "
                    f"{self._first_error()}\n{self.log_tail()}"
                )
            if port_accepts(self.port or 0):
                try:
                    run_in_thread(metadata_probe(self.bootstrap, self.cluster_id or "", brokers))
                except Exception as error:  # not ready yet: keep polling until the deadline
                    last_error = f"metadata request failed: {error!r}"
                else:
                    self.broker_version = self._version_from_log() or self.version
                    return
            time.sleep(0.25)
        raise LocalKafkaError(
            f"the broker did not become ready within {self.start_timeout:.0f}s "
            f"({last_error}):\n{self.log_tail()}"
        )

    def _version_from_log(self) -> str | None:
        with contextlib.suppress(OSError):
            found = _BROKER_VERSION_LINE.search(self.log_file.read_text(errors="replace"))
            if found:
                return found.group(1)
        return None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the broker's logs, for error messages."""
        return "\n".join(self._log_lines()[-lines:])

    def _first_error(self) -> str:
        # The first ERROR names the cause; the tail is mostly its stack trace.
        errors = (line for line in self._log_lines() if " ERROR " in line or "Exception:" in line)
        return next(errors, "(no error in the log)")

    def _log_lines(self) -> list[str]:
        if self.directory is None:
            return []
        text = []
        for name in ("stdout.log", "broker.log"):
            with contextlib.suppress(OSError):
                text.extend((self.directory / name).read_text(errors="replace").splitlines())
        return text

    def restart(self, downtime: float = 0.0) -> None:
        """Stop the broker (SIGTERM, as `stop`) and start it again after `downtime` seconds on
        the same ports, data and cluster id, as an operator restarts one; returns when it
        answers metadata again."""
        if self.process is None:
            raise LocalKafkaError("the local broker is not running")
        process, self.process = self.process, None
        _stop_group(process, self.stop_timeout)
        self._disarm_watchdog()
        time.sleep(downtime)
        self.revive()

    def kill(self) -> None:
        """SIGKILL the broker as a crash does: no shutdown, no flush; data and ports stay
        for `revive`."""
        if self.process is None:
            raise LocalKafkaError("the local broker is not running")
        process, self.process = self.process, None
        _stop_group(process, 0, signal.SIGKILL)
        self._disarm_watchdog()

    def revive(self, brokers: int = 1) -> None:
        """Start a stopped or killed broker again on its ports, data and cluster id; returns
        when it answers metadata listing `brokers` brokers."""
        try:
            self._spawn()
            self._await_ready(brokers)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the broker's process group, SIGKILL it after ``stop_timeout``, clean up."""
        process, self.process = self.process, None
        if process is not None:
            _stop_group(process, self.stop_timeout)
        _running.discard(self)
        self._disarm_watchdog()
        if self.directory is not None and not self.keep_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        self.port = None

    def detach(self) -> DetachedBroker:
        """Let the running broker outlive this process; returns what is needed to stop it."""
        if self.process is None or self.directory is None:
            raise LocalKafkaError("the local broker is not running")
        broker = DetachedBroker(
            pids=[self.process.pid],
            bootstrap=self.bootstrap,
            directory=str(self.directory),
            version=self.broker_version or self.version,
        )
        _running.discard(self)
        self._disarm_watchdog()
        self.process = None
        self.directory = None
        self.port = None
        return broker

    def _disarm_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None or watchdog.stdin is None:
            return
        with contextlib.suppress(OSError):
            watchdog.stdin.write(b"x")
            watchdog.stdin.close()
        try:
            watchdog.wait(timeout=5)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def _stop_group(
    process: subprocess.Popen[bytes], timeout: float, signum: int = signal.SIGTERM
) -> None:
    pgid = process.pid  # start_new_session made the broker its group's leader
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            process.wait()
    # Anything the JVM forked in its group goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
