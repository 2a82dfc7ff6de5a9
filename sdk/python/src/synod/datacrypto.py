"""Data keys, client-side file encryption and key envelopes: ``crates/modules/data-crypto``.

The same formats as the Rust crate ``synod-data-crypto`` (its crate documentation specifies
them byte by byte), checked against its golden vectors in
``crates/modules/data-crypto/tests/golden``:

* **data keys**: an account's X25519 keypair (:class:`DataKeypair`), random or RFC 9180
  ``DeriveKeyPair`` of given bytes, or derived from the account's ed25519 seed; and the signed
  :class:`DataKeyRegistration` binding it to the account on one chain;
* **files**: ``SYNODENC`` version 1, XChaCha20-Poly1305 in the STREAM construction with a
  key-committing header, in memory (:func:`encrypt`, :func:`decrypt`) or one chunk at a time
  over file-like objects (:class:`Encryptor`, :class:`Decryptor`, :func:`encrypt_stream`,
  :func:`decrypt_stream`); the BLAKE3 content hash (:func:`content_hash`,
  :func:`check_content_hash`, :func:`decrypt_checked`, :func:`hash_reader`);
* **key envelopes**: a file key sealed to a data key with HPKE base mode (DHKEM(X25519,
  HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), the file id and content hash as associated
  data (:class:`KeyEnvelope`), 113 bytes of borsh.

Every refusal of the Rust side is a subclass of :class:`DataCryptoError` (itself a
:class:`~synod.errors.SynodError`). Secrets are never shown by ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

import blake3 as _blake3
import nacl.bindings as _nacl
import nacl.exceptions

from .borsh import BorshError, Reader, Writer
from .errors import SynodError
from .keys import Keypair, verify
from .primitives import AccountId, Hash, HexLike, Signature, _Fixed, blake3, tagged_hash

__all__ = [
    # errors
    "DataCryptoError",
    "DataKeyError",
    "ShortIkm",
    "NonCanonicalKey",
    "WeakKey",
    "ChainIdTooLong",
    "RegistrationBadSignature",
    "FileError",
    "TruncatedHeader",
    "BadMagic",
    "UnsupportedFileVersion",
    "BadChunkSize",
    "WrongKey",
    "ChunkAuth",
    "Truncated",
    "EmptyFinalChunk",
    "TooManyChunks",
    "ContentHashMismatch",
    "StreamFailed",
    "EnvelopeError",
    "EnvelopeMalformed",
    "UnsupportedEnvelopeVersion",
    "WrongRecipient",
    "OpenFailed",
    # keys
    "REGISTRATION_TAG",
    "FROM_SEED_TAG",
    "ROTATION_TAG",
    "MIN_IKM_LEN",
    "MAX_CHAIN_ID_LEN",
    "DataPublicKey",
    "DataSecretKey",
    "DataKeypair",
    "DataKeyRegistration",
    "derive_keypair",
    # files
    "MAGIC",
    "FORMAT_VERSION",
    "HEADER_LEN",
    "NONCE_PREFIX_LEN",
    "TAG_LEN",
    "DEFAULT_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "MAX_CHUNK_SIZE",
    "PAYLOAD_KEY_TAG",
    "KEY_COMMITMENT_TAG",
    "FileKey",
    "EncryptOptions",
    "EncryptSummary",
    "Header",
    "Encryptor",
    "Decryptor",
    "ciphertext_len",
    "encrypt",
    "decrypt",
    "encrypt_stream",
    "decrypt_stream",
    "content_hash",
    "check_content_hash",
    "decrypt_checked",
    "hash_reader",
    # HPKE and envelopes
    "HpkeContext",
    "hpke_setup_sender",
    "hpke_setup_receiver",
    "hpke_seal_base",
    "hpke_open_base",
    "ENVELOPE_INFO",
    "ENVELOPE_VERSION",
    "SEALED_KEY_LEN",
    "ENVELOPE_LEN",
    "envelope_aad",
    "KeyEnvelope",
]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class DataCryptoError(SynodError):
    """Base of every refusal of :mod:`synod.datacrypto`. ``kind`` names it as the golden
    vectors do (``chunk_auth``, ``wrong_key``, ``truncated``, …)."""

    kind = "data_crypto"


class DataKeyError(DataCryptoError, ValueError):
    """A data key or its registration was refused (Rust ``KeyError``)."""

    kind = "key"


class ShortIkm(DataKeyError):
    """Too little input keying material for :meth:`DataKeypair.derive`."""

    kind = "short_ikm"

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(f"data key material is {length} bytes; at least {MIN_IKM_LEN} are needed")


class NonCanonicalKey(DataKeyError):
    """The public key is not the canonical encoding of an X25519 u-coordinate."""

    kind = "non_canonical_key"

    def __init__(self, key: bytes) -> None:
        self.key = DataPublicKey(key)
        super().__init__(f"data public key {self.key} is not canonically encoded")


class WeakKey(DataKeyError):
    """The public key is a point of small order: nothing sealed to it would be secret."""

    kind = "weak_key"

    def __init__(self, key: bytes) -> None:
        self.key = DataPublicKey(key)
        super().__init__(
            f"data public key {self.key} is a point of small order (no secret can be agreed "
            "with it)"
        )


class ChainIdTooLong(DataKeyError):
    """The chain id is longer than any chain's."""

    kind = "chain_id_too_long"

    def __init__(self, length: int) -> None:
        self.length = length
        self.max = MAX_CHAIN_ID_LEN
        super().__init__(f"chain id is {length} bytes, over the {MAX_CHAIN_ID_LEN}-byte limit")


class RegistrationBadSignature(DataKeyError):
    """The registration's signature is not the account's over this chain, key and sequence."""

    kind = "bad_signature"

    def __init__(self, account: AccountId) -> None:
        self.account = account
        super().__init__(f"data key registration is not signed by account {account}")


