"""A verifiable ACJT setup (issue 12): the framing attack of a manager who relates the bases."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import gmpy2
import pytest
from gmpy2 import mpz

from offchain.crypto import group_signature as gs
from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError, OffchainError, VerificationError
from tests.helpers import oversized_group_key

BITS = 1024
MESSAGE = b"an upload the innocent member never made"
SEED = bytes(range(32))
KAT_BASES_DIGEST = "62827c06d475040a62c148dc67013d736e038560c26a7193a2a22b93a458c606"


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
    return signature, gs.open_signature(manager_key, MESSAGE, signature, verified=True)


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


def test_a_rigged_base_is_refused_when_the_key_is_loaded(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    rigged = replace(pk, a0=gmpy2.powmod(pk.a, 12345, pk.n))
    with pytest.raises(VerificationError, match="a0 is not the base derived from the group's seed"):
        gs.GroupPublicKey.from_json(rigged.to_json())


def test_verify_refuses_a_group_key_with_a_rigged_base(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    rigged = replace(pk, a0=gmpy2.powmod(pk.a, 12345, pk.n))
    member = gs.join(gs.GroupManager(replace(honest_key, public=rigged)))
    with pytest.raises(VerificationError, match="a0 is not the base derived from the group's seed"):
        gs.verify(rigged, MESSAGE, gs.sign(member, MESSAGE))


# --- bases hashed from the seed -----------------------------------------------------------------


def test_the_bases_are_those_derived_from_the_seed(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    assert gs.derive_bases(pk.n, pk.seed) == {"a": pk.a, "a0": pk.a0, "g": pk.g, "h": pk.h}


def test_base_derivation_known_answer() -> None:
    bases = gs.derive_bases((1 << 1023) + 1155, bytes(range(32)))
    digest = keccak256(b"".join(int(bases[name]).to_bytes(128, "big") for name in ("a", "a0", "g", "h")))
    assert digest.hex() == KAT_BASES_DIGEST


def test_different_seeds_give_unrelated_bases(honest_key: gs.GroupManagerKey) -> None:
    n = honest_key.public.n
    first, second = gs.derive_bases(n, bytes(32)), gs.derive_bases(n, b"\x01" + bytes(31))
    assert not set(first.values()) & set(second.values())


@pytest.mark.parametrize("name", ["a", "a0", "g", "h"])
def test_a_tampered_base_fails_the_setup_check(honest_key: gs.GroupManagerKey, name: str) -> None:
    pk = honest_key.public
    tampered = replace(pk, **{name: getattr(pk, name) * 4 % pk.n})
    with pytest.raises(VerificationError, match=f"{name} is not the base derived"):
        gs.check_group_setup(tampered)


def test_a_wrong_seed_fails_the_setup_check(honest_key: gs.GroupManagerKey) -> None:
    data = honest_key.public.to_dict()
    data["seed"] = "0x" + bytes(a ^ 1 for a in honest_key.public.seed).hex()
    with pytest.raises(VerificationError, match="not the base derived from the group's seed"):
        gs.GroupPublicKey.from_dict(data)


@pytest.mark.parametrize("seed", ["0x1234", "00" * 32, "0x" + "zz" * 32, None])
def test_a_malformed_seed_is_refused(honest_key: gs.GroupManagerKey, seed: object) -> None:
    data = honest_key.public.to_dict()
    data["seed"] = seed
    with pytest.raises(InvalidInputError, match="seed"):
        gs.GroupPublicKey.from_dict(data)


def test_base_derivation_rejects_degenerate_candidates_of_a_tiny_modulus() -> None:
    with pytest.raises(InvalidInputError, match="candidates were degenerate"):
        gs.derive_bases(15, bytes(32))  # QR(15) = {1, 4} and 4 − 1 shares the factor 3


# --- the proof that n is a Paillier–Blum modulus ------------------------------------------------


def _blum_prime(bits: int, rng: random.Random) -> mpz:
    while True:
        p = gmpy2.next_prime(mpz(rng.getrandbits(bits)) | (mpz(1) << (bits - 1)))
        if p % 4 == 3:
            return p


def _prime_1_mod_4(bits: int, rng: random.Random) -> mpz:
    while True:
        p = gmpy2.next_prime(mpz(rng.getrandbits(bits)) | (mpz(1) << (bits - 1)))
        if p % 4 == 1:
            return p


def _sqrt_mod_prime(v: mpz, p: mpz) -> mpz:
    """Tonelli–Shanks (v a quadratic residue mod the odd prime p)."""
    s, q = 0, p - 1
    while q % 2 == 0:
        s, q = s + 1, q // 2
    z = mpz(2)
    while gmpy2.legendre(z, p) != -1:
        z += 1
    m, c, t, r = s, gmpy2.powmod(z, q, p), gmpy2.powmod(v, q, p), gmpy2.powmod(v, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
        b = gmpy2.powmod(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


def _fourth_root_mod(v: mpz, p: mpz, k: int) -> mpz | None:
    """A fourth root of v modulo p^k, or None (p^k with k > 1 only for p ≡ 3 mod 4)."""
    if gmpy2.legendre(v % p, p) != 1:
        return None
    if k > 1:  # QR(p^k) has odd order p^(k-1)(p-1)/2: raising to 1/4 is a power
        order = p ** (k - 1) * (p - 1) // 2
        return gmpy2.powmod(v, gmpy2.invert(4, order), p**k)
    for root in (s := _sqrt_mod_prime(v % p, p), p - s):
        if gmpy2.legendre(root, p) == 1:
            return _sqrt_mod_prime(root, p)
    return None


def _crt(residues: list[tuple[mpz, mpz]]) -> mpz:
    value, modulus = mpz(0), mpz(1)
    for r, m in residues:
        value += modulus * ((r - value) * gmpy2.invert(modulus, m) % m)
        modulus *= m
    return value


def _fourth_roots(n: mpz, factors: list[tuple[mpz, int]], w: mpz, seed: bytes) -> list[tuple[mpz, int, int]]:
    """Each challenge's fourth root when one exists, else the placeholder (1, 0, 0)."""
    roots: list[tuple[mpz, int, int]] = []
    for y in gs._modulus_challenges(n, seed, w, gs.BLUM_ROUNDS):
        found = (mpz(1), 0, 0)
        for a, b in ((0, 0), (1, 0), (0, 1), (1, 1)):
            v = (-y if a else y) * (w if b else 1) % n
            parts = [_fourth_root_mod(v % p**k, p, k) for p, k in factors]
            if all(part is not None for part in parts):
                found = (_crt([(mpz(part), p**k) for part, (p, k) in zip(parts, factors, strict=True)]), a, b)
                break
        roots.append(found)
    return roots


