"""Service plumbing without a broker: settings, JSON logs, metrics, HTTP endpoints."""

from __future__ import annotations

import argparse
import io
import logging
import socket
import ssl
import subprocess
import sys

import aiohttp
import orjson
import pytest
import structlog

from wirestream.cli import main
from wirestream.core.config import (
    METRICS_PORTS,
    Secret,
    add_settings_arguments,
    settings_from,
    settings_from_env,
)
from wirestream.core.http import Health, HttpServer, PortInUse, build_app
from wirestream.core.logging import RepeatGate, configure_logging, get_logger
from wirestream.core.metrics import Metrics


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_settings_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_name_the_service_group_and_topics():
    settings = settings_from_env("deduplicator", {})
    assert settings.bootstrap == "127.0.0.1:9092"
    assert settings.group == "wirestream-deduplicator"
    assert settings.topics.items == "wire.items"
    assert settings.topics.dedup_changelog == "wire.dedup-changelog"
    assert settings.exactly_once
    assert settings.consumer_kwargs()["isolation_level"] == "read_committed"
    assert settings.consumer_kwargs()["enable_auto_commit"] is False


def test_each_service_has_its_own_metrics_port_clear_of_node_exporter():
    ports = {name: settings_from_env(name, {}).metrics_port for name in METRICS_PORTS}
    assert len(set(ports.values())) == len(ports)  # side by side on one host without a clash
    assert 9100 not in ports.values()  # node_exporter's port
    overridden = settings_from_env("enricher", {"WIRESTREAM_METRICS_PORT": "0"})
    assert overridden.metrics_port == 0


async def test_a_busy_port_is_named_not_a_traceback():
    first = HttpServer(build_app(Health(), Metrics("normalizer").registry), "127.0.0.1", 0)
    await first.start()
    try:
        second = HttpServer(
            build_app(Health(), Metrics("enricher").registry), "127.0.0.1", first.port
        )
        with pytest.raises(PortInUse, match=f"port {first.port} on 127.0.0.1 is already in use"):
            await second.start()
    finally:
        await first.stop()


def test_a_topic_prefix_separates_topics_changelog_and_group():
    staging = settings_from(parse(["--topic-prefix", "staging."]), "deduplicator", {})
    assert staging.topics.raw == "staging.wire.raw"
    assert staging.topics.dedup_changelog == "staging.wire.dedup-changelog"
    assert staging.group == "staging.wirestream-deduplicator"  # no shared group either
    from_env = settings_from_env("deduplicator", {"WIRESTREAM_TOPIC_PREFIX": "eu."})
    assert (from_env.topics.items, from_env.group) == (
        "eu.wire.items",
        "eu.wirestream-deduplicator",
    )
    flag_wins = settings_from(
        parse(["--topic-prefix", "b."]), "enricher", {"WIRESTREAM_TOPIC_PREFIX": "a."}
    )
    assert flag_wins.topics.unique == "b.wire.unique"
    named = settings_from(
        parse(["--topic-prefix", "b.", "--topic-raw", "scrapes"]), "normalizer", {}
    )
    assert (named.topics.raw, named.topics.items) == ("scrapes", "b.wire.items")


def test_environment_then_flags_override_defaults():
    env = {
        "KAFKA_BOOTSTRAP": "k1:9092",
        "WIRESTREAM_TOPIC_RAW": "in.raw",
        "WIRESTREAM_GUARANTEE": "at-least-once",
        "WIRESTREAM_BATCH_SIZE": "50",
        "WIRESTREAM_TRANSACTION_MS": "20",
        "WIRESTREAM_LOG_LEVEL": "debug",
    }
    from_env = settings_from_env("normalizer", env)
    assert (from_env.bootstrap, from_env.topics.raw) == ("k1:9092", "in.raw")
    assert from_env.guarantee == "at_least_once"
    assert from_env.consumer_kwargs()["isolation_level"] == "read_uncommitted"
    assert (from_env.batch_size, from_env.log_level) == (50, "DEBUG")
    assert from_env.transaction_ms == 20

    args = parse(["--bootstrap", "k2:9092", "--topic-dedup-changelog", "x.log", "--group-id", "g"])
    settings = settings_from(args, "normalizer", env)
    assert settings.bootstrap == "k2:9092"
    assert settings.topics.dedup_changelog == "x.log"
    assert settings.topics.raw == "in.raw"  # env value kept where no flag was given
    assert settings.group == "g"
    assert settings.batch_size == 50
    assert settings_from(parse(["--transaction-ms", "5"]), "x", env).transaction_ms == 5