class FileError(DataCryptoError):
    """An encrypted file could not be made, or was refused on decryption (Rust ``FileError``)."""

    kind = "file"


class TruncatedHeader(FileError):
    """The file is shorter than its header."""

    kind = "truncated_header"

    def __init__(self, got: int) -> None:
        self.got = got
        super().__init__(f"encrypted file ends inside its {HEADER_LEN}-byte header ({got} bytes)")


class BadMagic(FileError):
    """The first eight bytes are not ``SYNODENC``."""

    kind = "bad_magic"

    def __init__(self) -> None:
        super().__init__('not a Synod encrypted file (magic bytes are not "SYNODENC")')


class UnsupportedFileVersion(FileError):
    """A format version this module cannot read."""

    kind = "unsupported_version"

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"encrypted file format version {version} is not supported (this build reads version 1)"
        )


class BadChunkSize(FileError):
    """A chunk size outside ``MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE``."""

    kind = "bad_chunk_size"

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        super().__init__(
            f"chunk size {chunk_size} is outside the allowed "
            f"{MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE} bytes"
        )


class WrongKey(FileError):
    """The header commits to another file key."""

    kind = "wrong_key"

    def __init__(self) -> None:
        super().__init__("wrong file key: the file's key commitment does not match this key")


class ChunkAuth(FileError):
    """A chunk does not authenticate: altered, moved, repeated, cut off or extended."""

    kind = "chunk_auth"

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(
            f"chunk {index} failed authentication: the file was altered, reordered, truncated "
            "or extended"
        )


class Truncated(FileError):
    """The file ends inside a chunk shorter than a tag, or right after the header."""

    kind = "truncated"

    def __init__(self, index: int, length: int) -> None:
        self.index = index
        self.length = length
        super().__init__(
            f"encrypted file is truncated: chunk {index} is {length} bytes, shorter than its tag"
        )


class EmptyFinalChunk(FileError):
    """An empty final chunk after a full one (never written; not the canonical encoding)."""

    kind = "empty_final_chunk"

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(
            f"chunk {index} is an empty final chunk after a full one (non-canonical encoding)"
        )


class TooManyChunks(FileError):
    """The plaintext needs more than 2³² chunks."""

    kind = "too_many_chunks"

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        super().__init__(f"plaintext too large: more than 2^32 chunks of {chunk_size} bytes")


class ContentHashMismatch(FileError):
    """The ciphertext is not the one registered."""

    kind = "content_hash_mismatch"

    def __init__(self, expected: Hash, actual: Hash) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"content hash mismatch: expected {expected}, the ciphertext hashes to {actual}"
        )


class StreamFailed(FileError):
    """An earlier error ended this stream; what it produced must be discarded."""

    kind = "failed"

    def __init__(self) -> None:
        super().__init__("the stream already failed; discard its output")


class EnvelopeError(DataCryptoError):
    """A key envelope could not be made, decoded or opened (Rust ``EnvelopeError``). An
    unusable key raises :class:`WeakKey` or :class:`NonCanonicalKey` (``EnvelopeError::Key``)."""

    kind = "envelope"


class EnvelopeMalformed(EnvelopeError, ValueError):
    """The bytes are not an envelope's canonical encoding."""

    kind = "malformed"


class UnsupportedEnvelopeVersion(EnvelopeError):
    """An envelope version this module cannot open."""

    kind = "unsupported_version"

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"key envelope version {version} is not supported (this build reads version 1)"
        )


class WrongRecipient(EnvelopeError):
    """The envelope is sealed to another data key than the one at hand."""

    kind = "wrong_recipient"

    def __init__(self, sealed_to: bytes, key: bytes) -> None:
        self.sealed_to = DataPublicKey(sealed_to)
        self.key = DataPublicKey(key)
        super().__init__(f"key envelope is sealed to data key {self.sealed_to}, not to {self.key}")


class OpenFailed(EnvelopeError):
    """Right recipient, but the envelope does not authenticate for this file id and hash."""

    kind = "open_failed"

    def __init__(self, file_id: int, content_hash: Hash) -> None:
        self.file_id = file_id
        self.content_hash = content_hash
        super().__init__(
            f"key envelope does not open for file {file_id} with content hash {content_hash}: "
            "it was sealed for another file id or content hash, or altered"
        )


# --------------------------------------------------------------------------------------------
# HPKE (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode
# --------------------------------------------------------------------------------------------

_KEM_ID = 0x0020
_KDF_ID = 0x0001
_AEAD_ID = 0x0003
_KEM_SUITE = b"KEM" + _KEM_ID.to_bytes(2, "big")
_HPKE_SUITE = (
    b"HPKE" + _KEM_ID.to_bytes(2, "big") + _KDF_ID.to_bytes(2, "big") + _AEAD_ID.to_bytes(2, "big")
)
_MODE_BASE = 0x00
_NK = 32
_NN = 12


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled = length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info
    return _hkdf_expand(prk, labeled, length)


def _x25519(scalar: bytes, point: bytes) -> bytes | None:
    """X25519; ``None`` when the result is all zero (a point of small order)."""
    try:
        out = _nacl.crypto_scalarmult(scalar, point)
    except (nacl.exceptions.RuntimeError, RuntimeError):
        return None
    return None if out == bytes(32) else bytes(out)


def _x25519_base(scalar: bytes) -> bytes:
    return bytes(_nacl.crypto_scalarmult_base(scalar))