def _best_effort_proof(factors: list[tuple[mpz, int]], seed: bytes) -> tuple[mpz, gs.ModulusProof]:
    """A prover who knows the factorisation of a bad modulus, tries several w and answers every
    challenge it can (a root exists for the n-th-root test only when gcd(n, φ(p^k)) = 1)."""
    n = mpz(1)
    for p, k in factors:
        n *= p**k
    rng = random.Random(7)
    candidates = [v for v in (mpz(rng.getrandbits(n.bit_length())) % n for _ in range(64)) if gmpy2.jacobi(v, n) == -1]
    tries = [(w, _fourth_roots(n, factors, w, seed)) for w in candidates[:6]]
    w, roots = max(tries, key=lambda t: sum(1 for x, _, _ in t[1] if x != 1))
    nth: list[mpz] = []
    for y in gs._modulus_challenges(n, seed, w, gs.SQUARE_FREE_ROUNDS):
        residues = []
        for p, k in factors:
            order = p ** (k - 1) * (p - 1)
            root = gmpy2.powmod(y, gmpy2.invert(n, order), p**k) if gmpy2.gcd(n, order) == 1 else mpz(1)
            residues.append((root, p**k))
        nth.append(_crt(residues))
    return n, gs.ModulusProof(w, tuple(roots), tuple(nth))


def test_a_key_of_more_than_4096_bits_is_refused_before_its_modulus_is_tested(honest_key: gs.GroupManagerKey) -> None:
    """A group key arrives from strangers with an anonymous upload; one whose 16,384-bit n has
    no small factor and bases derived from the seed passed every cheap check, so loading it ran
    the primality test of n, whose time grows as its size cubed (minutes at 2^18 bits)."""
    oversized = oversized_group_key(honest_key.public, 16_384)
    with pytest.raises(InvalidInputError, match="modulus size must be even and of 1024 to 4096 bits"):
        gs.GroupPublicKey.from_dict(oversized)


