"""Groth16 proofs are malleable, and the market does not care.

For any proof (A, B, C), e(−A, −B) = e(A, B) by bilinearity, so (−A, −B, C) is a second valid
proof of the same public signals (Groth 2016 §3.2's equation is unchanged); anyone who sees a
proof (every ``Matched`` event carries one) can make it. It gains nothing: the owner's address
is a public signal (the market fills it in from ``msg.sender``), matches are keyed by
(requirement, file), never by the proof, so the mauled proof cannot be submitted by anyone else,
nor count the owner's file twice. README: "zk-SNARK data market".
"""

from __future__ import annotations

import dataclasses

import brownie
import pytest

from offchain.zk.bn254 import field_modulus
from offchain.zk.verifier import verify
from tests.helpers import custom_error, file_id_of, match_of, matched_id, register_record, submit_proof


def _negated(proof):
    """(−A, −B, C): negating a point of BN254 negates its y coordinate (in F_q, or F_q² for B)."""
    (ax, ay), ((bx0, bx1), (by0, by1)) = proof.a, proof.b
    return dataclasses.replace(
        proof,
        a=(ax, -ay % field_modulus),
        b=((bx0, bx1), (-by0 % field_modulus, -by1 % field_modulus)),
    )


@pytest.fixture(scope="module")
def mauled_proof(owner_proof):
    """The owner's proof as anyone reading its Matched event can rewrite it."""
    return _negated(owner_proof)


def test_the_mauled_proof_is_a_different_proof(owner_proof, mauled_proof):
    assert (mauled_proof.a, mauled_proof.b) != (owner_proof.a, owner_proof.b)
    assert (mauled_proof.c, mauled_proof.public_signals) == (owner_proof.c, owner_proof.public_signals)


def test_the_mauled_proof_verifies_offline(mauled_proof):
    assert verify(mauled_proof, 8) is True


def test_the_mauled_proof_verifies_on_the_generated_verifier(verifiers, mauled_proof):
    assert verifiers[8].verifyProof(*mauled_proof.solidity_args()) is True


@pytest.mark.parametrize("negated", ["A", "B"])
def test_negating_only_one_of_a_and_b_breaks_the_proof(verifiers, owner_proof, mauled_proof, negated):
    half = dataclasses.replace(owner_proof, **({"a": mauled_proof.a} if negated == "A" else {"b": mauled_proof.b}))
    assert (verify(half, 8), verifiers[8].verifyProof(*half.solidity_args())) == (False, False)


def test_another_account_cannot_submit_the_mauled_proof_for_its_copy_of_the_record(
    market, registry, rival, requirement_id, zk_record, mauled_proof
):
    rivals_file = register_record(registry, rival, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, rivals_file)):
        submit_proof(market, rival, requirement_id, mauled_proof)


def test_another_account_cannot_submit_the_mauled_proof_for_the_owners_file(
    market, rival, requirement_id, file_id, zk_record, mauled_proof
):
    rivals_id = file_id_of(rival, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketFileIdMismatch", file_id, rivals_id)):
        submit_proof(market, rival, requirement_id, mauled_proof, file_id=file_id)


def test_the_mauled_proof_cannot_count_the_owners_file_twice(
    market, owner, requirement_id, file_id, match_id, mauled_proof
):
    with brownie.reverts(custom_error("DataMarketAlreadySubmitted", requirement_id, file_id, match_id)):
        submit_proof(market, owner, requirement_id, mauled_proof)


def test_the_mauled_proof_matches_only_for_the_owner_it_names(market, owner, requirement_id, file_id, mauled_proof):
    match_id = matched_id(submit_proof(market, owner, requirement_id, mauled_proof))
    assert (match_of(market, match_id)["owner"], market.matchIdOf(requirement_id, file_id)) == (owner, match_id)