def derive_keypair(ikm: bytes) -> tuple[bytes, bytes]:
    """RFC 9180 §7.1.3 ``DeriveKeyPair(ikm)`` for DHKEM(X25519, HKDF-SHA256): ``(sk, pk)``, the
    secret key as the RFC gives it (not clamped; X25519 clamps when it uses it)."""
    prk = _labeled_extract(_KEM_SUITE, b"", b"dkp_prk", bytes(ikm))
    sk = _labeled_expand(_KEM_SUITE, prk, b"sk", b"", 32)
    return sk, _x25519_base(sk)


def _extract_and_expand(dh: bytes, kem_context: bytes) -> bytes:
    prk = _labeled_extract(_KEM_SUITE, b"", b"eae_prk", dh)
    return _labeled_expand(_KEM_SUITE, prk, b"shared_secret", kem_context, 32)


class HpkeContext:
    """An HPKE context (RFC 9180 §5.2): ``key``, ``base_nonce``, ``exporter_secret`` and the
    sequence number; :meth:`seal` on the sender's side, :meth:`open` on the receiver's."""

    __slots__ = ("key", "base_nonce", "exporter_secret", "key_schedule_context", "secret", "seq")

    def __init__(self, shared_secret: bytes, info: bytes) -> None:
        psk_id_hash = _labeled_extract(_HPKE_SUITE, b"", b"psk_id_hash", b"")
        info_hash = _labeled_extract(_HPKE_SUITE, b"", b"info_hash", bytes(info))
        ctx = bytes([_MODE_BASE]) + psk_id_hash + info_hash
        secret = _labeled_extract(_HPKE_SUITE, shared_secret, b"secret", b"")
        self.key_schedule_context = ctx
        self.secret = secret
        self.key = _labeled_expand(_HPKE_SUITE, secret, b"key", ctx, _NK)
        self.base_nonce = _labeled_expand(_HPKE_SUITE, secret, b"base_nonce", ctx, _NN)
        self.exporter_secret = _labeled_expand(_HPKE_SUITE, secret, b"exp", ctx, 32)
        self.seq = 0

    def __repr__(self) -> str:
        return f"HpkeContext(seq={self.seq})"

    def _nonce(self) -> bytes:
        seq = self.seq.to_bytes(_NN, "big")
        return bytes(a ^ b for a, b in zip(self.base_nonce, seq, strict=True))

    def seal(self, aad: bytes, plaintext: bytes) -> bytes:
        """Encrypts the next message (ciphertext ‖ 16-byte tag)."""
        ct = _nacl.crypto_aead_chacha20poly1305_ietf_encrypt(
            bytes(plaintext), bytes(aad), self._nonce(), self.key
        )
        self.seq += 1
        return bytes(ct)

    def open(self, aad: bytes, ciphertext: bytes) -> bytes | None:
        """Decrypts the next message; ``None`` if it does not authenticate."""
        try:
            pt = _nacl.crypto_aead_chacha20poly1305_ietf_decrypt(
                bytes(ciphertext), bytes(aad), self._nonce(), self.key
            )
        except nacl.exceptions.CryptoError:
            return None
        self.seq += 1
        return bytes(pt)

    def export(self, exporter_context: bytes, length: int) -> bytes:
        """The secret export interface (RFC 9180 §5.3)."""
        return _labeled_expand(_HPKE_SUITE, self.exporter_secret, b"sec", exporter_context, length)


def hpke_setup_sender(
    pk_r: bytes, info: bytes, ikm_e: bytes
) -> tuple[bytes, bytes, HpkeContext] | None:
    """``SetupBaseS`` with the ephemeral key ``DeriveKeyPair(ikm_e)``: ``(enc, shared_secret,
    context)``; ``None`` when ``pk_r`` is of small order (the DH result is all zero)."""
    sk_e, pk_e = derive_keypair(ikm_e)
    dh = _x25519(sk_e, bytes(pk_r))
    if dh is None:
        return None
    shared = _extract_and_expand(dh, pk_e + bytes(pk_r))
    return pk_e, shared, HpkeContext(shared, info)


def hpke_setup_receiver(enc: bytes, sk_r: bytes, info: bytes) -> tuple[bytes, HpkeContext] | None:
    """``SetupBaseR``: ``(shared_secret, context)``; ``None`` when ``enc`` is unusable."""
    if len(enc) != 32:
        return None
    dh = _x25519(bytes(sk_r), bytes(enc))
    if dh is None:
        return None
    shared = _extract_and_expand(dh, bytes(enc) + _x25519_base(bytes(sk_r)))
    return shared, HpkeContext(shared, info)


def hpke_seal_base(
    pk_r: bytes, info: bytes, aad: bytes, plaintext: bytes, ikm_e: bytes
) -> tuple[bytes, bytes]:
    """Single-shot ``SealBase``: ``(enc, ciphertext)``. Raises :class:`WeakKey` for a
    recipient of small order."""
    setup = hpke_setup_sender(pk_r, info, ikm_e)
    if setup is None:
        raise WeakKey(bytes(pk_r))
    enc, _, ctx = setup
    return enc, ctx.seal(aad, plaintext)


def hpke_open_base(
    enc: bytes, sk_r: bytes, info: bytes, aad: bytes, ciphertext: bytes
) -> bytes | None:
    """Single-shot ``OpenBase``; ``None`` if it does not open."""
    setup = hpke_setup_receiver(enc, sk_r, info)
    if setup is None:
        return None
    return setup[1].open(aad, ciphertext)


# --------------------------------------------------------------------------------------------
# Data keys
# --------------------------------------------------------------------------------------------

#: Domain tag of :meth:`DataKeyRegistration.signing_hash`.
REGISTRATION_TAG = "synod/data/key-registration/v1"
#: Domain tag of :meth:`DataKeypair.from_account_seed`.
FROM_SEED_TAG = "synod/data/key-from-seed/v1"
#: Domain tag of a rotated data key's seed (:meth:`DataKeypair.from_account_seed_at`).
ROTATION_TAG = "synod/data/key-rotation/v1"
#: Fewest bytes :meth:`DataKeypair.derive` accepts.
MIN_IKM_LEN = 32
#: Longest chain id (``synod_primitives::tx::MAX_CHAIN_ID_LEN``).
MAX_CHAIN_ID_LEN = 64

