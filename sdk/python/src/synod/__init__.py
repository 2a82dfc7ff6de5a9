"""Synod's Python SDK: keys and the CLI's keystore, the chain's borsh encoding written in
Python, signed transactions, a typed JSON-RPC client (and :mod:`synod.aio`, its asyncio twin
with WebSocket subscriptions), the metagraph as numpy arrays (:mod:`synod.metagraph`), helpers
for subnet scripts (:mod:`synod.subnet`), data pools (:mod:`synod.data`: encrypted files, key
envelopes, proofs of contribution), signed requests between validators and miners
(:mod:`synod.protocol`; the miner's server :mod:`synod.axon` and the validator's client
:mod:`synod.dendrite` are imported on their own), and pay-per-call over HTTP 402.

>>> from synod import Client, Keypair, calls
>>> alice, bob = Keypair.dev("alice"), Keypair.dev("bob")
>>> with Client("http://127.0.0.1:9944") as node:            # doctest: +SKIP
...     receipt = node.submit(calls.transfer(bob.account, 1_500_000_000), alice)
...     print(receipt.height, node.balance(bob.account))
"""

from . import (
    aio,
    calls,
    codec,
    data,
    errors,
    keystore,
    metagraph,
    mnemonics,
    modules,
    pay,
    protocol,
    subnet,
)
from .aio import AsyncClient
from .calls import call_weight, decode_call, encode_call
from .errors import (
    EncodingError,
    RpcError,
    SynodError,
    TransactionDropped,
    TransactionFailed,
    TransactionRejected,
    TransportError,
    WaitTimeout,
)
from .keys import DEV_ACCOUNT_NAMES, Keypair, verify, verify_message
from .keystore import Keystore
from .metagraph import Metagraph
from .mnemonics import generate_mnemonic
from .pay import PayClient
from .primitives import (
    DECIMALS,
    SYMBOL,
    UNIT,
    AccountId,
    Hash,
    Signature,
    format_amount,
    parse_amount,
    tagged_hash,
)
from .rpc import Client
from .subnet import Subnet
from .tx import FeeSchedule, SignedTransaction, Transaction
from .types import Receipt

__version__ = "0.1.0"

__all__ = [
    "AccountId",
    "AsyncClient",
    "Client",
    "DECIMALS",
    "DEV_ACCOUNT_NAMES",
    "EncodingError",
    "FeeSchedule",
    "Hash",
    "Keypair",
    "Keystore",
    "Metagraph",
    "PayClient",
    "Receipt",
    "RpcError",
    "SYMBOL",
    "Signature",
    "SignedTransaction",
    "Subnet",
    "SynodError",
    "Transaction",
    "TransactionDropped",
    "TransactionFailed",
    "TransactionRejected",
    "TransportError",
    "UNIT",
    "WaitTimeout",
    "aio",
    "call_weight",
    "calls",
    "codec",
    "data",
    "decode_call",
    "encode_call",
    "errors",
    "format_amount",
    "generate_mnemonic",
    "keystore",
    "metagraph",
    "mnemonics",
    "modules",
    "parse_amount",
    "pay",
    "protocol",
    "subnet",
    "tagged_hash",
    "verify",
    "verify_message",
]