def test_wirestream_bootstrap_wins_over_kafka_bootstrap():
    env = {"KAFKA_BOOTSTRAP": "k1:9092", "WIRESTREAM_BOOTSTRAP": "w:9092"}
    assert settings_from_env("x", env).bootstrap == "w:9092"


@pytest.mark.parametrize(
    "env",
    [
        {"WIRESTREAM_GUARANTEE": "maybe"},
        {"WIRESTREAM_BATCH_SIZE": "many"},
        {"WIRESTREAM_TRANSACTION_MS": "-1"},
        {"WIRESTREAM_TRANSACTION_MS": "600", "WIRESTREAM_TRANSACTION_MAX_MS": "500"},
        {"WIRESTREAM_METRICS_PORT": "70000"},
    ],
)
def test_bad_values_are_rejected_with_a_clear_error(env):
    with pytest.raises(ValueError):
        settings_from_env("x", env)


def test_sasl_ssl_pass_through_and_secrets_are_masked():
    env = {
        "WIRESTREAM_SECURITY_PROTOCOL": "sasl_ssl",
        "WIRESTREAM_SASL_MECHANISM": "scram-sha-512",
        "WIRESTREAM_SASL_USERNAME": "wire",
        "WIRESTREAM_SASL_PASSWORD": "hunter2",
    }
    settings = settings_from_env("enricher", env)
    kwargs = settings.client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "wire"
    assert kwargs["sasl_plain_password"] == "hunter2"
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(Secret("hunter2"))