_FIELD_P = (1 << 255) - 19


class DataPublicKey(_Fixed):
    """An X25519 public key that file keys are sealed to (32 bytes, shown as ``0x`` hex)."""

    SIZE = 32

    def check(self) -> None:
        """Refuses a key that is not canonically encoded (:class:`NonCanonicalKey`) or of small
        order (:class:`WeakKey`), as the chain does on registration."""
        if int.from_bytes(self, "little") >= _FIELD_P:
            raise NonCanonicalKey(self)
        if _x25519(b"\x5a" * 32, bytes(self)) is None:
            raise WeakKey(self)


class DataSecretKey:
    """The secret half of a data key: 32 bytes, clamped. Never shown by ``repr``."""

    __slots__ = ("_bytes",)

    def __init__(self, data: bytes) -> None:
        """A secret key from any 32 bytes (clamped, as RFC 9180's ``DeserializePrivateKey``)."""
        raw = bytearray(bytes(data))
        if len(raw) != 32:
            raise ValueError(f"a data secret key is 32 bytes, got {len(raw)}")
        raw[0] &= 0xF8
        raw[31] &= 0x7F
        raw[31] |= 0x40
        self._bytes = bytes(raw)

    def to_bytes(self) -> bytes:
        """The 32 secret bytes; store them encrypted."""
        return self._bytes

    def public_key(self) -> DataPublicKey:
        """Its public key."""
        return DataPublicKey(_x25519_base(self._bytes))

    def __repr__(self) -> str:
        return f"DataSecretKey({self.public_key()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataSecretKey) and hmac.compare_digest(self._bytes, other._bytes)

    def __hash__(self) -> int:
        return hash(self.public_key())


class DataKeypair:
    """A data keypair: the X25519 key an account receives file keys on."""

    __slots__ = ("_secret", "_public")

    def __init__(self, secret: DataSecretKey) -> None:
        self._secret = secret
        self._public = secret.public_key()

    @classmethod
    def from_secret(cls, secret: DataSecretKey | bytes) -> DataKeypair:
        """The keypair of a known secret key (any 32 bytes, clamped)."""
        return cls(secret if isinstance(secret, DataSecretKey) else DataSecretKey(secret))

    @classmethod
    def derive(cls, ikm: bytes) -> DataKeypair:
        """RFC 9180 ``DeriveKeyPair(ikm)``, the secret clamped; ``ikm`` must be at least 32 bytes
        (:class:`ShortIkm`)."""
        ikm = bytes(ikm)
        if len(ikm) < MIN_IKM_LEN:
            raise ShortIkm(len(ikm))
        sk, _ = derive_keypair(ikm)
        return cls(DataSecretKey(sk))

    @classmethod
    def generate(cls) -> DataKeypair:
        """A fresh keypair: :meth:`derive` of 32 bytes from the operating system's CSPRNG."""
        return cls.derive(os.urandom(32))

    @classmethod
    def from_account_seed(cls, seed: bytes) -> DataKeypair:
        """The data key of the account whose ed25519 seed is ``seed``:
        ``derive(tagged("synod/data/key-from-seed/v1", seed))``."""
        seed = bytes(seed)
        if len(seed) != 32:
            raise ValueError(f"an account seed is 32 bytes, got {len(seed)}")
        return cls.derive(bytes(tagged_hash(FROM_SEED_TAG, seed)))

    @classmethod
    def from_account_seed_at(cls, seed: bytes, sequence: int) -> DataKeypair:
        """The data key with rotation ``sequence`` of the account whose ed25519 seed is
        ``seed``, as the CLI derives it: for 0, :meth:`from_account_seed`; for a rotation
        ``n > 0``, ``from_account_seed(tagged("synod/data/key-rotation/v1", seed ‖
        u64_le(n)))``. Every key an account ever registered comes back from its seed (so from
        its mnemonic), and files sealed to an older key still open after a rotation."""
        seed = bytes(seed)
        if len(seed) != 32:
            raise ValueError(f"an account seed is 32 bytes, got {len(seed)}")
        if isinstance(sequence, bool) or not 0 <= sequence < 1 << 64:
            raise ValueError(f"a key sequence is a u64, got {sequence!r}")
        if sequence == 0:
            return cls.from_account_seed(seed)
        rotated = tagged_hash(ROTATION_TAG, seed + sequence.to_bytes(8, "little"))
        return cls.from_account_seed(bytes(rotated))

    @property
    def public(self) -> DataPublicKey:
        """The public key to register and to seal file keys to."""
        return self._public

    @property
    def secret(self) -> DataSecretKey:
        """The secret key."""
        return self._secret

    def __repr__(self) -> str:
        return f"DataKeypair({self._public})"


def _check_chain_id(chain_id: str) -> None:
    n = len(chain_id.encode("utf-8"))
    if n > MAX_CHAIN_ID_LEN:
        raise ChainIdTooLong(n)


