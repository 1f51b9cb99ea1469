"""Confidential aggregation of Zheng et al. 2018 §4.2: users encrypt, the cloud multiplies, t parties decrypt."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import EncodingOverflowError, EncryptedVector, FixedPoint
from offchain.crypto.primes import safe_prime
from offchain.errors import AccessDeniedError, InvalidInputError, VerificationError
from offchain.protocols.aggregation import (
    AggregationCloud,
    CheatingPartiesError,
    Contribution,
    Contributor,
    DecryptionParty,
    MalformedContributionError,
    PartialBatch,
)
from tests.helpers import high_s_twin

NAMES = ("hospital-a", "hospital-b", "bank-c", "lab-d", "insurer-e")


@pytest.fixture(scope="module")
def key():
    return tp.generate_threshold_keypair(1024, 5, 3, rng=random.Random(42))


@pytest.fixture(scope="module")
def public_key(key):
    return key[0]


@pytest.fixture(scope="module")
def parties(key):
    return [DecryptionParty(name, share) for name, share in zip(NAMES, key[1], strict=True)]


class ForgingParty(DecryptionParty):
    """A party that returns a wrong partial decryption with its (then invalid) proof."""

    def partially_decrypt(self, ciphertexts):
        batch = super().partially_decrypt(ciphertexts)
        nsquare = self.share.public_key.nsquare
        forged = tuple(replace(p, value=p.value * 2 % nsquare) for p in batch.partials)
        return PartialBatch(batch.party, batch.index, forged)


class ImpersonatingParty(DecryptionParty):
    """A party that replays another party's partials under its own index."""

    def __init__(self, name, share, victim):
        super().__init__(name, share)
        self.victim = victim

    def partially_decrypt(self, ciphertexts):
        batch = self.victim.partially_decrypt(ciphertexts)
        return PartialBatch(self.name, self.index, tuple(replace(p, index=self.index) for p in batch.partials))


def enrol(cloud, name, public_key, **kwargs):
    """A contributor whose signing key the cloud registered under ``name``."""
    contributor = Contributor(name, public_key, **kwargs)
    cloud.register(name, contributor.address)
    return contributor


def run(public_key, parties, contributions):
    cloud = AggregationCloud(public_key, length=len(contributions[0][1]))
    for name, values in contributions:
        cloud.submit(enrol(cloud, name, public_key).contribute(values, round_id=cloud.round_id))
    return cloud.decrypt(parties)


def test_the_cloud_obtains_the_sum_of_every_contribution(public_key, parties):
    result = run(public_key, parties, [("u1", [1.5, -2]), ("u2", [10, 0.25]), ("u3", [-0.5, 100])])
    assert result.totals == (11.0, 98.25)
    assert result.contributors == ("u1", "u2", "u3")
    assert result.decrypted_by == NAMES[:3]
    assert result.rejected == ()


def test_any_three_parties_can_decrypt(public_key, parties):
    result = run(public_key, [parties[4], parties[1], parties[3]], [("u1", [7]), ("u2", [5])])
    assert result.totals == (12.0,)
    assert result.decrypted_by == ("insurer-e", "hospital-b", "lab-d")


def test_a_forging_party_is_named_and_replaced(public_key, parties, key):
    cheat = ForgingParty("bank-c", key[1][2])
    result = run(public_key, [parties[0], parties[1], cheat, parties[3]], [("u1", [3]), ("u2", [4])])
    assert result.totals == (7.0,)
    assert result.rejected == ("bank-c",)
    assert result.decrypted_by == ("hospital-a", "hospital-b", "lab-d")


def test_a_party_replaying_another_partys_partials_is_named(public_key, parties, key):
    cheat = ImpersonatingParty("lab-d", key[1][3], parties[0])
    result = run(public_key, [cheat, parties[1], parties[2], parties[4]], [("u1", [1])])
    assert result.rejected == ("lab-d",)
    assert result.totals == (1.0,)


def test_too_few_honest_parties_raise_naming_the_cheats(public_key, parties, key):
    cheats = [ForgingParty(NAMES[i], key[1][i]) for i in (0, 1)]
    with pytest.raises(CheatingPartiesError, match="hospital-a, hospital-b") as info:
        run(public_key, [*cheats, parties[2], parties[3]], [("u1", [1])])
    assert info.value.names == ("hospital-a", "hospital-b")
    assert isinstance(info.value, VerificationError)


def test_t_minus_one_parties_cannot_decrypt(public_key, parties):
    with pytest.raises(CheatingPartiesError, match="only 2 of the 3"):
        run(public_key, parties[:2], [("u1", [1])])


def test_a_second_contribution_from_one_user_is_refused(public_key):
    cloud = AggregationCloud(public_key, length=1)
    user = enrol(cloud, "u1", public_key)
    cloud.submit(user.contribute([1], round_id=cloud.round_id))
    with pytest.raises(InvalidInputError, match="already contributed"):
        cloud.submit(user.contribute([2], round_id=cloud.round_id))


