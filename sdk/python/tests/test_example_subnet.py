"""The example subnet (``examples/subnet``) end to end on the devnet: its script creates a
subnet, registers a staked validator and a good and a sloppy miner, serves and publishes their
axons, and runs the validator (queries through the dendrite, weights with commit–reveal)
for a few epochs. Read back from the chain: the good miner earns the larger incentive, and the
validator, holding a permit, earns the dividends."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from synod import Client
from synod.metagraph import Metagraph

from conftest import REPO, Devnet

pytestmark = pytest.mark.devnet

SCRIPT = REPO / "examples" / "subnet" / "run_devnet.py"


def test_the_better_miner_earns_the_larger_incentive(devnet: Devnet) -> None:
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--rpc", devnet.url, "--epochs", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"
    result = json.loads(r.stdout.strip().splitlines()[-1])
    uids = result["uids"]
    good, sloppy, validator = uids["good"], uids["sloppy"], uids["validator"]
    # The validator saw the difference.
    assert result["right"][str(good)] == result["asked"][str(good)] > 0
    assert result["right"][str(sloppy)] < result["asked"][str(sloppy)]

    with Client(devnet.url) as node:
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
