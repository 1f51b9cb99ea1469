"""offchain.zk prover and Python verifier: real proofs from the checked-in keys, and every way to break them.

Proofs take about a second each, so the module proves a few and tampers with copies.
"""

from __future__ import annotations

import dataclasses

import pytest

from offchain.errors import InvalidInputError, ProverError, RequirementNotMetError, VerificationError
from offchain.zk import (
    FieldRange,
    MalformedProofError,
    Proof,
    Record,
    Requirement,
    prove,
    require_valid,
    verify,
    witness_input,
)
from offchain.zk.bn254 import curve_order, field_modulus
from offchain.zk.prover import _full_prove

OWNER = "0x00000000000000000000000000000000000A11cE"
OTHER = "0x000000000000000000000000000000000000b0B0"
AGE, DIAGNOSIS = 0, 1


def _requirement(nonce: int = 11) -> Requirement:
    ranges = (
        FieldRange(40, 60, required=True),
        FieldRange.exactly(4019),
        FieldRange(0, 120),
        *[FieldRange.ignored()] * 5,
    )
    return Requirement(ranges, min_satisfied=2, nonce=nonce)


@pytest.fixture(scope="module")
def requirement():
    return _requirement()


@pytest.fixture(scope="module")
def record():
    return Record((52, 4019, 130, 7, 7, 7, 7, 7), salt=123456789)


@pytest.fixture(scope="module")
def proof(record, requirement):
    return prove(record, requirement, OWNER)


def test_a_valid_proof_verifies_in_python(proof):
    assert verify(proof, 8)


def test_public_signals_are_r_and_the_commitments_and_the_owner(proof, record, requirement):
    assert proof.public_signals == (2, requirement.commitment, record.commitment, int(OWNER, 16))
    assert proof.owner == OWNER


@pytest.mark.parametrize("index", range(4), ids=["satisfied", "requirement", "data", "owner"])
def test_changing_any_public_signal_breaks_the_proof(proof, index):
    signals = list(proof.public_signals)
    signals[index] += 1
    assert not verify(dataclasses.replace(proof, public_signals=tuple(signals)), 8)


def test_a_proof_for_another_data_commitment_is_refused(proof):
    other = Record((52, 4019, 130, 7, 7, 7, 7, 7), salt=987654321)
    signals = (proof.satisfied, proof.requirement_commitment, other.commitment, int(OWNER, 16))
    assert not verify(dataclasses.replace(proof, public_signals=signals), 8)


def test_a_proof_replayed_for_another_requirement_is_refused(proof):
    same_predicates_other_nonce = _requirement(nonce=12)
    signals = (proof.satisfied, same_predicates_other_nonce.commitment, proof.data_commitment, int(OWNER, 16))
    assert not verify(dataclasses.replace(proof, public_signals=signals), 8)


def test_a_proof_moved_to_another_owner_is_refused(proof):
    signals = (*proof.public_signals[:3], int(OTHER, 16))
    assert not verify(dataclasses.replace(proof, public_signals=signals), 8)


def test_a_proof_of_another_width_is_refused(proof):
    assert not verify(proof, 16)


def test_require_valid_raises_on_a_failing_proof(proof):
    with pytest.raises(VerificationError, match="does not hold"):
        require_valid(dataclasses.replace(proof, public_signals=(1, *proof.public_signals[1:])), 8)


def test_a_point_off_the_curve_is_malformed(proof):
    with pytest.raises(MalformedProofError, match="proof point A is not on the curve"):
        verify(dataclasses.replace(proof, a=(proof.a[0], proof.a[1] + 1)), 8)


def test_a_coordinate_above_the_field_is_malformed(proof):
    with pytest.raises(MalformedProofError, match="proof point C: coordinate x is not below"):
        verify(dataclasses.replace(proof, c=(proof.c[0] + field_modulus, proof.c[1])), 8)


def test_a_g2_point_off_the_twist_is_malformed(proof):
    (x0, x1), (y0, y1) = proof.b
    with pytest.raises(MalformedProofError, match="proof point B is not on the twisted curve"):
        verify(dataclasses.replace(proof, b=((x0, x1), (y0 + 1, y1))), 8)


