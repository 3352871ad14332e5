"""The Prometheus and Grafana files agree with the code and with docker-compose.yml: every
metric they query is one `wirestream.core.metrics.Metrics` exposes, every service is scraped
on the port it serves, and Grafana finds its datasource and dashboard where compose mounts them.
(tests/integration/test_prometheus.py runs the queries themselves on a real Prometheus.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.metrics import MetricWrapperBase
from ruamel.yaml import YAML

from wirestream.core.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
DASHBOARD = OPS / "grafana" / "dashboards" / "wirestream.json"
METRIC_TOKEN = re.compile(r"\b(wirestream_[a-z0-9_]+|up)\b(?!\s*\()")
# Sample names each family type puts on the wire (text exposition of prometheus-client).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def dashboard_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def alert_exprs() -> list[tuple[str, str]]:
    groups = load_yaml(OPS / "prometheus" / "alerts.yml")["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def exposed_names() -> set[str]:
    """Every sample name a service's /metrics can carry, read from the real registry."""
    metrics = Metrics("normalizer")
    metrics.watch_stage_counts(lambda: [("enricher", {"gazetteer_miss": 1})])
    return {
        family.name + suffix
        for family in metrics.registry.collect()
        for suffix in SUFFIXES[family.type]
    }


def test_exposed_names_cover_the_issue_list():
    names = exposed_names()
    for name in (
        "wirestream_records_consumed_total",
        "wirestream_records_produced_total",
        "wirestream_dedup_decisions_total",
        "wirestream_dead_letters_total",
        "wirestream_stage_latency_seconds_bucket",
        "wirestream_end_to_end_latency_seconds_bucket",
        "wirestream_consumer_lag_records",
        "wirestream_batch_size_records_bucket",
        "wirestream_rebalances_total",
        "wirestream_commit_failures_total",
        "wirestream_stage_events_total",
        "wirestream_build_info",
    ):
        assert name in names


@pytest.mark.parametrize(
    ("where", "expr"), dashboard_exprs() + alert_exprs(), ids=lambda value: str(value)[:60]
)
def test_every_queried_metric_is_exposed_by_the_services(where, expr):
    names = exposed_names() | {"up"}
    used = set(METRIC_TOKEN.findall(expr))
    assert used, f"{where}: no metric in {expr!r}"
    assert used <= names, f"{where}: {sorted(used - names)} are not exposed"


def test_metric_check_catches_a_made_up_name():
    assert "wirestream_records_total" not in exposed_names()


def compose_services() -> dict[str, Any]:
    return load_yaml(ROOT / "docker-compose.yml")["services"]


def metrics_port(service: dict[str, Any]) -> int:
    """Where a compose service serves /metrics: the producer on its --http port, the stages
    on WIRESTREAM_METRICS_PORT."""
    command = service["command"]
    if "--http" in command:
        return int(command[command.index("--http") + 1].rpartition(":")[2])
    return int(service["environment"]["WIRESTREAM_METRICS_PORT"])


def test_prometheus_scrapes_every_service_where_it_serves_metrics():
    config = load_yaml(OPS / "prometheus" / "prometheus.yml")
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    services = compose_services()
    for name in ("producer", "normalizer", "deduplicator", "enricher"):
        expected = f"{name}:{metrics_port(services[name])}"
        assert targets.get(f"wirestream-{name}") == expected
        healthcheck = " ".join(services[name]["healthcheck"]["test"])
        assert f":{metrics_port(services[name])}/readyz" in healthcheck
    for rule_file in config["rule_files"]:
        assert (OPS / "prometheus" / rule_file).is_file()


def container_path(service: dict[str, Any], host_path: str) -> str:
    for volume in service["volumes"]:
        source, target, *_ = volume.split(":")
        if source == host_path:
            return target
    raise AssertionError(f"{host_path} is not mounted")


def test_grafana_provisioning_matches_the_dashboard_and_the_compose_mounts():
    grafana = compose_services()["grafana"]
    provisioning = OPS / "grafana" / "provisioning"
    datasources = load_yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    providers = load_yaml(provisioning / "dashboards" / "wirestream.yml")["providers"]
    assert container_path(grafana, "./ops/grafana/provisioning") == "/etc/grafana/provisioning"
    dashboards = container_path(grafana, "./ops/grafana/dashboards")
    assert providers[0]["options"]["path"] == dashboards
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards}/{DASHBOARD.name}"
    prometheus_port = compose_services()["prometheus"]["ports"][0].rpartition(":")[2]
    assert datasources[0]["url"] == f"http://prometheus:{prometheus_port}"

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    uid = datasources[0]["uid"]
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == uid
        assert all(target["datasource"]["uid"] == uid for target in panel["targets"])
        assert panel["description"], panel["title"]


def readme_table(heading: str) -> list[list[str]]:
    """The rows of the first table under `### heading` in the README, cells unquoted."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def test_metric_reference_documents_every_metric_with_its_type_and_labels():
    metrics = Metrics("normalizer")
    metrics.watch_stage_counts(lambda: [("enricher", {"gazetteer_miss": 1})])
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase) and metric._labelnames:
            # A family shows its labels only once a child exists: make one of each.
            metric.labels(*("x" for _ in metric._labelnames))
    wire_type = {"counter": "counter", "histogram": "histogram", "gauge": "gauge", "info": "gauge"}
    exposed = {}
    for family in metrics.registry.collect():
        name = family.name + {"counter": "_total", "info": "_info"}.get(family.type, "")
        sample_labels = {label for s in family.samples for label in s.labels if label != "le"}
        exposed[name] = (wire_type[family.type], sample_labels)
    documented = {
        row[0]: (row[1], {label.strip().strip("`") for label in row[2].split(",")})
        for row in readme_table("Metric reference")
    }
    assert set(documented) == set(exposed)
    for name, (kind, labels) in documented.items():
        assert (kind, labels) == exposed[name], name


def test_readme_describes_every_dashboard_panel_and_alert():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = {p["title"] for p in dashboard["panels"] if p["type"] != "row"}
    assert {row[1] for row in readme_table("Dashboard panels")} == panels
    assert {row[0] for row in readme_table("Alert rules")} == {name for name, _ in alert_exprs()}


def event_matcher(expr: str) -> re.Pattern[str]:
    """The `event=~"..."` matcher of a stage-events query, as Prometheus anchors it."""
    (pattern,) = re.findall(r'event=~"((?:[^"\\]|\\.)*)"', expr)
    return re.compile(pattern.encode().decode("unicode_escape"))


def test_stage_event_panels_each_plot_only_their_own_events():
    # The enrichment panel plotted the deduplicator's evictions and the enrichers' errors too.
    panels = {title: expr for title, expr in dashboard_exprs() if "stage_events" in expr}
    events = ("gazetteer_misses", "unknown_agencies", "evictions", "errors.entities")
    plotted = {
        title: [event for event in events if event_matcher(expr).fullmatch(event)]
        for title, expr in panels.items()
    }
    assert plotted == {
        "Gazetteer misses and unknown agencies per second": list(events[:2]),
        "Dedup evictions and enricher errors per second": list(events[2:]),
    }
