"""Keys from BIP-39 mnemonics and signed messages, against the golden file the Rust tests
commit (``crates/chain/primitives/tests/golden/mnemonic.json``), the SLIP-0010 specification's
vectors, and the CLI itself (``synod key new``, ``key regen``, ``key sign``, ``key verify``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synod import Keypair, generate_mnemonic, verify, verify_message
from synod.errors import (
    MnemonicChecksum,
    MnemonicError,
    MnemonicWordCount,
    SynodError,
    UnknownMnemonicWord,
)
from synod.mnemonics import (
    DERIVATION_PATH,
    derive_secret,
    message_signing_hash,
    mnemonic_to_seed,
    normalize_mnemonic,
    slip10_ed25519,
)

from conftest import REPO, run_cli

GOLDEN = json.loads((REPO / "crates/chain/primitives/tests/golden/mnemonic.json").read_text())
ABOUT = "abandon " * 11 + "about"


def _id(v: dict[str, Any]) -> str:
    return f"{v['mnemonic'].split()[0]}-{v['account_index']}-{len(v['passphrase'])}"


def test_the_golden_file_names_the_sdk_path() -> None:
    assert GOLDEN["derivation_path"] == "m/44'/5957'/account'/0'/0'"
    assert DERIVATION_PATH == (44, 5957, 0, 0, 0)
    assert len(GOLDEN["keys"]) >= 5 and len(GOLDEN["messages"]) >= 3


@pytest.mark.parametrize("v", GOLDEN["keys"], ids=_id)
def test_every_golden_key(v: dict[str, Any]) -> None:
    phrase, passphrase, index = v["mnemonic"], v["passphrase"], v["account_index"]
    assert mnemonic_to_seed(phrase, passphrase).hex() == v["bip39_seed"]
    assert derive_secret(phrase, passphrase, index).hex() == v["secret_seed"]
    key = Keypair.from_mnemonic(phrase, passphrase, index)
    assert key.seed.hex() == v["secret_seed"]
    assert key.account.hex0x == v["account"]
    # Case and spacing do not matter.
    messy = "\n " + "\t ".join(w.upper() for w in phrase.split()) + "  "
    assert Keypair.from_mnemonic(messy, passphrase, index) == key


@pytest.mark.parametrize("v", GOLDEN["messages"], ids=lambda v: v["message_hex"] or "empty")
def test_every_golden_message_signature(v: dict[str, Any]) -> None:
    message = bytes.fromhex(v["message_hex"])
    signer = Keypair(v["signer_seed"])
    assert signer.account.hex0x == v["account"]
    assert message_signing_hash(message).hex() == v["signing_hash"]
    sig = signer.sign_message(message)
    assert sig.hex0x == v["signature"]
    assert verify_message(v["account"], message, v["signature"])
    assert not verify_message(v["account"], message + b"!", v["signature"])
    assert not verify_message(Keypair.dev("bob").account, message, v["signature"])
    # A message signature is not a signature over the raw bytes.
    assert not verify(v["account"], message, v["signature"])


def test_text_messages_are_signed_as_utf8() -> None:
    key = Keypair.dev("alice")
    assert key.sign_message("héllo") == key.sign_message("héllo".encode())
    assert verify_message(key.account, "héllo", key.sign_message(b"h\xc3\xa9llo"))


def test_slip10_matches_the_specifications_vectors() -> None:
    """SLIP-0010 test vector 1 for ed25519 (seed 000102…0f)."""
    seed = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    cases: list[tuple[list[int], str]] = [
        ([], "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7"),
        ([0], "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3"),
        (
            [0, 1, 2, 2, 1_000_000_000],
            "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793",
        ),
    ]
    for path, want in cases:
        assert slip10_ed25519(seed, path).hex() == want, path
    with pytest.raises(ValueError):
        slip10_ed25519(seed, [1 << 32])


def test_bip39_reference_vector() -> None:
    assert mnemonic_to_seed(ABOUT, "TREZOR").hex() == (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264"
        "c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    )


def test_a_wrong_word_count_is_refused_with_the_count() -> None:
    with pytest.raises(MnemonicWordCount) as e:
        Keypair.from_mnemonic("abandon abandon")
    assert e.value.count == 2 and "this one has 2" in str(e.value)
    with pytest.raises(MnemonicWordCount, match="this one has 0"):
        normalize_mnemonic("   ")
    with pytest.raises(MnemonicWordCount, match="this one has 13"):
        normalize_mnemonic(ABOUT + " abandon")
    with pytest.raises(MnemonicWordCount, match="12, 15, 18, 21 or 24"):
        generate_mnemonic(13)


def test_an_unknown_word_is_named_with_its_position() -> None:
    words = ABOUT.split()
    words[10] = "abandonn"
    with pytest.raises(UnknownMnemonicWord) as e:
        Keypair.from_mnemonic(" ".join(words))
    assert (e.value.position, e.value.word) == (11, "abandonn")
    assert "word 11 ('abandonn')" in str(e.value)
    # The first unknown word is the one named, lowercased as the words are read.
    with pytest.raises(UnknownMnemonicWord, match=r"word 2 \('xyz'\)"):
        normalize_mnemonic("abandon XYZ " + "qqq " * 10)


def test_a_bad_checksum_is_refused() -> None:
    with pytest.raises(MnemonicChecksum, match="checksum"):
        Keypair.from_mnemonic("abandon " * 12)
    words = ABOUT.split()
    words[0], words[11] = words[11], words[0]
    with pytest.raises(MnemonicChecksum):
        normalize_mnemonic(" ".join(words))


def test_mnemonic_errors_are_typed_value_errors() -> None:
    for cls in (MnemonicWordCount, UnknownMnemonicWord, MnemonicChecksum):
        assert issubclass(cls, MnemonicError) and issubclass(cls, SynodError)
        assert issubclass(cls, ValueError)


@pytest.mark.parametrize("words", [12, 15, 18, 21, 24])
def test_generated_mnemonics_parse_back_to_the_same_key(words: int) -> None:
    key, phrase = Keypair.create_with_mnemonic(words)
    assert len(phrase.split(" ")) == words and normalize_mnemonic(phrase) == phrase
    assert Keypair.from_mnemonic(phrase.upper()) == key
    assert Keypair.from_mnemonic(phrase, account_index=1) != key
    assert Keypair.from_mnemonic(phrase, "x") != key
    other, _ = Keypair.create_with_mnemonic(words, passphrase="p", account_index=4)
    assert other != key


def test_account_indexes_are_u32() -> None:
    Keypair.from_mnemonic(ABOUT, account_index=(1 << 32) - 1)
    for bad in (-1, 1 << 32):
        with pytest.raises(ValueError):
            Keypair.from_mnemonic(ABOUT, account_index=bad)


# ---- interoperability with the CLI ------------------------------------------------------


@pytest.mark.cli
def test_key_regen_derives_what_the_sdk_derives(synod_bin: Path, keystore_dir: Path) -> None:
    ks = ("--keystore", str(keystore_dir))
    phrase = generate_mnemonic(24)
    for name, index in (("r0", 0), ("r3", 3)):
        out = run_cli(
            synod_bin,
            *ks,
            "key",
            "regen",
            name,
            "--kind",
            "hot",
            "--mnemonic",
            phrase,
            "--index",
            str(index),
        )
        key = Keypair.from_mnemonic(phrase, account_index=index)
        assert out["account"] == key.account.hex0x
        exported = run_cli(synod_bin, *ks, "key", "export", name)
        assert exported["seed"] == key.seed.hex()
    # The golden words give the golden account through the CLI too.
    (v,) = [k for k in GOLDEN["keys"] if k["passphrase"] == "" and k["account_index"] == 0][:1]
    out = run_cli(synod_bin, *ks, "key", "regen", "g", "--kind", "hot", "--mnemonic", v["mnemonic"])
    assert out["account"] == v["account"]
    # The CLI refuses what the SDK refuses, with the same words.
    typo = phrase.split()
    typo[3] = "notaword"
    r = run_cli(
        synod_bin, *ks, "key", "regen", "x", "--kind", "hot", "--mnemonic", " ".join(typo),
        check=False,
    )  # fmt: skip
    with pytest.raises(UnknownMnemonicWord) as e:
        Keypair.from_mnemonic(" ".join(typo))
    assert str(e.value) in json.dumps(r, ensure_ascii=False)


@pytest.mark.cli
def test_the_mnemonic_key_new_shows_derives_its_account(
    synod_bin: Path, keystore_dir: Path
) -> None:
    ks = ("--keystore", str(keystore_dir))
    for name, words in (("n12", "12"), ("n24", "24")):
        made = run_cli(synod_bin, *ks, "key", "new", name, "--kind", "hot", "--words", words)
        phrase = made["mnemonic"]
        assert len(phrase.split()) == int(words)
        key = Keypair.from_mnemonic(phrase)
        assert key.account.hex0x == made["account"]
        assert run_cli(synod_bin, *ks, "key", "export", name)["seed"] == key.seed.hex()


@pytest.mark.cli
def test_signed_messages_agree_with_the_cli(synod_bin: Path, keystore_dir: Path) -> None:
    ks = ("--keystore", str(keystore_dir))
    made = run_cli(synod_bin, *ks, "key", "new", "signer", "--kind", "hot")
    key = Keypair.from_mnemonic(made["mnemonic"])
    signed = run_cli(synod_bin, *ks, "key", "sign", "signer", "--message", "I own this key")
    assert signed["signature"] == key.sign_message("I own this key").hex0x  # ed25519 is
    assert signed["signing_hash"] == message_signing_hash(b"I own this key").hex0x  # determ.
    ours = key.sign_message(b"\x00\x01\xff").hex0x
    ok = run_cli(
        synod_bin, *ks, "key", "verify", key.account.hex0x, "--signature", ours, "--hex", "0001ff"
    )
    assert ok["valid"] is True
    bad = run_cli(
        synod_bin, *ks, "key", "verify", key.account.hex0x, "--signature", ours, "--hex", "0001fe",
        check=False,
    )  # fmt: skip
    assert "does not verify" in json.dumps(bad)
