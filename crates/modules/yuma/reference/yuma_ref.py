#!/usr/bin/env python3
"""Independent float64 reference of the Yuma Consensus epoch computed by synod-yuma.

Written from the mathematical description (reference notes, section 4.3), not
from the Rust code: dense numpy matrices plus boolean "present" masks where the
sparse semantics of subtensor depend on whether an entry exists (explicit zero
weights, liquid-alpha bond survival, clipping to a zero consensus).

Usage:
    python3 yuma_ref.py < inputs.json > outputs.json

stdin is one EpochInput JSON object or a JSON array of them (the format in the
synod-yuma crate docs); stdout is the matching EpochOutput object or array.

    python3 yuma_ref.py --bench input.json [repeats]

times `run_epoch` on one input and prints the median wall time and the median
process CPU time per epoch, in milliseconds.
"""

import json
import sys
import time

import numpy as np

U16 = 65535.0

DEFAULTS = {
    "kappa": 32767,
    "bonds_moving_average": 900000,
    "bonds_penalty": 65535,
    "yuma3": True,
    "liquid_alpha": False,
    "alpha_low": 45875,
    "alpha_high": 58982,
    "alpha_sigmoid_steepness": 1000,
    "max_allowed_validators": 64,
    "activity_cutoff": 5000,
    "stake_threshold": 0,
    "tempo": 360,
}


def normalize(x):
    s = x.sum()
    return x / s if s != 0 else x


def col_normalize(m):
    s = m.sum(axis=0)
    return np.divide(m, s, out=m.copy(), where=s != 0)


def dense(rows, n):
    """Stored sparse rows -> (values, present); columns >= n are dropped."""
    val = np.zeros((n, n))
    present = np.zeros((n, n), dtype=bool)
    for i, row in enumerate(rows[:n]):
        for j, v in row:
            if j < n:
                val[i, j] = v
                present[i, j] = True
    return val, present


def to_u16(x):
    return np.floor(np.asarray(x) * U16 + 1e-9).clip(0, 65535).astype(np.int64)


def weighted_upper_median(a, w, kappa):
    """Per column: smallest score v with sum(stake[score <= v]) > sum(stake) - kappa,
    else the largest score; only rows with positive stake vote."""
    n = w.shape[1]
    voters = a > 0
    if not voters.any():
        return np.zeros(n)
    st = a[voters] / a[voters].sum()
    minority = st.sum() - kappa
    wv = w[voters]
    order = np.argsort(wv, axis=0, kind="stable")
    sv = np.take_along_axis(wv, order, axis=0)
    cum = np.cumsum(st[order], axis=0)
    above = cum > minority
    first = np.argmax(above, axis=0)
    cols = np.arange(n)
    return np.where(above.any(axis=0), sv[first, cols], sv[-1, cols])


