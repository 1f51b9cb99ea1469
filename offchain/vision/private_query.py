"""Private retrieval queries with CKKS (TenSEAL): the service ranks without seeing the query.

Research: Shen, Zhu, Xu, ch. 6, §6.4 / Eq. 6.5 (rank by Euclidean distance). The research sends
the query to the service in the clear (after its distance-preserving encryption, Eq. 6.1–6.4,
which hides nothing); here the user encrypts its query vector ``x`` under its own CKKS key and
the service, which holds the plaintext features ``y_j``, computes the encrypted scores

    s_j = ||y_j||² − 2 ⟨x, y_j⟩   (= ||x − y_j||² − ||x||², the same order as the distance)

as one encrypted vector–plaintext matrix product per block of :data:`SLOTS_PER_BLOCK` images
plus a plaintext vector. The user decrypts the scores, takes the ``k`` smallest, and checks the
answer against the chain (record proofs, :mod:`offchain.protocols.retrieval_service`).

CKKS parameters (:func:`new_user_context`): polynomial modulus degree N = 8192, coefficient
moduli of 60, 40, 40 and 60 bits (200 bits in all, under the 218 bits the Homomorphic
Encryption Standard allows for 128-bit security at N = 8192), scale 2^40; 4,096 slots per
ciphertext, 2,048 images scored per ciphertext (:data:`SLOTS_PER_BLOCK`). The user keeps the
secret key; the service gets the context serialised without it (public, relinearisation and Galois keys only).

Who learns what: the service learns the number of images and that a query was asked, not the
query; the user learns the scores of every indexed image (so more than its top K: a known
leak of this simple scheme, as in the research's plaintext mode, where the labels of the top K
are returned anyway). Scores carry CKKS noise (about 1e-6 relative here): two images whose
scores differ by less than that may swap places (ties aside, the ranking is the plaintext one).
"""

from __future__ import annotations

import numpy as np
import tenseal as ts
from numpy.typing import NDArray

from offchain.errors import InvalidInputError, VerificationError

__all__ = [
    "COEFF_MOD_BIT_SIZES",
    "MAX_DIMENSION",
    "POLY_MODULUS_DEGREE",
    "SCALE_BITS",
    "SLOTS_PER_BLOCK",
    "decrypt_scores",
    "encrypt_query",
    "encrypted_scores",
    "new_user_context",
    "public_context",
    "top_k",
]

#: CKKS ring dimension N.
POLY_MODULUS_DEGREE = 8192
#: Bit sizes of the coefficient moduli: 200 bits, 128-bit security at N = 8192 (HE Standard).
COEFF_MOD_BIT_SIZES = (60, 40, 40, 60)
#: The encoding scale is 2**SCALE_BITS.
SCALE_BITS = 40
#: Images scored per ciphertext: N / 4, half the N / 2 slots. TenSEAL's vector-matrix product
#: rotates through the slots, and with as many outputs as slots the last ``dimension`` ones wrap
#: around and come out wrong (measured: errors above 1 at rows 4,0xx of 4,096); half the slots
#: leaves room for any descriptor of up to 2,048 values.
SLOTS_PER_BLOCK = POLY_MODULUS_DEGREE // 4
#: Longest query vector accepted (the headroom above).
MAX_DIMENSION = POLY_MODULUS_DEGREE // 4


def new_user_context() -> ts.Context:
    """A fresh CKKS context holding the user's secret key, with Galois keys for the product."""
    context = ts.context(
        ts.SCHEME_TYPE.CKKS, poly_modulus_degree=POLY_MODULUS_DEGREE, coeff_mod_bit_sizes=list(COEFF_MOD_BIT_SIZES)
    )
    context.global_scale = 2**SCALE_BITS
    context.generate_galois_keys()
    return context


def public_context(context: ts.Context) -> bytes:
    """The context serialised without its secret key: what the user sends the service."""
    return bytes(context.serialize(save_secret_key=False))


def encrypt_query(context: ts.Context, query: NDArray[np.float32]) -> bytes:
    """The user's query ``x`` encrypted under its key, serialised (its keccak256 goes on chain).

    Raises:
        InvalidInputError: on a non-1-D or non-finite query.
    """
    vector = np.asarray(query, dtype=np.float64)
    if vector.ndim != 1 or not 0 < vector.size <= MAX_DIMENSION or not np.all(np.isfinite(vector)):
        raise InvalidInputError(
            f"a query is a finite 1-D vector of 1..{MAX_DIMENSION} values, got shape {vector.shape}"
        )
    return bytes(ts.ckks_vector(context, vector.tolist()).serialize())


def encrypted_scores(public: bytes, encrypted_query: bytes, features: NDArray[np.float32]) -> list[bytes]:
    """The service's side: encrypted ``||y_j||² − 2⟨x, y_j⟩`` for every row ``y_j`` of ``features``.

    Args:
        public: :func:`public_context` of the user.
        encrypted_query: :func:`encrypt_query`'s output.
        features: The service's plaintext features, one row per image, in its row order.

    Returns:
        One serialised ciphertext per block of :data:`SLOTS_PER_BLOCK` images.

    Raises:
        InvalidInputError: on a bad context, ciphertext or feature matrix; or a context that
            carries a secret key (the user must not send it).
    """
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0 or not np.all(np.isfinite(matrix)):
        raise InvalidInputError(f"features must be a non-empty finite 2-D matrix, got shape {matrix.shape}")
    try:
        context = ts.context_from(public)
        query = ts.ckks_vector_from(context, encrypted_query)
    except Exception as exc:  # TenSEAL raises bare exceptions of several types on bad input
        raise InvalidInputError(f"not a CKKS context and query: {exc}") from None
    if context.has_secret_key():
        raise InvalidInputError("the context carries the user's secret key: send public_context() only")
    if query.size() != matrix.shape[1]:
        raise InvalidInputError(f"query has {query.size()} values, features have {matrix.shape[1]} columns")
    norms = (matrix**2).sum(axis=1)
    blocks = []
    for start in range(0, matrix.shape[0], SLOTS_PER_BLOCK):
        block = matrix[start : start + SLOTS_PER_BLOCK]
        scores = query.matmul((-2.0 * block.T).tolist()) + norms[start : start + SLOTS_PER_BLOCK].tolist()
        blocks.append(bytes(scores.serialize()))
    return blocks


def decrypt_scores(context: ts.Context, blocks: list[bytes], count: int) -> NDArray[np.float64]:
    """The user's side: the ``count`` scores, decrypted.

    Raises:
        VerificationError: the blocks do not parse under this context or hold other than
            ``count`` scores. NOTE: blocks made under another user's key parse and decrypt to
            noise, not to an error; the user's check of the chosen records against the chain
            (and the result hash on record) is what catches a wrong answer.
    """
    if not context.has_secret_key():
        raise InvalidInputError("decrypting needs the user's context with its secret key")
    try:
        values = [v for block in blocks for v in ts.ckks_vector_from(context, block).decrypt()]
    except Exception as exc:  # TenSEAL raises bare exceptions of several types on bad input
        raise VerificationError(f"the scores do not decrypt under this key: {exc}") from None
    if len(values) != count:
        raise VerificationError(f"expected {count} scores, decrypted {len(values)}")
    return np.asarray(values, dtype=np.float64)


def top_k(scores: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """Row positions of the ``k`` smallest scores, smallest first (ties by position)."""
    if k <= 0:
        raise InvalidInputError(f"expected k > 0, got {k}")
    return np.lexsort((np.arange(scores.size), scores))[:k].astype(np.int64)
