"""Features sealed to the retrieval service: round trip, and refusal of a wrong key, a wrong image
id or a modified blob (Shen, Zhu, Xu §6.3.1, with the toolkit's envelope + Umbral instead of
Eq. 6.1–6.4)."""

from __future__ import annotations

import numpy as np
import pytest
from umbral_pre import SecretKey

from offchain.errors import InvalidInputError, VerificationError
from offchain.protocols.retrieval_service import RetrievalHit, open_feature, result_hash, seal_feature

IMAGE_ID = bytes(range(32))
VECTOR = np.linspace(-1.0, 1.0, 16, dtype=np.float32)


@pytest.fixture(scope="module")
def service_sk():
    return SecretKey.random()


def test_a_sealed_feature_opens_to_the_same_vector(service_sk):
    blob = seal_feature(VECTOR, image_id=IMAGE_ID, service_pk=service_sk.public_key())
    assert np.array_equal(open_feature(blob, image_id=IMAGE_ID, service_sk=service_sk), VECTOR)
    assert VECTOR.tobytes() not in blob


def test_a_wrong_key_cannot_open_it(service_sk):
    blob = seal_feature(VECTOR, image_id=IMAGE_ID, service_pk=service_sk.public_key())
    with pytest.raises(VerificationError):
        open_feature(blob, image_id=IMAGE_ID, service_sk=SecretKey.random())


def test_another_image_id_cannot_open_it(service_sk):
    blob = seal_feature(VECTOR, image_id=IMAGE_ID, service_pk=service_sk.public_key())
    with pytest.raises(VerificationError):
        open_feature(blob, image_id=bytes(32), service_sk=service_sk)


def test_a_modified_blob_is_refused(service_sk):
    blob = bytearray(seal_feature(VECTOR, image_id=IMAGE_ID, service_pk=service_sk.public_key()))
    blob[-1] ^= 1
    with pytest.raises(VerificationError):
        open_feature(bytes(blob), image_id=IMAGE_ID, service_sk=service_sk)


def test_bad_vectors_are_refused(service_sk):
    with pytest.raises(InvalidInputError):
        seal_feature(np.array([np.nan], dtype=np.float32), image_id=IMAGE_ID, service_pk=service_sk.public_key())
    with pytest.raises(InvalidInputError):
        open_feature(b"\x00", image_id=IMAGE_ID, service_sk=service_sk)


@pytest.mark.parametrize(
    "vector",
    [["0.5", "1"], [1 + 1j], [None], [10**400], [1e300]],
    ids=["text", "complex", "none", "huge-int", "beyond-f4"],
)
def test_vectors_of_other_than_finite_reals_are_not_sealed(service_sk, vector):
    with pytest.raises(InvalidInputError, match=r"^a feature must be"):
        seal_feature(vector, image_id=IMAGE_ID, service_pk=service_sk.public_key())


def test_the_result_hash_depends_on_rank_order():
    a, b = RetrievalHit(b"\x01" * 32, 1, 0.1), RetrievalHit(b"\x02" * 32, 2, 0.2)
    assert result_hash([a, b]) != result_hash([b, a])
