"""Private queries with packed CKKS: encrypted scores decrypt to the plaintext ones, the top K equals
the exact plaintext ranking over several ciphertext blocks (full and PCA-projected descriptors);
wrong keys, foreign projections, malformed ciphertexts and Galois keys are refused."""

from __future__ import annotations

import numpy as np
import pytest

from offchain.errors import InvalidInputError, VerificationError
from offchain.vision import private_query as pq
from offchain.vision.index import ExactIndex

RNG = np.random.default_rng(616)
FEATURES = RNG.random((pq.SLOTS + 300, 24))  # two blocks, the second partly empty
QUERY = RNG.random(24)


def plain_scores(projection: pq.Projection, features: np.ndarray, query: np.ndarray) -> np.ndarray:
    rows, x = projection.apply(features), projection.apply(query)
    return (rows**2).sum(axis=1) - 2 * rows @ x


@pytest.fixture(scope="module")
def full():
    projection = pq.Projection.identity(24)  # padded to 32
    user = pq.new_user_context(projection)
    plan = pq.ScoringPlan(FEATURES, projection)
    return user, plan, plan.scores(pq.public_context(user), pq.encrypt_query(user, QUERY))


@pytest.fixture(scope="module")
def pca():
    projection = pq.Projection.fit(FEATURES, 8)
    user = pq.new_user_context(projection)
    plan = pq.ScoringPlan(FEATURES, projection)
    return user, plan, plan.scores(pq.public_context(user), pq.encrypt_query(user, QUERY))


def test_parameters_are_the_documented_128_bit_ones():
    assert (pq.POLY_MODULUS_DEGREE, pq.COEFF_MOD_BIT_SIZES, pq.SCALE_BITS, pq.SLOTS) == (8192, (60, 40, 60), 40, 4096)
    assert sum(pq.COEFF_MOD_BIT_SIZES) <= 218  # HE Standard bound for 128-bit security at N = 8192


@pytest.mark.parametrize("dimension, padded", [(1, 2), (5, 8), (16, 16), (179, 256), (4096, 4096)])
def test_vectors_are_padded_to_a_power_of_two(dimension, padded):
    assert pq.padded_dimension(dimension) == padded
    assert pq.Projection.identity(dimension).apply(np.ones(dimension)).shape == (padded,)


@pytest.mark.parametrize("fixture", ["full", "pca"])
def test_packed_scores_decrypt_to_the_plaintext_scores(fixture, request):
    user, plan, answer = request.getfixturevalue(fixture)
    scores = pq.decrypt_scores(user, answer, len(FEATURES))
    assert len(answer) == 2
    assert np.max(np.abs(scores - plain_scores(plan.projection, FEATURES, QUERY))) < pq.SCORE_TOLERANCE


def test_the_private_top_k_is_the_exact_plaintext_top_k(full):
    user, _, answer = full
    scores = pq.decrypt_scores(user, answer, len(FEATURES))
    index = ExactIndex(24)
    index.add(np.arange(len(FEATURES)), FEATURES.astype(np.float32))
    _, ids = index.search(QUERY.astype(np.float32), 100)
    assert list(pq.top_k(scores, 100)) == list(ids[0])


def test_the_pca_top_k_is_the_plaintext_ranking_on_the_projection(pca):
    user, plan, answer = pca
    expected = np.argsort(plain_scores(plan.projection, FEATURES, QUERY), kind="stable")[:100]
    assert list(pq.top_k(pq.decrypt_scores(user, answer, len(FEATURES)), 100)) == list(expected)


def test_a_projection_of_full_rank_keeps_the_full_ranking():
    few = FEATURES[:9]
    projection = pq.Projection.fit(few, 16)  # 9 rows: rank 8 after centring
    assert projection.dimension == 16
    assert list(np.argsort(plain_scores(projection, few, QUERY))) == list(np.argsort(((few - QUERY) ** 2).sum(axis=1)))


def test_another_users_key_decrypts_noise_not_the_ranking(full):
    _, plan, answer = full
    stranger = pq.new_user_context(plan.projection)
    scores = pq.decrypt_scores(stranger, answer, len(FEATURES))
    assert not np.allclose(scores, plain_scores(plan.projection, FEATURES, QUERY), atol=1.0)


def test_the_key_set_carries_no_secret_key(full):
    user, _, _ = full
    secret = pq._to_bytes(user.secret_key)
    assert secret[16:80] not in pq.public_context(user)


def test_a_query_for_another_projection_is_refused(full, pca):
    user, plan, _ = full
    other, _, _ = pca
    with pytest.raises(InvalidInputError, match="another projection"):
        plan.scores(pq.public_context(other), pq.encrypt_query(other, QUERY))
    with pytest.raises(InvalidInputError, match="another projection"):
        plan.scores(pq.public_context(user), pq.encrypt_query(other, QUERY))


