"""A real multi-node Apache Kafka cluster (KRaft) from the same jars as `LocalKafka`: every node
is broker and controller, with its own ports and data directory under one root, and the
nodes form a fixed controller quorum (three voters for three nodes). Production's shape, on
loopback, for `wirestream kafka start --brokers 3` and the fault tests that lose brokers.

    with LocalCluster(3) as cluster:
        cluster.kill(cluster.active_controller())
        cluster.revive(...)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from wirestream.devbroker.detached import DetachedBroker
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.jars import default_version
from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.devbroker.node import ClusterNode, cluster_nodes

QUORUM_STATE = Path("data") / "__cluster_metadata-0" / "quorum-state"


def quorum_leader(state: str) -> int | None:
    """The active controller's node id from a node's ``quorum-state`` file (KRaft writes it
    on every election), or None while there is none."""
    try:
        leader = json.loads(state).get("leaderId", -1)
    except (ValueError, AttributeError):
        return None
    return leader if isinstance(leader, int) and leader >= 0 else None


class LocalCluster:
    """`size` KRaft nodes (broker and controller each) on free loopback ports."""

    def __init__(
        self,
        size: int = 3,
        version: str | None = None,
        *,
        port: int | None = None,
        start_timeout: float = 180.0,
        stop_timeout: float = 20.0,
        heap: tuple[str, str] = ("256m", "512m"),
        watchdog: bool = True,
        keep_dir: bool = False,
    ) -> None:
        if size < 1:
            raise LocalKafkaError(f"a cluster needs at least one broker, not {size}")
        self.size = size
        self.version = version or default_version()
        self.requested_port = port
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.heap = heap
        self.watchdog = watchdog
        self.keep_dir = keep_dir
        self.directory: Path | None = None
        self.nodes: dict[int, LocalKafka] = {}

    @property
    def bootstrap(self) -> str:
        """Every node's address: clients find the cluster while any one of them is up."""
        if not self.nodes:
            raise LocalKafkaError("the local cluster is not running")
        return ",".join(f"127.0.0.1:{node.port}" for node in self._placed())

    @property
    def broker_version(self) -> str | None:
        return next((n.broker_version for n in self.nodes.values() if n.broker_version), None)

    @property
    def pids(self) -> list[int]:
        return [n.pid for n in self.nodes.values() if n.pid is not None]

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> LocalCluster:
        """Launch every node, then wait until each lists all brokers in its metadata."""
        if self.nodes:
            raise LocalKafkaError(f"already running at {self.bootstrap}")
        self.directory = Path(tempfile.mkdtemp(prefix="wirestream-cluster-"))
        for placed in cluster_nodes(self.directory, self.size, self.requested_port):
            self.nodes[placed.node_id] = LocalKafka(
                self.version,
                start_timeout=self.start_timeout,
                stop_timeout=self.stop_timeout,
                heap=self.heap,
                watchdog=self.watchdog,
                keep_dir=True,
                node=placed,
            )
        try:
            for node in self.nodes.values():
                node.launch()
            for node in self.nodes.values():
                node.await_ready(self.size)
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, node_id: int) -> None:
        """kill -9 one node (a crashed machine); its data stays for `revive`."""
        self._node(node_id).kill()

    def revive(self, node_id: int) -> None:
        """Start a killed node again; returns when it answers metadata (with the other
        brokers that are up)."""
        self._node(node_id).revive(brokers=1)

    def running(self) -> list[int]:
        return [node_id for node_id, node in self.nodes.items() if node.process is not None]

    def active_controller(self) -> int | None:
        """The node id of the quorum's leader, as the running nodes last recorded it."""
        for node_id in self.running():
            directory = self._node(node_id).directory
            if directory is None:
                continue
            try:
                leader = quorum_leader((directory / QUORUM_STATE).read_text())
            except OSError:
                continue
            if leader is not None:
                return leader
        return None

    def stop(self) -> None:
        """Stop every node (SIGTERM, SIGKILL after ``stop_timeout``) and remove the data."""
        for node in self.nodes.values():
            node.stop()
        self.nodes = {}
        if self.directory is not None and not self.keep_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def detach(self) -> DetachedBroker:
        """Let the running nodes outlive this process; returns what is needed to stop them."""
        if not self.nodes or self.directory is None:
            raise LocalKafkaError("the local cluster is not running")
        bootstrap, version = self.bootstrap, self.broker_version or self.version
        pids = [pid for node in self.nodes.values() for pid in node.detach().pids]
        detached = DetachedBroker(pids, bootstrap, str(self.directory), version)
        self.nodes = {}
        self.directory = None
        return detached

    def _node(self, node_id: int) -> LocalKafka:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise LocalKafkaError(f"no node {node_id} in the cluster") from None

    def _placed(self) -> list[ClusterNode]:
        return [node.node for node in self.nodes.values() if node.node is not None]
