"""atheris (coverage-guided, libFuzzer) fuzzing of the normalizer (pages and every agency
format) and the item decoder for a bounded number of runs and time, seeded with the corpus in
`fuzz_corpus/`. Runs `fuzz_normalizer.py` in a subprocess: libFuzzer ends its process when it
is done. `make fuzz` runs the same harness for a million inputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults

HARNESS = Path(__file__).with_name("fuzz_normalizer.py")
SEEDS = Path(__file__).with_name("fuzz_corpus")  # one per format; README there
RUNS = 30_000


@pytest.mark.timeout(240)
def test_atheris_finds_no_crash_stall_or_memory_blowup_in_the_normalizer(tmp_path):
    pytest.importorskip("atheris", reason="the test extra has it on x86-64 Linux, CPython 3.11")
    grown = tmp_path / "corpus"  # libFuzzer writes new inputs to the first directory
    grown.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={RUNS}",
            "-max_total_time=60",
            "-timeout=20",  # one input taking longer is a stall: reported as a crash
            "-rss_limit_mb=1536",
            "-max_len=65536",
            "-seed=1",
            str(grown),
            str(SEEDS),
        ],
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Done" in output, output[-2000:]
