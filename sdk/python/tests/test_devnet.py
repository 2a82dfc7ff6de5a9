"""End to end against a real devnet (``synod dev --tmp``, started by the ``devnet`` fixture):
transfers, exact fees, typed rejections, tokens, failed calls, every ``synod_*`` query, keys
shared with the CLI on chain, and a paid HTTP call to the example paid service."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synod import Client, Keypair, Keystore, calls
from synod.devnet import free_port
from synod.errors import (
    FeeTooLow,
    NotFound,
    StaleNonce,
    TransactionFailed,
    TransactionRejected,
)
from synod.pay import PayClient, PaymentRefused, PriceAboveLimit, WrongChain, fetch
from synod.primitives import UNIT

from conftest import Devnet

pytestmark = pytest.mark.devnet

ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE = (
    Keypair.dev(n) for n in ("alice", "bob", "charlie", "dave", "eve", "ferdie")
)
PASS = "a passphrase for the devnet tests"


def test_transfer_between_dev_accounts(client: Client) -> None:
    before_a, before_b = client.balance(ALICE.account), client.balance(BOB.account)
    receipt = client.submit(calls.transfer(BOB.account, 1_500_000_000), ALICE)
    assert receipt.succeeded and receipt.sender == ALICE.account
    assert receipt.events_of("transfer") == [
        {
            "type": "transfer",
            "from": ALICE.account.hex0x,
            "to": BOB.account.hex0x,
            "amount": 1_500_000_000,
        }
    ]
    assert client.balance(BOB.account) == before_b + 1_500_000_000
    assert client.balance(ALICE.account) == before_a - 1_500_000_000 - receipt.fee_paid


def test_fee_is_the_exact_minimum(client: Client) -> None:
    info = client.chain_info()
    call = calls.transfer(BOB.account, 7)
    tx = client.build(call, CHARLIE, info=info)
    size = len(tx.encode())
    assert tx.tx.fee == size * info.fee_per_byte + 1_000 * info.fee_per_weight
    too_low = client.build(call, CHARLIE, fee=tx.tx.fee - 1, info=info)
    with pytest.raises(FeeTooLow) as e:
        client.submit_transaction(too_low)
    assert e.value.kind == "fee_too_low" and e.value.code == 1001
    receipt = client.wait_for_receipt(client.submit_transaction(tx))
    assert receipt.fee_paid == tx.tx.fee


def test_a_refused_transaction_raises_its_kind(client: Client) -> None:
    client.submit(calls.transfer(BOB.account, 1), ALICE)
    with pytest.raises(StaleNonce) as e:
        client.submit(calls.transfer(BOB.account, 1), ALICE, nonce=0)
    assert isinstance(e.value, TransactionRejected)
    assert e.value.kind == "stale_nonce" and e.value.method == "synod_submitTransaction"
    # In a batch each refusal is returned, not raised.
    nonce = client.next_nonce(ALICE.account)
    good = client.build(calls.transfer(BOB.account, 1), ALICE, nonce=nonce)
    stale = client.build(calls.transfer(BOB.account, 2), ALICE, nonce=0)
    ok, refused = client.submit_transactions([good, stale])
    assert ok == good.hash
    assert isinstance(refused, StaleNonce) and refused.kind == "stale_nonce"
    client.wait_for_receipt(ok)


def test_token_create_and_transfer(client: Client) -> None:
    symbol = "PY" + secrets.token_hex(3).upper()
    create = calls.module_call(
        "tokens",
        "create",
        symbol=symbol,
        name="Python test token",
        decimals=6,
        max_supply="1000000000000",
        initial_supply="5000000",
        emission=None,
        mint_authority=DAVE.account,
        admin=DAVE.account,
    )
    receipt = client.submit(create, DAVE)
    (created,) = receipt.events_of("tokens", "token_created")
    token = created["token"]
    assert created["symbol"] == symbol
    tokens = client.namespace("tokens")
    assert tokens.by_symbol(symbol)["token"] == token
    client.submit(
        calls.module_call("tokens", "transfer", token=token, to=EVE.account, amount="1250000"), DAVE
    )
    assert tokens.balance(token, EVE.account)["free"] == "1250000"
    assert tokens.balance(token, DAVE.account)["free"] == "3750000"


def test_a_failed_call_raises_with_the_modules_failure(client: Client) -> None:
    call = calls.module_call("tokens", "transfer", token=987_654, to=BOB.account, amount="1")
    with pytest.raises(TransactionFailed) as e:
        client.submit(call, DAVE)
    assert e.value.reason == "tokens" and e.value.kind == "token_not_found"
    assert e.value.receipt.fee_paid > 0
    receipt = client.submit(call, DAVE, check=False)
    assert not receipt.succeeded and receipt.failure == {
        "reason": "tokens",
        "kind": "token_not_found",
        "token": 987_654,
    }


def test_queries(client: Client) -> None:
    receipt = client.submit(calls.transfer(BOB.account, 3), ALICE)
    assert client.get_receipt(receipt.tx_hash) == receipt
    block = client.get_block(receipt.height)
    assert block is not None and block.header.height == receipt.height
    assert [t.hash for t in block.transactions][receipt.index] == receipt.tx_hash
    assert block.transactions[receipt.index].call == calls.transfer(BOB.account, 3)
    assert client.get_block(block.hash) == block
    assert client.get_block("finalized") is not None
    assert client.get_block(10**12) is None
    events = client.get_events(receipt.height)
    assert any(e.tx_hash == receipt.tx_hash and e.events == receipt.events for e in events)
    heads = client.heads()
    assert heads.finalized_height >= receipt.height
    fh = client.get_finalized_header(receipt.height)
    assert fh is not None and fh.hash == block.hash
    past = client.get_account(BOB.account, height=1)
    assert past.height == 1 and past.balance == 1_000_000 * UNIT
    assert client.transaction_status("0x" + "00" * 32).status == "unknown"
    assert client.namespace("bank").total_issuance() > 0
    assert "methods" in client.discover()
    with pytest.raises(NotFound):
        client.get_account(BOB.account, height=10**12)


# ---- keys shared with the CLI, on chain -------------------------------------------------


def test_a_key_made_here_signs_for_the_cli(
    devnet: Devnet, client: Client, keystore_dir: Path
) -> None:
    key = Keypair.generate()
    Keystore(keystore_dir).save("pykey", "cold", key, PASS)
    client.submit(calls.transfer(key.account, 2 * UNIT), FERDIE)
    out = devnet.cli(
        "--keystore",
        str(keystore_dir),
        "--dev",
        "transfer",
        "--from",
        "pykey",
        "--to",
        "bob",
        "--amount",
        "0.5",
        env={"SYNOD_PASSWORD": PASS},
    )
    assert out["sender"] == key.account.hex0x
    assert out["outcome"] == {"status": "success"}


def test_a_key_made_by_the_cli_signs_here(
    devnet: Devnet, client: Client, keystore_dir: Path
) -> None:
    made = devnet.cli(
        "--keystore", str(keystore_dir), "key", "new", "clikey", env={"SYNOD_PASSWORD": PASS}
    )
    devnet.cli("--dev", "transfer", "--from", "ferdie", "--to", made["account"], "--amount", "2")
    key = Keystore(keystore_dir).unlock("clikey", PASS)
    receipt = client.submit(calls.transfer(BOB.account, UNIT // 2), key)
    assert receipt.sender.hex0x == made["account"] == key.account.hex0x


# ---- pay-per-call -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def paid_service(devnet: Devnet) -> Iterator[str]:
    """``synod service serve-example --from bob``: its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(devnet.bin),
            "--rpc",
            devnet.url,
            "--dev",
            "--json",
            "service",
            "serve-example",
            "--from",
            "bob",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if not line:
            raise RuntimeError(f"serve-example exited with {proc.wait()}")
        started: dict[str, Any] = json.loads(line)
        yield str(started["url"]).rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_paid_call(client: Client, paid_service: str) -> None:
    payer = Keypair.generate()
    client.submit(calls.transfer(payer.account, UNIT), EVE)
    info = client.chain_info()
    with PayClient(payer, max_price=10, expect_chain=info.chain_id) as pay:
        free = pay.post(f"{paid_service}/free/echo", b"free")
        assert free.status == 200 and free.content == b"free" and free.payment is None
        for body in (b"hello", b"again"):
            r = pay.post(f"{paid_service}/v1/echo", body)
            assert r.status == 200 and r.content == body
            assert r.requirements is not None and r.requirements.price == 10
            assert r.payment is not None and r.payment.amount == 10
    once = fetch("post", f"{paid_service}/v1/echo?n=3", payer, content=b"third", max_price=10)
    assert once.status == 200 and once.content == b"third"
    assert once.payment is not None and once.payment.status in ("queued", "settled")
    with PayClient(payer, max_price=9) as cheap, pytest.raises(PriceAboveLimit):
        cheap.post(f"{paid_service}/v1/echo", b"x")
    with PayClient(payer, expect_chain="another-chain") as other, pytest.raises(WrongChain):
        other.post(f"{paid_service}/v1/echo", b"x")
    # The service settles in batches on chain: the payer ends up exactly 30 base units poorer.
    deadline = time.monotonic() + 60
    while client.balance(payer.account) != UNIT - 30:
        assert time.monotonic() < deadline, f"not settled: {client.balance(payer.account)}"
        time.sleep(0.5)


def test_paid_call_without_funds_is_refused(client: Client, paid_service: str) -> None:
    with PayClient(Keypair.generate()) as pay, pytest.raises(PaymentRefused) as e:
        pay.post(f"{paid_service}/v1/echo", b"x")
    assert e.value.kind == "insufficient_funds"
