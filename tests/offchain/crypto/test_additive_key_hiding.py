"""The additive key's hiding argument, measured on dealt keys (offchain.crypto.additive_threshold_paillier).

The module docstring argues that p − 1 parties learn nothing about λ: the multiplier c is the
one anyone computes from n, T = c·λ lies in a window of width W that n alone fixes, and a
coalition missing party j < p sees T − d_j with d_j uniform on [0, 2^B), whose law moves by
|T − T'| / 2^B when T is replaced by a T' of that window. These tests compute each of those
quantities for real dealings and hold them to the bounds the docstring states, so that a dealer
with too small shares, or a multiplier that depends on more than n, fails here.
"""

from __future__ import annotations

import math
import random

import gmpy2
import pytest

import offchain.crypto.additive_threshold_paillier as atp
from offchain.errors import InvalidInputError


def public_window(n: int, parties: int, share_bits: int) -> tuple[int, int, int]:
    """What anyone computes from n: the multiplier c and the bounds of T = c·λ.

    λ = (n + 1 − P − Q)/2 for safe primes P, Q of |n|/2 bits: 2√n ≤ P + Q < 2^(|n|/2 + 1).
    """
    root = int(gmpy2.isqrt(n))
    lam_high = (n + 1 - 2 * root) // 2
    lam_low = (n + 1 - (1 << (n.bit_length() // 2 + 1))) // 2
    needed = (parties - 1) << share_bits
    c_from_high, c_from_low = -(-needed // lam_high), -(-needed // lam_low)
    assert c_from_high == c_from_low, "c is not fixed by n"
    return c_from_high, c_from_high * lam_low, c_from_high * lam_high


@pytest.fixture(scope="module", params=[(1024, 2), (1024, 3), (1024, 5)], ids=lambda k: f"{k[0]}-bit-p{k[1]}")
def dealt(request):
    bits, parties = request.param
    return atp.generate_additive_keypair(bits, parties, rng=random.Random(7000 + parties))


def total(dealt) -> int:
    return sum(share.share for share in dealt[1])


def test_the_multiplier_is_the_one_anyone_computes_from_n(dealt):
    public, _ = dealt
    c, low, high = public_window(public.n, public.parties, public.share_bits)
    assert total(dealt) % c == 0
    assert low <= total(dealt) <= high


def test_the_public_window_of_t_is_narrower_than_the_docstring_bound(dealt):
    """c·W < 2^⌈|n|/2⌉ with c = 1."""
    public, _ = dealt
    c, low, high = public_window(public.n, public.parties, public.share_bits)
    assert c == 1
    assert (high - low).bit_length() <= -(-public.n.bit_length() // 2)


def test_a_coalition_missing_one_party_sees_a_view_a_key_simulated_from_n_alone_gives(dealt):
    """Statistical distance between T − d_j and T' − d_j (d_j uniform on 2^B) is |T − T'| / 2^B
    for every T' of the public window: below 2^−(σ+2), the docstring's bound."""
    public, _ = dealt
    _, low, high = public_window(public.n, public.parties, public.share_bits)
    worst = max(total(dealt) - low, high - total(dealt))
    distance_bits = math.log2(worst) - public.share_bits
    assert distance_bits < -(atp.STATISTICAL_BITS + 2)


def test_a_key_with_shares_too_small_to_cover_the_window_is_refused(dealt):
    """B one bit below ⌈|n|/2⌉ + 2 + σ would let the distance pass 2^−(σ+2)."""
    public, _ = dealt
    data = public.to_dict()
    data["share_bits"] = atp.share_bits_for(public.n.bit_length()) - 1
    with pytest.raises(InvalidInputError, match="would not hide"):
        atp.AdditivePublicKey.from_dict(data)


def test_shares_of_a_coalition_without_the_last_party_fill_their_whole_range(dealt):
    """d_1 … d_(p−1) are uniform on [0, 2^B): their top bits are used (a dealer drawing them
    below 2^|λ| would leave the top σ = 128 bits zero; a uniform draw has 16 leading zeros with
    probability 2^−16)."""
    public, shares = dealt
    assert public.share_bits - max(share.share.bit_length() for share in shares[:-1]) < 16