@dataclass(frozen=True)
class DataKeyRegistration:
    """An account's signed statement "my data key on chain ``chain_id`` is ``data_key``".

    Borsh: ``account`` 32 bytes, ``data_key`` 32 bytes, ``sequence`` u64, ``signature`` 64.
    """

    account: AccountId
    data_key: DataPublicKey
    sequence: int
    signature: Signature

    @staticmethod
    def signing_payload(chain_id: str, account: HexLike, data_key: HexLike, sequence: int) -> bytes:
        """``borsh(chain_id: String, account, data_key, sequence: u64)``."""
        w = Writer()
        w.string(chain_id)
        w.fixed(bytes(AccountId(account)), 32)
        w.fixed(bytes(DataPublicKey(data_key)), 32)
        w.u64(sequence)
        return w.to_bytes()

    @staticmethod
    def signing_hash(chain_id: str, account: HexLike, data_key: HexLike, sequence: int) -> Hash:
        """What the account signs: ``tagged("synod/data/key-registration/v1", payload)``."""
        payload = DataKeyRegistration.signing_payload(chain_id, account, data_key, sequence)
        return tagged_hash(REGISTRATION_TAG, payload)

    @classmethod
    def sign(
        cls, signer: Keypair, chain_id: str, data_key: HexLike, sequence: int
    ) -> DataKeyRegistration:
        """Signs a registration of ``data_key`` for ``signer``'s account (checks the chain id's
        length and the key first)."""
        _check_chain_id(chain_id)
        key = DataPublicKey(data_key)
        key.check()
        account = signer.account
        h = cls.signing_hash(chain_id, account, key, sequence)
        return cls(account, key, sequence, signer.sign(bytes(h)))

    def verify(self, chain_id: str) -> None:
        """What the chain checks before storing it: the chain id's length, a usable key and the
        account's signature (:class:`RegistrationBadSignature`)."""
        _check_chain_id(chain_id)
        DataPublicKey(self.data_key).check()
        h = self.signing_hash(chain_id, self.account, self.data_key, self.sequence)
        if not verify(self.account, bytes(h), self.signature):
            raise RegistrationBadSignature(AccountId(self.account))

    def encode(self) -> bytes:
        """The borsh encoding (136 bytes)."""
        w = Writer()
        w.fixed(bytes(self.account), 32)
        w.fixed(bytes(self.data_key), 32)
        w.u64(self.sequence)
        w.fixed(bytes(self.signature), 64)
        return w.to_bytes()

    @classmethod
    def decode(cls, data: bytes) -> DataKeyRegistration:
        """Decodes exactly one registration (:class:`~synod.borsh.BorshError` otherwise)."""
        r = Reader(bytes(data))
        account = AccountId(r.take(32))
        key = DataPublicKey(r.take(32))
        seq = r.u64()
        sig = Signature(r.take(64))
        r.finish()
        return cls(account, key, seq, sig)

    def to_json(self) -> dict[str, Any]:
        """The chain's JSON form."""
        return {
            "account": AccountId(self.account).hex0x,
            "data_key": DataPublicKey(self.data_key).hex0x,
            "sequence": self.sequence,
            "signature": Signature(self.signature).hex0x,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> DataKeyRegistration:
        """From the chain's JSON form."""
        return cls(
            AccountId(value["account"]),
            DataPublicKey(value["data_key"]),
            int(value["sequence"]),
            Signature(value["signature"]),
        )


# --------------------------------------------------------------------------------------------
# Encrypted files: SYNODENC version 1
# --------------------------------------------------------------------------------------------

MAGIC = b"SYNODENC"
FORMAT_VERSION = 1
HEADER_LEN = 64
NONCE_PREFIX_LEN = 19
TAG_LEN = 16
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 64
MAX_CHUNK_SIZE = 1 << 20
PAYLOAD_KEY_TAG = "synod/data/payload-key/v1"
KEY_COMMITMENT_TAG = "synod/data/key-commitment/v1"
_MAX_CHUNK_INDEX = (1 << 32) - 1


class FileKey:
    """A file's 256-bit key. Never shown by ``repr``; compared in constant time."""

    __slots__ = ("_bytes",)

    def __init__(self, data: bytes) -> None:
        raw = bytes(data)
        if len(raw) != 32:
            raise ValueError(f"a file key is 32 bytes, got {len(raw)}")
        self._bytes = raw

    @classmethod
    def generate(cls) -> FileKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(os.urandom(32))

    def to_bytes(self) -> bytes:
        """The 32 key bytes."""
        return self._bytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileKey) and hmac.compare_digest(self._bytes, other._bytes)

    def __hash__(self) -> int:
        return hash(blake3(self._bytes))

    def __repr__(self) -> str:
        return "FileKey(..)"


@dataclass(frozen=True)
class EncryptOptions:
    """How a file is encrypted: its chunk size and 19-byte nonce prefix."""

    nonce_prefix: bytes
    chunk_size: int = DEFAULT_CHUNK_SIZE

    @classmethod
    def random(cls, chunk_size: int = DEFAULT_CHUNK_SIZE) -> EncryptOptions:
        """A random nonce prefix (what every real file must use)."""
        return cls(os.urandom(NONCE_PREFIX_LEN), chunk_size)

    def __post_init__(self) -> None:
        if len(self.nonce_prefix) != NONCE_PREFIX_LEN:
            raise ValueError(f"a nonce prefix is {NONCE_PREFIX_LEN} bytes")


@dataclass(frozen=True)
class EncryptSummary:
    """What an encryption produced: plaintext and ciphertext lengths, chunks, content hash."""

    plaintext_len: int
    ciphertext_len: int
    chunks: int
    content_hash: Hash


def _check_chunk_size(chunk_size: int) -> None:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise BadChunkSize(chunk_size)


def _core_bytes(chunk_size: int, nonce_prefix: bytes) -> bytes:
    return MAGIC + bytes([FORMAT_VERSION]) + chunk_size.to_bytes(4, "little") + nonce_prefix


def _keyed_tagged(tag: str, key: FileKey, core: bytes) -> bytes:
    return bytes(tagged_hash(tag, key.to_bytes() + core))


