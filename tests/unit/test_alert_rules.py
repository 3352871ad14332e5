"""The alert rules fire when they should, on synthetic series: `promtool test rules` runs
ops/prometheus/alerts_test.yml. Needs Debian's `prometheus` package (promtool), no server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

pytestmark = pytest.mark.prometheus

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus"


def load(name: str) -> dict:
    return YAML(typ="safe").load((RULES / name).read_text(encoding="utf-8"))


def test_every_alert_has_a_firing_case():
    alerts = {rule["alert"] for group in load("alerts.yml")["groups"] for rule in group["rules"]}
    firing = {
        case["alertname"]
        for test in load("alerts_test.yml")["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert firing == alerts


def test_promtool_unit_tests_of_the_alert_rules_pass():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(
            "`promtool` is not on PATH: install Debian's prometheus package "
            "(`apt-get install -y prometheus`; .ci/run installs it when missing)"
        )
    result = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=RULES,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