@pytest.fixture
def log_lines():
    """A byte stream the logging setup writes to; the global setup is undone afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield io.BytesIO()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_log_lines_are_json_with_bound_context(log_lines):
    out = log_lines
    configure_logging("normalizer", "INFO", stream=out)
    log = get_logger(topic="wire.raw", partition=2, offset=17)
    log.debug("hidden")
    log.info("dead_letter", item_id="abc", reason="no_dateline")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    event = orjson.loads(lines[0])
    assert event["service"] == "normalizer"
    assert (event["topic"], event["partition"], event["offset"]) == ("wire.raw", 2, 17)
    assert (event["event"], event["level"], event["item_id"]) == ("dead_letter", "info", "abc")
    assert event["timestamp"].endswith("Z")


def test_library_log_records_become_json_lines_too(log_lines):
    out = log_lines
    configure_logging("deduplicator", "INFO", stream=out)
    logging.getLogger("aiokafka.consumer").info("chatty")
    logging.getLogger("aiokafka.consumer").warning("Heartbeat failed for group %s", "g")
    (line,) = out.getvalue().splitlines()
    event = orjson.loads(line)
    assert event["event"] == "Heartbeat failed for group g"
    assert (event["logger"], event["level"], event["service"]) == (
        "aiokafka.consumer",
        "warning",
        "deduplicator",
    )


def test_conditions_the_client_retries_are_warnings_not_errors(log_lines):
    # Every start on a fresh broker logged "Group Coordinator Request failed" at ERROR while
    # the coordinator loaded, although aiokafka retries it by itself.
    configure_logging("normalizer", "INFO", stream=log_lines)
    coordinator = logging.getLogger("aiokafka.consumer.group_coordinator")
    coordinator.error("Group Coordinator Request failed: %s", "CoordinatorLoadInProgressError")
    coordinator.error("Attempt to join group failed due to fatal error: %s", "Unknown")
    logging.getLogger("someone.else").error("Group Coordinator Request failed: %s", "x")
    events = [orjson.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [(e["logger"], e["level"]) for e in events] == [
        ("aiokafka.consumer.group_coordinator", "warning"),
        ("aiokafka.consumer.group_coordinator", "error"),
        ("someone.else", "error"),
    ]


def test_a_library_warning_repeated_many_times_a_second_comes_out_once_per_window(log_lines):
    # A broker that was down made one service log ~130 of these a second, for over an hour.
    now = [0.0]
    configure_logging("pipeline", "INFO", stream=log_lines, repeats=RepeatGate(10, lambda: now[0]))
    client = logging.getLogger("aiokafka")
    for attempt in range(130):
        now[0] = attempt / 130
        client.error("Unable connect to node with id %s: %s", 1, "Connect call failed")
        client.error("Unable to update metadata from %s", [1])
    logging.getLogger("aiokafka.conn").error("Unable connect to node with id %s: %s", 1, "x")
    now[0] = 10.5
    client.error("Unable connect to node with id %s: %s", 2, "Connect call failed")
    events = [orjson.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [(e["logger"], e["event"], e.get("repeats_held_back")) for e in events] == [
        ("aiokafka", "Unable connect to node with id 1: Connect call failed", None),
        ("aiokafka", "Unable to update metadata from [1]", None),
        ("aiokafka.conn", "Unable connect to node with id 1: x", None),  # another logger
        ("aiokafka", "Unable connect to node with id 2: Connect call failed", 129),
    ]


def test_the_count_of_a_last_burst_comes_out_when_logging_shuts_down(log_lines):
    gate = RepeatGate(10, lambda: 0)
    configure_logging("pipeline", "INFO", stream=log_lines, repeats=gate)
    for node in range(5):  # the broker's last minute down: no later line of this kind
        logging.getLogger("aiokafka").error("Unable connect to node with id %s", node)
        logging.getLogger("aiokafka").error("Unable to update metadata from %s", [node])
    logging.getLogger("aiokafka").warning("Heartbeat failed")  # one line, nothing held
    for handler in logging.getLogger().handlers:
        handler.flush()  # what logging.shutdown does at exit
    events = [orjson.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [(e["logger"], e["level"], e["event"], e.get("repeats_held_back")) for e in events] == [
        ("aiokafka", "error", "Unable connect to node with id 0", None),
        ("aiokafka", "warning", "Unable to update metadata from [0]", None),  # retried by aiokafka
        ("aiokafka", "warning", "Heartbeat failed", None),
        ("aiokafka", "error", "library_lines_held_back", 4),
        ("aiokafka", "warning", "library_lines_held_back", 4),  # at the level its lines had
    ]
    assert [e["template"] for e in events[-2:]] == [
        "Unable connect to node with id %s",
        "Unable to update metadata from %s",
    ]
    assert gate.held_back() == []  # reported once


def test_library_lines_below_warning_are_never_held_back(log_lines):
    configure_logging("enricher", "DEBUG", stream=log_lines, repeats=RepeatGate(10, lambda: 0))
    for _ in range(3):
        logging.getLogger("aiohttp.access").debug("GET /metrics")
    assert len(log_lines.getvalue().splitlines()) == 3


def test_debug_level_keeps_aiokafka_authentication_exchanges_out(log_lines):
    configure_logging("enricher", "DEBUG", stream=log_lines)
    logging.getLogger("aiokafka.conn").debug("SCRAM client-final-message c=biws,r=nonce")
    logging.getLogger("aiokafka.conn").info("connected")
    logging.getLogger("aiohttp.access").debug("GET /metrics")
    events = [orjson.loads(line)["event"] for line in log_lines.getvalue().splitlines()]
    assert events == ["connected", "GET /metrics"]
    configure_logging("enricher", "INFO", stream=log_lines)
    assert logging.getLogger("aiokafka").level == logging.NOTSET  # back to the root's WARNING


def test_metrics_expose_prefixed_names_and_stage_counts():
    metrics = Metrics("enricher")
    metrics.consumed.labels("enricher", "wire.unique").inc(3)
    metrics.dead_letters.labels("enricher", "enricher", "invalid_item").inc()
    metrics.watch_stage_counts(lambda: [("enricher", {"gazetteer_miss": 4})])
    text = metrics.exposition().decode()
    assert 'wirestream_records_consumed_total{service="enricher",topic="wire.unique"} 3.0' in text
    events = 'wirestream_stage_events_total{event="gazetteer_miss",service="enricher",'
    assert events + 'stage="enricher"} 4.0' in text
    assert "wirestream_build_info{" in text
    names = {
        line.split("{")[0].split(" ")[0]
        for line in text.splitlines()
        if line.startswith("wirestream_")
    }
    assert all(name.startswith("wirestream_") for name in names)


def test_expected_series_exist_at_zero_before_the_first_record():
    # rate() needs a sample before the first increment, or it misses that increment.
    metrics = Metrics("deduplicator")
    metrics.expect("wire.items", ["wire.unique", "wire.dlq"], decides=True)
    text = metrics.exposition().decode()
    for status in ("new", "update", "duplicate"):
        assert (
            f'wirestream_dedup_decisions_total{{service="deduplicator",status="{status}"}} 0.0'
        ) in text
    assert 'records_consumed_total{service="deduplicator",topic="wire.items"} 0.0' in text
    assert 'records_produced_total{service="deduplicator",topic="wire.dlq"} 0.0' in text
    assert 'wirestream_commit_failures_total{service="deduplicator"} 0.0' in text
    for change in ("figure", "teaser_to_article", "other", "unknown"):
        series = f'dedup_update_changes_total{{change="{change}",service="deduplicator"}} 0.0'
        assert f"wirestream_{series}" in text
    stateless = Metrics("enricher")
    stateless.expect("wire.unique", ["wire.normalized"], decides=False)
    assert "wirestream_dedup_decisions_total{" not in stateless.exposition().decode()


async def test_http_endpoints_follow_health_and_accept_extra_routes():
    from aiohttp import web

    async def ping(_: web.Request) -> web.Response:
        return web.Response(text="pong")

    health = Health()
    metrics = Metrics("x")
    server = HttpServer(
        build_app(health, metrics.registry, [web.get("/ping", ping)]), "127.0.0.1", 0
    )
    await server.start()
    try:
        assert server.port > 0
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, bytes]:
                async with http.get(server.url + path) as response:
                    return response.status, await response.read()

            assert (await get("/healthz"))[0] == 200
            status, body = await get("/readyz")
            assert status == 503 and orjson.loads(body)["reason"] == "starting"
            health.set_ready()
            assert (await get("/readyz"))[0] == 200
            status, body = await get("/metrics")
            assert status == 200 and b"wirestream_build_info" in body
            assert (await get("/ping")) == (200, b"pong")
            health.fail("broker unreachable")
            assert (await get("/healthz"))[0] == 503
            assert (await get("/readyz"))[0] == 503
    finally:
        await server.stop()


WIRESTREAM = (sys.executable, "-m", "wirestream.cli")


def test_serve_on_a_busy_metrics_port_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*WIRESTREAM, "serve", "normalizer", "--metrics-port", str(port), "--bootstrap", "x:1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"wirestream serve: metrics port {port} on 0.0.0.0 is already in use; choose another"
        " with --metrics-port or WIRESTREAM_METRICS_PORT (0 picks a free port)"
    ]


def test_ctrl_c_during_start_up_stops_quietly(monkeypatch, capsys):
    # Ctrl-C while a service still imports and loads its stages printed a KeyboardInterrupt
    # traceback (the demo's children got the terminal's SIGINT too; they now have a session
    # of their own, and the command line itself ends quietly with 130).
    from wirestream.commands import serve

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "run", interrupted)
    assert main(["serve", "enricher", "--bootstrap", "x:1"]) == 130
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
