"""The golden vectors the Rust tests commit are the oracle of the Python encoding.

For every ``call/…`` line of every module's ``tests/golden/encodings.txt`` (module-level JSON,
without the runtime's ``type``) and of ``crates/chain/runtime/tests/golden/encodings.txt``
(chain-level JSON: the bank, subnets and validators vectors): the Python encoder must produce
the line's borsh from its JSON, the decoder the JSON from the borsh, and the weight function
must weigh the call. Then every variant of every call enum must have at least one vector, so a
variant added in Rust without one here (or here without one in Rust) fails. (That each weight is
the node's is checked against a devnet in ``test_node_oracle.py``.)
"""

from __future__ import annotations

import pytest

from synod.calls import MODULE_TAGS, MODULES, call_weight, decode_call, encode_call
from synod.codec import InternallyTagged

from conftest import RUNTIME_GOLDEN, GoldenLine, golden, module_golden

MODULE_FILES = ["tokens", "agents", "assets", "payments"]


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
