"""The secure comparison of secureSVM (Shen, Zhu, Xu ch. 4, Algorithm 2): correctness and leakage."""

from __future__ import annotations

import pytest
from scipy.stats import ks_2samp

from offchain.crypto.paillier import FixedPoint, encrypt_raw, generate_keypair
from offchain.crypto.secure_comparison import (
    ComparisonBlinder,
    ComparisonBoundError,
    ComparisonKeyHolder,
    ComparisonVariant,
    MalformedCiphertextError,
)

F = 16  # fraction bits: a margin m is the integer d = (m − 1) · 2^(2F)
VALUE_BOUND = 1 << 48
SAMPLES = 300


@pytest.fixture(scope="module")
def keys():
    return generate_keypair(512)


@pytest.fixture(scope="module")
def holder(keys):
    return ComparisonKeyHolder(keys[1])


def encrypt_int(public_key, value):
    return encrypt_raw(public_key, FixedPoint.for_key(public_key, 0).encode(value))


def compare(keys, holder, variant, d):
    blinder = ComparisonBlinder(keys[0], VALUE_BOUND, variant=variant)
    blinded, secret = blinder.blind(encrypt_int(keys[0], d))
    return keys[1].raw_decrypt(int(blinder.unblind(holder.answer(blinded), secret)))


@pytest.mark.parametrize("variant", list(ComparisonVariant))
@pytest.mark.parametrize("d", [-(1 << 40), -7, -1, 0, 1, 5, 1 << 44])
def test_the_blinder_obtains_an_encryption_of_d_below_zero(keys, holder, variant, d):
    assert compare(keys, holder, variant, d) == (1 if d < 0 else 0)


def views(keys, holder, variant, margin):
    blinder = ComparisonBlinder(keys[0], VALUE_BOUND, variant=variant)
    d = round((margin - 1) * 2 ** (2 * F))
    ciphertext = encrypt_int(keys[0], d)
    # float() is monotone, and a two-sample Kolmogorov-Smirnov test is invariant under monotone maps
    return [float(holder.view(blinder.blind(ciphertext)[0])) for _ in range(SAMPLES)]


def test_the_default_view_of_the_key_holder_does_not_separate_margins_half_and_fifty(keys, holder):
    small = views(keys, holder, ComparisonVariant.BLINDED, 0.5)
    large = views(keys, holder, ComparisonVariant.BLINDED, 50)
    assert ks_2samp(small, large).pvalue > 1e-3


def test_the_paper_view_of_the_key_holder_separates_margins_half_and_fifty(keys, holder):
    small = views(keys, holder, ComparisonVariant.PAPER, 0.5)
    large = views(keys, holder, ComparisonVariant.PAPER, 50)
    assert ks_2samp(small, large).pvalue < 1e-6


def test_the_default_sign_seen_by_the_key_holder_is_a_coin_flip(keys, holder):
    negatives = sum(v < 0 for v in views(keys, holder, ComparisonVariant.BLINDED, 50))
    assert 0.35 * SAMPLES < negatives < 0.65 * SAMPLES


def test_a_value_bound_too_large_for_the_key_is_refused(keys):
    with pytest.raises(ComparisonBoundError, match="bits of blinding range"):
        ComparisonBlinder(keys[0], 1 << 460)


def test_a_blinded_value_outside_the_ciphertext_space_is_refused(keys, holder):
    with pytest.raises(MalformedCiphertextError):
        holder.answer(keys[0].nsquare + 5)


def test_a_ciphertext_sharing_a_factor_with_n_is_refused(keys):
    blinder = ComparisonBlinder(keys[0], VALUE_BOUND)
    with pytest.raises(MalformedCiphertextError):
        blinder.blind(keys[1].p)
