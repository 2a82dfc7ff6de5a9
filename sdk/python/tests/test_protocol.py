"""The ``synod-request-v1`` protocol against the Rust side: every line of the axon's golden
file (``crates/services/axon/tests/golden/encodings.txt``) is reproduced here, so the two
cannot drift; then the header parser's rules (Rust's integer and hex parsing), each refusal's
kind, status and message, and the answer signature."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from synod import Keypair
from synod.primitives import AccountId
from synod.protocol import (
    HEADER_CHAIN,
    HEADER_NETUID,
    HEADER_REQUEST_ID,
    HEADER_SIGNATURE,
    HEADER_SIGNED_BY,
    HEADER_SIGNED_FOR,
    HEADER_TIMESTAMP,
    HEADER_VERSION,
    KINDS,
    REQUEST_HEADERS,
    STATUS,
    BadSignature,
    ChainUnavailable,
    InsufficientStake,
    MalformedHeader,
    MissingHeader,
    NotRegistered,
    ReplayedRequest,
    RequestRefused,
    StaleRequest,
    UnsupportedVersion,
    WrongChain,
    WrongSubnet,
    WrongTarget,
    parse_request,
    refusal_body,
    request_signing_hash,
    response_signature_ok,
    response_signing_hash,
    sign_request,
    sign_response,
)

from conftest import REPO, golden

AXON_GOLDEN = REPO / "crates/services/axon/tests/golden/encodings.txt"

# The inputs of crates/services/axon/tests/golden.rs.
CALLER = Keypair.dev("validator")
MINER = Keypair.dev("miner")
ID = bytes([7] * 32)
TS = 1_765_000_000_000
BODY = b'{"prompt":"2+2"}'


def _request_hash() -> str:
    return request_signing_hash(
        "synod-dev", 3, "post", "/task?x=1", BODY, ID, TS, CALLER.account, MINER.account
    ).hex()


def _response_hash() -> str:
    return response_signing_hash(ID, 200, b"4", AccountId(bytes([9] * 32))).hex()


def _headers() -> dict[str, str]:
    return sign_request(CALLER, "synod-dev", 3, MINER.account, "POST", "/task?x=1", BODY, ID, TS)


#: How each golden line is computed here; a line the Rust test adds without a way to
#: compute it here fails the test below, so the two sides cannot drift apart silently.
COMPUTE: dict[str, Callable[[], str]] = {
    "hash/request": _request_hash,
    "hash/response": _response_hash,
    **{f"header/{h}": (lambda h=h: _headers()[h]) for h in REQUEST_HEADERS},
}


def test_every_golden_line_is_reproduced() -> None:
    lines = golden(AXON_GOLDEN)
    assert lines, f"no vectors in {AXON_GOLDEN}"
    names = [g.name for g in lines]
    unknown = [n for n in names if n not in COMPUTE]
    assert not unknown, f"golden lines the Python side does not compute: {unknown}"
    missing = [n for n in COMPUTE if n not in names]
    assert not missing, f"Python computes lines the golden file lacks: {missing}"
    for g in lines:
        assert g.json_text == "-", g.name
        assert COMPUTE[g.name]() == g.hex, g.name


def test_the_golden_headers_are_in_the_rust_order_and_verify() -> None:
    hs = _headers()
    assert list(hs) == list(REQUEST_HEADERS)
    req = parse_request(hs)
    assert (req.chain_id, req.netuid, req.request_id, req.timestamp_ms) == ("synod-dev", 3, ID, TS)
    assert (req.signed_by, req.signed_for) == (CALLER.account, MINER.account)
    req.verify("post", "/task?x=1", BODY)  # the method is signed upper case
    for method, path, body in (
        ("PUT", "/task?x=1", BODY),
        ("POST", "/task?x=2", BODY),
        ("POST", "/task", BODY),
        ("POST", "/task?x=1", BODY + b" "),
    ):
        with pytest.raises(BadSignature):
            req.verify(method, path, body)


def good() -> dict[str, str]:
    return _headers()


def with_(name: str, value: str | None) -> dict[str, str]:
    hs = good()
    if value is None:
        del hs[name]
    else:
        hs[name] = value
    return hs


@pytest.mark.parametrize("name", REQUEST_HEADERS)
def test_each_missing_header_is_named(name: str) -> None:
    with pytest.raises(MissingHeader) as e:
        parse_request(with_(name, None))
    assert e.value.kind == "missing_header" and e.value.status == 400
    assert str(e.value) == f"missing header {name}"


@pytest.mark.parametrize(
    ("name", "value", "kind", "detail"),
    [
        (HEADER_VERSION, "2", "unsupported_version", None),
        (HEADER_VERSION, " 1 ", None, None),
        (HEADER_NETUID, "+3", None, None),  # Rust's u16 parse takes a plus sign
        (HEADER_NETUID, "65536", "malformed_header", "number too large to fit in target type"),
        (HEADER_NETUID, "-3", "malformed_header", "invalid digit found in string"),
        (HEADER_NETUID, "3_0", "malformed_header", "invalid digit found in string"),
        (HEADER_NETUID, "", "malformed_header", "cannot parse integer from empty string"),
        (HEADER_NETUID, "+", "malformed_header", "invalid digit found in string"),
        (HEADER_NETUID, "٣", "malformed_header", "invalid digit found in string"),
        (HEADER_TIMESTAMP, "soon", "malformed_header", "invalid digit found in string"),
        (HEADER_TIMESTAMP, str(1 << 64), "malformed_header", None),
        (HEADER_SIGNED_BY, CALLER.account.hex(), None, None),  # 0x is optional
        (HEADER_SIGNED_BY, "0x1234", "malformed_header", "expected 32 bytes, got 2"),
        (HEADER_SIGNED_FOR, "0xzz", "malformed_header", "invalid hex: Invalid character"),
        (HEADER_SIGNED_FOR, "0x123", "malformed_header", "invalid hex: Odd number of digits"),
        (HEADER_REQUEST_ID, "0x" + ID.hex(), "malformed_header", "Invalid character 'x'"),
        (HEADER_REQUEST_ID, "07" * 31, "malformed_header", "must be 32 bytes"),
        (HEADER_REQUEST_ID, ("07" * 32).upper(), None, None),
        (HEADER_SIGNATURE, "", "bad_signature", None),
        (HEADER_SIGNATURE, "   ", "bad_signature", None),
        (HEADER_SIGNATURE, "0x11", "malformed_header", "expected 64 bytes, got 1"),
    ],
)
def test_header_forms_are_read_as_the_rust_side_reads_them(
    name: str, value: str, kind: str | None, detail: str | None
) -> None:
    if kind is None:
        parse_request(with_(name, value))
        return
    with pytest.raises(RequestRefused) as e:
        parse_request(with_(name, value))
    assert e.value.kind == kind
    if detail is not None:
        assert isinstance(e.value, MalformedHeader) and e.value.name == name
        assert detail in str(e.value)


def test_the_version_is_checked_before_anything_else() -> None:
    with pytest.raises(UnsupportedVersion):
        parse_request({HEADER_VERSION: "0"})
    with pytest.raises(MissingHeader) as e:
        parse_request({HEADER_VERSION: "1"})
    assert e.value.name == HEADER_CHAIN


def test_refusals_have_the_rust_kinds_statuses_and_messages() -> None:
    a = AccountId(bytes(range(32)))
    cases: list[tuple[RequestRefused, str, int, str]] = [
        (MissingHeader("synod-chain"), "missing_header", 400, "missing header synod-chain"),
        (MalformedHeader("synod-netuid", "x"), "malformed_header", 400,
         "malformed header synod-netuid: x"),
        (UnsupportedVersion("2"), "unsupported_version", 400,
         "protocol version 2 is not supported (this speaks 1)"),
        (WrongTarget(a), "wrong_target", 403, f"the request is for {a.hex0x}, not this miner"),
        (WrongChain("other"), "wrong_chain", 403, "the request is for chain other"),
        (WrongSubnet(4), "wrong_subnet", 403, "the request is for subnet 4"),
        (StaleRequest(1, 60_000, 30_000), "stale_request", 401,
         "stale request: timestamp 1 is 60000 ms from now (at most 30000)"),
        (BadSignature(), "bad_signature", 401, "bad signature"),
        (ReplayedRequest(), "replayed_request", 401, "replayed request id"),
        (NotRegistered(a), "not_registered", 403, f"{a.hex0x} is not registered on this subnet"),
        (InsufficientStake(10, 100), "insufficient_stake", 403,
         "stake 10 is below the required 100"),
        (ChainUnavailable("down"), "chain_unavailable", 503,
         "cannot check the caller on chain: down"),
    ]  # fmt: skip
    assert sorted(k for _, k, _, _ in cases) == sorted(KINDS)
    for err, kind, status, message in cases:
        assert (err.kind, err.status, str(err)) == (kind, status, message)
        assert STATUS[kind] == status
        body = refusal_body(err)
        assert json.loads(body) == {"error": kind, "message": message}
        assert body.startswith(b'{"error":"' + kind.encode() + b'","message":')


def test_an_answer_signature_binds_id_status_body_and_miner() -> None:
    hs = sign_response(MINER, ID, 200, b"4")
    assert hs[HEADER_SIGNED_BY] == MINER.account.hex0x and hs[HEADER_REQUEST_ID] == ID.hex()
    assert response_signature_ok(MINER.account, ID, 200, b"4", hs)
    assert not response_signature_ok(MINER.account, ID, 201, b"4", hs)
    assert not response_signature_ok(MINER.account, ID, 200, b"5", hs)
    assert not response_signature_ok(MINER.account, bytes(32), 200, b"4", hs)
    assert not response_signature_ok(CALLER.account, ID, 200, b"4", hs)
    assert not response_signature_ok(MINER.account, ID, 200, b"4", {**hs, HEADER_SIGNATURE: ""})
    assert not response_signature_ok(
        MINER.account, ID, 200, b"4", {k: v for k, v in hs.items() if k != HEADER_SIGNATURE}
    )
    # The signer header must be exactly the miner's 0x lowercase hex, as the Rust client wants.
    assert not response_signature_ok(
        MINER.account, ID, 200, b"4", {**hs, HEADER_SIGNED_BY: MINER.account.hex()}
    )
