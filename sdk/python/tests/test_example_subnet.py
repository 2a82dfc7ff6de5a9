"""The example subnet (``examples/subnet``) end to end on the devnet: its script creates a
subnet, registers a staked validator and a good and a sloppy miner, serves and publishes their
axons, and runs the validator (queries through the dendrite, weights with commit–reveal)
for a few epochs. Read back from the chain: the good miner earns the larger incentive, and the
validator, holding a permit, earns the dividends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synod import Client
from synod.metagraph import Metagraph

from conftest import REPO

pytestmark = pytest.mark.devnet

SCRIPT = REPO / "examples" / "subnet" / "run_devnet.py"


@pytest.fixture(scope="module")
def example(
    synod_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Runs the script as a user would: it starts its own devnet (creating a subnet on the
    shared one would raise the lock cost its other tests pay); the devnet is kept running
    (``--keep``) so the chain can be read, and stopped afterwards."""
    log = tmp_path_factory.mktemp("example-subnet") / "run_devnet.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--epochs", "3", "--json", "--keep"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "SYNOD_BIN": str(synod_bin)},
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=30)
            pytest.fail(f"the example failed ({proc.returncode}):\n{log.read_text()}")
        result = json.loads(line)
        yield result["rpc"], result
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_better_miner_earns_the_larger_incentive(
    example: tuple[str, dict[str, Any]],
) -> None:
    url, result = example
    uids = result["uids"]
    good, sloppy, validator = uids["good"], uids["sloppy"], uids["validator"]
    # The validator saw the difference.
    assert result["right"][str(good)] == result["asked"][str(good)] > 0
    assert result["right"][str(sloppy)] < result["asked"][str(sloppy)]

    with Client(url) as node:
        mg = Metagraph(result["netuid"], client=node)
    assert mg.block >= result["block"]
    assert int(mg.incentive[good]) > int(mg.incentive[sloppy]) > 0, mg.incentive
    assert int(mg.incentive[validator]) == 0
    assert mg.validator_permit[validator] and int(mg.dividends[validator]) > 0
    assert int(mg.emission[good]) > int(mg.emission[sloppy])
    # The validator's weights are on chain, larger for the good miner.
    row = dict(mg.weight_rows[validator])
    assert row[good] > row.get(sloppy, 0)
    # Both miners published their axons.
    assert mg.axons[good] is not None and mg.axons[sloppy] is not None