def test_a_contribution_of_the_wrong_length_is_refused_and_its_sender_excluded(public_key):
    cloud = AggregationCloud(public_key, length=2)
    with pytest.raises(MalformedContributionError, match="expected 2"):
        cloud.submit(enrol(cloud, "u1", public_key).contribute([1], round_id=cloud.round_id))
    assert cloud.excluded == ("u1",)


def test_a_contribution_under_another_encoding_is_refused_and_its_sender_excluded(public_key):
    cloud = AggregationCloud(public_key, length=1)
    other = enrol(cloud, "u1", public_key, encoding=FixedPoint(public_key.n, 8))
    with pytest.raises(MalformedContributionError, match="another key or encoding"):
        cloud.submit(other.contribute([1], round_id=cloud.round_id))
    assert cloud.excluded == ("u1",)


# ---- malicious contributors (issue 24, finding 3) ----------------------------------------------


def a_prime_factor_of(n: int) -> int:
    """p of the fixture's seeded key, found by replaying its seeded generator (tests only)."""
    p = int(safe_prime(512, random.Random(42)))
    assert n % p == 0 and 1 < p < n
    return p


@pytest.mark.parametrize("bad", ["n", "7n", "p", "3p", "zero", "n_squared"])
def test_a_non_unit_ciphertext_is_refused_naming_its_sender_and_the_round_finishes(public_key, parties, bad):
    """Not a range check alone: p and 3p are in range and not multiples of n, yet not units."""
    n = public_key.n
    p = a_prime_factor_of(n)
    value = {"n": n, "7n": 7 * n, "p": p, "3p": 3 * p, "zero": 0, "n_squared": n * n}[bad]
    cloud = AggregationCloud(public_key, length=1)
    cloud.submit(enrol(cloud, "u1", public_key).contribute([2], round_id=cloud.round_id))
    mallory = enrol(cloud, "mallory", public_key)
    forged = EncryptedVector(public_key.paillier, cloud.encoding, (value,))
    with pytest.raises(MalformedContributionError, match=r"mallory.*not a unit") as info:
        cloud.submit(mallory.sign(forged, round_id=cloud.round_id))
    assert info.value.contributor == "mallory"
    cloud.submit(enrol(cloud, "u2", public_key).contribute([3], round_id=cloud.round_id))
    result = cloud.decrypt(parties)
    assert result.totals == (5.0,)
    assert result.excluded == ("mallory",) and result.contributors == ("u1", "u2")


def test_an_excluded_contributor_cannot_submit_again_in_the_round(public_key):
    cloud = AggregationCloud(public_key, length=1)
    mallory = enrol(cloud, "mallory", public_key)
    with pytest.raises(MalformedContributionError):
        forged = EncryptedVector(public_key.paillier, cloud.encoding, (public_key.n,))
        cloud.submit(mallory.sign(forged, round_id=cloud.round_id))
    with pytest.raises(AccessDeniedError, match="excluded"):
        cloud.submit(mallory.contribute([1], round_id=cloud.round_id))


def test_a_contribution_under_someone_elses_name_is_refused(public_key):
    cloud = AggregationCloud(public_key, length=1)
    enrol(cloud, "hospital-a", public_key)
    mallory = Contributor("hospital-a", public_key)  # claims the name, holds another key
    with pytest.raises(VerificationError, match="not by"):
        cloud.submit(mallory.contribute([10**6], round_id=cloud.round_id))
    assert cloud.contributors == () and cloud.excluded == ()


def test_a_contribution_from_an_unregistered_name_is_refused(public_key):
    cloud = AggregationCloud(public_key, length=1)
    with pytest.raises(AccessDeniedError, match="not a registered contributor"):
        cloud.submit(Contributor("stranger", public_key).contribute([1], round_id=cloud.round_id))
    assert cloud.contributors == () and cloud.excluded == ()


def test_a_contribution_signed_for_another_round_is_refused(public_key):
    earlier = AggregationCloud(public_key, length=1)
    cloud = AggregationCloud(public_key, length=1)
    user = enrol(cloud, "u1", public_key)
    with pytest.raises(VerificationError, match="signed for round"):
        cloud.submit(user.contribute([1], round_id=earlier.round_id))
    assert cloud.contributors == () and cloud.excluded == ()


def test_a_contribution_whose_ciphertext_was_changed_after_signing_is_refused(public_key):
    cloud = AggregationCloud(public_key, length=1)
    user = enrol(cloud, "u1", public_key)
    signed = user.contribute([1], round_id=cloud.round_id)
    other = user.contribute([2], round_id=cloud.round_id).vector
    with pytest.raises(VerificationError, match="not by"):
        cloud.submit(Contribution("u1", other, signed.round_id, signed.signature))


