"""Transfer proofs of the confidential ledger: credits in range, conservation, bound to a context.

Each attack of the ledger-soundness issue is tried here as the sender would: it builds the
dishonest deltas, then tries to prove them (the honest prover refuses) and to pass an honest
proof off as theirs (the verifier refuses).
"""

from __future__ import annotations

import contextlib
import random
import secrets
from dataclasses import replace

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import threshold_paillier as tp
from offchain.crypto import transfer_proof as tf
from offchain.errors import InvalidInputError

BITS = 1024
X = 5 * 10**17  # what a thief tries to move


@pytest.fixture(scope="module")
def n() -> int:
    return tp.generate_threshold_keypair(BITS, 3, 2, rng=random.Random(2018))[0].n


@pytest.fixture(scope="module")
def context() -> bytes:
    return bytes(range(32))


def encrypt(n: int, m: int) -> tuple[int, int]:
    r = secrets.randbelow(n - 2) + 1
    return (1 + (m % n) * n) * pow(r, n, n * n) % (n * n), r


@pytest.fixture(scope="module")
def honest(n, context) -> tuple[tf.TransferStatement, tf.TransferOpening, tf.TransferProof]:
    """A payment of 10^18 from account 0 to account 2, accounts 1 and 3 decoys."""
    deltas, opening = tf.make_deltas(n, [0, 0, 10**18, 0], 0)
    statement = tf.TransferStatement(n, context, deltas, 0)
    return statement, opening, tf.prove_transfer(statement, opening)


def raw_statement(n, context, amounts, sender_index=0):
    """Deltas of arbitrary (possibly dishonest) residues, and their opening."""
    pairs = [encrypt(n, m) for m in amounts]
    deltas = tuple(c for c, _ in pairs)
    opening = tf.TransferOpening(tuple(m % n for m in amounts), tuple(r for _, r in pairs))
    return tf.TransferStatement(n, context, deltas, sender_index), opening


# --- honest transfers -----------------------------------------------------------------------


def test_an_honest_transfer_verifies(honest):
    statement, _, proof = honest
    tf.verify_transfer(statement, proof)


def test_the_deltas_encrypt_the_credits_and_the_senders_debit(n):
    deltas, opening = tf.make_deltas(n, [7, 0, 0], 1)
    assert opening.amounts == (7, n - 7, 0)
    for delta, m, r in zip(deltas, opening.amounts, opening.randomness, strict=True):
        assert delta == (1 + m * n) * pow(r, n, n * n) % (n * n)


def test_a_transfer_paying_several_accounts_verifies(n, context):
    deltas, opening = tf.make_deltas(n, [3, 0, 10**18, 2**128 - 1], 1)
    statement = tf.TransferStatement(n, context, deltas, 1)
    tf.verify_transfer(statement, tf.prove_transfer(statement, opening))


@given(
    st.lists(st.integers(min_value=0, max_value=2**128 - 1), min_size=1, max_size=4),
    st.integers(min_value=0, max_value=4),
)
@settings(max_examples=8, deadline=None)
def test_random_honest_transfers_verify(n, context, credits, position):
    sender = position % (len(credits) + 1)
    amounts = [*credits[:sender], 0, *credits[sender:]]
    deltas, opening = tf.make_deltas(n, amounts, sender)
    statement = tf.TransferStatement(n, context, deltas, sender)
    tf.verify_transfer(statement, tf.prove_transfer(statement, opening))


def test_a_proof_round_trips_through_bytes(honest):
    proof = honest[2]
    assert tf.TransferProof.from_bytes(proof.to_bytes()) == proof


def test_the_digest_is_keccak_of_the_canonical_bytes(honest):
    from eth_utils import keccak

    assert honest[2].digest() == keccak(honest[2].to_bytes())


def test_the_opening_does_not_show_in_its_repr(honest):
    assert str(honest[1].amounts[2]) not in repr(honest[1])


# --- the attacks ----------------------------------------------------------------------------