def test_galois_keys_missing_a_rotation_are_refused(full):
    user, plan, _ = full
    narrow = pq.new_user_context(pq.Projection.identity(4))  # keys for rotations 1..3 only
    forged = pq.public_context(user)[: pq._HEADER.size] + narrow.galois_keys
    with pytest.raises(InvalidInputError, match="lack the rotations"):
        plan.scores(forged, pq.encrypt_query(user, QUERY))


def test_malformed_inputs_give_typed_errors(full):
    user, plan, answer = full
    public, query = pq.public_context(user), pq.encrypt_query(user, QUERY)
    with pytest.raises(InvalidInputError):
        pq.encrypt_query(user, np.array([np.inf] * 24))
    with pytest.raises(InvalidInputError):
        pq.encrypt_query(user, QUERY[:5])  # wrong dimension
    with pytest.raises(InvalidInputError):
        pq.encrypt_query(user, np.ones((2, 24)))
    with pytest.raises(InvalidInputError):
        plan.scores(public, b"not a ciphertext")
    with pytest.raises(InvalidInputError):
        plan.scores(public, query[: pq._HEADER.size] + b"\x00" * 200)  # right header, garbage body
    with pytest.raises(InvalidInputError):
        plan.scores(public, query[:-100])  # truncated ciphertext
    with pytest.raises(InvalidInputError):
        plan.scores(public[:-5000], query)  # truncated Galois keys
    with pytest.raises(InvalidInputError):
        plan.scores(query, query)  # a query where the keys belong
    with pytest.raises(InvalidInputError):
        pq.ScoringPlan(FEATURES[:, :5], plan.projection)  # wrong feature width
    with pytest.raises(InvalidInputError):
        pq.Projection.fit(np.zeros((0, 3)), 2)
    with pytest.raises(InvalidInputError):
        pq.padded_dimension(pq.MAX_DIMENSION + 1)
    with pytest.raises(VerificationError):
        pq.decrypt_scores(user, answer, pq.SLOTS * 2 + 1)  # a block missing
    with pytest.raises(VerificationError):
        pq.decrypt_scores(user, [b"garbage"], 1)
    with pytest.raises(InvalidInputError):
        pq.decrypt_scores(public, answer, len(FEATURES))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        pq.top_k(np.zeros(3), 0)


NOT_REAL_QUERIES = {
    "text": ["0.5"] * 24,
    "complex": np.full(24, 1 + 1j),
    "none": [None] * 24,
    "int-beyond-float": [10**400] * 24,
}


@pytest.mark.parametrize("query", NOT_REAL_QUERIES.values(), ids=NOT_REAL_QUERIES.keys())
def test_a_query_of_other_than_real_numbers_is_refused_with_a_typed_error(full, query):
    user, _, _ = full
    with pytest.raises(InvalidInputError, match=r"^a query must be"):
        pq.encrypt_query(user, query)


@pytest.mark.parametrize("features", NOT_REAL_QUERIES.values(), ids=NOT_REAL_QUERIES.keys())
def test_features_of_other_than_real_numbers_are_refused_with_a_typed_error(features):
    with pytest.raises(InvalidInputError, match=r"^features must be"):
        pq.Projection.fit([features, features], 2)


def test_one_shot_scoring_matches_the_plan():
    projection = pq.Projection.identity(3)
    user = pq.new_user_context(projection)
    rows = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.2, 0.1, 0.0]])
    blocks = pq.encrypted_scores(pq.public_context(user), pq.encrypt_query(user, [0.0, 0.0, 0.9]), rows)
    assert list(pq.top_k(pq.decrypt_scores(user, blocks, 3), 3)) == [0, 2, 1]


def test_the_imaginary_parts_are_masked(full):
    user, plan, answer = full
    ciphertext, plain = pq.seal.Ciphertext(), pq.seal.Plaintext()
    pq._from_bytes(ciphertext, user.context, answer[0])
    pq.seal.Decryptor(user.context, user.secret_key).decrypt(ciphertext, plain)
    values = np.asarray(pq.seal.CKKSEncoder(user.context).decode_complex(plain))
    rows, x = plan.projection.apply(FEATURES[: pq.SLOTS]), plan.projection.apply(QUERY)
    half = x.size // 2
    cross = rows[:, :half] @ x[half:] - rows[:, half:] @ x[:half]  # what an unmasked imaginary part holds
    assert np.std(values.imag) > 1000 > np.max(np.abs(cross))
    assert np.max(np.abs(values.real - plain_scores(plan.projection, FEATURES[: pq.SLOTS], QUERY))) < 1e-4
