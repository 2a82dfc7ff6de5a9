"""The keystore: the CLI's format, both ways. Keys written here are unlocked by ``synod``
(``key export`` prints the seed it decrypted), keys written by ``synod key new`` are unlocked
here, and both refuse the same unsafe permissions."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from synod import Keypair, Keystore
from synod.keystore import (
    BadKeyName,
    DecryptError,
    EmptyPassphrase,
    InsecurePermissions,
    KeyExists,
    KeyFileError,
    KeyNotFound,
    KeystoreError,
    WatchOnly,
)

from conftest import run_cli

PASS = "correct horse battery staple"


@pytest.fixture(autouse=True)
def no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNOD_PASSWORD", raising=False)


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_coldkey_round_trip_wrong_passphrase_and_tamper(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    k = Keypair.generate()
    f = ks.save("main", "cold", k, PASS)
    path = keystore_dir / "main.json"
    assert mode(path) == 0o600
    raw = path.read_text()
    assert k.seed.hex() not in raw
    j = json.loads(raw)
    assert list(j) == ["name", "kind", "account", "encrypted"]
    assert list(j["encrypted"]) == ["kdf", "salt", "cipher", "nonce", "ciphertext"]
    assert j["encrypted"]["kdf"] == "argon2id" and j["encrypted"]["cipher"] == "xchacha20poly1305"
    assert f.account == k.account
    assert ks.unlock("main", PASS) == k
    assert ks.unlock("main", lambda: PASS) == k
    with pytest.raises(DecryptError):
        ks.unlock("main", "wrong")
    with pytest.raises(KeyExists):
        ks.save("main", "cold", k, PASS)
    # Pair the ciphertext with another account: authentication fails.
    j["account"] = Keypair.dev("other").account.hex0x
    path.write_text(json.dumps(j))
    with pytest.raises(DecryptError):
        ks.unlock("main", PASS)


def test_passphrase_from_the_environment(
    keystore_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ks = Keystore(keystore_dir)
    k = Keypair.generate()
    ks.save("c", "cold", k, PASS)
    with pytest.raises(KeystoreError, match="SYNOD_PASSWORD"):
        ks.unlock("c")
    monkeypatch.setenv("SYNOD_PASSWORD", PASS)
    assert ks.unlock("c") == k


def test_hotkeys_and_no_passphrase_coldkeys(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    hot, test = Keypair.generate(), Keypair.generate()
    ks.save("hot", "hot", hot, None)
    ks.save("test", "cold", test, None)
    assert json.loads((keystore_dir / "hot.json").read_text())["seed"] == hot.seed.hex()
    assert json.loads((keystore_dir / "test.json").read_text())["no_passphrase"] is True
    assert ks.unlock("hot") == hot
    assert ks.unlock("test") == test
    with pytest.raises(EmptyPassphrase):
        ks.save("empty", "cold", test, "")
    with pytest.raises(ValueError):
        ks.save("hot2", "hot", hot, "a passphrase would be ignored")
    listing = ks.list()
    assert [f.name for f in listing.keys] == ["hot", "test"] and not listing.unreadable


def test_names_and_missing_keys(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    for bad in ("../etc/passwd", "", ".hidden", "a/b", "x" * 65, "é"):
        with pytest.raises(BadKeyName):
            ks.load(bad)
    with pytest.raises(KeyNotFound):
        ks.load("nope")


def test_unsafe_permissions_are_refused_with_the_fix(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    ks.save("k", "hot", Keypair.generate(), None)
    path = keystore_dir / "k.json"
    os.chmod(path, 0o644)
    with pytest.raises(InsecurePermissions) as e:
        ks.load("k")
    assert e.value.fix_mode == 0o600 and "chmod 600" in str(e.value)
    listing = ks.list()
    assert not listing.keys and listing.unreadable[0][0] == path
    os.chmod(path, 0o600)
    os.chmod(keystore_dir, 0o770)
    with pytest.raises(InsecurePermissions, match="chmod 700"):
        ks.load("k")
    os.chmod(keystore_dir, 0o700)
    ks.load("k")


def test_directory_is_created_private(tmp_path: Path) -> None:
    ks = Keystore(tmp_path / "a" / "b" / "keys")
    ks.save("k", "hot", Keypair.generate(), None)
    for d in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "keys"):
        assert mode(d) == 0o700


def test_damaged_file_is_reported_not_fatal(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    ks.save("good", "hot", Keypair.generate(), None)
    bad = keystore_dir / "bad.json"
    fd = os.open(bad, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"{not json")
    os.close(fd)
    listing = ks.list()
    assert [f.name for f in listing.keys] == ["good"]
    assert isinstance(listing.unreadable[0][1], KeyFileError)


# ---- interoperability with the CLI ------------------------------------------------------


def export(synod_bin: Path, ks: Path, name: str, password: str | None = None) -> dict[str, str]:
    env = {"SYNOD_PASSWORD": password} if password is not None else None
    out: dict[str, str] = run_cli(synod_bin, "--keystore", str(ks), "key", "export", name, env=env)
    return out


@pytest.mark.cli
def test_cli_unlocks_keys_written_here(synod_bin: Path, keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    cold, hot, test = Keypair.generate(), Keypair.generate(), Keypair.generate()
    ks.save("pycold", "cold", cold, PASS)
    ks.save("pyhot", "hot", hot, None)
    ks.save("pytest", "cold", test, None)
    assert export(synod_bin, keystore_dir, "pycold", PASS)["seed"] == cold.seed.hex()
    assert export(synod_bin, keystore_dir, "pyhot")["seed"] == hot.seed.hex()
    assert export(synod_bin, keystore_dir, "pytest")["seed"] == test.seed.hex()
    listed = run_cli(synod_bin, "--keystore", str(keystore_dir), "key", "list")
    assert {(r["name"], r["kind"], r["account"]) for r in listed} == {
        ("pycold", "cold", cold.account.hex0x),
        ("pyhot", "hot", hot.account.hex0x),
        ("pytest", "cold", test.account.hex0x),
    }
    # A wrong passphrase is refused by the CLI too.
    r = run_cli(
        synod_bin,
        "--keystore",
        str(keystore_dir),
        "key",
        "export",
        "pycold",
        env={"SYNOD_PASSWORD": "wrong"},
        check=False,
    )
    assert "wrong passphrase" in json.dumps(r)


@pytest.mark.cli
def test_keys_written_by_the_cli_unlock_here(synod_bin: Path, keystore_dir: Path) -> None:
    ks_arg = ("--keystore", str(keystore_dir))
    made = {
        "clicold": run_cli(
            synod_bin, *ks_arg, "key", "new", "clicold", env={"SYNOD_PASSWORD": PASS}
        ),
        "clihot": run_cli(synod_bin, *ks_arg, "key", "new", "clihot", "--kind", "hot"),
        "clitest": run_cli(synod_bin, *ks_arg, "key", "new", "clitest", "--no-passphrase"),
    }
    ks = Keystore(keystore_dir)
    for name, out in made.items():
        key = ks.unlock(name, PASS if name == "clicold" else None)
        assert key.account.hex0x == out["account"]
        seed = export(synod_bin, keystore_dir, name, PASS if name == "clicold" else None)["seed"]
        assert key.seed.hex() == seed
        # The CLI's file is byte for byte what this module writes for the same content.
        path = keystore_dir / f"{name}.json"
        assert mode(path) == 0o600
        text = path.read_text()
        assert json.dumps(ks.load(name).to_json(), indent=2) == text
    with pytest.raises(DecryptError):
        ks.unlock("clicold", "wrong")


@pytest.mark.cli
def test_cli_refuses_the_same_unsafe_permissions(synod_bin: Path, keystore_dir: Path) -> None:
    Keystore(keystore_dir).save("k", "hot", Keypair.generate(), None)
    os.chmod(keystore_dir / "k.json", 0o640)
    r = run_cli(synod_bin, "--keystore", str(keystore_dir), "key", "export", "k", check=False)
    assert "chmod 600" in json.dumps(r)


# ---- watch-only keys ----------------------------------------------------------------------


def test_watch_only_keys_name_an_account_and_never_sign(keystore_dir: Path) -> None:
    ks = Keystore(keystore_dir)
    theirs = Keypair.generate()
    f = ks.save_watch("theirs", theirs.account.hex0x)
    assert f.kind == "watch" and f.watch_only and f.account == theirs.account
    path = keystore_dir / "theirs.json"
    assert mode(path) == 0o600
    j = json.loads(path.read_text())
    assert j == {"name": "theirs", "kind": "watch", "account": theirs.account.hex0x}
    assert list(j) == ["name", "kind", "account"]
    assert ks.load("theirs") == f and ks.account("theirs") == theirs.account
    with pytest.raises(WatchOnly) as e:
        ks.unlock("theirs")
    assert isinstance(e.value, KeystoreError) and "watch-only" in str(e.value)
    with pytest.raises(KeyExists):
        ks.save_watch("theirs", theirs.account)
    # save() with kind "watch" keeps only the account.
    mine = Keypair.generate()
    ks.save("mine-public", "watch", mine, None)
    assert mine.seed.hex() not in (keystore_dir / "mine-public.json").read_text()
    with pytest.raises(ValueError):
        ks.save("w2", "watch", mine, "no passphrase for a watch-only key")
    for bad in ("0x1234", "not hex", b"\x00" * 31):
        with pytest.raises(ValueError):
            ks.save_watch("bad", bad)
    with pytest.raises(BadKeyName):
        ks.save_watch("../x", theirs.account)
    listing = ks.list()
    assert [(k.name, k.kind) for k in listing.keys] == [
        ("mine-public", "watch"),
        ("theirs", "watch"),
    ]
    # Accounts of every kind, without unlocking anything.
    ks.save("hot", "hot", mine, None)
    ks.save("cold", "cold", theirs, PASS)
    assert ks.account("hot") == mine.account and ks.account("cold") == theirs.account


@pytest.mark.cli
def test_watch_only_keys_interoperate_with_the_cli(synod_bin: Path, keystore_dir: Path) -> None:
    ks_arg = ("--keystore", str(keystore_dir))
    ks = Keystore(keystore_dir)
    theirs, ours = Keypair.generate(), Keypair.generate()
    made = run_cli(synod_bin, *ks_arg, "key", "watch", "cliwatch", theirs.account.hex0x)
    assert made["kind"] == "watch" and made["account"] == theirs.account.hex0x
    f = ks.load("cliwatch")
    assert f.watch_only and ks.account("cliwatch") == theirs.account
    assert mode(keystore_dir / "cliwatch.json") == 0o600
    # The CLI's file is byte for byte what this module writes for the same content.
    assert json.dumps(f.to_json(), indent=2) == (keystore_dir / "cliwatch.json").read_text()
    with pytest.raises(WatchOnly):
        ks.unlock("cliwatch")

    ks.save_watch("pywatch", ours.account)
    listed = run_cli(synod_bin, *ks_arg, "key", "list")
    assert {(r["name"], r["kind"], r["account"]) for r in listed} == {
        ("cliwatch", "watch", theirs.account.hex0x),
        ("pywatch", "watch", ours.account.hex0x),
    }
    refused = run_cli(synod_bin, *ks_arg, "key", "export", "pywatch", check=False)
    assert "watch-only" in json.dumps(refused)
    # The CLI uses it as an account: a message signed here verifies against the name.
    sig = ours.sign_message("owned").hex0x
    ok = run_cli(
        synod_bin, *ks_arg, "key", "verify", "pywatch", "--signature", sig, "--message", "owned"
    )
    assert ok["valid"] is True and ok["account"] == ours.account.hex0x
