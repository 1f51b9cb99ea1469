"""The Poseidon hash over the BN254 scalar field, exactly as circomlib's ``Poseidon(n)`` circuit.

Grassi, Khovratovich, Rechberger, Roy, Schofnegger, "Poseidon: A New Hash Function for
Zero-Knowledge Proof Systems" (USENIX Security 2021), with circomlib's instance: width t = n + 1,
S-box x^5, 8 full rounds and the partial rounds of its table, capacity element 0 first, output
the first element of the state. Commitments of the data-validity circuit (Feng et al. 2022 §5)
are Poseidon hashes, so a buyer recomputes them here, without a chain or a prover.

Written by hand because no maintained Python package computes circomlib's instance (the PyPI
``poseidon-hash`` implements other parameter sets). This follows circomlib's optimised
evaluation (the sparse partial-round matrices of ``poseidon.circom`` and circomlibjs's
``poseidon_opt.js``) and reads the round constants from circomlib's own
``poseidon_constants.circom`` in ``node_modules`` (pinned in ``package-lock.json``), so that the
two cannot drift apart. Known-answer tests pin the outputs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from offchain.errors import InvalidInputError, ProverError
from offchain.toolchain import PROJECT_ROOT
from offchain.validation import is_int

__all__ = ["MAX_INPUTS", "SNARK_SCALAR_FIELD", "poseidon"]

#: The BN254 (alt_bn128) scalar field: circuits compute modulo this prime.
SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: circomlib's Poseidon takes 1 to 16 inputs (widths 2 to 17).
MAX_INPUTS = 16

_FULL_ROUNDS = 8
_PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
_CONSTANTS = PROJECT_ROOT / "node_modules" / "circomlib" / "circuits" / "poseidon_constants.circom"


@dataclass(frozen=True)
class _Constants:
    c: tuple[int, ...]
    s: tuple[int, ...]
    m: tuple[tuple[int, ...], ...]
    p: tuple[tuple[int, ...], ...]


@cache
def _sections() -> dict[str, dict[int, tuple[int, ...]]]:
    """Every constant of circomlib's file: function name -> width -> flat list."""
    if not _CONSTANTS.exists():
        raise ProverError(f"circomlib's Poseidon constants are missing ({_CONSTANTS}): run `make setup` (npm ci)")
    text = _CONSTANTS.read_text()
    sections: dict[str, dict[int, tuple[int, ...]]] = {}
    for function in re.finditer(r"function POSEIDON_([CSMP])\(t\)\s*\{(.*?)\n\}", text, re.S):
        by_width: dict[int, tuple[int, ...]] = {}
        parts = re.split(r"if\s*\(\s*t\s*==\s*(\d+)\s*\)", function.group(2))
        for width, body in zip(parts[1::2], parts[2::2], strict=True):
            by_width[int(width)] = tuple(int(value, 16) for value in re.findall(r"0x[0-9a-fA-F]+", body))
        sections[function.group(1)] = by_width
    return sections


@cache
def _constants(width: int) -> _Constants:
    sections = _sections()
    partial = _PARTIAL_ROUNDS[width - 2]

    def square(flat: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        return tuple(flat[row * width : (row + 1) * width] for row in range(width))

    constants = _Constants(
        c=sections["C"][width], s=sections["S"][width], m=square(sections["M"][width]), p=square(sections["P"][width])
    )
    expected = (width * _FULL_ROUNDS + partial, partial * (2 * width - 1), width * width, width * width)
    found = (len(constants.c), len(constants.s), width * len(constants.m), width * len(constants.p))
    if expected != found or any(len(row) != width for row in constants.m + constants.p):
        raise ProverError(f"unexpected Poseidon constants for width {width} in {_CONSTANTS}: {found} != {expected}")
    return constants


def _mix(state: list[int], matrix: tuple[tuple[int, ...], ...]) -> list[int]:
    q = SNARK_SCALAR_FIELD
    width = len(state)
    return [sum(matrix[j][i] * state[j] for j in range(width)) % q for i in range(width)]


def poseidon(inputs: Sequence[int]) -> int:
    """Poseidon of 1 to 16 field elements, as circomlib's ``Poseidon(len(inputs))`` computes it.

    Raises:
        InvalidInputError: on no input, more than 16, or an input outside [0, SNARK_SCALAR_FIELD).
    """
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise InvalidInputError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    for index, value in enumerate(inputs):
        if not is_int(value) or not 0 <= value < SNARK_SCALAR_FIELD:
            raise InvalidInputError(f"Poseidon input {index} must be an integer in [0, field modulus), got {value!r}")
    q = SNARK_SCALAR_FIELD
    width = len(inputs) + 1
    k = _constants(width)
    half = _FULL_ROUNDS // 2
    partial = _PARTIAL_ROUNDS[width - 2]
    state = [(value + k.c[i]) % q for i, value in enumerate([0, *inputs])]
    for r in range(half - 1):
        state = [(pow(x, 5, q) + k.c[(r + 1) * width + i]) % q for i, x in enumerate(state)]
        state = _mix(state, k.m)
    state = [(pow(x, 5, q) + k.c[half * width + i]) % q for i, x in enumerate(state)]
    state = _mix(state, k.p)
    for r in range(partial):
        first = (pow(state[0], 5, q) + k.c[(half + 1) * width + r]) % q
        row = (2 * width - 1) * r
        mixed = (k.s[row] * first + sum(k.s[row + j] * state[j] for j in range(1, width))) % q
        state = [mixed] + [(state[j] + first * k.s[row + width + j - 1]) % q for j in range(1, width)]
    for r in range(half - 1):
        offset = (half + 1) * width + partial + r * width
        state = [(pow(x, 5, q) + k.c[offset + i]) % q for i, x in enumerate(state)]
        state = _mix(state, k.m)
    state = [pow(x, 5, q) for x in state]
    return sum(k.m[j][0] * state[j] for j in range(width)) % q
