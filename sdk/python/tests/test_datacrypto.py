"""synod.datacrypto against the golden vectors of crates/modules/data-crypto."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from synod.datacrypto import (
    HEADER_LEN,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    ROTATION_TAG,
    TAG_LEN,
    BadChunkSize,
    BadMagic,
    ChainIdTooLong,
    ChunkAuth,
    ContentHashMismatch,
    DataCryptoError,
    DataKeypair,
    DataKeyRegistration,
    DataPublicKey,
    DataSecretKey,
    Decryptor,
    EmptyFinalChunk,
    EncryptOptions,
    Encryptor,
    EnvelopeMalformed,
    FileKey,
    Header,
    KeyEnvelope,
    NonCanonicalKey,
    OpenFailed,
    RegistrationBadSignature,
    ShortIkm,
    StreamFailed,
    Truncated,
    TruncatedHeader,
    UnsupportedEnvelopeVersion,
    UnsupportedFileVersion,
    WeakKey,
    WrongKey,
    WrongRecipient,
    _ChunkCipher,
    check_content_hash,
    ciphertext_len,
    content_hash,
    decrypt,
    decrypt_checked,
    decrypt_stream,
    derive_keypair,
    encrypt,
    encrypt_stream,
    envelope_aad,
    hash_reader,
    hpke_setup_receiver,
    hpke_setup_sender,
)
from synod.errors import SynodError
from synod.keys import Keypair
from synod.primitives import Hash, tagged_hash

from conftest import REPO

GOLDEN = REPO / "crates/modules/data-crypto/tests/golden"


def load(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


def h(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


KEYS = load("keys.json")
FILES = load("file.json")
ENVELOPES = load("envelope.json")
RFC = load("rfc9180_a2_1.json")


# ---- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", KEYS["derive"], ids=lambda v: v["ikm"][:8])
def test_derive_vectors(v: dict[str, str]) -> None:
    kp = DataKeypair.derive(h(v["ikm"]))
    assert kp.secret.to_bytes() == h(v["secret_key"])
    assert kp.public == h(v["public_key"])
    kp.public.check()
    back = DataKeypair.from_secret(h(v["secret_key"]))
    assert back.public == kp.public
    assert v["secret_key"] not in repr(kp) and v["secret_key"] not in repr(kp.secret)


@pytest.mark.parametrize("v", KEYS["from_account_seed"], ids=lambda v: v["account_seed"][:8])
def test_from_account_seed_vectors(v: dict[str, str]) -> None:
    kp = DataKeypair.from_account_seed(h(v["account_seed"]))
    assert kp.secret.to_bytes() == h(v["secret_key"])
    assert kp.public == h(v["public_key"])
    assert DataKeypair.derive(h(v["ikm"])).public == kp.public


@pytest.mark.parametrize("v", KEYS["from_account_seed"], ids=lambda v: v["account_seed"][:8])
def test_rotation_zero_is_the_account_key_and_rotations_differ(v: dict[str, str]) -> None:
    seed = h(v["account_seed"])
    k0 = DataKeypair.from_account_seed_at(seed, 0)
    assert k0.public == DataKeypair.from_account_seed(seed).public == h(v["public_key"])
    assert k0.secret == DataKeypair.from_account_seed(seed).secret
    k1 = DataKeypair.from_account_seed_at(seed, 1)
    k2 = DataKeypair.from_account_seed_at(seed, 2)
    assert len({k0.public, k1.public, k2.public}) == 3
    assert DataKeypair.from_account_seed_at(seed, 2).public == k2.public
    # keys.rs: from_account_seed(tagged("synod/data/key-rotation/v1", seed ‖ u64_le(n))).
    rotated = tagged_hash(ROTATION_TAG, seed + (1).to_bytes(8, "little"))
    assert k1.public == DataKeypair.from_account_seed(bytes(rotated)).public
    k1.public.check()
    for bad in (-1, 1 << 64, True):
        with pytest.raises(ValueError):
            DataKeypair.from_account_seed_at(seed, bad)
    with pytest.raises(ValueError):
        DataKeypair.from_account_seed_at(seed[:31], 1)


@pytest.mark.parametrize("v", KEYS["registrations"], ids=lambda v: v["chain_id"])
def test_registration_vectors(v: dict[str, Any]) -> None:
    signer = Keypair(h(v["signer_seed"]))
    assert signer.account == h(v["account"])
    payload = DataKeyRegistration.signing_payload(
        v["chain_id"], v["account"], v["data_key"], v["sequence"]
    )
    assert payload == h(v["signing_payload"])
    sh = DataKeyRegistration.signing_hash(v["chain_id"], v["account"], v["data_key"], v["sequence"])
    assert sh == h(v["signing_hash"])
    reg = DataKeyRegistration.sign(signer, v["chain_id"], v["data_key"], v["sequence"])
    assert reg.signature == h(v["signature"])
    assert reg.encode() == h(v["borsh"])
    assert reg.to_json() == v["json"]
    assert DataKeyRegistration.decode(h(v["borsh"])) == reg
    assert DataKeyRegistration.from_json(v["json"]) == reg
    reg.verify(v["chain_id"])
    with pytest.raises(RegistrationBadSignature):
        reg.verify(v["chain_id"] + "-other")
    with pytest.raises(RegistrationBadSignature):
        DataKeyRegistration(reg.account, reg.data_key, reg.sequence + 1, reg.signature).verify(
            v["chain_id"]
        )
    other = DataKeypair.derive(bytes([4]) * 32).public
    with pytest.raises(RegistrationBadSignature):
        DataKeyRegistration(reg.account, other, reg.sequence, reg.signature).verify(v["chain_id"])


def test_key_refusals() -> None:
    with pytest.raises(ShortIkm) as e:
        DataKeypair.derive(bytes(31))
    assert e.value.length == 31 and isinstance(e.value, SynodError)
    small = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]
    for k in small:
        with pytest.raises(WeakKey):
            DataPublicKey(k).check()
    for k in [
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0900000000000000000000000000000000000000000000000000000000000080",
    ]:
        with pytest.raises(NonCanonicalKey):
            DataPublicKey(k).check()
    DataPublicKey(bytes([9]) + bytes(31)).check()
    alice = Keypair.dev("alice")
    key = DataKeypair.derive(bytes([3]) * 32).public
    with pytest.raises(ChainIdTooLong):
        DataKeyRegistration.sign(alice, "x" * 65, key, 0)
    with pytest.raises(WeakKey):
        DataKeyRegistration.sign(alice, "synod-dev", small[1], 0)
    a, b = DataKeypair.generate(), DataKeypair.generate()
    assert a.public != b.public
    assert DataSecretKey(bytes(32)).to_bytes()[31] == 0x40


# ---- HPKE: RFC 9180 A.2.1 --------------------------------------------------------------------


def test_rfc9180_a2_1() -> None:
    sk_e, pk_e = derive_keypair(h(RFC["ikmE"]))
    assert (sk_e, pk_e) == (h(RFC["skEm"]), h(RFC["pkEm"]))
    sk_r, pk_r = derive_keypair(h(RFC["ikmR"]))
    assert (sk_r, pk_r) == (h(RFC["skRm"]), h(RFC["pkRm"]))
    info = h(RFC["info"])
    sender = hpke_setup_sender(pk_r, info, h(RFC["ikmE"]))
    assert sender is not None
    enc, shared, ctx_s = sender
    assert enc == h(RFC["enc"])
    assert shared == h(RFC["shared_secret"])
    assert ctx_s.key_schedule_context == h(RFC["key_schedule_context"])
    assert ctx_s.secret == h(RFC["secret"])
    assert ctx_s.key == h(RFC["key"])
    assert ctx_s.base_nonce == h(RFC["base_nonce"])
    assert ctx_s.exporter_secret == h(RFC["exporter_secret"])
    receiver = hpke_setup_receiver(enc, sk_r, info)
    assert receiver is not None and receiver[0] == shared
    ctx_r = receiver[1]
    for e in RFC["encryptions"]:
        ctx_s.seq = ctx_r.seq = e["sequence_number"]
        assert ctx_s._nonce() == h(e["nonce"])
        assert ctx_s.seal(h(e["aad"]), h(e["pt"])) == h(e["ct"])
        assert ctx_r.open(h(e["aad"]), h(e["ct"])) == h(e["pt"])
    for x in RFC["exports"]:
        assert ctx_s.export(h(x["exporter_context"]), x["L"]) == h(x["exported_value"])


# ---- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "v", FILES["files"], ids=lambda v: f"{v['chunk_size']}-{len(v['plaintext']) // 2}"
)
def test_file_vectors(v: dict[str, Any]) -> None:
    key = FileKey(h(v["file_key"]))
    opts = EncryptOptions(h(v["nonce_prefix"]), v["chunk_size"])
    pt = h(v["plaintext"])
    header = Header.new(key, opts)
    assert header.to_bytes() == h(v["header"])
    assert header.key_commitment == h(v["key_commitment"])
    assert header.payload_key(key) == h(v["payload_key"])
    ct = encrypt(pt, key, opts)
    assert ct == h(v["ciphertext"])
    assert len(ct) == ciphertext_len(len(pt), v["chunk_size"])
    assert content_hash(ct) == h(v["content_hash"])
    out = io.BytesIO()
    summary = encrypt_stream(io.BytesIO(pt), out, key, opts)
    assert out.getvalue() == ct
    assert summary.content_hash == h(v["content_hash"])
    assert summary.chunks == len(v["chunk_nonces"])
    assert (summary.plaintext_len, summary.ciphertext_len) == (len(pt), len(ct))
    assert decrypt(h(v["ciphertext"]), key) == pt
    assert decrypt_checked(ct, key, v["content_hash"]) == pt
    back = io.BytesIO()
    assert decrypt_stream(io.BytesIO(ct), back, key) == len(pt)
    assert back.getvalue() == pt
    assert hash_reader(io.BytesIO(ct)) == (Hash(h(v["content_hash"])), len(ct))


def _refusal(e: DataCryptoError) -> str:
    index = getattr(e, "index", None)
    return e.kind if index is None else f"{e.kind}:{index}"


@pytest.mark.parametrize("v", FILES["rejections_of_the_200_byte_file"], ids=lambda v: v["case"])
def test_corrupted_files_refused(v: dict[str, str]) -> None:
    key = FileKey(h(FILES["files"][0]["file_key"]))
    ct = h(v["ciphertext"])
    with pytest.raises(DataCryptoError) as e:
        decrypt(ct, key)
    assert _refusal(e.value) == v["error"]
    with pytest.raises(DataCryptoError) as e2:
        decrypt_stream(io.BytesIO(ct), io.BytesIO(), key)
    assert _refusal(e2.value) == v["error"]


def test_header_and_stream_refusals() -> None:
    key = FileKey(bytes(range(32)))
    opts = EncryptOptions(bytes(19), 64)
    ct = encrypt(bytes(200), key, opts)
    with pytest.raises(TruncatedHeader):
        decrypt(ct[:63], key)
    with pytest.raises(BadMagic):
        decrypt(b"X" + ct[1:], key)
    with pytest.raises(UnsupportedFileVersion):
        decrypt(ct[:8] + b"\x02" + ct[9:], key)
    for size in (MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1):
        with pytest.raises(BadChunkSize):
            Header.parse(ct[:9] + size.to_bytes(4, "little") + ct[13:])
        with pytest.raises(BadChunkSize):
            encrypt(b"", key, EncryptOptions(bytes(19), size))
    with pytest.raises(WrongKey):
        decrypt(ct, FileKey(bytes(32)))
    with pytest.raises(Truncated):
        decrypt(ct[: HEADER_LEN + 5], key)
    with pytest.raises(ContentHashMismatch):
        check_content_hash(ct, bytes(32))
    with pytest.raises(ContentHashMismatch):
        decrypt_checked(ct, key, bytes(32))
    # An empty final chunk after a full one: authentic, but never written.
    one_full = encrypt(bytes(64), key, opts)
    c = _ChunkCipher(key, Header.parse(one_full))
    body = c.seal(bytes(64), False) + c.seal(b"", True)
    with pytest.raises(EmptyFinalChunk):
        decrypt(one_full[:HEADER_LEN] + body, key)
    # A failed decryptor stays failed.
    bad = bytearray(ct)
    bad[HEADER_LEN + 64 + TAG_LEN + 3] ^= 1
    dec = Decryptor(io.BytesIO(bytes(bad)), key)
    assert dec.next_chunk() == bytes(64)
    with pytest.raises(ChunkAuth):
        dec.next_chunk()
    with pytest.raises(StreamFailed):
        dec.next_chunk()
    # An encryptor never finished leaves a file without its final chunk.
    out = io.BytesIO()
    enc = Encryptor(out, key, opts)
    enc.write(bytes(200))
    with pytest.raises(ChunkAuth):
        decrypt(out.getvalue(), key)
    enc.finish()
    with pytest.raises(StreamFailed):
        enc.write(b"x")
    assert decrypt(out.getvalue(), key) == bytes(200)
    assert repr(key) == "FileKey(..)"


@pytest.mark.parametrize("chunk_size", [64, 100])
def test_round_trip_around_chunk_boundaries(chunk_size: int) -> None:
    key = FileKey.generate()
    sizes = {0, 1, chunk_size - 1, chunk_size, chunk_size + 1, 2 * chunk_size}
    sizes |= {2 * chunk_size + 1, 3 * chunk_size - 1, 5 * chunk_size}
    for n in sorted(sizes):
        pt = bytes((31 * i + 7) % 256 for i in range(n))
        opts = EncryptOptions.random(chunk_size)
        ct = encrypt(pt, key, opts)
        assert len(ct) == ciphertext_len(n, chunk_size)
        assert decrypt(ct, key) == pt
        # Streaming, written in odd pieces, read in odd pieces.
        out = io.BytesIO()
        enc = Encryptor(out, key, opts)
        for i in range(0, n, 7):
            enc.write(pt[i : i + 7])
        summary = enc.finish()
        assert out.getvalue() == ct and summary.content_hash == content_hash(ct)
        dec = Decryptor(io.BytesIO(ct), key)
        got = b""
        while piece := dec.read(13):
            got += piece
        assert got == pt and dec.is_done and dec.plaintext_len == n
        # Dropping the final chunk is detected.
        if n > chunk_size:
            last = ct[: len(ct) - ((n - 1) % chunk_size + 1 + TAG_LEN)]
            with pytest.raises(DataCryptoError):
                decrypt(last, key)


# ---- envelopes -------------------------------------------------------------------------------


@pytest.mark.parametrize("v", ENVELOPES["cases"], ids=lambda v: v["file_id"])
def test_envelope_vectors(v: dict[str, str]) -> None:
    assert ENVELOPES["info_hex"] == b"synod/data/file-key-envelope/v1".hex()
    recipient = DataKeypair.derive(h(v["recipient_ikm"]))
    assert recipient.secret.to_bytes() == h(v["recipient_secret_key"])
    assert recipient.public == h(v["recipient_public_key"])
    file_id = int(v["file_id"])
    assert envelope_aad(file_id, v["content_hash"]) == h(v["aad"])
    key = FileKey(h(v["file_key"]))
    env = KeyEnvelope.seal_deterministic(
        key, recipient.public, file_id, v["content_hash"], h(v["ephemeral_ikm"])
    )
    assert env.enc == h(v["enc"])
    assert env.sealed_key == h(v["sealed_key"])
    assert env.encode() == h(v["envelope"])
    committed = KeyEnvelope.decode(h(v["envelope"]))
    assert committed == env
    assert KeyEnvelope.from_hex(committed.hex0x) == env
    assert committed.open(recipient, file_id, v["content_hash"]) == key
    committed.check(recipient.public)


def test_envelope_refusals() -> None:
    v = ENVELOPES["cases"][0]
    recipient = DataKeypair.derive(h(v["recipient_ikm"]))
    file_id = int(v["file_id"])
    env = KeyEnvelope.decode(h(v["envelope"]))
    other = DataKeypair.derive(bytes([9]) * 32)
    with pytest.raises(WrongRecipient) as e:
        env.open(other, file_id, v["content_hash"])
    assert e.value.sealed_to == recipient.public and e.value.key == other.public
    with pytest.raises(WrongRecipient):
        env.check(other.public)
    with pytest.raises(OpenFailed) as e2:
        env.open(recipient, file_id + 1, v["content_hash"])
    assert e2.value.file_id == file_id + 1
    with pytest.raises(OpenFailed):
        env.open(recipient, file_id, bytes(32))
    raw = bytearray(env.encode())
    raw[-1] ^= 1
    with pytest.raises(OpenFailed):
        KeyEnvelope.decode(bytes(raw)).open(recipient, file_id, v["content_hash"])
    # An `enc` of small order never opens and fails the chain's check.
    weak = KeyEnvelope(1, env.recipient, bytes(32), env.sealed_key)
    with pytest.raises(OpenFailed):
        weak.open(recipient, file_id, v["content_hash"])
    with pytest.raises(WeakKey):
        weak.check(recipient.public)
    with pytest.raises(WeakKey):
        KeyEnvelope.seal(FileKey(bytes(32)), bytes(32), 1, bytes(32))
    with pytest.raises(EnvelopeMalformed):
        KeyEnvelope.decode(env.encode()[:-1])
    with pytest.raises(EnvelopeMalformed):
        KeyEnvelope.decode(env.encode() + b"\x00")
    with pytest.raises(EnvelopeMalformed):
        KeyEnvelope.decode(b"")
    with pytest.raises(UnsupportedEnvelopeVersion):
        KeyEnvelope.decode(b"\x02" + env.encode()[1:])
    # A fresh envelope round-trips, and differs from the deterministic one.
    key = FileKey.generate()
    fresh = KeyEnvelope.seal(key, recipient.public, 7, bytes(32))
    assert len(fresh.encode()) == 113
    assert fresh.open(recipient, 7, bytes(32)) == key
