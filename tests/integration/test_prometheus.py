"""The dashboard and the alert rules against a real Prometheus scraping the real services.

The three stages run as `wirestream serve` processes on the session broker; Prometheus
(Debian's `prometheus` package, on a free loopback port) scrapes them every second with the
repository's alert rules loaded. Pages go in twice: the second round repeats the first (all
duplicates) and adds one more revision of a story (an update); a cookie wall is dead-lettered in
both. Every dashboard query and every alert expression is then evaluated through the HTTP API:
each must parse, the panels fed by such a run must show data (throughput, dedup, dead letters,
latency), and every rule must evaluate without error. `promtool check rules`, `check metrics`
and `check config` pass.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from wirestream.core.topics import PipelineTopics
from wirestream.devbroker.subprocesses import stop_gracefully

pytestmark = [pytest.mark.kafka, pytest.mark.prometheus]

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
ALERTS = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "dashboards" / "wirestream.json"
PAGES = ROOT / "tests" / "fixtures" / "ops"
# Files in publishing order (one source, so one raw partition, so this order is kept).
FIRST_ROUND = ("havenstaking", "havenstaking_update1", "verkiezingen", "cookiemuur")
SECOND_ROUND = (*FIRST_ROUND[:2], "havenstaking_update2", *FIRST_ROUND[2:])
STAGES = ("normalizer", "deduplicator", "enricher")
# Grafana fills these in before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$service": ".*"}
# Panels whose every query must show a value above zero after the run.
MUST_HAVE_DATA = (
    "Records consumed per second",
    "Records produced per second",
    "Dedup decisions per second by status",
    "Duplicate ratio",
    "Update rate",
    "Dead letters per second by reason",
    "Dead-letter share of input",
    "End-to-end latency percentiles",
    "Stage latency percentiles",
    "Batch size",
    "Commits per second",
    "Services up and ready",
)
# Panels with series, zero in a healthy run (caught up, no rebalance since the start, every
# place known). Only the failure counters have no series: nothing failed.
MUST_HAVE_SERIES = (
    "Consumer lag by topic",
    "Consumer lag by partition (max over instances)",
    "Rebalances",
    "Gazetteer misses and unknown agencies per second",
)
DEADLINE_S = 45.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(what: str, check: Callable[[], bool], timeout: float, describe: Callable[[], str]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{describe()}")


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH: install Debian's prometheus package "
            "(`apt-get install -y prometheus`; .ci/run installs it when missing)"
        )
    return path


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        return f"--- {self.name} (exit {self.process.poll()}):\n" + "\n".join(
            self.log.read_text(errors="replace").splitlines()[-30:]
        )


def stop(process: subprocess.Popen) -> None:
    stop_gracefully(process, timeout=15)


def wirestream(*args: str) -> list[str]:
    return [sys.executable, "-m", "wirestream.cli", *args]


@pytest.fixture(scope="module")
def topic_env(kafka_bootstrap: str) -> dict[str, str]:
    """The environment of every wirestream process here: the session broker and topics of
    this test's own (WIRESTREAM_TOPIC_<ROLE>), created with `wirestream topics create`."""
    topics = PipelineTopics().with_prefix(f"ops-{uuid.uuid4().hex[:8]}.")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "WIRESTREAM_LOG_LEVEL": "WARNING",
        **{f"WIRESTREAM_TOPIC_{role.upper()}": name for role, name in topics.by_role().items()},
    }
    created = subprocess.run(
        wirestream("topics", "create", "--partitions", "2"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    return env


@pytest.fixture(scope="module")
def services(topic_env: dict[str, str], tmp_path_factory) -> Iterator[dict[str, Service]]:
    logs = tmp_path_factory.mktemp("services")
    started: dict[str, Service] = {}
    try:
        for stage in STAGES:
            port = free_port()
            log = logs / f"{stage}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    wirestream(
                        "serve",
                        stage,
                        "--metrics-host",
                        "127.0.0.1",
                        "--metrics-port",
                        str(port),
                        "--group-id",
                        f"{topic_env['WIRESTREAM_TOPIC_RAW']}.{stage}",
                    ),
                    env=topic_env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started[stage] = Service(stage, process, port, log)
        yield started
    finally:
        for service in started.values():
            stop(service.process)


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen
    log: Path

    def api(self, path: str, **params: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        status, body = http_get(f"{self.url}/api/v1/{path}?{query}", timeout=10)
        payload = json.loads(body)
        assert status in (200, 400, 422), (status, body[:500])
        return payload

    def query(self, expr: str) -> dict[str, Any]:
        return self.api("query", query=expr)

    def result(self, expr: str) -> list[dict[str, Any]]:
        """The samples of an instant query that must succeed."""
        answer = self.query(expr)
        if answer["status"] != "success":
            pytest.fail(f"Prometheus refused {expr!r}: {answer.get('error')}")
        return answer["data"]["result"]

    def value(self, expr: str) -> float:
        """The single value of an aggregating query, 0 when it has no data yet."""
        result = self.result(expr)
        return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture(scope="module")
def prometheus(services: dict[str, Service], tmp_path_factory) -> Iterator[Prometheus]:
    """Prometheus scraping the services every second, the repository's alert rules loaded.
    Job names follow ops/prometheus/prometheus.yml, so the `up{job=~...}` queries match."""
    executable = binary("prometheus")
    home = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {
                "job_name": f"wirestream-{name}",
                "static_configs": [{"targets": [f"127.0.0.1:{service.port}"]}],
            }
            for name, service in services.items()
        ],
    }
    (home / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    log = home / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                executable,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for(
            "Prometheus to be ready",
            lambda: http_get(f"{server.url}/-/ready")[0] == 200,
            timeout=20,
            describe=lambda: log.read_text(errors="replace")[-2000:],
        )
        yield server
    finally:
        stop(process)


def describe_all(services: dict[str, Service]) -> Callable[[], str]:
    return lambda: "\n".join(service.tail() for service in services.values())


def all_ready(services: dict[str, Service]) -> bool:
    for service in services.values():
        if service.process.poll() is not None:
            pytest.fail(f"{service.name} exited\n{service.tail()}")
    return all(http_get(f"{s.url}/readyz")[0] == 200 for s in services.values())


def produce(topic_env: dict[str, str], pages: tuple[str, ...]) -> None:
    result = subprocess.run(
        wirestream("produce", "--source", "ops-test", *(str(PAGES / f"{p}.txt") for p in pages)),
        env=topic_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unsubstituted Grafana variable in {expr!r}"
    return expr


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panel_queries() -> list[tuple[str, str]]:
    return [
        (panel["title"], grafana_to_promql(target["expr"]))
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    groups = YAML(typ="safe").load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def positive(result: list[dict[str, Any]]) -> bool:
    return any(float(sample["value"][1]) > 0 for sample in result)


@pytest.fixture(scope="module")
def scraped_run(
    topic_env: dict[str, str], services: dict[str, Service], prometheus: Prometheus
) -> Prometheus:
    """The pipeline after both rounds, as Prometheus saw it."""
    describe = describe_all(services)
    wait_for(
        "every service to be ready",
        lambda: all_ready(services),
        timeout=DEADLINE_S,
        describe=describe,
    )
    wait_for(
        "Prometheus to scrape every service",
        lambda: prometheus.value('sum(up{job=~"wirestream-.+"})') == len(services),
        timeout=15,
        describe=describe,
    )
    produce(topic_env, FIRST_ROUND)
    # The counters' series must exist in Prometheus before the second round, so that rate()
    # sees the second round's increase.
    first_round = (
        'sum(wirestream_dedup_decisions_total{status="duplicate"})',
        'sum(wirestream_dedup_decisions_total{status="update"})',
        'sum(wirestream_dead_letters_total{reason="not_an_article"})',
        'sum(wirestream_records_produced_total{service="enricher"})',
    )
    wait_for(
        "Prometheus to see the first round through every stage",
        lambda: all(prometheus.value(expr) > 0 for expr in first_round),
        timeout=DEADLINE_S,
        describe=lambda: f"{[(e, prometheus.value(e)) for e in first_round]}\n{describe()}",
    )
    produce(topic_env, SECOND_ROUND)

    def empty_panels() -> list[str]:
        return [
            title
            for title, expr in panel_queries()
            if title in MUST_HAVE_DATA and not positive(prometheus.result(expr))
        ]

    wait_for(
        "the panels to show the second round",
        lambda: not empty_panels(),
        timeout=DEADLINE_S,
        describe=lambda: f"panels without data: {empty_panels()}\n{describe()}",
    )
    return prometheus


def test_every_dashboard_query_parses_and_evaluates(scraped_run: Prometheus):
    queries = panel_queries()
    assert len(queries) >= 20
    failures = []
    for title, expr in queries:
        answer = scraped_run.query(expr)
        if answer["status"] != "success":
            failures.append(f"{title}: {answer.get('error')}\n  {expr}")
    assert not failures, "\n".join(failures)


def test_panels_fed_by_the_run_show_data(scraped_run: Prometheus):
    queries = panel_queries()
    for title in (*MUST_HAVE_DATA, *MUST_HAVE_SERIES):
        exprs = [expr for panel, expr in queries if panel == title]
        assert exprs, f"no panel titled {title!r}"
        for expr in exprs:
            result = scraped_run.result(expr)
            assert result, f"{title}: no series for {expr}"
            assert title in MUST_HAVE_SERIES or positive(result), f"{title}: all zero: {expr}"
    by_service = scraped_run.result(dict(queries)["Records consumed per second"])
    assert {sample["metric"]["service"] for sample in by_service} == set(STAGES)
    by_reason = scraped_run.result(dict(queries)["Dead letters per second by reason"])
    assert [s["metric"]["reason"] for s in by_reason] == ["not_an_article"]


def test_dead_letter_alert_expression_sees_the_cookie_wall(scraped_run: Prometheus):
    # One raw record in five is dead-lettered: over the 5 % threshold (pending, `for: 10m`).
    rule = next(rule for rule in alert_rules() if rule["alert"] == "WirestreamDeadLetterRate")
    assert [s["metric"]["service"] for s in scraped_run.result(rule["expr"])] == ["normalizer"]


def test_dashboard_template_variable_lists_every_service(scraped_run: Prometheus):
    variable = dashboard()["templating"]["list"][0]
    metric = variable["definition"].removeprefix("label_values(").split(",")[0]
    values = scraped_run.api(f"label/{variable['name']}/values", **{"match[]": metric})["data"]
    assert set(values) == set(STAGES)


def test_every_alert_expression_parses_and_every_rule_evaluates(scraped_run: Prometheus):
    rules = alert_rules()
    failures = [
        f"{rule['alert']}: {answer.get('error')}"
        for rule in rules
        if (answer := scraped_run.query(rule["expr"]))["status"] != "success"
    ]
    assert not failures, "\n".join(failures)
    # Prometheus evaluated the loaded rules on its own, every second, without an error.
    loaded = {
        rule["name"]: rule
        for group in scraped_run.api("rules")["data"]["groups"]
        for rule in group["rules"]
    }
    assert set(loaded) == {rule["alert"] for rule in rules}
    for name, rule in loaded.items():
        assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"


def run_promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), *args], input=stdin, capture_output=True, timeout=60)


def test_promtool_checks_the_rules_and_the_compose_config():
    rules = run_promtool("check", "rules", str(ALERTS))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found".encode() in rules.stdout
    config = run_promtool("check", "config", str(OPS / "prometheus" / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr


def test_promtool_checks_every_service_metrics_body(
    scraped_run: Prometheus, services: dict[str, Service]
):
    for name in STAGES:
        status, body = http_get(f"{services[name].url}/metrics")
        assert status == 200
        assert b"wirestream_records_consumed_total{" in body
        checked = run_promtool("check", "metrics", stdin=body)
        assert checked.returncode == 0, f"{name}: {checked.stdout + checked.stderr}"


def test_service_down_alert_expression_sees_a_stopped_service(
    scraped_run: Prometheus, services: dict[str, Service]
):
    # Last, since it stops a service: the alert's expression must notice within seconds.
    down = next(rule for rule in alert_rules() if rule["alert"] == "WirestreamServiceDown")
    stop(services["enricher"].process)
    wait_for(
        "the service-down expression to report the enricher",
        lambda: (
            [s["metric"]["job"] for s in scraped_run.result(down["expr"])]
            == ["wirestream-enricher"]
        ),
        timeout=15,
        describe=lambda: "",
    )