def test_a_public_signal_above_the_scalar_field_is_malformed(proof):
    signals = (proof.satisfied + curve_order, *proof.public_signals[1:])
    with pytest.raises(MalformedProofError, match="satisfied is not below the scalar field"):
        verify(dataclasses.replace(proof, public_signals=signals), 8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: {**p, "pi_a": p["pi_a"][:2]}, "proof point A must be a list of 3"),
        (lambda p: {**p, "pi_b": p["pi_b"][:2]}, "proof point B must be a list of 3"),
        (lambda p: {**p, "publicSignals": p["publicSignals"][:3]}, "public signals must be a list of 4"),
        (lambda p: {**p, "pi_c": ["x", "1", "1"]}, "must be an integer"),
        (lambda p: {**p, "protocol": "plonk"}, "only groth16"),
    ],
    ids=["short A", "short B", "three signals", "not a number", "plonk"],
)
def test_wrong_lengths_and_types_are_malformed(proof, change, message):
    import json

    broken = change(json.loads(proof.to_json()))
    with pytest.raises(InvalidInputError, match=message):
        Proof.from_json(json.dumps(broken))


def test_proof_json_round_trips(proof):
    assert Proof.from_json(proof.to_json()) == proof


def test_solidity_arguments_put_the_g2_imaginary_part_first(proof):
    pa, pb, _, signals = proof.solidity_args()
    assert pb[0] == [proof.b[0][1], proof.b[0][0]] and pa == list(proof.a) and signals == list(proof.public_signals)


def test_a_record_missing_a_required_field_cannot_be_proved(requirement):
    too_young = Record((39, 4019, 50, 0, 0, 0, 0, 0), salt=5)
    with pytest.raises(RequirementNotMetError, match="required field\\(s\\) 0 out of range") as raised:
        prove(too_young, requirement, OWNER)
    assert raised.value.fields == (AGE,)


def test_the_circuit_itself_refuses_a_witness_for_data_out_of_range(requirement):
    """Bypassing the Python check: the witness generator fails, no proof comes out."""
    too_old = Record((61, 4019, 50, 0, 0, 0, 0, 0), salt=5)
    with pytest.raises(ProverError, match="no witness exists"):
        _full_prove(8, witness_input(too_old, requirement, OWNER))


def test_the_circuit_refuses_a_commitment_that_does_not_open(record, requirement):
    signals = witness_input(record, requirement, OWNER)
    signals["dataCommitment"] = str(record.commitment + 1)
    with pytest.raises(ProverError, match="no witness exists"):
        _full_prove(8, signals)


def test_the_circuit_refuses_a_value_above_64_bits(requirement):
    signals = witness_input(Record((50, 4019, 0, 0, 0, 0, 0, 0), salt=5), requirement, OWNER)
    signals["values"][2] = str(1 << 64)
    with pytest.raises(ProverError, match="no witness exists"):
        _full_prove(8, signals)


def test_a_record_below_the_minimum_is_refused_before_proving():
    requirement = Requirement(
        (FieldRange(0, 5), FieldRange(0, 5), *[FieldRange.ignored()] * 6), min_satisfied=2, nonce=1
    )
    with pytest.raises(RequirementNotMetError, match="meets 1 field"):
        prove(Record((1, 9, 0, 0, 0, 0, 0, 0), 1), requirement, OWNER)


def test_a_record_of_another_width_is_refused(requirement):
    with pytest.raises(InvalidInputError, match="16 fields, the requirement is for 8"):
        prove(Record(tuple(range(16)), 1), requirement, OWNER)


def test_an_owner_must_be_an_address(record, requirement):
    with pytest.raises(InvalidInputError, match="owner must be an address"):
        prove(record, requirement, "alice")


def test_sixteen_field_records_prove_and_verify():
    ranges = (FieldRange(40, 60, required=True), *[FieldRange(0, 10)] * 15)
    requirement = Requirement(ranges, min_satisfied=10, nonce=3)
    record = Record((45, *range(15)), salt=77)
    proof = prove(record, requirement, OWNER)
    assert proof.satisfied == 12 and verify(proof, 16)
