"""Groth16 verification in Python with ``py_ecc``, so that a buyer checks a proof without a chain.

Groth, "On the Size of Pairing-Based Non-interactive Arguments" (EUROCRYPT 2016), §3.2: a proof
(A, B, C) of public signals x_1..x_l holds when e(A, B) = e(α, β) · e(vk_x, γ) · e(C, δ) with
vk_x = IC_0 + Σ x_i IC_i. This checks the same equation as the generated Solidity verifier
(and the EVM's pairing precompile, EIP-197) with the same input rules: coordinates below the
base field modulus, points on the curve and, for B, in the order-r subgroup; public signals below
the scalar field. A proof breaking those rules is *malformed* and raises
:class:`MalformedProofError` naming what is wrong; a well-formed proof that does not hold makes
:func:`verify` return ``False``.

The three Miller loops are multiplied and share one final exponentiation; e(α, β) is computed
once per key.

Malleability: Groth16 proofs are not unique. By bilinearity e(−A, −B) = e(A, B), so for any
valid (A, B, C), (−A, −B, C) is a different valid proof of the same public signals (negating
A or B alone breaks it); anyone who sees a proof can make it. Both this function and the
on-chain verifier accept it, as they must. It is harmless in this project because a proof is
never an identifier: ``DataMarket`` binds a proof to its submitter (the owner's address is a
public signal, filled in from ``msg.sender``) and keys matches by (requirement, file), so a
mauled copy can neither be submitted by someone else nor count the same file twice
(``tests/contracts/test_proof_malleability.py``). Code that stores or deduplicates proofs must
not key them by their bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_int, parse_json
from offchain.zk import bn254
from offchain.zk.artifacts import artifacts
from offchain.zk.proof import PUBLIC_SIGNAL_NAMES, G1Point, G2Point, Proof, g1_from_json, g2_from_json

__all__ = ["MalformedProofError", "VerificationKey", "require_valid", "verification_key", "verify"]

_G1 = tuple[bn254.FQ, bn254.FQ, bn254.FQ]
_G2 = tuple[bn254.FQ2, bn254.FQ2, bn254.FQ2]


class MalformedProofError(InvalidInputError):
    """A proof or key is not well formed: a coordinate out of range, a point off the curve or
    outside its subgroup, a public signal not below the scalar field, or the wrong count."""


def _g1(point: G1Point, what: str) -> _G1:
    x, y = point
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < bn254.field_modulus:
            raise MalformedProofError(f"{what}: coordinate {name} is not below the base field modulus")
    if x == 0 and y == 0:
        return (bn254.FQ(1), bn254.FQ(1), bn254.FQ(0))  # the point at infinity, as the EVM encodes it
    result = (bn254.FQ(x), bn254.FQ(y), bn254.FQ(1))
    if not bn254.is_on_curve(result, bn254.b):
        raise MalformedProofError(f"{what} is not on the curve y^2 = x^3 + 3")
    return result


def _g2(point: G2Point, what: str) -> _G2:
    (x0, x1), (y0, y1) = point
    for value in (x0, x1, y0, y1):
        if not 0 <= value < bn254.field_modulus:
            raise MalformedProofError(f"{what}: a coordinate is not below the base field modulus")
    if x0 == x1 == y0 == y1 == 0:
        return (bn254.FQ2([1, 0]), bn254.FQ2([1, 0]), bn254.FQ2([0, 0]))
    result = (bn254.FQ2([x0, x1]), bn254.FQ2([y0, y1]), bn254.FQ2([1, 0]))
    if not bn254.is_on_curve(result, bn254.b2):
        raise MalformedProofError(f"{what} is not on the twisted curve of G2")
    if not bn254.is_inf(bn254.multiply(result, bn254.curve_order)):
        raise MalformedProofError(f"{what} is on the curve but not in the order-r subgroup G2")
    return result


@dataclass(frozen=True)
class _CurvePoints:
    """A key's points checked and in py_ecc's form."""

    alpha: _G1
    beta: _G2
    gamma: _G2
    delta: _G2
    ic: tuple[_G1, ...]


@dataclass(frozen=True)
class VerificationKey:
    """A Groth16 verification key (snarkjs's ``verification_key.json``)."""

    alpha: G1Point
    beta: G2Point
    gamma: G2Point
    delta: G2Point
    ic: tuple[G1Point, ...]

    @classmethod
    def from_snarkjs(cls, parsed: Any) -> VerificationKey:
        """Build from snarkjs's JSON.

        Raises:
            MalformedProofError: if the key is not a groth16 bn128 key with valid points.
        """
        try:
            if parsed["protocol"] != "groth16" or parsed["curve"] != "bn128":
                raise MalformedProofError(f"not a groth16 bn128 key: {parsed['protocol']} on {parsed['curve']}")
            key = cls(
                alpha=g1_from_json(parsed["vk_alpha_1"], "the key's alpha"),
                beta=g2_from_json(parsed["vk_beta_2"], "the key's beta"),
                gamma=g2_from_json(parsed["vk_gamma_2"], "the key's gamma"),
                delta=g2_from_json(parsed["vk_delta_2"], "the key's delta"),
                ic=tuple(g1_from_json(point, "the key's IC") for point in parsed["IC"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise MalformedProofError(f"not a snarkjs verification key: {error!r}") from error
        n_public = parsed.get("nPublic", len(key.ic) - 1)
        if not is_int(n_public) or len(key.ic) != n_public + 1:
            raise MalformedProofError(f"the key's IC count {len(key.ic)} does not match its nPublic {n_public!r}")
        _ = key._curve  # check every point now, not at the first verification
        return key

    @classmethod
    def load(cls, path: Path) -> VerificationKey:
        """Read a key file.

        Raises:
            MalformedProofError: if it is not a valid key.
        """
        if not isinstance(path, Path):
            raise MalformedProofError(f"a verification key is read from a Path, got {type(path).__name__}")
        try:
            parsed = parse_json(path.read_text())
        except (OSError, ValueError) as error:
            raise MalformedProofError(f"cannot read the verification key {path}: {error}") from error
        return cls.from_snarkjs(parsed)

    @property
    def public_count(self) -> int:
        """How many public signals the key's circuit has."""
        return len(self.ic) - 1

    @cached_property
    def _curve(self) -> _CurvePoints:
        """The points, checked (on the curve, G2 in its subgroup) and converted once.

        Raises:
            MalformedProofError: naming the first point that is not valid.
        """
        return _CurvePoints(
            alpha=_g1(self.alpha, "the key's alpha"),
            beta=_g2(self.beta, "the key's beta"),
            gamma=_g2(self.gamma, "the key's gamma"),
            delta=_g2(self.delta, "the key's delta"),
            ic=tuple(_g1(point, f"the key's IC[{i}]") for i, point in enumerate(self.ic)),
        )

    @cached_property
    def _alpha_beta(self) -> bn254.FQ12:
        return bn254.pairing(self._curve.beta, self._curve.alpha)


@cache
def verification_key(field_count: int) -> VerificationKey:
    """The checked-in verification key of the circuit for records of ``field_count`` fields."""
    return VerificationKey.load(artifacts(field_count).vkey)


def verify(proof: Proof, key: VerificationKey | int) -> bool:
    """Whether ``proof`` holds for its public signals under ``key`` (a key, or a record width).

    Raises:
        MalformedProofError: if the proof is not well formed (see the module docstring).
    """
    if not isinstance(proof, Proof):
        raise MalformedProofError(f"expected a Proof, got {type(proof).__name__}")
    if is_int(key):
        key = verification_key(key)
    if not isinstance(key, VerificationKey):
        raise MalformedProofError(f"expected a VerificationKey or a record width, got {type(key).__name__}")
    if len(proof.public_signals) != key.public_count:
        raise MalformedProofError(f"the key expects {key.public_count} public signals, got {len(proof.public_signals)}")
    for name, value in zip(PUBLIC_SIGNAL_NAMES, proof.public_signals, strict=True):
        if not 0 <= value < bn254.curve_order:
            raise MalformedProofError(f"public signal {name} is not below the scalar field modulus")
    a = _g1(proof.a, "proof point A")
    b_point = _g2(proof.b, "proof point B")
    c = _g1(proof.c, "proof point C")
    points = key._curve
    vk_x = points.ic[0]
    for value, base in zip(proof.public_signals, points.ic[1:], strict=True):
        vk_x = bn254.add(vk_x, bn254.multiply(base, value))
    product = (
        bn254.pairing(b_point, bn254.neg(a), final_exponentiate=False)
        * bn254.pairing(points.gamma, vk_x, final_exponentiate=False)
        * bn254.pairing(points.delta, c, final_exponentiate=False)
    )
    return bool(bn254.final_exponentiate(product) * key._alpha_beta == bn254.FQ12.one())


def require_valid(proof: Proof, key: VerificationKey | int) -> None:
    """Like :func:`verify`, but raise when the proof does not hold.

    Raises:
        MalformedProofError: if the proof is not well formed.
        VerificationError: if it is well formed and does not hold.
    """
    if not verify(proof, key):
        raise VerificationError("the Groth16 proof does not hold for its public signals")
