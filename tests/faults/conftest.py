"""Fault tests record what they measured (records in and out, lost, duplicated) in
`fault_results`; the terminal summary prints them as the table in tests/faults/README.md."""

from __future__ import annotations

import pytest
from fault_harness import FaultResult

_results: list[FaultResult] = []


@pytest.fixture
def fault_results() -> list[FaultResult]:
    return _results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _results:
        return
    terminalreporter.section("faults: records in / out / lost / duplicated")
    terminalreporter.write_line(
        "| fault injected | records in | expected out | records out | lost | duplicated | note |"
    )
    terminalreporter.write_line("|---|---:|---:|---:|---:|---:|---|")
    for r in _results:
        terminalreporter.write_line(
            f"| {r.fault} | {r.records_in} | {r.expected_out} | {r.records_out} | {r.lost} "
            f"| {r.duplicated} | {r.note} |"
        )