def test_a_contribution_carries_the_rounds_bound_not_the_magnitudes_of_its_values(public_key):
    """A freshly encrypted vector tracks each |m| exactly; what goes to the cloud must not."""
    cloud = AggregationCloud(public_key, length=3)
    user = enrol(cloud, "u1", public_key)
    contribution = user.contribute([1, -250, 0.5], round_id=cloud.round_id)
    assert contribution.vector.bounds == (user.bound,) * 3


def test_a_signed_vector_beyond_the_rounds_bound_carries_the_encodings_max_int(public_key):
    cloud = AggregationCloud(public_key, length=1)
    user = enrol(cloud, "u1", public_key)
    beyond = 2 * user.bound >> user.encoding.fraction_bits  # twice the bound, in value units
    vector = EncryptedVector.encrypt(public_key.paillier, [beyond], encoding=user.encoding)
    assert user.sign(vector, round_id=cloud.round_id).vector.bounds == (user.encoding.max_int,)


def test_a_contribution_under_the_high_s_twin_of_its_signature_is_refused(public_key):
    cloud = AggregationCloud(public_key, length=1)
    user = enrol(cloud, "u1", public_key)
    signed = user.contribute([1], round_id=cloud.round_id)
    with pytest.raises(VerificationError, match="not canonical"):
        cloud.submit(replace(signed, signature=high_s_twin(signed.signature)))
    assert cloud.contributors == () and cloud.excluded == ()


def test_a_registered_contributor_can_still_shift_the_total_by_any_value(public_key, parties):
    """The semi-honest limit the README states: no range proofs, any value of Z_n is accepted."""
    result = run(public_key, parties, [("u1", [2]), ("mallory", [10**9])])
    assert result.totals == (1_000_000_002.0,) and result.excluded == ()


def test_decrypting_nothing_is_refused(public_key, parties):
    with pytest.raises(InvalidInputError, match="no contributions"):
        AggregationCloud(public_key, length=1).decrypt(parties)


def test_two_parties_with_one_share_are_refused(public_key, parties, key):
    cloud = AggregationCloud(public_key, length=1)
    cloud.submit(enrol(cloud, "u1", public_key).contribute([1], round_id=cloud.round_id))
    with pytest.raises(InvalidInputError, match="same key share"):
        cloud.decrypt([parties[0], DecryptionParty("copy", key[1][0]), parties[1]])


def test_the_cloud_holds_only_ciphertexts(public_key):
    cloud = AggregationCloud(public_key, length=1)
    cloud.submit(enrol(cloud, "u1", public_key).contribute([123], round_id=cloud.round_id))
    aggregate = cloud.aggregate()
    assert all(int(c) != 123 for c in aggregate.ciphertexts)
    assert aggregate.public_key == public_key.paillier


# ---- overflow across contributors (issue 12) ---------------------------------------------------


def near_max_value(cloud) -> float:
    """0.9 of the largest value the encoding holds: three such sum past the overflow gap."""
    return cloud.encoding.max_value() * 0.9


def test_three_contributions_near_the_range_raise_instead_of_wrapping(public_key, parties):
    """Before issue 12 this decrypted to a wrong total: 2.7 · max_int wrapped past the gap."""
    cloud = AggregationCloud(public_key, length=1)
    big = near_max_value(cloud)
    with pytest.raises(EncodingOverflowError):
        for name in ("u1", "u2", "u3"):
            cloud.submit(enrol(cloud, name, public_key).contribute([big], round_id=cloud.round_id))
        cloud.decrypt(parties)


def test_a_contributor_refuses_values_beyond_the_per_contribution_bound(public_key):
    cloud = AggregationCloud(public_key, length=1, max_contributors=4)
    user = enrol(cloud, "u1", public_key, max_contributors=4)
    with pytest.raises(EncodingOverflowError, match="per-contribution bound"):
        user.contribute([cloud.encoding.max_value() / 3], round_id=cloud.round_id)


def test_a_contribution_beyond_max_contributors_is_refused_and_not_folded_in(public_key, parties):
    cloud = AggregationCloud(public_key, length=1, max_contributors=2)
    for name, value in (("u1", 3), ("u2", 4)):
        cloud.submit(enrol(cloud, name, public_key, max_contributors=2).contribute([value], round_id=cloud.round_id))
    late = enrol(cloud, "u3", public_key, max_contributors=2)
    with pytest.raises(EncodingOverflowError, match="its limit"):
        cloud.submit(late.contribute([5], round_id=cloud.round_id))
    assert cloud.contributors == ("u1", "u2")
    assert cloud.decrypt(parties).totals == (7.0,)


def test_the_cloud_ignores_the_bound_a_contribution_claims(public_key):
    cloud = AggregationCloud(public_key, length=1, max_contributors=2)
    mallory = enrol(cloud, "mallory", public_key)
    claimed = EncryptedVector.encrypt(public_key.paillier, [1], encoding=cloud.encoding)
    assert claimed.bounds == (1 << cloud.encoding.fraction_bits,)
    cloud.submit(mallory.sign(claimed, round_id=cloud.round_id))
    assert cloud.aggregate().bounds == (cloud.encoding.max_int // 2,)
