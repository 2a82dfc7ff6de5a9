"""The CLI's keystore: one JSON file per key, readable and writable by ``synod`` and by this
module alike (``crates/cli/src/keystore.rs``).

A key file ``<dir>/<name>.json`` holds ``name``, ``kind`` (``cold``, ``hot`` or ``watch``),
``account`` (``0x`` hex) and either ``seed`` (hex, hotkeys: operational keys used unattended,
stored in the clear), nothing more (watch-only keys: someone else's account, or a coldkey kept
offline, named here to be used wherever an account is wanted but never to sign), or
``encrypted`` (coldkeys: Argon2id with the argon2 crate's defaults — 19 MiB, 2
passes, 1 lane, 32-byte key — over the passphrase and a random 16-byte salt, then
XChaCha20-Poly1305 with a random 24-byte nonce sealing the 32-byte seed, the account's 32 bytes
as associated data, so that a file cannot be edited to pair a seed with another address). A
coldkey made without a passphrase (test keys) is sealed under the empty passphrase and marked
``"no_passphrase": true``.

Permissions are part of the format: the directory is created 0700 and each file 0600, the file
written under a temporary name and linked into place, so no reader sees it half written or
with wider bits. A key file that group or others can access, or a directory they can write to,
is refused with :class:`InsecurePermissions` naming the ``chmod`` that fixes it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import argon2.exceptions
import argon2.low_level
import nacl.bindings
import nacl.exceptions

from .errors import SynodError
from .keys import Keypair
from .primitives import AccountId, HexLike, parse_hex

__all__ = [
    "Keystore",
    "KeyFile",
    "EncryptedSeed",
    "Listing",
    "KeyKind",
    "default_keystore_dir",
    "encrypt_seed",
    "decrypt_seed",
    "KeystoreError",
    "KeyNotFound",
    "KeyExists",
    "BadKeyName",
    "DecryptError",
    "KeyFileError",
    "EmptyPassphrase",
    "InsecurePermissions",
    "WatchOnly",
]

KeyKind = Literal["cold", "hot", "watch"]
_KINDS = ("cold", "hot", "watch")

# The argon2 crate's `Argon2::default()`: Argon2id, version 0x13, m = 19 MiB, t = 2, p = 1.
_ARGON2_MEMORY_KIB = 19 * 1024
_ARGON2_PASSES = 2
_ARGON2_LANES = 1
_SALT_LEN = 16
_NONCE_LEN = 24

_FILE_FORBIDDEN = 0o077
_DIR_FORBIDDEN = 0o022


class KeystoreError(SynodError):
    """Base of keystore failures."""


class KeyNotFound(KeystoreError):
    """No key of that name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no key named '{name}' in the keystore (see `synod key list`)")


class KeyExists(KeystoreError):
    """The name is taken (a key is never overwritten)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a key named '{name}' already exists")


class BadKeyName(KeystoreError):
    """A name that is not a safe file name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"invalid key name '{name}': use letters, digits, '-', '_' and '.' only")


class DecryptError(KeystoreError):
    """Wrong passphrase, or the file was modified."""

    def __init__(self) -> None:
        super().__init__("wrong passphrase, or the key file was modified")


class KeyFileError(KeystoreError):
    """A key file that cannot be read or is malformed."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"key file {path}: {reason}")


class EmptyPassphrase(KeystoreError):
    """A coldkey with an empty passphrase that was not asked for explicitly."""

    def __init__(self) -> None:
        super().__init__(
            "a coldkey needs a non-empty passphrase; for a throwaway test key pass "
            "passphrase=None (the CLI's --no-passphrase)"
        )


class WatchOnly(KeystoreError):
    """A watch-only key (a public key only) was asked to sign or to give its secret."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"'{name}' is a watch-only key (a public key only): it cannot sign")


class InsecurePermissions(KeystoreError):
    """A key file or the keystore directory is open to other users."""

    def __init__(self, path: Path, problem: str, fix_mode: int) -> None:
        self.path = path
        self.problem = problem
        self.fix_mode = fix_mode
        super().__init__(f"{path}: {problem}; refusing to use it (fix: chmod {fix_mode:o} {path})")


