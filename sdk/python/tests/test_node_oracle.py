"""The node as a second oracle.

- Decoding: nested variants the golden files do not pin (every deal action, every attribution
  method, asset kind, relation, licence kind and verdict, absent options) are encoded here,
  submitted, included (most of them fail on chain: nothing they name exists), and the block the
  node serves shows each call as Rust decoded it. That JSON must be the call this SDK meant.
- Weights: for every golden call vector, a transaction offering the fee computed here minus one
  is refused with ``fee_too_low``, and one offering exactly that fee passes the fee check (it is
  then refused for its stale nonce, so nothing is admitted): the fee, so the weight, is exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from synod import Client, Keypair, calls
from synod.calls import MODULE_TAGS, decode_call, encode_call
from synod.errors import FeeTooLow, StaleNonce, TransactionRejected

from conftest import RUNTIME_GOLDEN, golden, module_golden

pytestmark = pytest.mark.devnet

A = "0x" + "0a" * 32
H = "0x" + "0b" * 32
SIG = "0x" + "0c" * 64


def _calls(sender: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = [
        {"action": "sign", "terms_hash": H},
        {"action": "fund"},
        {"action": "deliver", "delivery": H},
        {"action": "accept"},
        {"action": "reject"},
        {"action": "dispute"},
        {"action": "resolve", "to_seller": "7"},
        {"action": "cancel"},
    ]
    out += [{"type": "agents", "call": "deal_action", "deal": H, "action": a} for a in actions]
    out.append({"type": "agents", "call": "start_close", "channel": H, "latest": None})
    out.append({"type": "agents", "call": "set_cap_growth", "intent": H, "growth": None})
    out.append(
        {
            "type": "agents",
            "call": "open_channel",
            "payee": A,
            "asset": "native",
            "deposit": "1",
            "challenge_period": 5,
        }
    )
    out.append(
        {
            "type": "agents",
            "call": "propose_deal",
            "terms": _terms(sender),
        }
    )
    for method in (
        {"method": "monte_carlo_shapley", "permutations": 100, "seed": 42},
        {"method": "declared"},
    ):
        out.append(
            {
                "type": "assets",
                "call": "commit",
                "asset": 999,
                "method": method,
                "datasets": [],
                "metric": "m",
                "values": [],
                "evidence_hash": H,
                "evidence_uri": "",
                "bond": 1,
            }
        )
    for kind in ("dataset", "model", "agent", "pipeline", "service"):
        out.append(
            {
                "type": "assets",
                "call": "register",
                "kind": kind,
                "name": "",  # refused on chain (names are 1-64 bytes): nothing is registered
                "metadata_uri": "",
                "metadata_hash": H,
                "content_hash": H,
            }
        )
    for relation in ("trained_on", "finetuned_from", "derived_from", "uses"):
        out.append(
            {
                "type": "assets",
                "call": "link",
                "child": 998,
                "parent": 999,
                "relation": relation,
                "licence": None,
            }
        )
    for kind in ("open", "non_commercial", "commercial", "commercial_remix"):
        out.append(
            {
                "type": "assets",
                "call": "offer_licence",
                "asset": 999,
                "kind": kind,
                "currency": "syn",
                "price": "0",
                "upstream_share_bp": 0,
                "duration_blocks": 0,
            }
        )
    for verdict in ("original", "challenger", "neither"):
        out.append({"type": "assets", "call": "vote", "commitment": 999, "verdict": verdict})
    out.append(
        {
            "type": "subnets",
            "call": "add_stake",
            "hotkey": A,
            "netuid": 999,
            "amount": 1,
            "limit_price": None,
            "allow_partial": False,
        }
    )
    out.append(
        {
            "type": "payments",
            "call": "update_service",
            "service": 999,
            "spec": {
                "name": "x",
                "url": "",
                "payee": A,
                "endpoints": [],
                "uses": [],
                "min_reputation": None,
            },
        }
    )
    # Absent options of the data module (refused on chain: A's file without A's signature, a
    # pool paid in a token that does not exist).
    out.append(
        {
            "type": "data",
            "call": "add_file",
            "owner": A,
            "url": "file:///oracle/x",
            "content_hash": H,
            "size": 1,
            "schema": None,
            "owner_signature": None,
        }
    )
    out.append(
        {
            "type": "data",
            "call": "create_pool",
            "name": "oracle",
            "reward_token": 999,
            "params": {
                "description": "",
                "schema": None,
                "program_hash": H,
                "program_url": "file:///oracle/p.wasm",
                "reward_per_unit": "1",
                "workers_per_job": 1,
                "min_worker_bond": 1,
                "job_timeout": 1,
                "job_fee": 0,
                "slash_ppm": 0,
                "miss_slash_ppm": 0,
                "max_misses": 1,
                "staker_share_ppm": 0,
            },
        }
    )
    out.append(
        {
            "type": "tokens",
            "call": "approve",
            "token": 999,
            "spender": A,
            "amount": "1",
            "expires_at": None,
        }
    )
    return out


def _terms(buyer: str, funding_deadline: int = 10**9) -> dict[str, Any]:
    return {
        "buyer": buyer,
        "seller": A,
        "deliverable": H,
        "acceptance_criteria": H,
        "price": "1",
        "asset": {"token": 3},
        "funding_deadline": funding_deadline,
        "delivery_deadline": funding_deadline + 10,
        "review_period": 1,
        "arbiter": None,
        "appeal_period": 1,
        "arbitration_period": 1,
        "salt": 9,
    }


def test_the_node_decodes_every_nested_variant_as_meant(client: Client) -> None:
    sender = Keypair.dev("ferdie")
    info = client.chain_info()
    nonce = client.next_nonce(sender.account)
    calls = _calls(sender.account.hex0x)
    txs = [client.build(c, sender, nonce=nonce + i, info=info) for i, c in enumerate(calls)]
    results = client.submit_transactions(txs)
    for call, r in zip(calls, results, strict=True):
        assert not isinstance(r, Exception), (call, r)
    for call, tx in zip(calls, txs, strict=True):
        receipt = client.wait_for_receipt(tx.hash)
        block = client.get_block(receipt.height)
        assert block is not None
        shown = block.transactions[receipt.index]
        assert shown.hash == tx.hash
        assert shown.call == decode_call(encode_call(call)), call


def test_a_deal_refused_for_invalid_terms_has_a_receipt(client: Client) -> None:
    sender = Keypair.dev("ferdie")
    # The buyer is the seller: refused with invalid_terms when executed.
    call = {"type": "agents", "call": "propose_deal", "terms": _terms(A)}
    tx_hash = client.submit_nowait(call, sender)
    receipt = client.wait_for_receipt(tx_hash)
    assert receipt.failure is not None
    assert receipt.failure["refusal"]["kind"] == "invalid_terms"


def _golden_chain_calls() -> list[dict[str, Any]]:
    out = [g.json for g in golden(RUNTIME_GOLDEN) if g.name.startswith("call/")]
    for module in ("tokens", "agents", "assets", "payments", "data"):
        out += [
            {"type": module, **g.json}
            for g in golden(module_golden(module))
            if g.name.startswith("call/")
        ]
    return out


def test_the_fee_of_every_golden_call_is_exactly_the_nodes_minimum(client: Client) -> None:
    sender = Keypair.dev("bob")
    if client.next_nonce(sender.account) == 0:
        client.submit(calls.transfer(Keypair.dev("alice").account, 1), sender)
    info = client.chain_info()
    golden_calls = _golden_chain_calls()
    assert {c["type"] for c in golden_calls} >= set(MODULE_TAGS) | {"transfer", "bind_hotkey"}
    for call in golden_calls:
        exact = client.build(call, sender, nonce=0, info=info)
        low = client.build(call, sender, nonce=0, fee=exact.tx.fee - 1, info=info)
        with pytest.raises(FeeTooLow):
            client.submit_transaction(low)
        with pytest.raises(TransactionRejected) as e:
            client.submit_transaction(exact)
        # Past the fee check: refused for its nonce, or (a session's execute) by the session
        # rules, which run before the nonce rules.
        assert not isinstance(e.value, FeeTooLow), call
        if call.get("call") != "execute":
            assert isinstance(e.value, StaleNonce), (call, e.value.kind)
