"""A real single-node Apache Kafka broker (KRaft, combined mode) from Maven jars, no Docker.

The jars are resolved once with Maven into a per-version cache outside the repository; later
starts need no network. Each broker gets a fresh temporary directory and free loopback ports,
and runs in its own process group so it can be stopped as a whole. A watchdog process kills
the broker if the Python process that started it dies without stopping it, so no JVM outlives
its owner (unless started with ``watchdog=False``, as ``wirestream kafka start --detach`` does).

    with LocalKafka() as kafka:
        print(kafka.bootstrap, kafka.version)
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

DEFAULT_KAFKA_VERSION = "4.1.2"
LOG4J_VERSION = "2.24.3"
SCALA_BINARY = "2.13"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP"
ENV_VERSION = "WIRESTREAM_KAFKA_VERSION"
ENV_CACHE = "WIRESTREAM_CACHE_DIR"
ENV_RUN_DIR = "WIRESTREAM_RUN_DIR"

_COMPLETE_MARKER = ".complete"
_BROKER_VERSION_LINE = re.compile(r"Kafka version: (\S+)")
_PORT_TAKEN = "Address already in use"
_START_ATTEMPTS = 3


class LocalKafkaError(RuntimeError):
    """The local broker could not be resolved, started or stopped; the message says why."""


class PortTaken(LocalKafkaError):
    """The broker could not bind its listener port."""


def cluster_from_env() -> str | None:
    """The bootstrap address of an existing cluster from ``$KAFKA_BOOTSTRAP``, if set."""
    return os.environ.get(ENV_BOOTSTRAP, "").strip() or None


def cache_dir() -> Path:
    """Where resolved jars live: ``$WIRESTREAM_CACHE_DIR``, else ``~/.cache/wirestream``."""
    configured = os.environ.get(ENV_CACHE)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "wirestream"


def default_version() -> str:
    return os.environ.get(ENV_VERSION, DEFAULT_KAFKA_VERSION)


def _coordinates(version: str) -> list[tuple[str, str, str]]:
    return [
        ("org.apache.kafka", f"kafka_{SCALA_BINARY}", version),
        # Without an slf4j binding the broker's logs vanish silently.
        ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
        ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
        ("org.apache.logging.log4j", "log4j-api", LOG4J_VERSION),
    ]


def _pom(version: str) -> str:
    dependencies = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in _coordinates(version)
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">'
        "<modelVersion>4.0.0</modelVersion>"
        "<groupId>wirestream.local</groupId><artifactId>kafka-broker-jars</artifactId>"
        f"<version>{version}</version><packaging>pom</packaging>"
        f"<dependencies>{dependencies}</dependencies></project>\n"
    )


def resolve_jars(version: str | None = None, cache: Path | None = None) -> Path:
    """Return a directory holding the broker's runtime jars, fetching them on first use.

    A marker file, written last and carrying a digest of the requested coordinates, tells a
    complete download from a half one (which is wiped and redone). A file lock keeps two
    processes from downloading into the same directory at once.
    """
    version = version or default_version()
    root = (cache or cache_dir()) / f"kafka-{version}"
    libs = root / "libs"
    marker = root / _COMPLETE_MARKER
    pom = _pom(version)
    digest = hashlib.sha256(pom.encode()).hexdigest()
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"kafka-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text().strip() == digest:
            return libs
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "pom.xml").write_text(pom)
        mvn = _require_tool("mvn", "Maven (apt-get install maven)")
        command = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(root / "pom.xml"),
            f"{DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={libs}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        broker_jar = libs / f"kafka_{SCALA_BINARY}-{version}.jar"
        if result.returncode != 0 or not broker_jar.is_file():
            output = (result.stdout + result.stderr).strip()[-2000:]
            raise LocalKafkaError(
                f"could not resolve Apache Kafka {version} jars from Maven Central "
                f"(mvn exit {result.returncode}):\n{output}"
            )
        marker.write_text(digest + "\n")
        return libs


def _require_tool(name: str, what: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LocalKafkaError(f"`{name}` not found on PATH: the local broker needs {what}")
    return path


def new_cluster_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """16 random bytes, URL-safe base64 without padding, as Kafka's own ``Uuid`` makes them:
    never starting with "-", which the storage tool would read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(random_bytes(16)).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def free_port() -> int:
    """A loopback port that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_properties(
    log_dir: Path,
    port: int,
    controller_port: int,
    listeners: Mapping[str, tuple[str, int]] | None = None,
    properties: Mapping[str, str] | None = None,
) -> str:
    """The broker's settings; `listeners` adds named listeners (name -> (security protocol,
    port)) beside PLAINTEXT, `properties` is written last and wins."""
    extra = listeners or {}
    addresses = "".join(f",{name}://127.0.0.1:{port}" for name, (_, port) in extra.items())
    protocols = "".join(f",{name}:{protocol}" for name, (protocol, _) in extra.items())
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}{addresses}"
        ),
        "advertised.listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}{addresses}"
        ),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT{protocols}",
        "log.dirs": str(log_dir),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "6",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "6",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # The default 128 MiB cleaner buffer does not fit the small test heap.
        "log.cleaner.dedupe.buffer.size": "2097152",
        "auto.create.topics.enable": "false",
        **(properties or {}),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _another_free_port(taken: set[int | None]) -> int:
    """A free port not in `taken`, which it joins."""
    port = free_port()
    while port in taken:
        port = free_port()
    taken.add(port)
    return port


def _log4j2_properties(log_file: Path) -> str:
    # Root at warn keeps the broker quiet; the two info loggers say when it is ready and which
    # version it is (AppInfoParser prints "Kafka version: ...").
    return f"""\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
