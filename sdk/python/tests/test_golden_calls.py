"""The golden vectors the Rust tests commit are the oracle of the Python encoding.

For every ``call/…`` line of every module's ``tests/golden/encodings.txt`` (module-level JSON,
without the runtime's ``type``) and of ``crates/chain/runtime/tests/golden/encodings.txt``
(chain-level JSON: the bank, subnets and validators vectors): the Python encoder must produce
the line's borsh from its JSON, the decoder the JSON from the borsh, and the weight function
must weigh the call. Then every variant of every call enum must have at least one vector, so a
variant added in Rust without one here (or here without one in Rust) fails. (That each weight is
the node's is checked against a devnet in ``test_node_oracle.py``.)

The data module's events and failures (``event/…`` and ``failure/…`` lines) are checked the
same way, with the same coverage rule, and its signing message and keyless accounts
(``message/add_file``, ``account/…``).
"""

from __future__ import annotations

import pytest

from synod.calls import MODULE_TAGS, MODULES, call_weight, decode_call, encode_call
from synod.codec import InternallyTagged
from synod.modules import data

from conftest import RUNTIME_GOLDEN, GoldenLine, golden, module_golden

MODULE_FILES = ["tokens", "agents", "assets", "payments", "data"]


def _module_vectors() -> list[tuple[str, GoldenLine]]:
    return [
        (m, g) for m in MODULE_FILES for g in golden(module_golden(m)) if g.name.startswith("call/")
    ]


def _chain_vectors() -> list[GoldenLine]:
    return [g for g in golden(RUNTIME_GOLDEN) if g.name.startswith("call/")]


@pytest.mark.parametrize(
    "module,line", _module_vectors(), ids=lambda x: x if isinstance(x, str) else x.name
)
def test_module_call_vectors(module: str, line: GoldenLine) -> None:
    codec = MODULES[module].CALL
    assert codec.encode(line.json).hex() == line.hex
    assert codec.decode(line.bytes) == line.json
    # The same call at the chain level: the module's tag, then its call.
    chain_json = {"type": module, **line.json}
    chain_bytes = bytes([MODULE_TAGS[module]]) + line.bytes
    assert encode_call(chain_json) == chain_bytes
    assert decode_call(chain_bytes) == chain_json
    assert call_weight(chain_json) > 0


@pytest.mark.parametrize("line", _chain_vectors(), ids=lambda g: g.name)
def test_chain_call_vectors(line: GoldenLine) -> None:
    assert encode_call(line.json).hex() == line.hex
    assert decode_call(line.bytes) == line.json
    assert call_weight(line.json) > 0


def _covered() -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, line in _module_vectors():
        seen[module].add(line.json["call"])
    for line in _chain_vectors():
        j = line.json
        if j["type"] in MODULE_TAGS:
            seen[j["type"]].add(j["call"])
        else:
            seen["bank"].add(j["type"])
    return seen


@pytest.mark.parametrize("module", list(MODULES))
def test_every_call_variant_has_a_golden_vector(module: str) -> None:
    codec = MODULES[module].CALL
    assert isinstance(codec, InternallyTagged)
    missing = set(codec.variant_names()) - _covered()[module]
    assert not missing, f"{module} calls without a golden vector: {sorted(missing)}"


def test_execute_pays_for_its_inner_call() -> None:
    inner = encode_call({"type": "tokens", "call": "emit", "token": 3})
    execute = {"type": "agents", "call": "execute", "inner": "0x" + inner.hex()}
    assert call_weight(execute) == 4_000 + 5_000
    # Bytes that do not decode add nothing (the call then fails on chain).
    assert call_weight({"type": "agents", "call": "execute", "inner": "0x000102ff"}) == 4_000
    nested = {"type": "agents", "call": "execute", "inner": "0x" + encode_call(execute).hex()}
    assert call_weight(nested) == 4_000 + 4_000 + 5_000


def test_intent_hash_is_the_one_the_golden_session_names() -> None:
    from synod.modules.agents import intent_hash

    calls = {g.name: g.json for g in golden(module_golden("agents")) if g.name.startswith("call/")}
    assert intent_hash(calls["call/2"]["intent"]).hex0x == calls["call/4"]["scope"]["intent_hash"]


# ---- the data module's events, failures, message and accounts ------------------------------


def _data_lines(prefix: str) -> list[GoldenLine]:
    return [g for g in golden(module_golden("data")) if g.name.startswith(prefix)]


@pytest.mark.parametrize(
    "line", _data_lines("event/") + _data_lines("failure/"), ids=lambda g: g.name
)
def test_data_event_and_failure_vectors(line: GoldenLine) -> None:
    codec = data.EVENT if line.name.startswith("event/") else data.FAILURE
    assert codec.encode(line.json).hex() == line.hex
    assert codec.decode(line.bytes) == line.json


@pytest.mark.parametrize("kind", ["event", "failure"])
def test_every_data_event_and_failure_has_a_golden_vector(kind: str) -> None:
    codec = data.EVENT if kind == "event" else data.FAILURE
    seen = {line.json[codec.tag] for line in _data_lines(kind + "/")}
    assert set(codec.variant_names()) == seen


def test_data_message_and_accounts() -> None:
    lines = {g.name: g.hex for g in _data_lines("message/") + _data_lines("account/")}
    # golden.rs: add_file_message("synod-dev", acct(1), "s3://bucket/x.enc", [8; 32], 10, None).
    msg = data.add_file_message(
        "synod-dev", b"\x01" * 32, "s3://bucket/x.enc", b"\x08" * 32, 10, None
    )
    assert msg.hex() == lines["message/add_file"]
    assert data.emission_account().hex() == lines["account/emission"]
    assert data.treasury_account(1).hex() == lines["account/treasury_1"]
    # The schema is part of what the owner signs.
    assert (
        data.add_file_message("synod-dev", b"\x01" * 32, "s3://bucket/x.enc", b"\x08" * 32, 10, "s")
        != msg
    )


def test_data_weights_follow_the_metadata() -> None:
    score = {
        "call": "submit_score",
        "job": 1,
        "scores": dict.fromkeys(("authenticity", "ownership", "quality", "uniqueness", "score"), 0),
    }
    assert data.weight({**score, "metadata": "0x"}) == 4
    assert data.weight({**score, "metadata": "0x" + "00" * 1023}) == 4
    assert data.weight({**score, "metadata": b"\x00" * 2048}) == 6
    assert call_weight({"type": "data", **score, "metadata": "0x" + "00" * 1024}) == 5
