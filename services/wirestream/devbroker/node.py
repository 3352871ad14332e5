"""One KRaft node's files and identity: server.properties, the log4j2 settings, the cluster
id and the free loopback ports it listens on."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path


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


def server_properties(
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


def another_free_port(taken: set[int | None]) -> int:
    """A free port not in `taken`, which it joins."""
    port = free_port()
    while port in taken:
        port = free_port()
    taken.add(port)
    return port


def log4j2_properties(log_file: Path) -> str:
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
