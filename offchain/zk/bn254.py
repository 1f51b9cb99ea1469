"""py_ecc's optimized BN254 (alt_bn128) curve, imported without py_ecc's change to the recursion limit.

Importing ``py_ecc`` raises the interpreter's recursion limit to 100,000 for the whole process
(``py_ecc/__init__.py``). With that limit, recursion in C overflows a thread's 8 MiB stack
before the limit is reached: ``json.loads`` of a document of 100,000 nested brackets (200 KB: a
payload a malicious party posts on chain, or the group key of an anonymous upload, which the
storage service parses before any signature is checked) killed the reading process with SIGSEGV
instead of raising ``RecursionError``. This module reads the limit before the import and
puts it back after; what the verifier does with the curve needs a few hundred frames (scalar
multiplication recurses once per bit of a 254-bit scalar).

Every use of py_ecc in the toolkit goes through this module: ``from offchain.zk import bn254``,
then ``bn254.pairing`` and so on.
"""

# ruff: noqa: E402 (the limit is read before py_ecc's import and restored after it)

from __future__ import annotations

import sys

_RECURSION_LIMIT = sys.getrecursionlimit()

from py_ecc.optimized_bn128 import (  # type: ignore[attr-defined]
    FQ,
    FQ2,
    FQ12,
    G1,
    G2,
    add,
    b,
    b2,
    curve_order,
    field_modulus,
    final_exponentiate,
    is_inf,
    is_on_curve,
    multiply,
    neg,
    pairing,
)

sys.setrecursionlimit(_RECURSION_LIMIT)

__all__ = [
    "FQ",
    "FQ2",
    "FQ12",
    "G1",
    "G2",
    "add",
    "b",
    "b2",
    "curve_order",
    "field_modulus",
    "final_exponentiate",
    "is_inf",
    "is_on_curve",
    "multiply",
    "neg",
    "pairing",
]