@dataclass(frozen=True)
class Header:
    """A file's 64-byte header."""

    chunk_size: int
    nonce_prefix: bytes
    key_commitment: bytes

    @classmethod
    def new(cls, key: FileKey, options: EncryptOptions) -> Header:
        """The header of a new file under ``key``."""
        _check_chunk_size(options.chunk_size)
        core = _core_bytes(options.chunk_size, options.nonce_prefix)
        return cls(
            options.chunk_size,
            bytes(options.nonce_prefix),
            _keyed_tagged(KEY_COMMITMENT_TAG, key, core),
        )

    def to_bytes(self) -> bytes:
        """The 64 bytes."""
        return _core_bytes(self.chunk_size, self.nonce_prefix) + self.key_commitment

    @classmethod
    def parse(cls, file: bytes) -> Header:
        """The header at the start of ``file``: magic, version and chunk size checked."""
        h = bytes(file[:HEADER_LEN])
        if len(h) < HEADER_LEN:
            raise TruncatedHeader(len(h))
        if h[:8] != MAGIC:
            raise BadMagic()
        if h[8] != FORMAT_VERSION:
            raise UnsupportedFileVersion(h[8])
        chunk_size = int.from_bytes(h[9:13], "little")
        _check_chunk_size(chunk_size)
        return cls(chunk_size, h[13:32], h[32:64])

    def check_key(self, key: FileKey) -> None:
        """Refuses a key this header does not commit to (:class:`WrongKey`), in constant time."""
        core = _core_bytes(self.chunk_size, self.nonce_prefix)
        if not hmac.compare_digest(
            _keyed_tagged(KEY_COMMITMENT_TAG, key, core), self.key_commitment
        ):
            raise WrongKey()

    def payload_key(self, key: FileKey) -> bytes:
        """``tagged("synod/data/payload-key/v1", file_key ‖ header[0..32])``."""
        return _keyed_tagged(PAYLOAD_KEY_TAG, key, _core_bytes(self.chunk_size, self.nonce_prefix))


class _ChunkCipher:
    __slots__ = ("_key", "_header", "_prefix", "chunk_size", "next")

    def __init__(self, key: FileKey, header: Header) -> None:
        self._key = header.payload_key(key)
        self._header = header.to_bytes()
        self._prefix = header.nonce_prefix
        self.chunk_size = header.chunk_size
        self.next = 0

    @property
    def full(self) -> int:
        return self.chunk_size + TAG_LEN

    def nonce(self, last: bool) -> bytes:
        if self.next > _MAX_CHUNK_INDEX:
            raise TooManyChunks(self.chunk_size)
        return self._prefix + self.next.to_bytes(4, "big") + (b"\x01" if last else b"\x00")

    def seal(self, chunk: bytes, last: bool) -> bytes:
        nonce = self.nonce(last)
        out = _nacl.crypto_aead_xchacha20poly1305_ietf_encrypt(
            chunk, self._header, nonce, self._key
        )
        self.next += 1
        return bytes(out)

    def check_len(self, length: int, last: bool) -> None:
        index = self.next
        if index > _MAX_CHUNK_INDEX:
            raise TooManyChunks(self.chunk_size)
        if length < TAG_LEN:
            raise Truncated(index, length)
        if last and length == TAG_LEN and index > 0:
            raise EmptyFinalChunk(index)

    def open(self, chunk: bytes, last: bool) -> bytes:
        index = self.next
        nonce = self.nonce(last)
        try:
            out = _nacl.crypto_aead_xchacha20poly1305_ietf_decrypt(
                chunk, self._header, nonce, self._key
            )
        except nacl.exceptions.CryptoError:
            raise ChunkAuth(index) from None
        self.next += 1
        return bytes(out)


