"""The borsh writer/reader and the JSON-form codecs refuse what the chain refuses, and say
where: out-of-range integers, unknown or missing fields, unknown variants, malformed hex,
unordered sets on decoding, trailing bytes."""

from __future__ import annotations

import pytest

from synod.borsh import BorshError, Reader, Writer
from synod.calls import decode_call, encode_call
from synod.codec import ACCOUNT, U16, U128_STRING, OptionOf, SetOf, Struct
from synod.errors import EncodingError
from synod.modules import agents, assets

BOB = "0x" + "02" * 32


def test_integers_are_little_endian_and_range_checked() -> None:
    w = Writer()
    w.integer("u16", 0x0102)
    w.integer("i16", -2)
    w.u128((1 << 128) - 1)
    assert w.to_bytes() == bytes([2, 1, 0xFE, 0xFF]) + b"\xff" * 16
    for kind, bad in (("u8", 256), ("u8", -1), ("i16", 1 << 15), ("u64", 1 << 64)):
        with pytest.raises(BorshError, match="does not fit"):
            Writer().integer(kind, bad)
    with pytest.raises(BorshError, match="must be an int"):
        Writer().integer("u8", True)


def test_reader_refuses_what_borsh_rs_refuses() -> None:
    with pytest.raises(BorshError, match="bool"):
        Reader(b"\x02").boolean()
    with pytest.raises(BorshError, match="option tag"):
        Reader(b"\x02").option(lambda: 0)
    with pytest.raises(BorshError, match="UTF-8"):
        Reader(b"\x01\x00\x00\x00\xff").string()
    with pytest.raises(BorshError, match="end of input"):
        Reader(b"\x05\x00\x00\x00ab").string()
    r = Reader(b"\x00\x01")
    r.u8()
    with pytest.raises(BorshError, match="trailing"):
        r.finish()


def test_call_errors_name_the_field() -> None:
    ok = {"type": "tokens", "call": "transfer", "token": 1, "to": BOB, "amount": "5"}
    assert encode_call(ok) == encode_call({**ok, "amount": 5})  # ints accepted for u128
    cases = [
        ({**ok, "amount": "-5"}, "call.amount: '-5' is not a u128 decimal string"),
        ({**ok, "amount": str(1 << 128)}, "does not fit in u128"),
        ({**ok, "token": "1"}, "call.token: u64 expected (an int)"),
        ({**ok, "to": "0x1234"}, "call.to: expected 32 bytes, got 2"),
        ({**ok, "to": "nothex"}, "call.to: invalid hex"),
        ({**ok, "amout": "5"}, "unknown field(s) 'amout'"),
        ({k: v for k, v in ok.items() if k != "to"}, "missing field 'to'"),
        ({**ok, "call": "transfr"}, "unknown variant 'transfr'"),
        ({**ok, "type": "tokenz"}, "unknown call type 'tokenz'"),
        ({"type": "transfer", "to": BOB, "amount": -1}, "call.amount: -1 does not fit in u64"),
        ({"type": "transfer", "to": BOB, "amount": True}, "got a bool"),
    ]
    for call, message in cases:
        with pytest.raises(EncodingError) as e:
            encode_call(call)
        assert message in str(e.value), (call, str(e.value))


def test_missing_options_are_none_as_serde_reads_them() -> None:
    base = {"type": "tokens", "call": "approve", "token": 1, "spender": BOB, "amount": "1"}
    assert encode_call(base) == encode_call({**base, "expires_at": None})


def test_externally_tagged_and_unit_enums() -> None:
    pay = {"type": "assets", "call": "claim", "asset": 1, "currency": "syn"}
    assert encode_call(pay)[-1] == 0
    assert encode_call({**pay, "currency": {"token": 9}})[-9:] == b"\x01" + (9).to_bytes(
        8, "little"
    )
    with pytest.raises(EncodingError, match="needs a value"):
        encode_call({**pay, "currency": "token"})
    with pytest.raises(EncodingError, match="has no value"):
        encode_call({**pay, "currency": {"syn": 1}})
    assert assets.ASSET_KIND.decode(b"\x04") == "service"
    with pytest.raises(EncodingError, match="unknown variant index 5"):
        assets.ASSET_KIND.decode(b"\x05")


def test_sets_are_sorted_and_deduplicated_and_strict_on_decoding() -> None:
    s = SetOf(U16)
    assert s.encode([3, 1, 3, 2]) == s.encode([1, 2, 3])
    assert s.decode(s.encode([2, 1])) == [1, 2]
    with pytest.raises(EncodingError, match="strictly ascending"):
        s.decode(b"\x02\x00\x00\x00\x02\x00\x01\x00")
    payees = OptionOf(SetOf(ACCOUNT))
    a, b = "0x" + "01" * 32, "0x" + "ff" * 32
    assert payees.encode([b, a]) == payees.encode([a, b])


def test_agents_set_intent_with_unsorted_sets_encodes_as_the_chain_sorts_them() -> None:
    intent = {
        "user": "0x" + "01" * 32,
        "agent": "0x" + "02" * 32,
        "asset": "native",
        "start_height": 0,
        "per_tx_cap": "5",
        "total_cap": "100",
        "period_blocks": 10,
        "period_cap": "30",
        "expires_at": 1000,
        "allowed_calls": [3, 1],
        "allowed_payees": None,
    }
    sorted_intent = {**intent, "allowed_calls": [1, 3]}
    assert agents.INTENT.encode(intent) == agents.INTENT.encode(sorted_intent)
    assert agents.INTENT.decode(agents.INTENT.encode(intent)) == sorted_intent


def test_decode_call_refuses_unknown_tags_and_trailing_bytes() -> None:
    with pytest.raises(EncodingError, match="unknown call tag 200"):
        decode_call(b"\xc8")
    with pytest.raises(EncodingError, match="end of input"):
        decode_call(b"\x01")  # a truncated bind_hotkey
    good = encode_call({"type": "validators", "call": "withdraw"})
    with pytest.raises(EncodingError, match="trailing"):
        decode_call(good + b"\x00")


def test_struct_codec() -> None:
    st = Struct(("a", U16), ("b", U128_STRING))
    assert st.decode(st.encode({"a": 1, "b": 2})) == {"a": 1, "b": "2"}
