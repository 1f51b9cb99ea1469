"""A Groth16 proof of data validity, its public signals, and their encodings.

The proof is three points of BN254 (alt_bn128): A and C in G1, B in G2. Its public signals are,
in the circuit's order: R (the number of satisfied fields), the requirement commitment, the
record commitment h, and the owner's address as a number (Feng et al. 2022 §5; the circuit's
header in ``circuits/data_validity.circom``). Encodings: snarkjs's JSON, and the arguments of the
Solidity verifier, whose G2 coordinates put the imaginary part first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from offchain.errors import InvalidInputError
from offchain.validation import parse_json

__all__ = ["PUBLIC_SIGNAL_NAMES", "G1Point", "G2Point", "Proof", "SolidityProof", "g1_from_json", "g2_from_json"]

#: Names of the public signals, in the circuit's order.
PUBLIC_SIGNAL_NAMES: tuple[str, ...] = ("satisfied", "requirementCommitment", "dataCommitment", "owner")

#: Affine coordinates of a G1 point.
G1Point = tuple[int, int]
#: Affine coordinates of a G2 point: ((x.c0, x.c1), (y.c0, y.c1)), real part first.
G2Point = tuple[tuple[int, int], tuple[int, int]]
#: (pA, pB, pC, pubSignals) as ``verifyProof`` and ``DataMarket.submit`` take them.
SolidityProof = tuple[list[int], list[list[int]], list[int], list[int]]


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be an integer, got {value!r}")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        result = int(value)
    elif isinstance(value, str) and value.startswith("0x"):
        try:
            result = int(value, 16)
        except ValueError as error:
            raise InvalidInputError(f"{what} must be an integer, got {value!r}") from error
    else:
        raise InvalidInputError(f"{what} must be an integer, got {value!r}")
    if result < 0:
        raise InvalidInputError(f"{what} must not be negative, got {result}")
    return result


def _sequence(value: Any, length: int, what: str) -> list[Any]:
    if not isinstance(value, (list, tuple)) or len(value) != length:
        size = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
        raise InvalidInputError(f"{what} must be a list of {length} items, got {size}")
    return list(value)


def g1_from_json(value: Any, what: str) -> G1Point:
    """An affine G1 point from snarkjs's JSON ``["x", "y", "1"]``; ``what`` names it in errors."""
    items = _sequence(value, 3, what)
    x, y, z = (_integer(item, f"{what} coordinate") for item in items)
    if z != 1:
        raise InvalidInputError(f"{what} must be in affine form (z = 1), got z = {z}")
    return (x, y)


def g2_from_json(value: Any, what: str) -> G2Point:
    """An affine G2 point from snarkjs's JSON ``[[x0, x1], [y0, y1], ["1", "0"]]``."""
    items = _sequence(value, 3, what)
    x0, x1 = (_integer(v, f"{what} coordinate") for v in _sequence(items[0], 2, f"{what}.x"))
    y0, y1 = (_integer(v, f"{what} coordinate") for v in _sequence(items[1], 2, f"{what}.y"))
    z = [_integer(v, f"{what} coordinate") for v in _sequence(items[2], 2, f"{what}.z")]
    if z != [1, 0]:
        raise InvalidInputError(f"{what} must be in affine form (z = 1), got z = {z}")
    return ((x0, x1), (y0, y1))


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof with its public signals.

    Construction checks shapes only; whether the points are on the curve, and whether the proof
    holds, is :func:`offchain.zk.verifier.verify`'s job.
    """

    a: G1Point
    b: G2Point
    c: G1Point
    public_signals: tuple[int, ...]

    def __post_init__(self) -> None:
        _sequence(self.a, 2, "proof point A")
        _sequence(self.c, 2, "proof point C")
        for part in _sequence(self.b, 2, "proof point B"):
            _sequence(part, 2, "proof point B coordinate")
        signals = _sequence(self.public_signals, len(PUBLIC_SIGNAL_NAMES), "the public signals")
        for name, value in zip(PUBLIC_SIGNAL_NAMES, signals, strict=True):
            _integer(value, f"public signal {name}")

    @property
    def satisfied(self) -> int:
        """R, the number of fields in range."""
        return self.public_signals[0]

    @property
    def requirement_commitment(self) -> int:
        """The requirement commitment the proof is for."""
        return self.public_signals[1]

    @property
    def data_commitment(self) -> int:
        """The record commitment h the proof is for."""
        return self.public_signals[2]

    @property
    def owner(self) -> str:
        """The account the proof is bound to (checksummed)."""
        return to_checksum_address(self.public_signals[3].to_bytes(20, "big"))

    def solidity_args(self) -> SolidityProof:
        """``(pA, pB, pC, pubSignals)`` for the Solidity verifier (G2 imaginary part first)."""
        (x0, x1), (y0, y1) = self.b
        return [*self.a], [[x1, x0], [y1, y0]], [*self.c], [*self.public_signals]

    def to_json(self) -> str:
        """snarkjs's proof JSON with the public signals added under ``"publicSignals"``."""
        (x0, x1), (y0, y1) = self.b
        return json.dumps(
            {
                "pi_a": [str(self.a[0]), str(self.a[1]), "1"],
                "pi_b": [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]],
                "pi_c": [str(self.c[0]), str(self.c[1]), "1"],
                "protocol": "groth16",
                "curve": "bn128",
                "publicSignals": [str(s) for s in self.public_signals],
            }
        )

    @classmethod
    def from_snarkjs(cls, proof: Any, public_signals: Any) -> Proof:
        """Build from snarkjs's ``proof.json`` and ``public.json`` contents.

        Raises:
            InvalidInputError: naming the part that has the wrong shape or is not an integer.
        """
        if not isinstance(proof, dict):
            raise InvalidInputError(f"a snarkjs proof is a JSON object, got {type(proof).__name__}")
        if proof.get("protocol", "groth16") != "groth16" or proof.get("curve", "bn128") != "bn128":
            raise InvalidInputError(f"only groth16 proofs on bn128 are supported, got {proof.get('protocol')}")
        try:
            a, b, c = proof["pi_a"], proof["pi_b"], proof["pi_c"]
        except KeyError as error:
            raise InvalidInputError(f"the proof has no {error.args[0]}") from error
        signals = _sequence(public_signals, len(PUBLIC_SIGNAL_NAMES), "the public signals")
        return cls(
            a=g1_from_json(a, "proof point A"),
            b=g2_from_json(b, "proof point B"),
            c=g1_from_json(c, "proof point C"),
            public_signals=tuple(
                _integer(s, f"public signal {n}") for n, s in zip(PUBLIC_SIGNAL_NAMES, signals, strict=True)
            ),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Proof:
        """Parse :meth:`to_json` output.

        Raises:
            InvalidInputError: if the text is not such a proof.
        """
        try:
            parsed = parse_json(text)
        except (TypeError, ValueError) as error:
            raise InvalidInputError(f"a proof must be JSON text: {error}") from error
        if not isinstance(parsed, dict) or "publicSignals" not in parsed:
            raise InvalidInputError("a proof's JSON needs its publicSignals")
        return cls.from_snarkjs(parsed, parsed["publicSignals"])
