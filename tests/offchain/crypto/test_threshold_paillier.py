"""(p, t)-threshold Paillier (Zheng et al. 2018 §2.2, §4.2; Shoup, Fouque–Poupard–Stern, Damgård–Jurik)."""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from dataclasses import replace

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import paillier as pl
from offchain.crypto import threshold_paillier as tp
from offchain.errors import InvalidInputError, VerificationError

BITS = 1024
PARTIES, THRESHOLD = 5, 3


@pytest.fixture(scope="module")
def key() -> tuple[tp.ThresholdPublicKey, list[tp.KeyShare]]:
    return tp.generate_threshold_keypair(BITS, PARTIES, THRESHOLD, rng=random.Random(20181))


@pytest.fixture(scope="module")
def public_key(key) -> tp.ThresholdPublicKey:
    return key[0]


@pytest.fixture(scope="module")
def shares(key) -> list[tp.KeyShare]:
    return key[1]


@pytest.fixture(scope="module")
def plaintext() -> int:
    return 31415926535


@pytest.fixture(scope="module")
def ciphertext(public_key, plaintext) -> int:
    return int(pl.encrypt_raw(public_key.paillier, plaintext))


@pytest.fixture(scope="module")
def partials(shares, ciphertext) -> list[tp.PartialDecryption]:
    """Every party's partial decryption of ``ciphertext``."""
    return [tp.partial_decrypt(share, ciphertext) for share in shares]


@pytest.fixture(scope="module")
def verified(public_key, ciphertext, partials) -> list[tp.VerifiedPartial]:
    return [tp.verify_partial(public_key, ciphertext, p) for p in partials]


# --- key generation -------------------------------------------------------------------------


def test_the_modulus_has_the_requested_size_and_is_composite(public_key):
    assert public_key.n.bit_length() == BITS
    assert gmpy2.is_prime(public_key.n) is False


def test_a_seeded_dealer_reproduces_its_key():
    # Regression vector: the seeded generator (tests only) pins the modulus, so a change to the
    # prime search or the dealer shows here.
    a, _ = tp.generate_threshold_keypair(512, 3, 2, rng=random.Random(7))
    b, _ = tp.generate_threshold_keypair(512, 3, 2, rng=random.Random(7))
    assert a == b
    assert a.n.bit_length() == 512


def test_every_share_matches_its_verification_key(shares):
    assert all(share.matches_verification_key() for share in shares)


def test_delta_is_p_factorial(public_key):
    assert public_key.delta == math.factorial(PARTIES)


@pytest.mark.parametrize(("parties", "threshold"), [(3, 4), (3, 0), (65, 3), (True, 1)])
def test_impossible_thresholds_are_refused(parties, threshold):
    with pytest.raises(InvalidInputError):
        tp.generate_threshold_keypair(512, parties, threshold)


@pytest.mark.parametrize("bits", [256, 1023, 2.0])
def test_bad_key_sizes_are_refused(bits):
    with pytest.raises(InvalidInputError, match="key size"):
        tp.generate_threshold_keypair(bits, 3, 2)  # type: ignore[arg-type]


# --- decryption by t of p -------------------------------------------------------------------


@pytest.mark.parametrize("subset", list(itertools.combinations(range(PARTIES), THRESHOLD)))
def test_any_t_of_p_parties_decrypt(public_key, verified, plaintext, subset):
    assert tp.combine(public_key, [verified[i] for i in subset]) == plaintext


@pytest.mark.parametrize("subset", list(itertools.combinations(range(PARTIES), THRESHOLD - 1)))
def test_t_minus_one_partials_do_not_combine_to_the_plaintext(public_key, verified, plaintext, subset):
    assert tp.raw_combine(public_key, [verified[i] for i in subset]) != plaintext


def test_combine_refuses_t_minus_one_partials(public_key, verified):
    with pytest.raises(tp.InsufficientSharesError, match="3 distinct parties, got 2"):
        tp.combine(public_key, verified[:2])


def test_a_repeated_party_does_not_count_twice(public_key, verified):
    with pytest.raises(tp.InsufficientSharesError):
        tp.combine(public_key, [verified[0], verified[0], verified[1]])


def test_combine_refuses_unverified_partials(public_key, partials):
    with pytest.raises(InvalidInputError, match="verified partials only"):
        tp.combine(public_key, partials[:3])  # type: ignore[arg-type]


