"""An agent's session pays on its user's behalf within the intent's caps; the payment that
would pass the period cap is refused at admission with the rule's kind,
``period_cap_exceeded`` (a :class:`~synod.errors.TransactionRejected`)."""

from __future__ import annotations

import pytest

from synod import Client, Keypair, calls
from synod.errors import TransactionRejected
from synod.modules import agents
from synod.primitives import UNIT

pytestmark = pytest.mark.devnet


def test_session_payments_stop_at_the_period_cap(client: Client) -> None:
    funder = Keypair.dev("eve")
    user, agent, session, payee = (Keypair.generate() for _ in range(4))
    for k in (user, agent, session):
        client.submit(calls.transfer(k.account, 10 * UNIT), funder)
    info = client.chain_info()

    client.submit(agents.register_agent(info.chain_id, user.account, agent, "shopper"), user)
    intent = {
        "user": user.account.hex0x,
        "agent": agent.account.hex0x,
        "asset": "native",
        "start_height": 0,
        "per_tx_cap": "100",
        "total_cap": "1000",
        "period_blocks": 1_000_000,
        "period_cap": "250",
        "expires_at": 10**9,
        "allowed_calls": [agents.CALL_KINDS["transfer"]],
        "allowed_payees": None,
    }
    client.submit({"type": "agents", "call": "set_intent", "intent": intent}, user)
    scope = {
        "intent_hash": agents.intent_hash(intent).hex0x,
        "session_key": session.account.hex0x,
        "per_tx_cap": "100",
        "total_cap": "1000",
        "period_cap": "250",
        "expires_at": 10**9,
        "allowed_calls": [agents.CALL_KINDS["transfer"]],
        "allowed_payees": None,
    }
    client.submit({"type": "agents", "call": "open_session", "scope": scope}, agent)

    pay = agents.execute(calls.transfer(payee.account, 100))
    for _ in range(2):
        receipt = client.submit(pay, session)
        assert receipt.sender == session.account
    assert client.balance(payee.account) == 200
    with pytest.raises(TransactionRejected) as e:
        client.submit(pay, session)
    assert e.value.kind == "period_cap_exceeded"
    assert client.balance(payee.account) == 200
