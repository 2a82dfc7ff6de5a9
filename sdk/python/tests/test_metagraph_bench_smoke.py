"""A small run of the metagraph benchmark (``bench/metagraph_bench.py``) with a handful of
UIDs: it starts its devnet, fills the subnet, reads the metagraph now and at the block that
completed the registrations, and reports every figure. The figures themselves are not judged
here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "metagraph_bench.py"

pytestmark = pytest.mark.devnet


def test_the_metagraph_benchmark_runs(synod_bin: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--neurons",
            "6",
            "--calls",
            "2",
            "--json",
            "--quiet",
            "--synod-bin",
            str(synod_bin),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["uids"] == 7 and report["registration"]["neurons"] == 6
    head, past = report["head"], report["past"]
    assert head["n"] == past["n"] == 7 and past["block"] < head["block"]
    for read in (head, past):
        assert read["bytes"] > 0 and read["stake_dtype"] == "uint64"
        for what in ("rpc", "json", "from_json", "Metagraph()"):
            assert read[what]["n"] == 2 and read[what]["median_ms"] > 0