def test_combine_refuses_partials_of_different_ciphertexts(public_key, shares, verified):
    other = pl.encrypt_raw(public_key.paillier, 5)
    stray = tp.verify_partial(public_key, int(other), tp.partial_decrypt(shares[2], int(other)))
    with pytest.raises(InvalidInputError, match="different ciphertexts"):
        tp.combine(public_key, [verified[0], verified[1], stray])


def test_threshold_decrypt_verifies_and_combines(public_key, ciphertext, partials, plaintext):
    assert tp.threshold_decrypt(public_key, ciphertext, partials[1:4]) == plaintext


@settings(max_examples=8, deadline=None)
@given(m=st.integers(min_value=0), data=st.data())
def test_random_plaintexts_decrypt_with_random_subsets(public_key, shares, m, data):
    m %= public_key.n
    subset = data.draw(st.lists(st.sampled_from(shares), min_size=THRESHOLD, max_size=THRESHOLD, unique_by=id))
    c = int(pl.encrypt_raw(public_key.paillier, m))
    assert tp.threshold_decrypt(public_key, c, [tp.partial_decrypt(s, c) for s in subset]) == m


def test_a_homomorphic_sum_decrypts_to_the_sum(public_key, shares):
    values = [17, -5, 1000]
    codec = pl.FixedPoint(public_key.n, 0)
    total = pl.EncryptedVector.encrypt(public_key.paillier, values, encoding=codec).sum().ciphertexts[0]
    residue = tp.threshold_decrypt(public_key, int(total), [tp.partial_decrypt(s, int(total)) for s in shares[:3]])
    assert codec.decode_int(residue) == sum(values)


def test_phe_ciphertexts_decrypt_under_the_threshold_key(public_key, shares):
    c = public_key.paillier.encrypt(271828).ciphertext()
    assert tp.threshold_decrypt(public_key, c, [tp.partial_decrypt(s, c) for s in shares[2:]]) == 271828


@pytest.mark.parametrize(("parties", "threshold"), [(1, 1), (3, 1), (3, 3)])
def test_edge_thresholds_decrypt(parties, threshold):
    pk, shares = tp.generate_threshold_keypair(512, parties, threshold, rng=random.Random(parties * 10 + threshold))
    c = int(pl.encrypt_raw(pk.paillier, 99))
    assert tp.threshold_decrypt(pk, c, [tp.partial_decrypt(s, c) for s in shares[:threshold]]) == 99


# --- forged and wrong partials --------------------------------------------------------------


def test_a_changed_partial_value_is_rejected_and_its_party_named(public_key, ciphertext, partials):
    forged = replace(partials[1], value=partials[1].value * 2 % public_key.nsquare)
    with pytest.raises(tp.InvalidPartialError, match="party 2") as info:
        tp.verify_partial(public_key, ciphertext, forged)
    assert info.value.parties == (2,)


def test_a_partial_claimed_by_another_party_is_rejected(public_key, ciphertext, partials):
    with pytest.raises(tp.InvalidPartialError, match="party 4"):
        tp.verify_partial(public_key, ciphertext, replace(partials[0], index=4))


def test_a_partial_of_another_ciphertext_is_rejected(public_key, shares, partials):
    other = int(pl.encrypt_raw(public_key.paillier, 1))
    with pytest.raises(tp.InvalidPartialError):
        tp.verify_partial(public_key, other, partials[0])


def test_a_partial_made_with_a_wrong_share_is_rejected(public_key, shares, ciphertext):
    wrong = tp.KeyShare(public_key, 3, (shares[2].share + 1) % public_key.nsquare)
    with pytest.raises(tp.InvalidPartialError, match="party 3"):
        tp.verify_partial(public_key, ciphertext, tp.partial_decrypt(wrong, ciphertext))


@pytest.mark.parametrize("field", ["commitment_c", "commitment_v", "response"])
def test_a_tampered_proof_is_rejected(public_key, ciphertext, partials, field):
    tampered = replace(partials[0], **{field: getattr(partials[0], field) ^ 2})
    with pytest.raises(tp.InvalidPartialError, match="party 1"):
        tp.verify_partial(public_key, ciphertext, tampered)


@pytest.mark.parametrize("field", ["value", "commitment_c", "commitment_v", "response"])
def test_a_batch_with_one_tampered_partial_names_that_party_only(public_key, ciphertext, partials, field):
    tampered = replace(partials[2], **{field: getattr(partials[2], field) ^ 2})
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_partials(public_key, ciphertext, [partials[0], partials[1], tampered, partials[3]])
    assert info.value.parties == (3,)


