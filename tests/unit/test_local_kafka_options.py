"""LocalKafka's options for the fault tests: more listeners, broker settings over the
defaults and storage-format arguments (pure parts; restart is exercised on a real broker by
tests/faults/test_broker_restart.py, the SASL_SSL listener by tests/faults/test_security.py)."""

from __future__ import annotations

from wirestream.devbroker.local_kafka import LocalKafka
from wirestream.devbroker.node import server_properties


def parsed(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_without_options_the_broker_has_plaintext_and_controller_listeners_only(tmp_path):
    settings = parsed(server_properties(tmp_path, 9092, 9093))
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert settings["listener.security.protocol.map"] == (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    )


def test_more_listeners_and_settings_over_the_defaults(tmp_path):
    settings = parsed(
        server_properties(
            tmp_path,
            9092,
            9093,
            {"SECURE": ("SASL_SSL", 9094)},
            {"sasl.enabled.mechanisms": "SCRAM-SHA-512", "num.partitions": "3"},
        )
    )
    secure = "SECURE://127.0.0.1:9094"
    assert settings["listeners"].split(",")[-1] == secure
    assert settings["advertised.listeners"].split(",")[-1] == secure
    assert settings["listener.security.protocol.map"].endswith(",SECURE:SASL_SSL")
    assert settings["inter.broker.listener.name"] == "PLAINTEXT"  # the probe's listener
    assert settings["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert settings["num.partitions"] == "3"  # a given setting wins over the default


def test_options_are_kept_for_start():
    kafka = LocalKafka(
        listeners={"SECURE": "SASL_SSL"},
        properties={"a": "b"},
        format_args=["--add-scram", "SCRAM-SHA-512=[name=u,password=p]"],
    )
    assert kafka.listeners == {"SECURE": "SASL_SSL"}
    assert kafka.properties == {"a": "b"}
    assert kafka.format_args[0] == "--add-scram"
    assert kafka.listener_ports == {}  # picked at start
