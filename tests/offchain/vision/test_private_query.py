"""Private queries with CKKS: encrypted scores decrypt to the plaintext ones, the top K equals the
exact plaintext search, over several ciphertext blocks; wrong keys and bad inputs refused."""

from __future__ import annotations

import numpy as np
import pytest

from offchain.errors import InvalidInputError, VerificationError
from offchain.vision import private_query as pq
from offchain.vision.index import ExactIndex

RNG = np.random.default_rng(616)
FEATURES = RNG.random((pq.SLOTS_PER_BLOCK + 200, 24)).astype(np.float32)  # two blocks
QUERY = RNG.random(24).astype(np.float32)


@pytest.fixture(scope="module")
def user():
    return pq.new_user_context()


@pytest.fixture(scope="module")
def answer(user):
    return pq.encrypted_scores(pq.public_context(user), pq.encrypt_query(user, QUERY), FEATURES)


def test_parameters_are_the_documented_128_bit_ones():
    assert (pq.POLY_MODULUS_DEGREE, sum(pq.COEFF_MOD_BIT_SIZES), pq.SCALE_BITS) == (8192, 200, 40)
    assert sum(pq.COEFF_MOD_BIT_SIZES) <= 218  # HE Standard bound for 128-bit security at N = 8192


def test_encrypted_scores_decrypt_to_the_plaintext_scores(user, answer):
    scores = pq.decrypt_scores(user, answer, len(FEATURES))
    expected = (FEATURES.astype(np.float64) ** 2).sum(axis=1) - 2 * FEATURES.astype(np.float64) @ QUERY
    assert len(answer) == 2
    assert np.allclose(scores, expected, atol=1e-4)


def test_the_private_top_k_is_the_exact_plaintext_top_k(user, answer):
    scores = pq.decrypt_scores(user, answer, len(FEATURES))
    index = ExactIndex(24)
    index.add(np.arange(len(FEATURES)), FEATURES)
    _, ids = index.search(QUERY, 100)
    assert list(pq.top_k(scores, 100)) == list(ids[0])


def test_another_users_key_decrypts_noise_not_the_ranking(answer):
    stranger = pq.new_user_context()
    scores = pq.decrypt_scores(stranger, answer, len(FEATURES))
    expected = (FEATURES.astype(np.float64) ** 2).sum(axis=1) - 2 * FEATURES.astype(np.float64) @ QUERY
    assert not np.allclose(scores, expected, atol=1.0)


def test_the_service_never_gets_the_secret_key(user):
    with pytest.raises(InvalidInputError, match="secret key"):
        pq.encrypted_scores(bytes(user.serialize(save_secret_key=True)), pq.encrypt_query(user, QUERY), FEATURES[:4])
    with pytest.raises(InvalidInputError):
        pq.decrypt_scores(pq.__dict__["ts"].context_from(pq.public_context(user)), [], 0)


def test_bad_inputs_are_refused(user, answer):
    public = pq.public_context(user)
    with pytest.raises(InvalidInputError):
        pq.encrypt_query(user, np.array([np.inf]))
    with pytest.raises(InvalidInputError):
        pq.encrypted_scores(public, b"not a ciphertext", FEATURES)
    with pytest.raises(InvalidInputError):
        pq.encrypted_scores(public, pq.encrypt_query(user, QUERY[:5]), FEATURES)
    with pytest.raises(VerificationError):
        pq.decrypt_scores(user, answer, len(FEATURES) + 1)
    with pytest.raises(VerificationError):
        pq.decrypt_scores(user, [b"garbage"], 1)
    with pytest.raises(InvalidInputError):
        pq.top_k(np.zeros(3), 0)
