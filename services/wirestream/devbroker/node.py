"""One KRaft node's files and identity: server.properties, the log4j2 settings, the cluster
id and the free loopback ports it listens on."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wirestream.core.topics import durability


@dataclass(frozen=True, slots=True)
class ClusterNode:
    """One node's place in a multi-node cluster: its id, directory and ports, and what every
    node shares (the cluster id, the voters: node id -> controller port)."""

    node_id: int
    directory: Path
    port: int
    controller_port: int
    voters: Mapping[int, int]
    cluster_id: str
    taken: frozenset[int]  # every port the cluster uses, so a node's extra listeners avoid them


def cluster_nodes(root: Path, size: int, first_port: int | None = None) -> list[ClusterNode]:
    """`size` nodes (ids 1..size) under `root`, each with its own free ports and directory;
    `first_port` is node 1's client port if given."""
    taken: set[int | None] = {first_port}
    ports = [
        first_port or another_free_port(taken),
        *(another_free_port(taken) for _ in range(size - 1)),
    ]
    controllers = [another_free_port(taken) for _ in range(size)]
    voters = dict(zip(range(1, size + 1), controllers, strict=True))
    cluster_id = new_cluster_id()
    used = frozenset(p for p in taken if p is not None)
    return [
        ClusterNode(node, root / f"node-{node}", port, voters[node], voters, cluster_id, used)
        for node, port in zip(range(1, size + 1), ports, strict=True)
    ]


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
    *,
    node_id: int = 1,
    voters: Mapping[int, int] | None = None,
) -> str:
    """The broker's settings; `listeners` adds named listeners (name -> (security protocol,
    port)) beside PLAINTEXT, `properties` is written last and wins. `voters` (node id ->
    controller port) makes this node one of a cluster's fixed controller quorum; without it
    the node is a cluster of its own."""
    extra = listeners or {}
    replication, min_insync = durability(len(voters) if voters else 1)
    addresses = "".join(f",{name}://127.0.0.1:{port}" for name, (_, port) in extra.items())
    protocols = "".join(f",{name}:{protocol}" for name, (protocol, _) in extra.items())
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        **quorum_settings(controller_port, voters),
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
        "offsets.topic.replication.factor": str(replication),
        "offsets.topic.num.partitions": "6",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_insync),
        "transaction.state.log.num.partitions": "6",
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_insync),
        "group.initial.rebalance.delay.ms": "0",
        # The default 128 MiB cleaner buffer does not fit the small test heap.
        "log.cleaner.dedupe.buffer.size": "2097152",
        "auto.create.topics.enable": "false",
        # Topics created without an explicit setting (by the admin client) get the same.
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_insync),
        **(properties or {}),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def quorum_settings(controller_port: int, voters: Mapping[int, int] | None) -> dict[str, str]:
    """How a node finds the controller quorum: a fixed voter set (``id@host:port``, formatted
    without ``--standalone``) in a cluster, its own controller when it is alone."""
    if not voters:
        return {"controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}"}
    listed = ",".join(f"{node}@127.0.0.1:{port}" for node, port in sorted(voters.items()))
    return {"controller.quorum.voters": listed}


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