@dataclass(frozen=True)
class EncryptedSeed:
    """A coldkey's sealed seed and its parameters (all hex)."""

    salt: str
    nonce: str
    ciphertext: str
    kdf: str = "argon2id"
    cipher: str = "xchacha20poly1305"

    def to_json(self) -> dict[str, str]:
        """The file's ``encrypted`` object, fields in the CLI's order."""
        return {
            "kdf": self.kdf,
            "salt": self.salt,
            "cipher": self.cipher,
            "nonce": self.nonce,
            "ciphertext": self.ciphertext,
        }

    @classmethod
    def from_json(cls, j: Any) -> EncryptedSeed:
        if not isinstance(j, dict):
            raise ValueError("encrypted must be an object")
        return cls(
            salt=_str(j, "salt"),
            nonce=_str(j, "nonce"),
            ciphertext=_str(j, "ciphertext"),
            kdf=_str(j, "kdf"),
            cipher=_str(j, "cipher"),
        )


@dataclass(frozen=True)
class KeyFile:
    """The content of a key file (nothing decrypted)."""

    name: str
    kind: KeyKind
    account: AccountId
    seed: str | None = field(default=None, repr=False)
    encrypted: EncryptedSeed | None = field(default=None, repr=False)
    no_passphrase: bool = False

    def to_json(self) -> dict[str, Any]:
        """The file's JSON object, fields in the CLI's order (absent ones left out)."""
        j: dict[str, Any] = {"name": self.name, "kind": self.kind, "account": self.account.hex0x}
        if self.seed is not None:
            j["seed"] = self.seed
        if self.encrypted is not None:
            j["encrypted"] = self.encrypted.to_json()
        if self.no_passphrase:
            j["no_passphrase"] = True
        return j

    @classmethod
    def from_json(cls, j: Any) -> KeyFile:
        if not isinstance(j, dict):
            raise ValueError("a key file is a JSON object")
        kind = _str(j, "kind")
        if kind not in _KINDS:
            raise ValueError(f"unknown variant `{kind}`, expected one of `cold`, `hot`, `watch`")
        seed = j.get("seed")
        if seed is not None and not isinstance(seed, str):
            raise ValueError("seed must be a string")
        enc = j.get("encrypted")
        no_pass = j.get("no_passphrase", False)
        if not isinstance(no_pass, bool):
            raise ValueError("no_passphrase must be a bool")
        return cls(
            name=_str(j, "name"),
            kind=kind,  # type: ignore[arg-type]
            account=AccountId(_str(j, "account")),
            seed=seed,
            encrypted=EncryptedSeed.from_json(enc) if enc is not None else None,
            no_passphrase=no_pass,
        )

    @property
    def watch_only(self) -> bool:
        """Whether this is a watch-only key (an account, no secret)."""
        return self.kind == "watch"


@dataclass
class Listing:
    """What :meth:`Keystore.list` found: readable keys by name, and every other ``*.json``
    file with the reason it could not be used."""

    keys: list[KeyFile] = field(default_factory=list)
    unreadable: list[tuple[Path, KeystoreError]] = field(default_factory=list)


def _str(j: dict[str, Any], key: str) -> str:
    v = j.get(key)
    if not isinstance(v, str):
        raise ValueError(f"missing or non-string field `{key}`")
    return v


def _derive_key(passphrase: str, salt: bytes) -> bytes:
    try:
        return argon2.low_level.hash_secret_raw(
            secret=passphrase.encode("utf-8"),
            salt=salt,
            time_cost=_ARGON2_PASSES,
            memory_cost=_ARGON2_MEMORY_KIB,
            parallelism=_ARGON2_LANES,
            hash_len=32,
            type=argon2.low_level.Type.ID,
            version=19,
        )
    except argon2.exceptions.HashingError:
        raise DecryptError() from None


def encrypt_seed(seed: bytes, account: AccountId, passphrase: str) -> EncryptedSeed:
    """Seals ``seed`` for ``account`` under ``passphrase`` (fresh salt and nonce)."""
    salt = os.urandom(_SALT_LEN)
    nonce = os.urandom(_NONCE_LEN)
    key = _derive_key(passphrase, salt)
    ct = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(seed), bytes(account), nonce, key
    )
    return EncryptedSeed(salt=salt.hex(), nonce=nonce.hex(), ciphertext=ct.hex())