def run_epoch(inp):
    hp = dict(DEFAULTS)
    hp.update(inp.get("hyperparameters", {}))
    nrs = inp["neurons"]
    n = len(nrs)
    cur = inp["current_block"]
    emission = inp["emission"]
    owner = inp.get("owner_uid")
    last_update = [nr.get("last_update", 0) for nr in nrs]
    reg = np.array([nr.get("block_at_registration", 0) for nr in nrs], dtype=object)
    reg_f = np.array([float(r) for r in reg]) if n else np.zeros(0)

    # Activity.
    active = np.array([lu + hp["activity_cutoff"] >= cur for lu in last_update], dtype=bool)

    # Stake with threshold (owner exempt), normalised.
    raw = [0 if (i != owner and nr["stake"] < hp["stake_threshold"]) else nr["stake"] for i, nr in enumerate(nrs)]
    total = sum(raw)
    stake = np.array([r / total if total else 0.0 for r in raw])

    # Permits: old ones gate this epoch, new ones are the top-k non-zero stakes.
    permit = np.array([nr.get("validator_permit", False) for nr in nrs], dtype=bool)
    k = hp["max_allowed_validators"]
    new_permit = stake != 0
    if n >= k:
        order = np.argsort(stake, kind="stable")
        new_permit[order[: n - k]] = False
    if owner is not None:
        permit[owner] = True
        new_permit[owner] = True

    a = normalize(np.where(active & permit, stake, 0.0))

    # Weights and their masks.
    w, wp = dense(inp.get("weights", []), n)
    lu = np.array([float(x) for x in last_update])
    wp &= permit[:, None]
    diag = np.eye(n, dtype=bool)
    if owner is not None:
        diag[owner, owner] = False
    wp &= ~diag
    wp &= lu[:, None] > reg_f[None, :]
    for i, nr in enumerate(nrs):
        cb = nr.get("commit_block")
        if cb is not None:
            wp[i] &= np.array([cb >= r for r in reg], dtype=bool)
    w = np.where(wp, w, 0.0)
    rs = w.sum(axis=1)
    w = np.divide(w, rs[:, None], out=w.copy(), where=rs[:, None] > 0)

    # Consensus, clipping, trust, incentive.
    kappa = hp["kappa"] / U16
    c = weighted_upper_median(a, w, kappa)
    drop = (c[None, :] < w) & (c[None, :] <= 0)
    cp = wp & ~drop
    wc = np.where(cp, np.minimum(w, c[None, :]), 0.0)
    trust = wc.sum(axis=1)
    incentive = normalize(a @ wc)

    # Weights for bonds.
    bp = hp["bonds_penalty"]
    if bp == 0:
        wb, bpres = w, wp
    elif bp == 65535:
        wb, bpres = wc, cp
    else:
        beta = bp / U16
        wb = w + beta * (wc - w)
        bpres = wb > 0
        wb = np.where(bpres, wb, 0.0)

    # Previous bonds, minus those to UIDs registered since the last epoch.
    lms = inp.get("last_epoch_block") or 0
    last_tempo = max(cur - hp["tempo"], 0) if lms == 0 else lms + 1
    b, bpr = dense(inp.get("bonds", []), n)
    bpr &= np.array([last_tempo > r for r in reg], dtype=bool)[None, :]
    b = np.where(bpr, b, 0.0)
    alpha = 1.0 - hp["bonds_moving_average"] / 1e6

    if hp["yuma3"]:
        b = b / U16
        if hp["liquid_alpha"] and (c != 0).any():
            lo, hi = hp["alpha_low"] / U16, hp["alpha_high"] / U16
            steep = hp["alpha_sigmoid_steepness"] / 100.0
            diff = np.where(wb >= b, np.clip(wb - c[None, :], 0, 1), np.clip(b - wb, 0, 1))
            sig = 1.0 / (1.0 + np.exp(np.clip(-steep * (diff - 0.5), -20, 20)))
            al = np.maximum(np.minimum(lo + sig * (hi - lo), hi), lo)
            nb = np.minimum((1 - al) * b + np.maximum(al * wb, 0), 1.0)
            npres = bpres & (nb > 0)
        else:
            nb = alpha * wb + (1 - alpha) * b
            npres = (bpres | bpr) & (nb > 0)
        nb = np.where(npres, nb, 0.0)
        dividends = normalize(a * (col_normalize(nb) @ incentive))
        stored = nb
    else:
        b = col_normalize(b)
        delta = col_normalize(wb * a[:, None])
        nb = alpha * delta + (1 - alpha) * b
        npres = (bpres | bpr) & (nb > 0)
        nb = col_normalize(np.where(npres, nb, 0.0))
        dividends = normalize(nb @ incentive)
        mx = nb.max(axis=0) if n else np.zeros(0)
        stored = np.divide(nb, mx[None, :], out=nb.copy(), where=mx[None, :] != 0)

    # Emission split.
    tot = incentive.sum() + dividends.sum()
    if tot != 0:
        se, ve = incentive / tot, dividends / tot
    else:
        se = np.zeros(n)
        ve = stake if a.sum() == 0 else a

    def amounts(x):
        return [int(np.floor(v * emission)) for v in x]

    bonds_out = []
    for i in range(n):
        if new_permit[i]:
            js = np.nonzero(npres[i])[0]
            bonds_out.append([[int(j), int(to_u16(stored[i, j]))] for j in js])
        else:
            bonds_out.append([])

    return {
        "active": [bool(x) for x in active],
        "stake_weight": to_u16(stake).tolist(),
        "consensus": to_u16(c).tolist(),
        "incentive": to_u16(incentive).tolist(),
        "dividends": to_u16(dividends).tolist(),
        "validator_trust": to_u16(trust).tolist(),
        "server_emission": amounts(se),
        "validator_emission": amounts(ve),
        "validator_permit": [bool(x) for x in new_permit],
        "bonds": bonds_out,
    }


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--bench":
        with open(sys.argv[2]) as f:
            inp = json.load(f)
        repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        run_epoch(inp)
        times = []
        cpu = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            c0 = time.process_time()
            run_epoch(inp)
            cpu.append(time.process_time() - c0)
            times.append(time.perf_counter() - t0)
        times.sort()
        cpu.sort()
        print(f"{times[len(times) // 2] * 1e3:.3f} {cpu[len(cpu) // 2] * 1e3:.3f}")
        return
    data = json.load(sys.stdin)
    if isinstance(data, list):
        out = [run_epoch(x) for x in data]
    else:
        out = run_epoch(data)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