def test_decoy_theft_cannot_be_proved(n, context):
    statement, opening = raw_statement(n, context, [X, -X, 0])  # the thief (0) takes X from account 1
    with pytest.raises(InvalidInputError, match="plaintext"):
        tf.prove_transfer(statement, opening)


def test_decoy_theft_does_not_pass_with_an_honest_proof(n, context, honest):
    statement, _ = raw_statement(n, context, [X, -X, 0, 0])
    with pytest.raises(tf.TransferProofError) as caught:
        tf.verify_transfer(statement, honest[2])
    assert caught.value.index == 1


def test_creating_value_cannot_be_proved(n, context):
    statement, opening = raw_statement(n, context, [0, X, 0])  # a credit with no debit
    with pytest.raises(InvalidInputError, match="sum to 0"):
        tf.prove_transfer(statement, opening)


def test_creating_value_does_not_pass_with_a_forged_conservation_proof(n, context, honest):
    statement, opening = raw_statement(n, context, [0, X, 0, 0])
    # Range proofs of its own (the credits are in range), conservation copied from an honest transfer.
    balanced, balanced_opening = raw_statement(n, context, [-X, X, 0, 0])
    own = tf.prove_transfer(
        replace(balanced, deltas=(balanced.deltas[0], *statement.deltas[1:])),
        replace(balanced_opening, randomness=(balanced_opening.randomness[0], *opening.randomness[1:])),
    )
    with pytest.raises(tf.TransferProofError, match="sum to 0"):
        tf.verify_transfer(statement, replace(own, conservation=honest[2].conservation))


def test_a_negative_amount_cannot_be_proved(n, context):
    statement, opening = raw_statement(n, context, [X, 0, -X])  # the "receiver" is debited
    with pytest.raises(InvalidInputError, match="plaintext"):
        tf.prove_transfer(statement, opening)


def test_a_proof_replayed_under_another_context_is_refused(n, honest):
    statement, _, proof = honest
    with pytest.raises(tf.TransferProofError):
        tf.verify_transfer(replace(statement, context=bytes(32)), proof)


def test_a_proof_replayed_for_other_deltas_is_refused(n, context, honest):
    deltas, _ = tf.make_deltas(n, [0, 0, 10**18, 0], 0)
    with pytest.raises(tf.TransferProofError):
        tf.verify_transfer(tf.TransferStatement(n, context, deltas, 0), honest[2])


def test_a_proof_for_another_sender_position_is_refused(honest):
    statement, _, proof = honest
    with pytest.raises(tf.TransferProofError):
        tf.verify_transfer(replace(statement, sender_index=1), proof)


@pytest.mark.parametrize("multiple", [1, 2, 12345])
def test_a_delta_that_is_a_multiple_of_n_is_refused(n, context, honest, multiple):
    statement, _, proof = honest
    deltas = (*statement.deltas[:3], n * multiple)
    with pytest.raises(tf.TransferProofError, match="unit") as caught:
        tf.verify_transfer(replace(statement, deltas=deltas), proof)
    assert caught.value.index == 3


def test_a_proof_with_swapped_range_proofs_is_refused(honest):
    statement, _, proof = honest
    swapped = replace(proof, ranges=(proof.ranges[1], proof.ranges[0], proof.ranges[2]))
    with pytest.raises(tf.TransferProofError):
        tf.verify_transfer(statement, swapped)


def test_a_proof_missing_a_range_proof_is_refused(honest):
    statement, _, proof = honest
    with pytest.raises(tf.TransferProofError, match=r"\(the proof as a whole\): 3 credited accounts but 2 range"):
        tf.verify_transfer(statement, replace(proof, ranges=proof.ranges[:2]))


@pytest.mark.parametrize("field", ["challenge", "response"])
def test_a_changed_conservation_proof_is_refused(honest, field):
    statement, _, proof = honest
    conservation = replace(proof.conservation, **{field: getattr(proof.conservation, field) + 1})
    with pytest.raises(tf.TransferProofError):
        tf.verify_transfer(statement, replace(proof, conservation=conservation))