def test_the_honest_modulus_proof_verifies(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    assert gs.modulus_proof_failure(pk.n, pk.seed, pk.setup_proof) is None


def test_the_modulus_proof_round_trips_through_json(honest_key: gs.GroupManagerKey) -> None:
    proof = honest_key.public.setup_proof
    assert gs.ModulusProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof


def test_the_modulus_proof_is_bound_to_the_seed(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    assert "fourth root 0 fails" in str(gs.modulus_proof_failure(pk.n, bytes(32), pk.setup_proof))


def test_a_tampered_modulus_proof_fails_when_the_key_is_loaded(honest_key: gs.GroupManagerKey) -> None:
    data = honest_key.public.to_dict()
    data["setup_proof"]["z"][3] = hex(int(data["setup_proof"]["z"][3], 16) + 1)
    with pytest.raises(VerificationError, match="n-th root 3 fails"):
        gs.GroupPublicKey.from_dict(data)


def test_a_modulus_with_a_third_prime_factor_fails_the_proof() -> None:
    rng = random.Random(3)
    n, proof = _best_effort_proof([(_blum_prime(340, rng), 1) for _ in range(3)], SEED)
    assert "n is not a product of two primes" in str(gs.modulus_proof_failure(n, SEED, proof))


def test_a_modulus_with_a_square_factor_fails_the_proof() -> None:
    rng = random.Random(4)
    n, proof = _best_effort_proof([(_blum_prime(256, rng), 2), (_blum_prime(512, rng), 1)], SEED)
    assert gs.modulus_proof_failure(n, SEED, proof) == "n-th root 0 fails (n is not square-free)"


def test_a_modulus_with_a_prime_1_mod_4_fails_the_proof() -> None:
    rng = random.Random(5)
    n, proof = _best_effort_proof([(_prime_1_mod_4(512, rng), 1), (_blum_prime(512, rng), 1)], SEED)
    assert "n is not a product of two primes" in str(gs.modulus_proof_failure(n, SEED, proof))


def test_a_prime_modulus_fails_the_proof(honest_key: gs.GroupManagerKey) -> None:
    p = 2 * honest_key.p_prime + 1
    assert gs.modulus_proof_failure(p, SEED, honest_key.public.setup_proof) == "n is even or prime"


def test_a_prime_modulus_whose_every_root_exists_is_refused_by_the_primality_test_alone(monkeypatch) -> None:
    """For a prime n every challenge has its roots, so the proof is the prover's to forge: only
    the primality test (BPSW, which no prime fails) refuses it."""
    n, proof = _best_effort_proof([(_blum_prime(1024, random.Random(8)), 1)], SEED)
    assert gs.modulus_proof_failure(n, SEED, proof) == "n is even or prime"
    monkeypatch.setattr(gs.gmpy2, "is_strong_bpsw_prp", lambda _: False)
    assert gs.modulus_proof_failure(n, SEED, proof) is None


def test_a_modulus_with_a_small_factor_fails_the_proof() -> None:
    p, q = mpz(65519), _blum_prime(1008, random.Random(6))  # 65519 ≡ 3 (mod 4), below 2^16
    proof = gs.prove_modulus(p, q, SEED)
    assert gs.modulus_proof_failure(p * q, SEED, proof) == "n has a prime factor below 65536"


def test_the_prover_refuses_primes_that_are_not_3_mod_4() -> None:
    with pytest.raises(InvalidInputError, match="3 \\(mod 4\\)"):
        gs.prove_modulus(mpz(13), mpz(7), SEED)


def test_the_modulus_proof_does_not_exclude_blum_primes_that_are_not_safe() -> None:
    """The limitation stated in the module docstring: p' = (p − 1)/2 is not shown to be prime."""
    rng = random.Random(8)
    p, q = _blum_prime(512, rng), _blum_prime(512, rng)
    assert not gmpy2.is_prime((p - 1) // 2) and not gmpy2.is_prime((q - 1) // 2)
    assert gs.modulus_proof_failure(p * q, SEED, gs.prove_modulus(p, q, SEED)) is None


def test_the_fingerprint_covers_the_seed_and_the_setup_proof(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    other_proof = replace(pk.setup_proof, nth_roots=pk.setup_proof.nth_roots[::-1])
    assert replace(pk, seed=bytes(32)).fingerprint() != pk.fingerprint()
    assert replace(pk, setup_proof=other_proof).fingerprint() != pk.fingerprint()


@pytest.mark.parametrize(
    ("proof", "message"),
    [
        (None, "expected a JSON object"),
        ({"w": "0x3", "x": ["0x1"], "ab": "", "z": []}, "ab a string as long as x"),
        ({"w": "0x3", "x": ["0x1"], "ab": "4", "z": []}, "digits 0-3"),
        ({"w": "3", "x": [], "ab": "", "z": []}, "hex string"),
    ],
)
def test_a_malformed_setup_proof_is_refused(honest_key: gs.GroupManagerKey, proof: object, message: str) -> None:
    data = honest_key.public.to_dict()
    data["setup_proof"] = proof
    with pytest.raises(InvalidInputError, match=message):
        gs.GroupPublicKey.from_dict(data)


def test_a_setup_proof_with_too_few_rounds_is_refused(honest_key: gs.GroupManagerKey) -> None:
    pk = honest_key.public
    short = replace(pk.setup_proof, fourth_roots=pk.setup_proof.fourth_roots[:-1])
    assert "128 fourth roots" in str(gs.modulus_proof_failure(pk.n, pk.seed, short))
