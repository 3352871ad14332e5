"""The local broker's pure parts: jar cache, settings, detached-broker state. No Java needed."""

from __future__ import annotations

import hashlib
import os
import socket

import pytest

from wirestream.devbroker import jars, node
from wirestream.devbroker.detached import DetachedBroker, cluster_from_env, find_cluster
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.jars import resolve_jars


@pytest.fixture
def no_maven(monkeypatch, tmp_path):
    """A PATH without `mvn`: resolving jars must then work from the cache or fail clearly."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def complete_cache(cache, version="9.9.9"):
    libs = cache / f"kafka-{version}" / "libs"
    libs.mkdir(parents=True)
    (libs / f"kafka_2.13-{version}.jar").write_bytes(b"jar")
    digest = hashlib.sha256(jars.pom(version).encode()).hexdigest()
    (cache / f"kafka-{version}" / ".complete").write_text(digest + "\n")
    return libs


def test_a_complete_cache_is_used_without_maven(tmp_path, no_maven):
    libs = complete_cache(tmp_path)
    assert resolve_jars("9.9.9", cache=tmp_path) == libs
    assert (libs / "kafka_2.13-9.9.9.jar").read_bytes() == b"jar"


def test_a_half_download_is_wiped_and_redone(tmp_path, no_maven):
    half = tmp_path / "kafka-9.9.9" / "libs"
    half.mkdir(parents=True)
    (half / "kafka-clients-9.9.9.jar").write_bytes(b"truncat")
    with pytest.raises(LocalKafkaError, match="`mvn` not found"):
        resolve_jars("9.9.9", cache=tmp_path)
    assert not (half / "kafka-clients-9.9.9.jar").exists()
    assert (tmp_path / "kafka-9.9.9" / "pom.xml").is_file()


def test_a_marker_for_other_coordinates_counts_as_incomplete(tmp_path, no_maven):
    libs = complete_cache(tmp_path)
    (libs.parent / ".complete").write_text("digest-of-another-log4j\n")
    with pytest.raises(LocalKafkaError, match="Maven"):
        resolve_jars("9.9.9", cache=tmp_path)


def test_the_pom_asks_for_kafka_and_the_log4j_binding():
    pom = jars.pom("4.1.2")
    assert "<artifactId>kafka_2.13</artifactId><version>4.1.2</version>" in pom
    for artifact in ("log4j-slf4j-impl", "log4j-core", "log4j-api"):
        assert f"<artifactId>{artifact}</artifactId>" in pom


def test_server_properties_use_the_given_ports_and_directory(tmp_path):
    text = node.server_properties(tmp_path / "data", 19092, 19093)
    settings = dict(line.split("=", 1) for line in text.splitlines())
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert settings["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert settings["log.dirs"] == str(tmp_path / "data")
    assert settings["offsets.topic.replication.factor"] == "1"


def test_a_free_port_can_be_bound_on_loopback():
    port = node.free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        assert listener.getsockname()[1] == port


def test_kafka_bootstrap_from_env_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("WIRESTREAM_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP", " broker-1:9092 ")
    assert cluster_from_env() == "broker-1:9092"
    assert find_cluster() == "broker-1:9092"
    assert find_cluster("explicit:9092") == "explicit:9092"
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "")
    assert cluster_from_env() is None
    assert find_cluster() is None


def test_detached_state_round_trips_and_a_dead_pid_is_not_alive(monkeypatch, tmp_path):
    monkeypatch.delenv("KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("WIRESTREAM_RUN_DIR", str(tmp_path))
    assert DetachedBroker.load() is None
    # Our own pid is alive but is no Kafka broker: it must not count (or be killed).
    impostor = DetachedBroker([os.getpid()], "127.0.0.1:1", str(tmp_path / "gone"), "4.1.2")
    state = impostor.save()
    assert state == tmp_path / "kafka" / "broker.json"
    assert DetachedBroker.load() == impostor
    assert not impostor.alive()
    assert find_cluster() is None
    assert impostor.stop() is False
    DetachedBroker.forget()
    assert DetachedBroker.load() is None


def test_cluster_ids_are_22_url_safe_characters_never_led_by_a_dash():
    # The first draw encodes to "-----..." and must be redrawn.
    draws = iter([b"\xfb\xef\xbe" * 5 + b"\xfb", bytes(range(16))])
    cluster_id = node.new_cluster_id(lambda n: next(draws))
    assert cluster_id == "AAECAwQFBgcICQoLDA0ODw"
    assert len(cluster_id) == 22 and not cluster_id.startswith("-")
