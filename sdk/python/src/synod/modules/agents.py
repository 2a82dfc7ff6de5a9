"""The agents module's calls (``crates/modules/agents/src/wire.rs``, types of
``crates/modules/agents-rules``): agents, standing intents, sessions, escrowed deals and
one-way payment channels.

``execute`` carries another chain call's borsh (``inner``, hex); its weight is added to
``execute``'s own by :func:`synod.calls.call_weight`, as the runtime does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..borsh import Writer
from ..codec import (
    ACCOUNT,
    HASH,
    HEX_BYTES,
    SIGNATURE,
    STRING,
    U16,
    U32,
    U64,
    U128_STRING,
    ExternallyTagged,
    InternallyTagged,
    OptionOf,
    SetOf,
    Struct,
)
from ..keys import Keypair
from ..primitives import AccountId, Hash, HexLike, tagged_hash

NAME = "agents"

#: Largest encoded inner call of ``execute``.
MAX_INNER_CALL_BYTES = 64 * 1024

#: ``"native"`` or ``{"token": <id>}`` (``synod_agents_rules::Asset``).
ASSET = ExternallyTagged(("native", None), ("token", U64))

_CALL_KINDS = SetOf(U16)
_PAYEES = OptionOf(SetOf(ACCOUNT))

INTENT = Struct(
    ("user", ACCOUNT),
    ("agent", ACCOUNT),
    ("asset", ASSET),
    ("start_height", U64),
    ("per_tx_cap", U128_STRING),
    ("total_cap", U128_STRING),
    ("period_blocks", U64),
    ("period_cap", U128_STRING),
    ("expires_at", U64),
    ("allowed_calls", _CALL_KINDS),
    ("allowed_payees", _PAYEES),
)

SESSION_SCOPE = Struct(
    ("intent_hash", HASH),
    ("session_key", ACCOUNT),
    ("per_tx_cap", U128_STRING),
    ("total_cap", U128_STRING),
    ("period_cap", U128_STRING),
    ("expires_at", U64),
    ("allowed_calls", _CALL_KINDS),
    ("allowed_payees", _PAYEES),
)

TERMS = Struct(
    ("buyer", ACCOUNT),
    ("seller", ACCOUNT),
    ("deliverable", HASH),
    ("acceptance_criteria", HASH),
    ("price", U128_STRING),
    ("asset", ASSET),
    ("funding_deadline", U64),
    ("delivery_deadline", U64),
    ("review_period", U64),
    ("arbiter", OptionOf(ACCOUNT)),
    ("appeal_period", U64),
    ("arbitration_period", U64),
    ("salt", U64),
)

DEAL_ACTION = InternallyTagged(
    "action",
    [
        ("sign", Struct(("terms_hash", HASH))),
        ("fund", Struct()),
        ("deliver", Struct(("delivery", HASH))),
        ("accept", Struct()),
        ("reject", Struct()),
        ("dispute", Struct()),
        ("resolve", Struct(("to_seller", U128_STRING))),
        ("cancel", Struct()),
    ],
)

CHANNEL_STATE = Struct(("channel_id", HASH), ("nonce", U64), ("cumulative_paid", U128_STRING))
SIGNED_CHANNEL_STATE = Struct(
    ("state", CHANNEL_STATE), ("payer_sig", SIGNATURE), ("payee_sig", SIGNATURE)
)
CAP_GROWTH = Struct(("points_per_step", U64), ("step_bps", U32), ("max_bps", U32))

CALL = InternallyTagged(
    "call",
    [
        ("register_agent", Struct(("agent", ACCOUNT), ("name", STRING), ("proof", SIGNATURE))),
        ("revoke_agent", Struct(("agent", ACCOUNT))),
        ("set_intent", Struct(("intent", INTENT))),
        ("revoke_intent", Struct(("intent", HASH))),
        ("open_session", Struct(("scope", SESSION_SCOPE))),
        ("revoke_session", Struct(("session", ACCOUNT))),
        ("execute", Struct(("inner", HEX_BYTES))),
        ("propose_deal", Struct(("terms", TERMS))),
        ("deal_action", Struct(("deal", HASH), ("action", DEAL_ACTION))),
        (
            "open_channel",
            Struct(
                ("payee", ACCOUNT),
                ("asset", ASSET),
                ("deposit", U128_STRING),
                ("challenge_period", U64),
            ),
        ),
        ("close_channel", Struct(("close", SIGNED_CHANNEL_STATE))),
        ("start_close", Struct(("channel", HASH), ("latest", OptionOf(SIGNED_CHANNEL_STATE)))),
        ("challenge_close", Struct(("newer", SIGNED_CHANNEL_STATE))),
        ("settle_channel", Struct(("channel", HASH))),
        ("set_cap_growth", Struct(("intent", HASH), ("growth", OptionOf(CAP_GROWTH)))),
        ("link_asset", Struct(("agent", ACCOUNT), ("asset", U64))),
    ],
)

_WEIGHTS = {
    "register_agent": 8_000,
    "revoke_agent": 3_000,
    "set_intent": 6_000,
    "revoke_intent": 3_000,
    "open_session": 6_000,
    "revoke_session": 3_000,
    "execute": 4_000,
    "propose_deal": 8_000,
    "deal_action": 8_000,
    "open_channel": 8_000,
    "close_channel": 12_000,
    "challenge_close": 12_000,
    "start_close": 12_000,
    "settle_channel": 8_000,
    "set_cap_growth": 4_000,
    "link_asset": 4_000,
}


def weight(call: Mapping[str, Any]) -> int:
    """``AgentCall::weight`` (without the inner call of ``execute``)."""
    return _WEIGHTS[call["call"]]


#: Domain tag of an intent's hash.
INTENT_HASH_TAG = "synod/agents/intent/v1"

#: The call kinds an intent or session may allow.
CALL_KINDS = {"transfer": 1, "token_transfer": 2, "asset_pay": 3, "service_pay": 4}


def agent_binding_message(chain_id: str, user: HexLike, name: str) -> bytes:
    """What an agent key signs to consent to being ``user``'s agent ``name`` on ``chain_id``:
    ``b"synod/agent-binding/v1" ‖ borsh(chain_id) ‖ user ‖ borsh(name)``."""
    w = Writer()
    w.raw(b"synod/agent-binding/v1")
    w.string(chain_id)
    w.raw(bytes(AccountId(user)))
    w.string(name)
    return w.to_bytes()


def register_agent(chain_id: str, user: HexLike, agent: Keypair, name: str) -> dict[str, Any]:
    """The call (sent by ``user``) registering ``agent`` as its agent ``name``, with the agent
    key's consent."""
    proof = agent.sign(agent_binding_message(chain_id, user, name))
    return {
        "type": NAME,
        "call": "register_agent",
        "agent": agent.account.hex0x,
        "name": name,
        "proof": proof.hex0x,
    }


def intent_hash(intent: Mapping[str, Any]) -> Hash:
    """``Intent::hash``: tagged BLAKE3 of the intent's borsh (what sessions and
    ``revoke_intent`` name)."""
    return tagged_hash(INTENT_HASH_TAG, INTENT.encode(intent, "intent"))


def execute(inner: Mapping[str, Any]) -> dict[str, Any]:
    """The call a session key sends to make ``inner`` (a chain call) on its user's behalf."""
    from ..calls import encode_call  # the chain's Call is built over this module

    return {"type": NAME, "call": "execute", "inner": "0x" + encode_call(inner).hex()}