def decrypt_seed(enc: EncryptedSeed, account: AccountId, passphrase: str) -> bytes:
    """Opens a sealed seed; :class:`DecryptError` on a wrong passphrase or any modification."""
    try:
        salt = parse_hex(enc.salt)
        nonce = parse_hex(enc.nonce, _NONCE_LEN)
        ct = parse_hex(enc.ciphertext)
    except ValueError:
        raise DecryptError() from None
    key = _derive_key(passphrase, salt)
    try:
        seed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ct, bytes(account), nonce, key
        )
    except nacl.exceptions.CryptoError:
        raise DecryptError() from None
    if len(seed) != 32:
        raise DecryptError()
    return bytes(seed)


def default_keystore_dir() -> Path:
    """Where the CLI keeps keys: ``$SYNOD_KEYSTORE``, else ``~/.synod/keys``."""
    env = os.environ.get("SYNOD_KEYSTORE")
    if env:
        return Path(env)
    home = os.environ.get("HOME")
    return (Path(home) if home else Path(".")) / ".synod" / "keys"


def _valid_name(name: str) -> bool:
    return (
        0 < len(name.encode("utf-8")) <= 64
        and not name.startswith(".")
        and all((c.isascii() and c.isalnum()) or c in "-_." for c in name)
    )


Passphrase = str | Callable[[], str] | None


