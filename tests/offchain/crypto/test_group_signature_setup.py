"""A verifiable ACJT setup (issue 12): the framing attack of a manager who relates the bases."""

from __future__ import annotations

from dataclasses import replace

import gmpy2
import pytest
from gmpy2 import mpz

from offchain.crypto import group_signature as gs
from offchain.errors import OffchainError

BITS = 1024
MESSAGE = b"an upload the innocent member never made"


@pytest.fixture(scope="module")
def honest_key() -> gs.GroupManagerKey:
    return gs.generate_group(BITS)


def _framing_signature(
    manager_key: gs.GroupManagerKey, victim: gs.MemberKey, k: mpz
) -> tuple[gs.GroupSignature, gs.Opening]:
    """The manager, who knows the order p'q' of QR(n) and k = log_a a0, signs with the victim's
    certificate A and the witness e' = m p'q' ∈ Γ, x' ≡ −k (mod p'q') in Λ: A^{e'} = 1 = a0 a^{x'},
    so the signature of knowledge holds although the manager never learns x_i."""
    pr = manager_key.public.params
    order = manager_key.p_prime * manager_key.q_prime
    e_forged = ((mpz(1) << pr.gamma1) // order + 1) * order
    x_forged = (mpz(1) << pr.lambda1) + (-k - (mpz(1) << pr.lambda1)) % order
    assert gs._in_gamma(pr, e_forged) and gs._in_lambda(pr, x_forged)
    forged_key = gs.MemberKey(manager_key.public, victim.a_cert, e_forged, x_forged)
    signature = gs.sign(forged_key, MESSAGE)
    return signature, gs.open_signature(manager_key, MESSAGE, signature)


def _framing_is_accepted(published: str, signature: gs.GroupSignature, opening: gs.Opening, victim: mpz) -> bool:
    """What a verifier concludes from the published group key, the signature and the opening."""
    try:
        group = gs.GroupPublicKey.from_json(published)
    except OffchainError:
        return False  # the verifier refuses the group key
    return (
        gs.verify(group, MESSAGE, signature)
        and gs.verify_opening(group, MESSAGE, signature, opening)
        and opening.certificate == victim
    )


def test_a_manager_who_chooses_a0_as_a_power_of_a_cannot_frame_an_innocent_member(
    honest_key: gs.GroupManagerKey,
) -> None:
    pk, n = honest_key.public, honest_key.public.n
    k = mpz(0xC0FFEE) << 300
    rigged = replace(honest_key, public=replace(pk, a0=gmpy2.powmod(pk.a, k, n)))
    victim = gs.join(gs.GroupManager(rigged))  # an honest join: the manager never learns x_i
    signature, opening = _framing_signature(rigged, victim, k)
    assert not _framing_is_accepted(rigged.public.to_json(), signature, opening, victim.certificate)
