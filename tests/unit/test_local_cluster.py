"""The three-broker cluster's pure parts: node placement and settings, the active controller
from a node's quorum state, the detached record of several nodes, and topic specs sized to
the cluster. The cluster itself runs in tests/faults/test_broker_loss.py."""

from __future__ import annotations

import json
import os

import pytest

from wirestream.core.topics import PipelineTopics, TopicError, durability, pipeline_topic_specs
from wirestream.devbroker.cluster import LocalCluster, quorum_leader
from wirestream.devbroker.detached import DetachedBroker
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.node import cluster_nodes, server_properties


def parsed(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


@pytest.mark.parametrize(
    ("brokers", "replication", "min_insync"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)]
)
def test_durability_follows_the_cluster_size(brokers, replication, min_insync):
    assert durability(brokers) == (replication, min_insync)


def test_pipeline_topics_get_three_replicas_and_two_in_sync_on_three_brokers():
    specs = [spec.sized_for(3) for spec in pipeline_topic_specs(PipelineTopics())]
    assert {spec.replication for spec in specs} == {3}
    assert {spec.config["min.insync.replicas"] for spec in specs} == {"2"}
    # Sizing adds to the topic's own settings, it does not replace them.
    changelog = next(s for s in specs if s.name == PipelineTopics().dedup_changelog)
    assert changelog.config["cleanup.policy"] == "compact,delete"


def test_pipeline_topics_get_one_replica_on_one_broker():
    specs = [spec.sized_for(1) for spec in pipeline_topic_specs(PipelineTopics())]
    assert {(s.replication, s.config["min.insync.replicas"]) for s in specs} == {(1, "1")}


def test_an_explicit_replication_is_kept_and_an_unsized_spec_is_refused():
    (raw, *_) = pipeline_topic_specs(PipelineTopics(), replication=2)
    assert raw.sized_for(3) is raw
    unsized = pipeline_topic_specs(PipelineTopics())[0]
    with pytest.raises(TopicError, match="no replication factor"):
        unsized.new_topic()
    assert unsized.sized_for(3).new_topic().replication_factor == 3


def test_three_nodes_get_distinct_ports_directories_and_one_quorum(tmp_path):
    nodes = cluster_nodes(tmp_path, 3, first_port=19092)
    assert [n.node_id for n in nodes] == [1, 2, 3]
    assert nodes[0].port == 19092
    ports = [p for n in nodes for p in (n.port, n.controller_port)]
    assert len(set(ports)) == 6
    assert set(ports) <= nodes[0].taken
    assert len({n.directory for n in nodes}) == 3
    assert all(n.directory.parent == tmp_path for n in nodes)
    assert len({n.cluster_id for n in nodes}) == 1
    assert all(n.voters == {m.node_id: m.controller_port for m in nodes} for n in nodes)


def test_a_cluster_node_names_every_voter_and_replicates_internal_topics(tmp_path):
    node = cluster_nodes(tmp_path, 3)[1]
    settings = parsed(
        server_properties(
            node.directory / "data",
            node.port,
            node.controller_port,
            node_id=node.node_id,
            voters=node.voters,
        )
    )
    assert settings["node.id"] == "2"
    voters = settings["controller.quorum.voters"].split(",")
    assert voters == [f"{i}@127.0.0.1:{p}" for i, p in sorted(node.voters.items())]
    assert "controller.quorum.bootstrap.servers" not in settings
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "default.replication.factor",
    ):
        assert settings[key] == "3", key
    assert settings["transaction.state.log.min.isr"] == settings["min.insync.replicas"] == "2"


def test_a_lone_node_is_its_own_quorum(tmp_path):
    settings = parsed(server_properties(tmp_path, 9092, 9093))
    assert settings["controller.quorum.bootstrap.servers"] == "127.0.0.1:9093"
    assert "controller.quorum.voters" not in settings
    assert settings["transaction.state.log.min.isr"] == settings["min.insync.replicas"] == "1"


def test_the_active_controller_is_read_from_the_quorum_state():
    state = {"leaderId": 2, "leaderEpoch": 4, "votedId": 2, "currentVoters": []}
    assert quorum_leader(json.dumps(state)) == 2
    assert quorum_leader(json.dumps({**state, "leaderId": -1})) is None  # mid-election
    assert quorum_leader("{truncated") is None
    assert quorum_leader("[]") is None


def test_a_cluster_needs_a_broker():
    with pytest.raises(LocalKafkaError, match="at least one broker"):
        LocalCluster(0)


def test_a_detached_cluster_lists_every_node_and_an_old_record_still_loads(tmp_path):
    cluster = DetachedBroker([os.getpid(), 2**22 + 7], "127.0.0.1:1,127.0.0.1:2", "/x", "4.1.2")
    cluster.save(tmp_path)
    assert DetachedBroker.load(tmp_path) == cluster
    assert cluster.running() == []  # ours is no Kafka broker; the other pid does not exist
    old = {"pid": 123, "bootstrap": "127.0.0.1:1", "directory": "/x", "version": "4.1.2"}
    (tmp_path / "broker.json").write_text(json.dumps(old))
    assert DetachedBroker.load(tmp_path) == DetachedBroker([123], "127.0.0.1:1", "/x", "4.1.2")
