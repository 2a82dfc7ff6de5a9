"""The transaction envelope, its signing payload and hash, against the runtime's golden
vectors (a transaction signed by ``Keypair.dev("alice")`` for the dev genesis)."""

from __future__ import annotations

import pytest

from synod import FeeSchedule, Keypair, SignedTransaction, Transaction
from synod.errors import EncodingError
from synod.modules.bank import hotkey_binding_message
from synod.modules.subnets import weights_commit_hash
from synod.primitives import AccountId, Hash, tagged_hash

from conftest import RUNTIME_GOLDEN, golden_line

GENESIS = Hash(golden_line(RUNTIME_GOLDEN, "genesis/dev_hash").hex)


def golden_tx() -> Transaction:
    return Transaction(
        chain_id="synod-dev",
        sender=Keypair.dev("alice").account,
        nonce=3,
        fee=1_000_000,
        call={"type": "subnets", "call": "start_call", "netuid": 1},
    )


def test_signing_payload_signature_and_hash_match_rust() -> None:
    tx = golden_tx()
    assert (
        tx.signing_payload(GENESIS).hex()
        == golden_line(RUNTIME_GOLDEN, "envelope/signing_payload").hex
    )
    stx = tx.sign(Keypair.dev("alice"), GENESIS)
    line = golden_line(RUNTIME_GOLDEN, "envelope/signed_transaction")
    assert stx.hex() == line.hex
    assert stx.to_json() == line.json
    assert stx.hash.hex() == golden_line(RUNTIME_GOLDEN, "envelope/tx_hash").hex


def test_decode_round_trip_and_limits() -> None:
    line = golden_line(RUNTIME_GOLDEN, "envelope/signed_transaction")
    stx = SignedTransaction.decode(line.hex)
    assert stx.encode() == line.bytes
    assert stx.tx.nonce == 3 and stx.tx.call == {
        "type": "subnets",
        "call": "start_call",
        "netuid": 1,
    }
    with pytest.raises(EncodingError, match="trailing"):
        SignedTransaction.decode(line.bytes[:-64] + b"\x00" + line.bytes[-64:])
    with pytest.raises(EncodingError, match="limit"):
        SignedTransaction.decode(b"\x00" * (64 * 1024 + 1))


def test_signing_needs_the_senders_key() -> None:
    with pytest.raises(ValueError, match="not the sender"):
        golden_tx().sign(Keypair.dev("bob"), GENESIS)


def test_min_fee_is_size_times_per_byte_plus_weight_times_per_weight() -> None:
    fees = FeeSchedule(per_byte=1_000, per_weight=100)
    call = {"type": "transfer", "to": "0x" + "07" * 32, "amount": 1}
    assert fees.min_fee(170, call) == 170 * 1_000 + 1_000 * 100
    assert FeeSchedule((1 << 64) - 1, 1).min_fee(2, call) == (1 << 64) - 1  # saturates
    # The fee is fixed-width: the signed size does not depend on its value.
    tx = Transaction("synod-dev", Keypair.dev("alice").account, 0, 0, call)
    k = Keypair.dev("alice")
    assert len(tx.sign(k, GENESIS).encode()) == len(tx.with_fee(10**18).sign(k, GENESIS).encode())


def test_messages_match_rust() -> None:
    acct7 = AccountId(b"\x07" * 32)
    assert (
        hotkey_binding_message("synod-dev", acct7).hex()
        == golden_line(RUNTIME_GOLDEN, "message/hotkey_binding").hex
    )
    h = weights_commit_hash(acct7, 1, [0, 1], [10, 20], b"salt", 5)
    assert h.hex() == golden_line(RUNTIME_GOLDEN, "message/weights_commit_hash").hex
    assert (
        tagged_hash("synod/end-block", (20).to_bytes(8, "little")).hex()
        == golden_line(RUNTIME_GOLDEN, "envelope/end_block_receipt_hash").hex
    )