@pytest.mark.parametrize(
    ("field", "value"),
    [("value", 0), ("commitment_c", -1), ("commitment_v", None), ("response", -1), ("response", None)],
    ids=["value zero", "commitment_c negative", "commitment_v n^2", "response negative", "response too long"],
)
def test_a_batch_with_one_out_of_range_partial_names_that_party_only(public_key, ciphertext, partials, field, value):
    if value is None:  # just past the field's range
        value = public_key.nsquare if field == "commitment_v" else 1 << (public_key.mask_bits + 1)
    tampered = replace(partials[1], **{field: value})
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_partials(public_key, ciphertext, [partials[0], tampered, partials[2]])
    assert info.value.parties == (2,)


def test_a_batch_of_valid_partials_verifies(public_key, ciphertext, partials):
    verified = tp.verify_partials(public_key, ciphertext, partials)
    assert [v.index for v in verified] == [1, 2, 3, 4, 5]


def partial_with_errors(
    share: tp.KeyShare, ciphertext: int, *, value_factor: int = 1, commitment_factor: int = 1
) -> tp.PartialDecryption:
    """A proof made honestly for c_i · ``value_factor`` with the commitment (c⁴)^r · ``commitment_factor``.

    Its error in the c-equation, ε = (c⁴)^z · a^(−1) · (c_i²)^(−e), is then
    ``commitment_factor``^(−1) · ``value_factor``^(−2e) (the v-equation holds exactly).
    """
    pk = share.public_key
    nsquare = pk.nsquare
    c4 = pow(ciphertext, 4, nsquare)
    ci = pow(ciphertext, 2 * pk.delta * share.share, nsquare) * value_factor % nsquare
    r = random.getrandbits(pk.mask_bits)
    a, b = pow(c4, r, nsquare) * commitment_factor % nsquare, pow(pk.v, r, nsquare)
    e = tp._challenge(pk, share.index, c4, ci * ci % nsquare, a, b)
    return tp.PartialDecryption(share.index, ci, a, b, r + e * pk.delta * share.share)


def c_equation_error(public_key, ciphertext, partial) -> int:
    """ε = (c⁴)^z · a^(−1) · (c_i²)^(−e) mod n²: 1 for an honest proof."""
    nsquare = public_key.nsquare
    c4 = pow(ciphertext, 4, nsquare)
    ci2 = partial.value * partial.value % nsquare
    e = tp._challenge(public_key, partial.index, c4, ci2, partial.commitment_c, partial.commitment_v)
    return pow(c4, partial.response, nsquare) * pow(partial.commitment_c, -1, nsquare) * pow(ci2, -e, nsquare) % nsquare


def test_a_commitment_times_minus_one_is_accepted_by_both_checks_and_decrypts(
    public_key, shares, ciphertext, partials, plaintext
):
    # An error of order 2 is what both checks forgive: the proved statement c_i² = c^(4Δ s_i)
    # is unchanged, and c_i enters the combination squared (as for Shoup's ±c_i).
    signed = partial_with_errors(shares[0], ciphertext, commitment_factor=public_key.nsquare - 1)
    assert c_equation_error(public_key, ciphertext, signed) == public_key.nsquare - 1
    tp.verify_partial(public_key, ciphertext, signed)
    negated = replace(partials[1], value=public_key.nsquare - partials[1].value)
    verified = tp.verify_partials(public_key, ciphertext, [signed, negated, partials[2]])
    assert tp.combine(public_key, verified) == plaintext


def test_a_partial_with_an_order_two_error_is_not_named_when_another_party_cheats(
    public_key, shares, ciphertext, partials
):
    signed = partial_with_errors(shares[0], ciphertext, commitment_factor=public_key.nsquare - 1)
    forged = replace(partials[2], value=partials[2].value * 4 % public_key.nsquare)
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_partials(public_key, ciphertext, [signed, partials[1], forged])
    assert info.value.parties == (3,)


def test_errors_that_cancel_across_shares_are_not_forgiven_by_the_batch(public_key, shares, ciphertext, plaintext):
    """Party 1 sends a wrong c_1; party 2, colluding, offsets its error in its own commitment.

    The errors cancel in the unweighted product, so a batch without (secret, random) weights
    would accept both and combine a wrong plaintext; the weighted batch names both parties.
    """
    nsquare = public_key.nsquare
    y = 3  # c_1 · 3: a wrong partial decryption
    wrong = partial_with_errors(shares[0], ciphertext, value_factor=y)
    offset = c_equation_error(public_key, ciphertext, wrong)  # y^(−2e_1)
    accomplice = partial_with_errors(shares[1], ciphertext, commitment_factor=offset)
    errors = [c_equation_error(public_key, ciphertext, p) for p in (wrong, accomplice)]
    assert errors[0] != 1 and errors[0] * errors[1] % nsquare == 1  # they cancel unweighted
    assert tp.raw_combine(public_key, [wrong, accomplice, tp.partial_decrypt(shares[2], ciphertext)]) != plaintext
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_partials(public_key, ciphertext, [wrong, accomplice, tp.partial_decrypt(shares[2], ciphertext)])
    assert info.value.parties == (1, 2)


