"""A one-second run of the Python miner benchmark (``bench/miner_bench.py``): both miners
start, every request is accepted in both runs, and the checked miner's answers are signed.
The figures themselves are not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "miner_bench.py"


@pytest.mark.bench
def test_the_miner_benchmark_runs() -> None:
    r = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "300", "--concurrency", "8", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    checked, unchecked = report["runs"]
    assert (checked["mode"], unchecked["mode"]) == ("checked", "unchecked")
    for run in (checked, unchecked):
        assert (run["accepted"], run["refused"]) == (300, 0), run
        assert run["accepted_per_second"] > 0
    assert checked["signatures_checked"] == checked["signatures_ok"] == 50
    assert report["checked_over_unchecked"] > 0
