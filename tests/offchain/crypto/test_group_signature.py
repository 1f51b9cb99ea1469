"""ACJT group signatures (Huang et al. 2020 §3.3; ACJT 2000 §4): keys, join, sign, verify, open."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import gmpy2
import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import group_signature as gs
from offchain.crypto.primes import random_prime_in_interval
from offchain.errors import InvalidInputError, VerificationError

BITS = 1024
MESSAGE = b"merkle root of an upload"


@pytest.fixture(scope="module")
def manager_key() -> gs.GroupManagerKey:
    return gs.generate_group(BITS)


@pytest.fixture(scope="module")
def manager(manager_key: gs.GroupManagerKey) -> gs.GroupManager:
    return gs.GroupManager(manager_key)


@pytest.fixture(scope="module")
def alice(manager: gs.GroupManager) -> gs.MemberKey:
    return gs.join(manager)


@pytest.fixture(scope="module")
def bob(manager: gs.GroupManager) -> gs.MemberKey:
    return gs.join(manager)


@pytest.fixture(scope="module")
def other_group() -> gs.GroupManager:
    return gs.GroupManager(gs.generate_group(BITS))


@pytest.fixture(scope="module")
def outsider(other_group: gs.GroupManager) -> gs.MemberKey:
    return gs.join(other_group)


@pytest.fixture(scope="module")
def signature(alice: gs.MemberKey) -> gs.GroupSignature:
    return gs.sign(alice, MESSAGE)


# --- parameters and keys ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [1024, 2048, 3072, 4096])
def test_parameters_satisfy_the_acjt_inequalities(bits: int) -> None:
    p = gs.GroupParameters.for_modulus(bits)
    eps = p.epsilon
    assert p.lp == bits // 2 - 1
    assert p.lambda2 > 4 * p.lp
    assert p.lambda1 > eps * (p.lambda2 + p.k) + 2
    assert p.gamma2 > p.lambda1 + 2
    assert p.gamma1 > eps * (p.gamma2 + p.k) + 2
    assert eps > 1
    assert (eps - 1) * (2 * p.lp + p.k) >= gs.SLACK_BITS  # the smallest nonce's statistical slack


@pytest.mark.parametrize("bits", [512, 1023, 1025, 4098, 8192, 1 << 20, True, "2048"])
def test_parameters_reject_bad_modulus_sizes(bits: object) -> None:
    with pytest.raises(InvalidInputError, match="modulus size"):
        gs.GroupParameters.for_modulus(bits)  # type: ignore[arg-type]


def test_generated_modulus_is_a_product_of_safe_primes(manager_key: gs.GroupManagerKey) -> None:
    p1, q1 = manager_key.p_prime, manager_key.q_prime
    assert all(gmpy2.is_prime(v) for v in (p1, q1, 2 * p1 + 1, 2 * q1 + 1))
    assert (2 * p1 + 1) * (2 * q1 + 1) == manager_key.public.n
    assert manager_key.public.n.bit_length() == BITS


def test_group_elements_generate_the_quadratic_residues(manager_key: gs.GroupManagerKey) -> None:
    pk, n = manager_key.public, manager_key.public.n
    for v in (pk.a, pk.a0, pk.g, pk.h, pk.y):
        assert manager_key.is_quadratic_residue(v)
        assert gmpy2.powmod(v, manager_key.p_prime, n) != 1 and gmpy2.powmod(v, manager_key.q_prime, n) != 1
    assert gmpy2.powmod(pk.g, manager_key.x, n) == pk.y


def test_seeded_keygen_is_reproducible() -> None:
    first = gs.generate_group(BITS, rng=random.Random(2020))
    second = gs.generate_group(BITS, rng=random.Random(2020))
    assert first == second
    assert first.public.fingerprint() == second.public.fingerprint()


def test_public_key_json_round_trip(manager_key: gs.GroupManagerKey) -> None:
    pk = manager_key.public
    assert gs.GroupPublicKey.from_json(pk.to_json()) == pk
    assert gs.GroupPublicKey.from_json(pk.to_json()).fingerprint() == pk.fingerprint()


def test_manager_and_member_keys_json_round_trip(manager_key: gs.GroupManagerKey, alice: gs.MemberKey) -> None:
    assert gs.GroupManagerKey.from_json(manager_key.to_json()) == manager_key
    assert gs.MemberKey.from_json(alice.to_json()) == alice


def test_fingerprint_changes_with_any_element(manager_key: gs.GroupManagerKey) -> None:
    pk = manager_key.public
    assert replace(pk, h=pk.h * pk.h % pk.n).fingerprint() != pk.fingerprint()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format", "other", "format"),
        ("n", "0x" + "f" * 10, "odd 1024-bit"),
        ("g", "0x1", "unit modulo n other than 1"),
        ("a", "12", "hex string"),
        ("modulus_bits", 1000, "modulus size"),
    ],
)
def test_public_key_json_rejects_bad_fields(
    manager_key: gs.GroupManagerKey, field: str, value: object, message: str
) -> None:
    data = manager_key.public.to_dict()
    data[field] = value
    with pytest.raises(InvalidInputError, match=message):
        gs.GroupPublicKey.from_json(json.dumps(data))


def test_public_key_json_rejects_garbage() -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        gs.GroupPublicKey.from_json("{not json")


def test_manager_key_json_rejects_a_wrong_opening_secret(manager_key: gs.GroupManagerKey) -> None:
    data = json.loads(manager_key.to_json())
    data["x"] = hex(manager_key.x + 1)
    with pytest.raises(InvalidInputError, match="y is not g\\^x"):
        gs.GroupManagerKey.from_json(json.dumps(data))


def test_manager_key_json_rejects_a_wrong_factorisation(manager_key: gs.GroupManagerKey) -> None:
    data = json.loads(manager_key.to_json())
    data["p_prime"] = hex(manager_key.p_prime + 2)
    with pytest.raises(InvalidInputError, match="do not factor n"):
        gs.GroupManagerKey.from_json(json.dumps(data))


def test_member_key_json_rejects_a_forged_certificate(alice: gs.MemberKey) -> None:
    data = json.loads(alice.to_json())
    data["A"] = hex(alice.a_cert * 4 % alice.public.n)
    with pytest.raises(InvalidInputError, match="A\\^e = a0 a\\^x"):
        gs.MemberKey.from_json(json.dumps(data))


# --- join ---------------------------------------------------------------------------------------


def test_certificate_satisfies_the_membership_equation(alice: gs.MemberKey) -> None:
    pk = alice.public
    assert gmpy2.powmod(alice.a_cert, alice.e, pk.n) == pk.a0 * gmpy2.powmod(pk.a, alice.x, pk.n) % pk.n
    assert gmpy2.is_prime(alice.e)
    assert gs._in_gamma(pk.params, alice.e) and gs._in_lambda(pk.params, alice.x)


def test_certificates_have_distinct_canonical_forms(alice: gs.MemberKey, bob: gs.MemberKey) -> None:
    assert alice.certificate != bob.certificate
    assert alice.certificate <= alice.public.n // 2


def test_members_get_distinct_certificates(alice: gs.MemberKey, bob: gs.MemberKey) -> None:
    assert alice.a_cert != bob.a_cert and alice.e != bob.e and alice.x != bob.x


def test_manager_never_sees_the_member_secret(manager: gs.GroupManager) -> None:
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    challenge = manager.challenge(request)
    response = applicant.respond(request, challenge)
    member = applicant.complete(manager.certify(response))
    sent = [request.c1, *request.proof.responses, request.proof.c, response.c2, *response.proof.responses]
    assert member.x not in sent and member.x - (mpz(1) << manager.public.params.lambda1) not in sent


def test_join_rejects_a_tampered_commitment_proof(manager: gs.GroupManager) -> None:
    request = gs.JoinApplicant(manager.public).request()
    forged = replace(request, proof=replace(request.proof, c=request.proof.c ^ 1))
    with pytest.raises(VerificationError, match="representation"):
        manager.challenge(forged)


def test_join_rejects_a_commitment_outside_the_quadratic_residues(manager: gs.GroupManager) -> None:
    request = gs.JoinApplicant(manager.public).request()
    with pytest.raises(VerificationError, match="QR"):
        manager.challenge(replace(request, c1=manager.public.n - request.c1))


def test_join_rejects_a_response_with_a_wrong_secret(manager: gs.GroupManager) -> None:
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    response = applicant.respond(request, manager.challenge(request))
    a = manager.public.a
    with pytest.raises(VerificationError, match="C2"):
        manager.certify(replace(response, c2=response.c2 * a * a % manager.public.n))


def test_join_answers_each_response_once(manager: gs.GroupManager) -> None:
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    response = applicant.respond(request, manager.challenge(request))
    manager.certify(response)
    with pytest.raises(InvalidInputError, match="no pending join"):
        manager.certify(response)


def test_applicant_rejects_a_forged_certificate(manager: gs.GroupManager) -> None:
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    certificate = manager.certify(applicant.respond(request, manager.challenge(request)))
    with pytest.raises(VerificationError, match="A\\^e = a0 a\\^x"):
        applicant.complete(replace(certificate, a_cert=certificate.a_cert * 4 % manager.public.n))


@pytest.mark.parametrize("e", [3, "gamma_max"], ids=["small", "past gamma"])
def test_applicant_rejects_a_certificate_exponent_outside_gamma(manager: gs.GroupManager, e: object) -> None:
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    certificate = manager.certify(applicant.respond(request, manager.challenge(request)))
    params = manager.public.params
    exponent = (mpz(1) << params.gamma1) + (mpz(1) << params.gamma2) + 1 if e == "gamma_max" else mpz(3)
    with pytest.raises(VerificationError, match="outside Γ"):
        applicant.complete(replace(certificate, e=exponent))


def test_applicant_rejects_a_challenge_of_another_join(manager: gs.GroupManager) -> None:
    first, second = gs.JoinApplicant(manager.public), gs.JoinApplicant(manager.public)
    request = first.request()
    challenge = manager.challenge(second.request())
    with pytest.raises(InvalidInputError, match="another join"):
        first.respond(request, challenge)


# --- sign and verify ----------------------------------------------------------------------------


def test_signature_verifies_for_its_message(alice: gs.MemberKey, signature: gs.GroupSignature) -> None:
    assert gs.verify(alice.public, MESSAGE, signature)


def test_signature_does_not_verify_for_another_message(alice: gs.MemberKey, signature: gs.GroupSignature) -> None:
    assert not gs.verify(alice.public, MESSAGE + b"!", signature)


def test_signature_does_not_verify_for_another_group(
    signature: gs.GroupSignature, other_group: gs.GroupManager
) -> None:
    assert not gs.verify(other_group.public, MESSAGE, signature)


def test_member_of_another_group_cannot_sign_for_this_one(
    outsider: gs.MemberKey, manager_key: gs.GroupManagerKey
) -> None:
    assert not gs.verify(manager_key.public, MESSAGE, gs.sign(outsider, MESSAGE))


def test_non_member_with_a_self_made_certificate_cannot_sign(manager_key: gs.GroupManagerKey) -> None:
    pk = manager_key.public
    params = pk.params
    e = random_prime_in_interval(mpz(1) << params.gamma1, params.gamma2)
    fake = gs.MemberKey(pk, pk.g * pk.h % pk.n, e, (mpz(1) << params.lambda1) + 12345)
    assert not gs.verify(pk, MESSAGE, gs.sign(fake, MESSAGE))


def test_member_who_alters_its_exponent_cannot_sign(alice: gs.MemberKey) -> None:
    assert not gs.verify(alice.public, MESSAGE, gs.sign(replace(alice, e=alice.e + 2), MESSAGE))


@pytest.mark.parametrize("component", ["c", "s1", "s2", "s3", "s4", "t1", "t2", "t3"])
def test_tampered_signature_component_is_rejected(
    alice: gs.MemberKey, signature: gs.GroupSignature, component: str
) -> None:
    tampered = replace(signature, **{component: getattr(signature, component) + 1})
    assert not gs.verify(alice.public, MESSAGE, tampered)


@pytest.mark.parametrize(
    ("component", "bits_attr"), [("s1", "r1_bits"), ("s2", "r2_bits"), ("s3", "r3_bits"), ("s4", "r4_bits")]
)
def test_response_outside_its_range_is_rejected(
    alice: gs.MemberKey, signature: gs.GroupSignature, component: str, bits_attr: str
) -> None:
    bound = mpz(1) << (getattr(alice.public.params, bits_attr) + 1)
    assert not gs.verify(alice.public, MESSAGE, replace(signature, **{component: bound}))


@pytest.mark.parametrize("value", [0, -1])
def test_commitment_outside_the_group_is_rejected(
    alice: gs.MemberKey, signature: gs.GroupSignature, value: int
) -> None:
    t1 = alice.public.n if value == 0 else mpz(value)
    assert not gs.verify(alice.public, MESSAGE, replace(signature, t1=t1))


def test_two_signatures_of_one_member_share_no_value(alice: gs.MemberKey) -> None:
    first, second = gs.sign(alice, MESSAGE), gs.sign(alice, MESSAGE)
    for name in ("c", "s1", "s2", "s3", "s4", "t1", "t2", "t3"):
        assert getattr(first, name) != getattr(second, name), name


def test_signature_reveals_neither_certificate_nor_exponent(alice: gs.MemberKey, signature: gs.GroupSignature) -> None:
    values = {
        signature.c,
        signature.s1,
        signature.s2,
        signature.s3,
        signature.s4,
        signature.t1,
        signature.t2,
        signature.t3,
    }
    assert not values & {alice.a_cert, alice.e, alice.x}


@settings(max_examples=15, deadline=None)
@given(message=st.binary(max_size=64), other=st.binary(max_size=64))
def test_signatures_bind_their_message(alice: gs.MemberKey, message: bytes, other: bytes) -> None:
    sig = gs.sign(alice, message)
    assert gs.verify(alice.public, message, sig)
    assert gs.verify(alice.public, other, sig) == (other == message)


def test_sign_rejects_a_non_bytes_message(alice: gs.MemberKey) -> None:
    with pytest.raises(InvalidInputError, match="message must be bytes"):
        gs.sign(alice, "text")  # type: ignore[arg-type]


# --- encoding -----------------------------------------------------------------------------------


def test_signature_bytes_round_trip(signature: gs.GroupSignature) -> None:
    assert gs.GroupSignature.from_bytes(signature.to_bytes()) == signature


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.integers(min_value=-(1 << 600), max_value=1 << 600), min_size=8, max_size=8))
def test_signature_encoding_round_trips_any_integers(values: list[int]) -> None:
    sig = gs.GroupSignature(*(mpz(v) for v in values))
    assert gs.GroupSignature.from_bytes(sig.to_bytes()) == sig


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"\x02" + b[1:], "version"),
        (lambda b: b[:-1], "truncated|malformed"),
        (lambda b: b + b"\x00", "trailing"),
        (
            lambda b: b[:1] + b"\x00" + (int.from_bytes(b[2:4], "big") + 1).to_bytes(2, "big") + b"\x00" + b[4:],
            "non-canonical",
        ),
        (lambda b: b[:1] + b"\x01\x00\x00" + b[1 + 3 + int.from_bytes(b[2:4], "big") :], "non-canonical"),
        (lambda b: b[:1] + b"\x07" + b[2:], "malformed"),
    ],
)
def test_signature_decoding_rejects_bad_encodings(signature: gs.GroupSignature, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match=message):
        gs.GroupSignature.from_bytes(mutate(signature.to_bytes()))


# --- open ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["alice", "bob"])
def test_open_returns_the_true_signer(manager: gs.GroupManager, member: str, request: pytest.FixtureRequest) -> None:
    key: gs.MemberKey = request.getfixturevalue(member)
    assert manager.open(MESSAGE, gs.sign(key, MESSAGE)).certificate == key.certificate


def test_opening_proof_verifies(manager: gs.GroupManager, signature: gs.GroupSignature) -> None:
    opening = manager.open(MESSAGE, signature)
    assert gs.verify_opening(manager.public, MESSAGE, signature, opening)


def test_opening_json_round_trip(manager: gs.GroupManager, signature: gs.GroupSignature) -> None:
    opening = manager.open(MESSAGE, signature)
    assert gs.Opening.from_json(opening.to_json()) == opening


def test_opening_that_names_another_member_does_not_verify(
    manager: gs.GroupManager, signature: gs.GroupSignature, bob: gs.MemberKey
) -> None:
    framed = replace(manager.open(MESSAGE, signature), certificate=bob.certificate)
    assert not gs.verify_opening(manager.public, MESSAGE, signature, framed)


def test_manager_cannot_prove_a_false_opening(
    manager_key: gs.GroupManagerKey, signature: gs.GroupSignature, bob: gs.MemberKey
) -> None:
    pk = manager_key.public
    statement = gs._opening_statement(pk, signature, bob.certificate)
    proof = gs._prove(pk.n, statement, [manager_key.x], gs._opening_context(pk, MESSAGE, signature), None)
    framed = gs.Opening(bob.certificate, proof.c, proof.responses[0])
    assert not gs.verify_opening(pk, MESSAGE, signature, framed)


def test_opening_does_not_transfer_to_another_message(manager: gs.GroupManager, alice: gs.MemberKey) -> None:
    other = b"another root"
    sig_other = gs.sign(alice, other)
    opening = manager.open(MESSAGE, gs.sign(alice, MESSAGE))
    assert not gs.verify_opening(manager.public, other, sig_other, opening)


def test_opening_with_a_negated_certificate_does_not_verify(
    manager: gs.GroupManager, signature: gs.GroupSignature
) -> None:
    opening = manager.open(MESSAGE, signature)
    negated = replace(opening, certificate=manager.public.n - opening.certificate)
    assert not gs.verify_opening(manager.public, MESSAGE, signature, negated)


def test_an_opening_response_moved_by_the_group_order_is_refused_by_its_range_alone(
    manager_key: gs.GroupManagerKey, manager: gs.GroupManager, signature: gs.GroupSignature, monkeypatch
) -> None:
    """g and T2² lie in QR_n, of order p'q': whoever knows the factors can add any multiple of
    p'q' to the response and every equation still holds; only the response's range refuses it."""
    pk = manager_key.public
    opening = manager.open(MESSAGE, signature)
    bound = mpz(1) << (pk.params.nonce_bits(2 * pk.params.lp + 2 + gs._K) + 1)
    order = manager_key.p_prime * manager_key.q_prime
    step = order * (bound // order + 1)  # away from 0, so that |s| passes the bound
    moved = replace(opening, s=opening.s + step if opening.s >= 0 else opening.s - step)
    assert not gs.verify_opening(pk, MESSAGE, signature, moved)
    monkeypatch.setattr(gs, "_within", lambda value, bits: True)
    assert gs.verify_opening(pk, MESSAGE, signature, moved)  # the equations hold: the range alone refused it


def test_an_opening_of_the_certificate_times_a_root_of_one_is_refused(
    manager_key: gs.GroupManagerKey, manager: gs.GroupManager, signature: gs.GroupSignature
) -> None:
    """The proof is over (T1/A)², so A·w for a square root w ≠ ±1 of 1 (which the factors give)
    satisfies it with the same challenge and response; its Jacobi symbol, −1, refuses it."""
    pk = manager_key.public
    p, q = 2 * manager_key.p_prime + 1, 2 * manager_key.q_prime + 1
    w = (1 + p * ((-2 * gmpy2.invert(p, q)) % q)) % pk.n  # w ≡ 1 (mod p), w ≡ −1 (mod q)
    assert w * w % pk.n == 1 and w not in (1, pk.n - 1)
    opening = manager.open(MESSAGE, signature)
    other = gs.canonical_certificate(opening.certificate * w % pk.n, pk.n)
    context = gs._opening_context(pk, MESSAGE, signature)
    statement = gs._opening_statement(pk, signature, other)
    assert gs._check(pk.n, statement, gs._Proof(opening.c, (opening.s,)), context)  # the proof holds for A·w
    assert not gs.verify_opening(pk, MESSAGE, signature, replace(opening, certificate=other))


def test_manager_refuses_to_open_an_invalid_signature(manager: gs.GroupManager, signature: gs.GroupSignature) -> None:
    with pytest.raises(VerificationError, match="refusing to open"):
        manager.open(MESSAGE + b"x", signature)


def test_manager_of_another_group_cannot_open(other_group: gs.GroupManager, signature: gs.GroupSignature) -> None:
    with pytest.raises(VerificationError, match="refusing to open"):
        other_group.open(MESSAGE, signature)


# --- the agency's look-ups (issue 24, finding 2) -------------------------------------------------


def test_signer_certificate_names_the_signers_canonical_certificate(
    manager_key: gs.GroupManagerKey, signature: gs.GroupSignature, alice: gs.MemberKey
) -> None:
    assert gs.signer_certificate(manager_key, signature) == alice.certificate


def _commitment(member: gs.MemberKey) -> gmpy2.mpz:
    """C2 = a^x, the member's join commitment."""
    return gmpy2.powmod(member.public.a, member.x, member.public.n)


def test_a_certificate_matches_its_members_commitment(alice: gs.MemberKey) -> None:
    assert gs.certificate_matches_commitment(alice.public, alice.certificate, alice.e, _commitment(alice))


def test_a_certificate_does_not_match_another_members_commitment(alice: gs.MemberKey, bob: gs.MemberKey) -> None:
    assert not gs.certificate_matches_commitment(alice.public, alice.certificate, alice.e, _commitment(bob))


def test_a_certificate_does_not_match_with_an_exponent_outside_gamma(alice: gs.MemberKey) -> None:
    assert not gs.certificate_matches_commitment(alice.public, alice.certificate, 3, _commitment(alice))
