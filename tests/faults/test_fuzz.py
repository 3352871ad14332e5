"""atheris (coverage-guided, libFuzzer) fuzzing of the normalizer for a bounded number of runs
and time, seeded with wire pages in text and HTML. Runs `fuzz_normalizer.py` in a subprocess:
libFuzzer ends its process when it is done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults

HARNESS = Path(__file__).with_name("fuzz_normalizer.py")
SEEDS = {
    "text-page": b"\x01\x00Kop\nAMSTERDAM (ANP) - Tekst van het artikel.\nMeer uit Binnenland\n"
    b"UTRECHT (ANP) - Een teaser.\n5 uur geleden",
    "html-page": b"\x01\x01<html><body><h1>Kop</h1><p>GENEVE (ANP/AFP) - Tekst.</p>"
    b"<ul><li>KYIV (ANP) - Teaser <time datetime='2026-11-26T09:00:00Z'>1 uur</time></li>"
    b"</ul></body></html>",
    "envelope": b'{"source":"anp","fetched_at":"2026-11-26T10:00:00Z",'
    b'"content_type":"text/plain","body":"DEN HAAG (ANP) - Tekst."}',
}
RUNS = 30_000


@pytest.mark.timeout(240)
def test_atheris_finds_no_crash_stall_or_memory_blowup_in_the_normalizer(tmp_path):
    pytest.importorskip("atheris", reason="the test extra has it on x86-64 Linux, CPython 3.11")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, seed in SEEDS.items():
        (corpus / name).write_bytes(seed)
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
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Done" in output, output[-2000:]
