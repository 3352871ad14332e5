"""bench/abservice.py: per round, this tree's figures over the other's; medians that skip a
figure a drain lacks; a side whose services would import the other tree's code refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.abchain import ROOT
from bench.abservice import _environment, summary


def drain(
    items: int, records: int, first_ms: float | None, p99_ms: float = 50.0
) -> dict[str, object]:
    return {
        "items_per_cpu_s": items,
        "records_per_s": records,
        "first_output_ms": first_ms,
        "complete": True,
        "p50_ms": p99_ms / 4,
        "p99_ms": p99_ms,
        "max_ms": p99_ms * 2,
        "cpu_share": 0.5,
    }


def test_ratios_are_this_tree_over_the_other_per_round_with_their_median():
    runs = {
        "this tree": [drain(4200, 520, 50, 40), drain(4300, 530, 60, 60), drain(4100, 500, None)],
        "against abc": [drain(4000, 500, 70, 80), drain(4300, 530, 80, 90), drain(4100, 520, 90)],
    }
    out = summary(runs)
    assert out["sides"] == ["this tree", "against abc"] and out["rounds"] == 3
    assert out["ratios"]["items_per_cpu_s"] == [1.05, 1.0, 1.0]
    assert out["ratios"]["records_per_s"] == [1.04, 1.0, 0.962]
    assert out["ratios"]["p99_ms"] == [0.5, 0.667, 1.0]
    assert out["median_ratios"] == {"items_per_cpu_s": 1.0, "records_per_s": 1.0, "p99_ms": 0.667}
    assert out["latency"]["this tree"] == {
        "p50_ms": 12.5,
        "p99_ms": 50.0,
        "max_ms": 100.0,
        "cpu_share": 0.5,
    }
    assert out["latency"]["against abc"]["p99_ms"] == 80.0
    assert out["medians"]["this tree"]["first_output_ms"] == 55.0  # the round without it skipped
    assert out["medians"]["against abc"]["first_output_ms"] == 80.0
    assert out["complete"]
    runs["against abc"][1]["complete"] = False
    assert not summary(runs)["complete"]


def test_a_tree_whose_services_would_import_another_trees_code_is_refused(tmp_path: Path):
    assert _environment(ROOT) == {"PYTHONPATH": str(ROOT / "services")}
    with pytest.raises(RuntimeError, match="would import wirestream from"):
        _environment(tmp_path)  # no services/ there: the installed wirestream would run