class Keystore:
    """A directory of key files, the CLI's format. Created on first write."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """The keystore at ``directory`` (default: :func:`default_keystore_dir`)."""
        self.dir = Path(directory) if directory is not None else default_keystore_dir()

    def __repr__(self) -> str:
        return f"Keystore({str(self.dir)!r})"

    def path(self, name: str) -> Path:
        """The file of key ``name``; :class:`BadKeyName` for names that are not safe."""
        if not _valid_name(name):
            raise BadKeyName(name)
        return self.dir / f"{name}.json"

    def save(self, name: str, kind: KeyKind, key: Keypair, passphrase: str | None) -> KeyFile:
        """Stores ``key`` under ``name``, never replacing an existing key.

        A coldkey is encrypted with ``passphrase``, which must not be empty; ``None`` makes an
        explicit no-passphrase coldkey (test keys only, the CLI's ``--no-passphrase``). A
        hotkey's seed is stored in the clear and ``passphrase`` must be ``None``. ``"watch"``
        stores only ``key``'s account, as :meth:`save_watch`.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'cold', 'hot' or 'watch', got {kind!r}")
        self.path(name)  # a name that is not safe is refused before anything else
        if kind != "cold" and passphrase is not None:
            raise ValueError(f"{kind} keys have no encrypted seed: pass passphrase=None")
        if kind == "watch":
            return self.save_watch(name, key.account)
        if kind == "cold" and passphrase == "":
            raise EmptyPassphrase()
        file = KeyFile(
            name=name,
            kind=kind,
            account=key.account,
            seed=key.seed.hex() if kind == "hot" else None,
            encrypted=(
                encrypt_seed(key.seed, key.account, passphrase or "") if kind == "cold" else None
            ),
            no_passphrase=kind == "cold" and passphrase is None,
        )
        return self._write(file)

    def save_watch(self, name: str, account: HexLike) -> KeyFile:
        """Stores a watch-only key: ``name`` for ``account`` (``0x`` hex or its bytes), no
        secret, in the CLI's format (``synod key watch NAME 0x…``). It is listed and loaded
        like any key and names an account wherever one is wanted (:meth:`account`), but
        :meth:`unlock` refuses it with :class:`WatchOnly`."""
        try:
            acct = AccountId(account)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{account!r} is not an account: {e}") from None
        return self._write(KeyFile(name=name, kind="watch", account=acct))

    def _write(self, file: KeyFile) -> KeyFile:
        """Writes a new key file (0600, atomically), never replacing one."""
        name = file.name
        path = self.path(name)
        try:
            _create_private_dir(self.dir)
        except OSError as e:
            raise KeyFileError(self.dir, str(e)) from e
        self._check_dir()
        if path.exists():
            raise KeyExists(name)
        data = json.dumps(file.to_json(), indent=2).encode("utf-8")
        tmp = self.dir / f".{name}.json.{os.urandom(8).hex()}.tmp"
        try:
            _write_new_private(tmp, path, data)
        except FileExistsError:
            raise KeyExists(name) from None
        except OSError as e:
            raise KeyFileError(path, str(e)) from e
        return file

    def load(self, name: str) -> KeyFile:
        """Reads a key file without decrypting it; refuses one others can access."""
        path = self.path(name)
        self._check_dir()
        return self._load_path(name, path)

    def account(self, name: str) -> AccountId:
        """The account of key ``name``, of any kind (watch-only keys included), without
        unlocking it: what to pass wherever an account is wanted."""
        return self.load(name).account

    def unlock(self, name: str, passphrase: Passphrase = None) -> Keypair:
        """Loads and unlocks a key.

        ``passphrase`` is used for a coldkey made with one: a string, or a function asked only
        when needed; when it is ``None`` the ``SYNOD_PASSWORD`` environment variable is used,
        as the CLI does. Hotkeys and no-passphrase coldkeys need none. A watch-only key has
        nothing to unlock: :class:`WatchOnly`.
        """
        file = self.load(name)
        path = self.path(name)
        if file.kind == "watch":
            raise WatchOnly(name)
        if file.seed is not None:
            try:
                seed = parse_hex(file.seed, 32)
            except ValueError as e:
                raise KeyFileError(path, str(e)) from None
        elif file.encrypted is not None and file.no_passphrase:
            seed = decrypt_seed(file.encrypted, file.account, "")
        elif file.encrypted is not None:
            seed = decrypt_seed(file.encrypted, file.account, _resolve_passphrase(name, passphrase))
        else:
            raise KeyFileError(path, "no seed in key file")
        key = Keypair(seed)
        if key.account != file.account:
            raise KeyFileError(path, "seed does not match the stored account")
        return key

    def list(self) -> Listing:
        """Every ``*.json`` file: readable keys sorted by name, the others with their reason.

        Fails only when the directory itself cannot be trusted or read.
        """
        out = Listing()
        try:
            entries = sorted(self.dir.iterdir())
        except FileNotFoundError:
            return out
        except OSError as e:
            raise KeyFileError(self.dir, str(e)) from e
        self._check_dir()
        for p in entries:
            if p.suffix != ".json":
                continue
            try:
                if not _valid_name(p.stem):
                    raise KeyFileError(p, "not a valid key name")
                out.keys.append(self._load_path(p.stem, p))
            except KeystoreError as e:
                out.unreadable.append((p, e))
        out.keys.sort(key=lambda f: f.name)
        return out

    def _load_path(self, name: str, path: Path) -> KeyFile:
        try:
            data = _read_private(path)
        except FileNotFoundError:
            raise KeyNotFound(name) from None
        except OSError as e:
            raise KeyFileError(path, str(e)) from e
        try:
            return KeyFile.from_json(json.loads(data))
        except ValueError as e:
            raise KeyFileError(path, str(e)) from None

    def _check_dir(self) -> None:
        if os.name != "posix":
            return
        try:
            mode = stat.S_IMODE(os.stat(self.dir).st_mode)
        except FileNotFoundError:
            return
        except OSError as e:
            raise KeyFileError(self.dir, str(e)) from e
        if mode & _DIR_FORBIDDEN:
            raise InsecurePermissions(
                self.dir,
                f"keystore directory has mode {mode:04o}: group or others can replace key files",
                0o700,
            )


def _resolve_passphrase(name: str, passphrase: Passphrase) -> str:
    if callable(passphrase):
        return passphrase()
    if passphrase is not None:
        return passphrase
    env = os.environ.get("SYNOD_PASSWORD")
    if env is None:
        raise KeystoreError(f"key '{name}' needs its passphrase (pass it, or set SYNOD_PASSWORD)")
    return env


def _read_private(path: Path) -> bytes:
    """Reads a key file, checking the mode of the file actually opened."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(path, "not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if os.name == "posix" and mode & _FILE_FORBIDDEN:
            raise InsecurePermissions(
                path, f"key file has mode {mode:04o}, open to group or others", 0o600
            )
        return f.read()


def _create_private_dir(directory: Path) -> None:
    """Creates ``directory`` and its missing parents as 0700 from the start; an existing
    directory is left as it is, for the permission check to judge."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass


def _write_new_private(tmp: Path, path: Path, data: bytes) -> None:
    """Writes ``tmp`` (created 0600, fsynced), then links it to ``path``, which must not
    exist: the key appears complete and private or not at all."""
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass  # the new entry is there; durability of the directory is best effort, as in Rust
    finally:
        os.close(dfd)
