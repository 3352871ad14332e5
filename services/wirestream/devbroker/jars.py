"""The broker's runtime jars, resolved once with Maven into a per-version cache outside the
repository; later starts need no network."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from wirestream.devbroker.errors import LocalKafkaError

DEFAULT_KAFKA_VERSION = "4.1.2"
LOG4J_VERSION = "2.24.3"
SCALA_BINARY = "2.13"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
ENV_VERSION = "WIRESTREAM_KAFKA_VERSION"
ENV_CACHE = "WIRESTREAM_CACHE_DIR"

_COMPLETE_MARKER = ".complete"


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


def pom(version: str) -> str:
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
    project = pom(version)
    digest = hashlib.sha256(project.encode()).hexdigest()
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"kafka-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text().strip() == digest:
            return libs
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "pom.xml").write_text(project)
        mvn = require_tool("mvn", "Maven (apt-get install maven)")
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


def require_tool(name: str, what: str) -> str:
    """The path of a program the broker needs, or an error saying what to install."""
    path = shutil.which(name)
    if path is None:
        raise LocalKafkaError(f"`{name}` not found on PATH: the local broker needs {what}")
    return path
