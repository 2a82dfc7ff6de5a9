"""The pay-per-call wire format against the payments module's golden vectors: the
authorization's borsh, its signing hash, the request hash, and a real ``X-Payment`` header
signed by ``Keypair.dev("payer")`` for chain ``synod-dev``."""

from __future__ import annotations

import pytest

from synod import Keypair
from synod.errors import EncodingError
from synod.pay import Authorization, SignedAuthorization, request_hash

from conftest import golden_line, module_golden

GOLDEN = module_golden("payments")


def authorization() -> Authorization:
    j = golden_line(GOLDEN, "wire/signed_authorization").json["authorization"]
    return Authorization.from_json(j)


def test_signed_authorization_encoding() -> None:
    line = golden_line(GOLDEN, "wire/signed_authorization")
    sa = SignedAuthorization.from_header(line.hex)
    assert sa.authorization == authorization()
    assert sa.encode() == line.bytes
    assert sa.authorization.to_json() == line.json["authorization"]


def test_signing_hash() -> None:
    assert (
        authorization().signing_hash("synod-dev").hex()
        == golden_line(GOLDEN, "hash/authorization_signing").hex
    )


def test_request_hash() -> None:
    h = request_hash("post", "/v1/complete?stream=false", b'{"prompt":"hi"}')
    assert h.hex() == golden_line(GOLDEN, "hash/request").hex


def test_real_header_signed_by_a_dev_key() -> None:
    key = Keypair.dev("payer")
    base = authorization()
    real = Authorization(
        payer=key.account,
        signer=key.account,
        service=base.service,
        payee=base.payee,
        asset=base.asset,
        max_amount=base.max_amount,
        valid_after=base.valid_after,
        valid_before=base.valid_before,
        nonce=base.nonce,
        request_hash=base.request_hash,
    )
    header = real.sign(key, "synod-dev").to_header()
    assert header == golden_line(GOLDEN, "header/x_payment").hex
    back = SignedAuthorization.from_header(header)
    assert back.authorization == real


def test_header_refusals() -> None:
    with pytest.raises(EncodingError, match="2 KiB"):
        SignedAuthorization.from_header("00" * 1025)
    with pytest.raises(EncodingError, match="not hex"):
        SignedAuthorization.from_header("zz")
    line = golden_line(GOLDEN, "wire/signed_authorization")
    with pytest.raises(EncodingError, match="trailing"):
        SignedAuthorization.from_header(line.hex + "00")
    with pytest.raises(ValueError, match="not the signer"):
        authorization().sign(Keypair.dev("payer"), "synod-dev")
