"""The chain's modules' call types, one submodule each, in the runtime's order.

Each submodule has ``NAME``, ``CALL`` (the module's call enum as a :class:`synod.codec.Codec`
over its JSON form) and ``weight(call)`` (the module's ``call_weight``).
"""

from . import agents, assets, bank, data, payments, subnets, tokens, validators

__all__ = ["bank", "subnets", "validators", "tokens", "assets", "agents", "payments", "data"]