@pytest.mark.parametrize("value", [0, -1, "nsquare"])
def test_a_partial_value_out_of_range_is_rejected(public_key, ciphertext, partials, value):
    bad = public_key.nsquare if value == "nsquare" else value
    with pytest.raises(tp.InvalidPartialError, match="unit"):
        tp.verify_partial(public_key, ciphertext, replace(partials[0], value=int(bad)))


def test_an_oversized_response_is_rejected(public_key, ciphertext, partials):
    with pytest.raises(tp.InvalidPartialError, match="response is out of range"):
        tp.verify_partial(public_key, ciphertext, replace(partials[0], response=1 << (public_key.mask_bits + 2)))


def test_threshold_decrypt_names_every_cheating_party(public_key, ciphertext, partials):
    forged = [replace(p, value=p.value * 3 % public_key.nsquare) if p.index in (2, 5) else p for p in partials]
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.threshold_decrypt(public_key, ciphertext, forged)
    assert info.value.parties == (2, 5)
    assert isinstance(info.value, VerificationError)


def test_a_non_unit_ciphertext_is_refused(public_key, shares):
    with pytest.raises(InvalidInputError, match="unit"):
        tp.partial_decrypt(shares[0], public_key.n)


def test_an_unknown_party_index_is_refused(public_key, ciphertext, partials):
    with pytest.raises(InvalidInputError, match="party index"):
        tp.verify_partial(public_key, ciphertext, replace(partials[0], index=PARTIES + 1))


# --- serialisation --------------------------------------------------------------------------


def test_the_public_key_round_trips_through_json(public_key):
    assert tp.ThresholdPublicKey.from_json(public_key.to_json()) == public_key


def test_a_share_file_holds_its_own_share_only(shares):
    text = shares[0].to_json()
    data = json.loads(text)
    assert set(data) == {"kind", "index", "share", "public_key"}
    for other in shares[1:]:
        assert format(other.share, "x") not in text
    back = tp.KeyShare.from_json(text)
    assert (back.index, back.share, back.public_key) == (1, shares[0].share, shares[0].public_key)


def test_a_share_file_whose_share_does_not_match_its_verification_key_is_refused(shares):
    data = json.loads(shares[0].to_json())
    data["share"] = format(shares[1].share, "x")
    with pytest.raises(InvalidInputError, match="does not match"):
        tp.KeyShare.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("n"),
        lambda d: d.update(threshold=9),
        lambda d: d.update(verification_keys=d["verification_keys"][:-1]),
        lambda d: d.update(kind="paillier-public"),
        lambda d: d.update(v="1"),
    ],
)
def test_malformed_public_keys_are_refused(public_key, mutate):
    data = public_key.to_dict()
    mutate(data)
    with pytest.raises(InvalidInputError):
        tp.ThresholdPublicKey.from_dict(data)


def test_a_public_key_with_a_party_count_written_as_text_is_refused_by_name(public_key):
    data = public_key.to_dict()
    data["parties"] = str(data["parties"])
    with pytest.raises(InvalidInputError, match=re.escape("(parties must be an int, got str)")):
        tp.ThresholdPublicKey.from_dict(data)


def test_partials_round_trip_through_dicts(partials):
    assert tp.PartialDecryption.from_dict(json.loads(json.dumps(partials[0].to_dict()))) == partials[0]


def test_a_malformed_partial_is_refused():
    with pytest.raises(InvalidInputError, match="partial decryption"):
        tp.PartialDecryption.from_dict({"index": 1, "value": "zz"})


def test_a_2048_bit_key_decrypts_with_3_of_5():
    pk, shares = tp.generate_threshold_keypair(2048, 5, 3)
    c = int(pl.encrypt_raw(pk.paillier, 2**64 - 1))
    assert tp.threshold_decrypt(pk, c, [tp.partial_decrypt(s, c) for s in shares[2:]]) == 2**64 - 1