def test_a_conservation_response_that_is_not_a_unit_is_refused(n, honest):
    statement, _, proof = honest
    with pytest.raises(tf.TransferProofError, match="malformed"):
        tf.verify_transfer(statement, replace(proof, conservation=replace(proof.conservation, response=n)))


def test_the_prover_refuses_an_opening_of_other_deltas(n, context, honest):
    statement, _opening, _ = honest
    _, other = tf.make_deltas(n, [0, 0, 10**18, 0], 0)
    with pytest.raises(InvalidInputError, match="does not open"):
        tf.prove_transfer(statement, other)


# --- building deltas ------------------------------------------------------------------------


@pytest.mark.parametrize("credits", [[0, -1], [0, 2**128], [0, 1.5], [0, True]])
def test_credits_out_of_range_are_refused(n, credits):
    with pytest.raises(InvalidInputError, match="credit"):
        tf.make_deltas(n, credits, 0)


def test_a_sender_crediting_itself_is_refused(n):
    with pytest.raises(InvalidInputError, match="itself"):
        tf.make_deltas(n, [5, 0], 0)


def test_a_sender_outside_the_set_is_refused(n):
    with pytest.raises(InvalidInputError, match="sender index"):
        tf.make_deltas(n, [0, 5], 2)


@pytest.mark.parametrize(
    "patch",
    [
        {"n": 10},
        {"context": b"short"},
        {"deltas": (1,)},
        {"deltas": [1, 2]},
        {"sender_index": 9},
        {"sender_index": True},
    ],
)
def test_an_invalid_statement_is_refused(honest, patch):
    with pytest.raises(InvalidInputError):
        replace(honest[0], **patch)


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe", b"[]", b'{"format": "other"}', b'{"format": "datashare/ledger/transfer-proof/v1"}', "text"],
)
def test_malformed_proof_bytes_are_refused(data):
    with pytest.raises(InvalidInputError):
        tf.TransferProof.from_bytes(data)  # type: ignore[arg-type]


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_decoding_any_bytes_raises_only_project_errors(data):
    with contextlib.suppress(InvalidInputError):
        tf.TransferProof.from_bytes(data)


def test_decoding_a_proof_with_a_corrupted_field_raises_only_project_errors(honest):
    raw = honest[2].to_bytes().replace(b'"challenge":"0x', b'"challenge":"0xq', 1)
    with pytest.raises(InvalidInputError):
        tf.TransferProof.from_bytes(raw)


def test_the_product_of_honest_deltas_is_an_nth_residue(n, honest):
    statement, opening, _ = honest
    product = 1
    for delta in statement.deltas:
        product = product * delta % (n * n)
    root = 1
    for r in opening.randomness:
        root = root * r % n
    assert product == gmpy2.powmod(root, n, n * n)


def _shape(proof: tf.TransferProof) -> list[dict[str, int]]:
    """Each range proof's field sizes in bits: what an observer of the proof could compare."""
    return [
        {
            name: max(abs(v).bit_length() for v in value) if isinstance(value, tuple) else abs(value).bit_length()
            for name, value in vars(part).items()
            if name != "y"
        }
        for part in proof.ranges
    ]


def test_the_proof_does_not_single_out_the_receiver(n, context):
    """Paying account 1 or account 3 of the same set gives proofs of the same shape: one range
    proof per credited account, whose sizes come from the masks, not from the amount."""
    shapes = []
    for receiver in (1, 3):
        credits = [0, 0, 0, 0]
        credits[receiver] = 2**127
        deltas, opening = tf.make_deltas(n, credits, 0)
        shapes.append(_shape(tf.prove_transfer(tf.TransferStatement(n, context, deltas, 0), opening)))
    assert len(shapes[0]) == len(shapes[1]) == 3
    for first, second in zip(shapes[0], shapes[1], strict=True):
        for name, bits in first.items():
            assert abs(bits - second[name]) <= 16, name