logger.appinfo.name = org.apache.kafka.common.utils.AppInfoParser
logger.appinfo.level = info
"""


# Runs beside the broker; reads one byte from a pipe only its owner holds open. A byte means
# "disarm"; end-of-file means the owner died, so it stops the broker's process group and
# removes its directory.
_WATCHDOG = """\
import os, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
pgid, grace, directory = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
if sys.stdin.buffer.read(1):
    sys.exit(0)
def alive():
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
if alive():
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive():
        os.killpg(pgid, signal.SIGKILL)
shutil.rmtree(directory, ignore_errors=True)
"""

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
    ) -> None:
        """`listeners`: more listeners beside PLAINTEXT, name -> security protocol (e.g.
        ``{"SECURE": "SASL_SSL"}``), each on a free port (`listener_ports`); `properties`:
        broker settings over the defaults (keystores, SASL); `format_args`: more arguments
        for the storage format (e.g. ``--add-scram``). The readiness probe uses PLAINTEXT."""
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
        java = _require_tool("java", "Java 17+ (apt-get install openjdk-17-jre-headless)")
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

    def _launch(self, java: str, libs: Path) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="wirestream-kafka-"))
        self.port = self.requested_port or free_port()
        taken = {self.port}
        controller_port = _another_free_port(taken)
        self.listener_ports = {name: _another_free_port(taken) for name in self.listeners}
        properties = self.directory / "server.properties"
        listeners = {n: (p, self.listener_ports[n]) for n, p in self.listeners.items()}
        properties.write_text(
            _server_properties(
                self.directory / "data", self.port, controller_port, listeners, self.properties
            )
        )
        log4j = self.directory / "log4j2.properties"
        log4j.write_text(_log4j2_properties(self.log_file))
        classpath = f"{libs}/*"
        self.cluster_id = new_cluster_id()
        jvm = [java, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        # -g ignores an already formatted directory, so a retried start does not fail on it.
        storage_args = ["-t", self.cluster_id, "-c", str(properties), "-g", *self.format_args]
        formatted = subprocess.run(
            [*jvm, "kafka.tools.StorageTool", "format", "--standalone", *storage_args],
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
                [sys.executable, "-c", _WATCHDOG, *watched],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _await_ready(self) -> None:
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
            if _port_accepts(self.port or 0):
                try:
                    _run_in_thread(_metadata_probe(self.bootstrap, self.cluster_id or ""))
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
        try:
            self._spawn()
            self._await_ready()
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
            pid=self.process.pid,
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


def _stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    pgid = process.pid  # start_new_session made the broker its group's leader
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            process.wait()
    # Anything the JVM forked in its group goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


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


def _port_accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


async def _metadata_probe(bootstrap: str, cluster_id: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    if not cluster.get("brokers"):
        raise LocalKafkaError("metadata lists no brokers yet")
    # Something else may answer on a port we thought free; only our cluster id counts.
    if cluster.get("cluster_id") != cluster_id:
        raise LocalKafkaError(f"another cluster ({cluster.get('cluster_id')}) answers there")


def _run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on a private loop, even when a loop already runs here."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target, name="local-kafka-probe", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