def ciphertext_len(plaintext_len: int, chunk_size: int) -> int | None:
    """``64 + len + 16·n`` with ``n = max(1, ceil(len / chunk_size))``; ``None`` for an invalid
    chunk size or more than 2³² chunks."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE or plaintext_len < 0:
        return None
    chunks = max(1, -(-plaintext_len // chunk_size))
    if chunks > _MAX_CHUNK_INDEX + 1:
        return None
    return HEADER_LEN + plaintext_len + chunks * TAG_LEN


def encrypt(plaintext: bytes, key: FileKey, options: EncryptOptions) -> bytes:
    """Encrypts ``plaintext`` in memory (the same bytes as :func:`encrypt_stream`)."""
    header = Header.new(key, options)
    if ciphertext_len(len(plaintext), options.chunk_size) is None:
        raise TooManyChunks(options.chunk_size)
    cipher = _ChunkCipher(key, header)
    data = memoryview(bytes(plaintext))
    size = options.chunk_size
    out = [header.to_bytes()]
    pos = 0
    while True:
        take = min(size, len(data) - pos)
        last = pos + take == len(data)
        out.append(cipher.seal(bytes(data[pos : pos + take]), last))
        pos += take
        if last:
            return b"".join(out)


def decrypt(ciphertext: bytes, key: FileKey) -> bytes:
    """Decrypts an encrypted file held in memory; accepts exactly what :class:`Decryptor`
    accepts. Check the content hash first (:func:`decrypt_checked`) for a downloaded file."""
    data = memoryview(bytes(ciphertext))
    header = Header.parse(bytes(data[:HEADER_LEN]))
    header.check_key(key)
    cipher = _ChunkCipher(key, header)
    full = cipher.full
    pos = HEADER_LEN
    out = []
    while True:
        rest = len(data) - pos
        # The final chunk is the one the file ends with.
        last = rest <= full
        length = rest if last else full
        cipher.check_len(length, last)
        out.append(cipher.open(bytes(data[pos : pos + length]), last))
        pos += length
        if last:
            return b"".join(out)


def content_hash(ciphertext: bytes) -> Hash:
    """BLAKE3 of the whole encrypted file: what the chain registers (``b3sum``)."""
    return blake3(bytes(ciphertext))


def check_content_hash(ciphertext: bytes, expected: HexLike) -> None:
    """Refuses a ciphertext whose BLAKE3 is not ``expected`` (:class:`ContentHashMismatch`)."""
    want = Hash(expected)
    actual = content_hash(ciphertext)
    if actual != want:
        raise ContentHashMismatch(want, actual)


def decrypt_checked(ciphertext: bytes, key: FileKey, expected: HexLike) -> bytes:
    """:func:`check_content_hash` then :func:`decrypt`: what a download runs."""
    check_content_hash(ciphertext, expected)
    return decrypt(ciphertext, key)


class _Readable(Protocol):
    def read(self, n: int = ..., /) -> bytes: ...


class _Writable(Protocol):
    def write(self, data: bytes, /) -> Any: ...


def _read_full(reader: _Readable, n: int) -> bytes:
    """Reads until ``n`` bytes or the end of ``reader``."""
    parts = []
    got = 0
    while got < n:
        b = reader.read(n - got)
        if not b:
            break
        parts.append(bytes(b))
        got += len(b)
    return b"".join(parts)


def hash_reader(reader: _Readable | BinaryIO, block: int = 64 * 1024) -> tuple[Hash, int]:
    """BLAKE3 and length of everything ``reader`` yields, in constant memory."""
    h = _blake3.blake3()
    n = 0
    while True:
        b = reader.read(block)
        if not b:
            return Hash(h.digest()), n
        h.update(b)
        n += len(b)


class Encryptor:
    """Encrypts into the writable ``out`` one chunk at a time: :meth:`write` any amount,
    then :meth:`finish` (without it the file ends without a final chunk and does not
    decrypt). Holds at most one chunk of plaintext."""

    def __init__(self, out: _Writable | BinaryIO, key: FileKey, options: EncryptOptions) -> None:
        header = Header.new(key, options)
        self._out = out
        self._cipher = _ChunkCipher(key, header)
        self._buf = bytearray()
        self._hash = _blake3.blake3()
        self._plain = 0
        self._written = 0
        self._state = "open"
        self._emit(header.to_bytes())

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._hash.update(data)
        self._written += len(data)

    def write(self, data: bytes) -> int:
        """Takes ``data``; writes every chunk it completes (a full chunk is held back until
        more data shows it is not the last)."""
        if self._state != "open":
            raise StreamFailed()
        try:
            self._buf += data
            size = self._cipher.chunk_size
            # Keep one full chunk back: it may be the last.
            while len(self._buf) > size:
                chunk = bytes(self._buf[:size])
                del self._buf[:size]
                self._emit(self._cipher.seal(chunk, False))
                self._plain += size
        except BaseException:
            self._state = "failed"
            raise
        return len(data)

    def finish(self) -> EncryptSummary:
        """Writes the final chunk; returns the summary (with the content hash)."""
        if self._state != "open":
            raise StreamFailed()
        try:
            self._emit(self._cipher.seal(bytes(self._buf), True))
        except BaseException:
            self._state = "failed"
            raise
        self._plain += len(self._buf)
        self._buf.clear()
        self._state = "done"
        return EncryptSummary(
            self._plain, self._written, self._cipher.next, Hash(self._hash.digest())
        )


class Decryptor:
    """Decrypts the readable ``source`` one chunk at a time (constant memory). The header is
    read and the key checked on construction. Plaintext is untrusted until the final chunk
    authenticated (:attr:`is_done`); after an error every call raises :class:`StreamFailed`."""

    def __init__(self, source: _Readable | BinaryIO, key: FileKey) -> None:
        self._in = source
        header = Header.parse(_read_full(source, HEADER_LEN))
        header.check_key(key)
        self._cipher = _ChunkCipher(key, header)
        self._carry = b""
        self._state = "open"
        self._plain = 0
        self._pending = b""

    def next_chunk(self) -> bytes | None:
        """The plaintext of the next chunk, or ``None`` after the final chunk authenticated."""
        if self._state == "done":
            return None
        if self._state == "failed":
            raise StreamFailed()
        try:
            return self._advance()
        except BaseException:
            self._state = "failed"
            raise

    def _advance(self) -> bytes:
        full = self._cipher.full
        buf = self._carry + _read_full(self._in, full + 1 - len(self._carry))
        last = len(buf) <= full
        if last:
            chunk, self._carry = buf, b""
        else:
            chunk, self._carry = buf[:full], buf[full:]
        self._cipher.check_len(len(chunk), last)
        plain = self._cipher.open(chunk, last)
        self._plain += len(plain)
        if last:
            self._state = "done"
        return plain

    def read(self, n: int = -1) -> bytes:
        """File-like reading of the plaintext (``n < 0``: everything left)."""
        parts = [self._pending]
        got = len(self._pending)
        while n < 0 or got < n:
            chunk = self.next_chunk()
            if chunk is None:
                break
            parts.append(chunk)
            got += len(chunk)
        data = b"".join(parts)
        if n < 0:
            self._pending = b""
            return data
        self._pending = data[n:]
        return data[:n]

    def __iter__(self) -> Decryptor:
        return self

    def __next__(self) -> bytes:
        chunk = self.next_chunk()
        if chunk is None:
            raise StopIteration
        return chunk

    @property
    def plaintext_len(self) -> int:
        """Plaintext bytes authenticated so far."""
        return self._plain

    @property
    def is_done(self) -> bool:
        """Whether the final chunk has authenticated (the whole file is genuine)."""
        return self._state == "done"


def encrypt_stream(
    source: _Readable | BinaryIO,
    out: _Writable | BinaryIO,
    key: FileKey,
    options: EncryptOptions,
) -> EncryptSummary:
    """Encrypts everything ``source`` yields into ``out``, one chunk at a time."""
    enc = Encryptor(out, key, options)
    while True:
        b = source.read(options.chunk_size)
        if not b:
            return enc.finish()
        enc.write(b)


def decrypt_stream(source: _Readable | BinaryIO, out: _Writable | BinaryIO, key: FileKey) -> int:
    """Decrypts ``source`` into ``out`` one chunk at a time; returns the plaintext length.
    On an error ``out`` holds a prefix that must be discarded."""
    dec = Decryptor(source, key)
    for chunk in dec:
        out.write(chunk)
    return dec.plaintext_len


# --------------------------------------------------------------------------------------------
# Key envelopes
# --------------------------------------------------------------------------------------------

ENVELOPE_INFO = b"synod/data/file-key-envelope/v1"
ENVELOPE_VERSION = 1
SEALED_KEY_LEN = 48
ENVELOPE_LEN = 1 + 32 + 32 + SEALED_KEY_LEN


def envelope_aad(file_id: int, content_hash: HexLike) -> bytes:
    """``u64_le(file_id) ‖ content_hash``."""
    w = Writer()
    w.u64(file_id)
    w.fixed(bytes(Hash(content_hash)), 32)
    return w.to_bytes()


@dataclass(frozen=True)
class KeyEnvelope:
    """A file key sealed to one recipient's data key (borsh: version, recipient, enc,
    sealed_key; 113 bytes)."""

    version: int
    recipient: DataPublicKey
    enc: bytes
    sealed_key: bytes

    @classmethod
    def seal(
        cls, file_key: FileKey, recipient: HexLike, file_id: int, content_hash: HexLike
    ) -> KeyEnvelope:
        """Seals ``file_key`` to ``recipient`` for file ``file_id`` with content hash
        ``content_hash``, with a fresh ephemeral key."""
        return cls.seal_deterministic(file_key, recipient, file_id, content_hash, os.urandom(32))

    @classmethod
    def seal_deterministic(
        cls,
        file_key: FileKey,
        recipient: HexLike,
        file_id: int,
        content_hash: HexLike,
        ephemeral_ikm: bytes,
    ) -> KeyEnvelope:
        """:meth:`seal` with the ephemeral key ``DeriveKeyPair(ephemeral_ikm)``: for test
        vectors only (reusing it reuses the HPKE key and nonce)."""
        key = DataPublicKey(recipient)
        key.check()
        if len(ephemeral_ikm) != 32:
            raise ValueError("the ephemeral key material is 32 bytes")
        enc, sealed = hpke_seal_base(
            key,
            ENVELOPE_INFO,
            envelope_aad(file_id, content_hash),
            file_key.to_bytes(),
            bytes(ephemeral_ikm),
        )
        return cls(ENVELOPE_VERSION, key, enc, sealed)

    def open(self, recipient: DataKeypair, file_id: int, content_hash: HexLike) -> FileKey:
        """Opens with the recipient's keypair: :class:`WrongRecipient` for another key,
        :class:`OpenFailed` for another file id or hash or an altered byte."""
        if self.version != ENVELOPE_VERSION:
            raise UnsupportedEnvelopeVersion(self.version)
        if self.recipient != recipient.public:
            raise WrongRecipient(self.recipient, recipient.public)
        h = Hash(content_hash)
        pt = hpke_open_base(
            self.enc,
            recipient.secret.to_bytes(),
            ENVELOPE_INFO,
            envelope_aad(file_id, h),
            self.sealed_key,
        )
        if pt is None or len(pt) != 32:
            raise OpenFailed(file_id, h)
        return FileKey(pt)

    def check(self, grantee_key: HexLike) -> None:
        """What the chain checks of a grant: version, recipient, and a usable ``enc``."""
        if self.version != ENVELOPE_VERSION:
            raise UnsupportedEnvelopeVersion(self.version)
        grantee = DataPublicKey(grantee_key)
        if self.recipient != grantee:
            raise WrongRecipient(self.recipient, grantee)
        DataPublicKey(self.enc).check()

    def encode(self) -> bytes:
        """The canonical encoding (113 bytes)."""
        w = Writer()
        w.u8(self.version)
        w.fixed(bytes(self.recipient), 32)
        w.fixed(bytes(self.enc), 32)
        w.fixed(bytes(self.sealed_key), SEALED_KEY_LEN)
        return w.to_bytes()

    @classmethod
    def decode(cls, data: bytes) -> KeyEnvelope:
        """Decodes exactly one envelope; another version is :class:`UnsupportedEnvelopeVersion`,
        anything else not 113 bytes :class:`EnvelopeMalformed`."""
        data = bytes(data)
        if data and data[0] != ENVELOPE_VERSION:
            raise UnsupportedEnvelopeVersion(data[0])
        if len(data) != ENVELOPE_LEN:
            raise EnvelopeMalformed(
                f"malformed key envelope: {len(data)} bytes, expected {ENVELOPE_LEN}"
            )
        try:
            r = Reader(data)
            version = r.u8()
            recipient = DataPublicKey(r.take(32))
            enc = r.take(32)
            sealed = r.take(SEALED_KEY_LEN)
            r.finish()
        except BorshError as e:
            raise EnvelopeMalformed(f"malformed key envelope: {e}") from e
        return cls(version, recipient, enc, sealed)

    @property
    def hex0x(self) -> str:
        """The encoding as ``0x`` hex (the JSON form)."""
        return "0x" + self.encode().hex()

    @classmethod
    def from_hex(cls, text: str) -> KeyEnvelope:
        """From the JSON form."""
        s = text[2:] if text.startswith(("0x", "0X")) else text
        try:
            raw = bytes.fromhex(s)
        except ValueError as e:
            raise EnvelopeMalformed(f"malformed key envelope: {e}") from e
        return cls.decode(raw)
