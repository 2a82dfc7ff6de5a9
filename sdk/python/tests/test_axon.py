"""The Python axon and dendrite over real HTTP (uvicorn on loopback, free ports), as the Rust
``crates/services/axon/tests/protocol.rs``: each bad request is refused with its kind, status
and a clear message, and nothing is served; a valid one passes, its answer signed by the
miner, and is refused when replayed; a fan-out reports each miner's answer (or timeout) with
its latency. Membership is a fixed table here; ``test_axon_devnet.py`` reads it from a chain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pydantic
import pytest

from synod import Keypair
from synod.axon import (
    UNCHECKED,
    Axon,
    AxonError,
    Caller,
    EchoRequest,
    EchoResponse,
    Member,
    ReplayCache,
    ServedAxon,
    StaticMembership,
    add_echo_route,
)
from synod.dendrite import BlockingDendrite, Dendrite, Target
from synod.primitives import AccountId
from synod.protocol import (
    HEADER_CHAIN,
    HEADER_NETUID,
    HEADER_REQUEST_ID,
    HEADER_SIGNATURE,
    HEADER_SIGNED_BY,
    HEADER_TIMESTAMP,
    HEADER_VERSION,
    RESPONSE_HEADERS,
    ChainUnavailable,
    now_ms,
    response_signature_ok,
    sign_request,
)

CHAIN = "synod-test"
NETUID = 3
VALIDATOR = Keypair.dev("validator")
POOR = Keypair.dev("poor")
STRANGER = Keypair.dev("stranger")


def members() -> StaticMembership:
    return StaticMembership({VALIDATOR.account: Member(0, 5_000), POOR.account: Member(1, 10)})


class Task(pydantic.BaseModel):
    numbers: list[int]


class Total(pydantic.BaseModel):
    total: int
    uid: int


def make_axon(name: str, min_stake: int = 0, **kw: object) -> Axon:
    axon = Axon(
        Keypair.dev(name),
        NETUID,
        chain_id=CHAIN,
        membership=kw.pop("membership", members()),  # type: ignore[arg-type]
        min_stake=min_stake,
        max_skew=5,
        **kw,  # type: ignore[arg-type]
    )
    add_echo_route(axon)

    @axon.route("/task", methods=("POST", "PUT"))
    async def task(t: Task, caller: Caller) -> Total:
        return Total(total=sum(t.numbers), uid=caller.uid)

    @axon.route("/raw")
    def raw(body: bytes, caller: Caller) -> bytes:  # a sync handler, run in a thread
        return b"uid %d said %s" % (caller.uid, body)

    @axon.route("/slow")
    async def slow() -> str:
        await asyncio.sleep(2)
        return "late"

    @axon.route("/teapot")
    async def teapot() -> dict[str, str]:
        raise AxonError(418, "teapot", "short and stout")

    @axon.route("/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("boom")

    return axon


@dataclass
class Miner:
    axon: Axon
    served: ServedAxon

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def target(self) -> Target:
        return Target(self.axon.hotkey.account, self.url)


@pytest.fixture(scope="module")
def miner_a() -> Iterator[Miner]:
    axon = make_axon("miner-a", min_stake=100, max_body_bytes=1024)
    with axon.start() as served:
        yield Miner(axon, served)


@pytest.fixture(scope="module")
def miner_b() -> Iterator[Miner]:
    axon = make_axon("miner-b")
    with axon.start() as served:
        yield Miner(axon, served)


def signed(
    key: Keypair,
    target: AccountId,
    path: str,
    body: bytes,
    ts: int | None = None,
    method: str = "POST",
) -> dict[str, str]:
    return sign_request(key, CHAIN, NETUID, target, method, path, body, timestamp_ms=ts)


def send(
    url: str, path: str, body: bytes, headers: dict[str, str], method: str = "POST"
) -> httpx.Response:
    return httpx.request(method, url + path, content=body, headers=headers, timeout=10)


BODY = b'{"numbers":[2,2]}'


def test_every_bad_request_is_refused_with_its_kind(miner_a: Miner) -> None:
    url, me = miner_a.url, miner_a.axon.hotkey.account
    good = signed(VALIDATOR, me, "/task", BODY)
    other = Keypair.dev("someone-else").account

    def without(name: str) -> dict[str, str]:
        return {k: v for k, v in good.items() if k != name}

    def replace(name: str, value: str) -> dict[str, str]:
        return {**good, name: value}

    cases: list[tuple[str, bytes, dict[str, str], str, int, str]] = [
        ("no headers at all", BODY, {}, "missing_header", 400, "missing header synod-version"),
        ("no signature", BODY, without(HEADER_SIGNATURE), "missing_header", 400,
         "missing header synod-signature"),
        ("an empty signature", BODY, replace(HEADER_SIGNATURE, ""), "bad_signature", 401,
         "bad signature"),
        ("a signature of other bytes", BODY, replace(HEADER_SIGNATURE, "11" * 64),
         "bad_signature", 401, "bad signature"),
        ("a tampered body", b'{"numbers":[2,3]}', good, "bad_signature", 401, "bad signature"),
        ("a malformed timestamp", BODY, replace(HEADER_TIMESTAMP, "soon"), "malformed_header",
         400, "malformed header synod-timestamp: invalid digit found in string"),
        ("a short request id", BODY, replace(HEADER_REQUEST_ID, "07"), "malformed_header", 400,
         "malformed header synod-request-id: must be 32 bytes"),
        ("another version", BODY, replace(HEADER_VERSION, "2"), "unsupported_version", 400,
         "protocol version 2 is not supported (this speaks 1)"),
        ("signed for another miner", BODY, signed(VALIDATOR, other, "/task", BODY),
         "wrong_target", 403, f"the request is for {other.hex0x}, not this miner"),
        ("another chain", BODY, replace(HEADER_CHAIN, "other"), "wrong_chain", 403,
         "the request is for chain other"),
        ("another subnet", BODY, replace(HEADER_NETUID, "4"), "wrong_subnet", 403,
         "the request is for subnet 4"),
        ("a timestamp a minute old", BODY, signed(VALIDATOR, me, "/task", BODY, now_ms() - 60_000),
         "stale_request", 401, "stale request: timestamp"),
        ("a timestamp a minute ahead", BODY,
         signed(VALIDATOR, me, "/task", BODY, now_ms() + 60_000), "stale_request", 401,
         "ms from now (at most 5000)"),
        ("a hotkey not on the subnet", BODY, signed(STRANGER, me, "/task", BODY),
         "not_registered", 403, f"{STRANGER.account.hex0x} is not registered on this subnet"),
        ("a member below the stake minimum", BODY, signed(POOR, me, "/task", BODY),
         "insufficient_stake", 403, "stake 10 is below the required 100"),
        ("a valid signature of another method", BODY,
         signed(VALIDATOR, me, "/task", BODY, method="PUT"), "bad_signature", 401,
         "bad signature"),
        ("a valid signature of another query", BODY, signed(VALIDATOR, me, "/task?x=1", BODY),
         "bad_signature", 401, "bad signature"),
    ]  # fmt: skip
    before = miner_a.axon.counts
    for what, body, hs, kind, status, message in cases:
        r = send(url, "/task", body, hs)
        assert r.status_code == status, f"{what}: {r.status_code} {r.text}"
        assert r.headers["content-type"] == "application/json", what
        j = r.json()
        assert j["error"] == kind, f"{what}: {j}"
        assert message in j["message"], f"{what}: {j}"
        assert set(j) == {"error", "message"}
        assert not any(h in r.headers for h in RESPONSE_HEADERS), f"{what}: a refusal is signed"
    # The path is signed too: the same headers on another route are refused.
    assert send(url, "/raw", BODY, good).json()["error"] == "bad_signature"
    assert miner_a.axon.counts == (before[0], before[1] + len(cases) + 1), "nothing was served"

    r = send(url, "/task", BODY, good)
    assert (r.status_code, r.json()) == (200, {"total": 4, "uid": 0})
    assert response_signature_ok(
        miner_a.axon.hotkey.account, good[HEADER_REQUEST_ID], 200, r.content, r.headers
    )
    assert r.headers[HEADER_SIGNED_BY] == miner_a.axon.hotkey.account.hex0x
    r = send(url, "/task", BODY, good)
    assert (r.status_code, r.json()["error"]) == (401, "replayed_request")
    assert r.json()["message"] == "replayed request id"
    # The method is signed: a PUT signed as a PUT passes.
    put = signed(VALIDATOR, me, "/task", BODY, method="PUT")
    assert send(url, "/task", BODY, put, method="PUT").json() == {"total": 4, "uid": 0}


def test_the_body_limit_and_the_typed_body(miner_a: Miner) -> None:
    url, me = miner_a.url, miner_a.axon.hotkey.account
    big = b'{"numbers":[' + b"1," * 600 + b"1]}"
    r = send(url, "/task", big, signed(VALIDATOR, me, "/task", big))
    assert (r.status_code, r.content) == (413, b'{"error":"body_too_large"}')

    # After the checks, a body that is not the handler's model: a signed 400 or 422.
    for body, status, kind, message in (
        (b'{"numbers":[1,', 400, "invalid_json", "Invalid JSON"),
        (b'{"numbers":"x"}', 422, "invalid_body", "numbers: Input should be a valid"),
        (b"{}", 422, "invalid_body", "numbers: Field required"),
    ):
        hs = signed(VALIDATOR, me, "/task", body)
        r = send(url, "/task", body, hs)
        assert (r.status_code, r.json()["error"]) == (status, kind), r.text
        assert message in r.json()["message"]
        assert response_signature_ok(me, hs[HEADER_REQUEST_ID], status, r.content, r.headers)


def test_handler_errors_raw_and_sync_handlers_are_signed(miner_b: Miner) -> None:
    url, me = miner_b.url, miner_b.axon.hotkey.account
    for path, status, want in (
        ("/teapot", 418, {"error": "teapot", "message": "short and stout"}),
        ("/broken", 500, {"error": "internal_error", "message": "the handler failed"}),
    ):
        hs = signed(VALIDATOR, me, path, b"")
        r = send(url, path, b"", hs)
        assert (r.status_code, r.json()) == (status, want)
        assert response_signature_ok(me, hs[HEADER_REQUEST_ID], status, r.content, r.headers)
    hs = signed(POOR, me, "/raw", b"ping")
    r = send(url, "/raw", b"ping", hs)
    assert (r.status_code, r.content) == (200, b"uid 1 said ping")
    # A route that does not exist is a plain 404, outside the checks.
    assert send(url, "/nowhere", b"", {}).status_code == 404


def test_the_replay_cache_forgets_only_what_is_stale() -> None:
    c, who = ReplayCache(), VALIDATOR.account
    assert c.insert(who, b"a" * 32, 1_000, 0) and not c.insert(who, b"a" * 32, 1_000, 0)
    assert c.insert(POOR.account, b"a" * 32, 1_000, 0)  # ids are per caller
    assert c.insert(who, b"b" * 32, 5_000, 0) and len(c) == 3
    assert c.insert(who, b"c" * 32, 6_000, 2_000) and len(c) == 2  # the two at 1,000 went
    assert c.insert(who, b"a" * 32, 6_000, 2_000)


def test_a_full_replay_cache_and_an_unreadable_chain_refuse_with_503() -> None:
    class Down:
        async def lookup(self, hotkey: AccountId) -> Member | None:
            raise ChainUnavailable("node at http://127.0.0.1:1 unreachable")

    class Broken:
        async def lookup(self, hotkey: AccountId) -> Member | None:
            raise OSError("disk on fire")

    full = make_axon("miner-c", replay_capacity=1)
    down = make_axon("miner-d", membership=Down())
    broken = make_axon("miner-e", membership=Broken())
    with full.start() as f, down.start() as d, broken.start() as b:
        me = full.hotkey.account
        assert send(f.url, "/task", BODY, signed(VALIDATOR, me, "/task", BODY)).status_code == 200
        r = send(f.url, "/task", BODY, signed(VALIDATOR, me, "/task", BODY))
        assert (r.status_code, r.json()) == (
            503,
            {
                "error": "chain_unavailable",
                "message": "cannot check the caller on chain: too many requests in the "
                "freshness window",
            },
        )
        r = send(d.url, "/task", BODY, signed(VALIDATOR, down.hotkey.account, "/task", BODY))
        assert (r.status_code, r.json()["error"]) == (503, "chain_unavailable")
        assert "unreachable" in r.json()["message"]
        r = send(b.url, "/task", BODY, signed(VALIDATOR, broken.hotkey.account, "/task", BODY))
        assert (r.status_code, r.json()["error"]) == (503, "chain_unavailable")
        assert "disk on fire" in r.json()["message"]


def test_without_checks_everything_is_served_unsigned() -> None:
    axon = Axon(Keypair.dev("plain"), NETUID, checks=False)
    add_echo_route(axon)
    assert not UNCHECKED.checked and UNCHECKED.uid == -1

    @axon.route("/who")
    async def who(caller: Caller) -> dict[str, object]:
        return {"uid": caller.uid, "checked": caller.checked}

    with axon.start() as s:
        assert send(s.url, "/who", b"", {}).json() == {"uid": -1, "checked": False}
        r = send(s.url, "/v1/echo", b'{"text":"hi"}', {})
        assert (r.status_code, r.json()) == (200, {"text": "hi", "caller_uid": None})
        assert not any(h in r.headers for h in RESPONSE_HEADERS)
    with pytest.raises(ValueError, match="client="):
        Axon(Keypair.dev("plain"), NETUID, chain_id=CHAIN)
    with pytest.raises(ValueError, match="chain_id"):
        Axon(Keypair.dev("plain"), NETUID, membership=members())
    with pytest.raises(TypeError, match="must be annotated"):
        axon2 = Axon(Keypair.dev("plain"), NETUID, checks=False)

        @axon2.route("/x")
        async def untyped(thing) -> None:  # type: ignore[no-untyped-def]
            return None


def test_a_validator_fans_out_and_gets_each_answer_with_its_latency(
    miner_a: Miner, miner_b: Miner
) -> None:
    # A miner whose answers are not signed by the hotkey the validator expects.
    impostor = Target(Keypair.dev("miner-x").account, miner_b.url)
    gone = Target(Keypair.dev("miner-e").account, "http://127.0.0.1:9")
    unsigned_axon = Axon(Keypair.dev("miner-u"), NETUID, checks=False)
    add_echo_route(unsigned_axon)

    async def run(unsigned: Target) -> None:
        async with Dendrite(VALIDATOR, NETUID, chain_id=CHAIN) as d:
            answers = await d.query(
                [miner_a.target, miner_b.target, impostor, gone, unsigned],
                "/v1/echo",
                EchoRequest(text="ping"),
                response_model=EchoResponse,
                timeout=5,
            )
            a, b, imp, gn, uns = answers
            assert a.ok and b.ok, answers
            assert a.response == EchoResponse(text="ping", caller_uid=0)
            assert a.signature_ok and a.status == 200 and a.hotkey == miner_a.target.hotkey
            assert a.json() == {"text": "ping", "caller_uid": 0}
            # Signed for miner-x, served by miner-b: refused there as wrong_target.
            assert (imp.status, imp.error_kind, imp.signature_ok) == (403, "wrong_target", False)
            assert imp.message is not None and "not this miner" in imp.message
            assert (gn.status, gn.error_kind) == (None, "unreachable")
            assert (uns.status, uns.error_kind) == (200, "bad_response_signature")
            assert not uns.ok and uns.response is None
            assert all(x.latency < 5 for x in answers)

            # Each request has its own id: the same body twice is not a replay.
            again = await d.call(miner_a.target, "/v1/echo", {"text": "ping"})
            assert again.ok and again.request_id != a.request_id
            # A caller below miner-a's stake minimum, through the dendrite.
            async with Dendrite(POOR, NETUID, chain_id=CHAIN) as poor:
                refused = await poor.call(miner_a.target, "/v1/echo", {"text": "x"})
            assert (refused.status, refused.error_kind) == (403, "insufficient_stake")
            # A signed answer outside 2xx gets its body's kind; a 2xx that does not fit the
            # model is invalid_response.
            bad = await d.call(miner_b.target, "/v1/echo", {"text": 5})
            assert (bad.status, bad.signature_ok, bad.error_kind) == (422, True, "invalid_body")
            wrong = await d.call(
                miner_b.target, "/task", Task(numbers=[1]), response_model=EchoResponse
            )
            assert (wrong.status, wrong.error_kind) == (200, "invalid_response")
            assert (await d.call(miner_b.target, "/v1/echo", method="GE T")).error_kind == (
                "bad_method"
            )

            # A timeout is reported as one, within the limit.
            started = time.perf_counter()
            (late,) = await d.query([miner_a.target], "/slow", timeout=0.3)
            assert late.error_kind == "timeout" and late.status is None
            assert late.latency < 2 and time.perf_counter() - started < 2

    with unsigned_axon.start() as u:
        asyncio.run(run(Target(unsigned_axon.hotkey.account, u.url)))


def test_the_blocking_dendrite(miner_b: Miner) -> None:
    with BlockingDendrite(VALIDATOR, NETUID, chain_id=CHAIN) as d:
        (a,) = d.query([miner_b.target], "/v1/echo", {"text": "hi"}, response_model=EchoResponse)
        assert a.ok and a.response == EchoResponse(text="hi", caller_uid=0)
        b = d.call(miner_b.target, "/task", b'{"numbers":[1,2,3]}')
        assert b.ok and b.json() == {"total": 6, "uid": 0}


def test_many_concurrent_requests_are_all_served(miner_b: Miner) -> None:
    async def run() -> list[bool]:
        async with Dendrite(VALIDATOR, NETUID, chain_id=CHAIN) as d:
            answers = await d.query([miner_b.target] * 200, "/v1/echo", {"text": "x"}, timeout=30)
        return [a.ok for a in answers]

    before = miner_b.axon.accepted
    assert all(asyncio.run(run()))
    assert miner_b.axon.accepted == before + 200
