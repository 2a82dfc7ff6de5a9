"""Keys: the development keys are exactly the CLI's, and signatures verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from synod import DEV_ACCOUNT_NAMES, Keypair, verify
from synod.primitives import AccountId, Hash, format_amount, parse_amount, tagged_hash

from conftest import run_cli


def test_dev_keys_are_deterministic_case_insensitive_and_distinct() -> None:
    assert Keypair.dev("alice") == Keypair.dev("Alice")
    assert len({Keypair.dev(n).account for n in DEV_ACCOUNT_NAMES}) == len(DEV_ACCOUNT_NAMES)
    assert Keypair.dev("alice").seed == bytes(tagged_hash("synod/dev-key", b"alice"))


@pytest.mark.cli
def test_dev_keys_match_the_cli(synod_bin: Path) -> None:
    for name in DEV_ACCOUNT_NAMES:
        out = run_cli(synod_bin, "--dev", "key", "show", name)
        assert out["account"] == Keypair.dev(name).account.hex0x


def test_sign_and_verify() -> None:
    k = Keypair.generate()
    sig = k.sign(b"hello")
    assert verify(k.account, b"hello", sig)
    assert not verify(k.account, b"hellp", sig)
    assert not verify(Keypair.dev("bob").account, b"hello", sig)
    assert Keypair(k.seed) == k and Keypair(k.seed.hex()) == k
    assert k.seed.hex() not in repr(k)


def test_fixed_bytes_types() -> None:
    a = AccountId("0x" + "ab" * 32)
    assert str(a) == "0x" + "ab" * 32 and a == bytes([0xAB]) * 32
    assert AccountId("AB" * 32) == a  # prefix optional, either case
    with pytest.raises(ValueError):
        Hash("0x1234")
    with pytest.raises(ValueError):
        AccountId(b"\x00" * 31)


def test_amounts() -> None:
    assert parse_amount("1.5") == 1_500_000_000
    assert parse_amount(".25") == 250_000_000
    assert parse_amount("0.000000001") == 1
    for bad in ("0.0000000001", "1e9", "-1", ".", "", "99999999999999999999"):
        with pytest.raises(ValueError):
            parse_amount(bad)
    assert format_amount(1_500_000_001) == "1.500000001 SYN"
