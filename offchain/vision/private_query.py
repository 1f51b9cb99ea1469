"""Private retrieval queries with CKKS (SEAL through TenSEAL): the service ranks without seeing the query.

Research: Shen, Zhu, Xu, ch. 6, §6.4 / Eq. 6.5 (rank by Euclidean distance). The research sends
the query to the service in the clear (after its distance-preserving encryption, Eq. 6.1–6.4,
which hides nothing); here the user encrypts its query vector ``x`` under its own CKKS key and
the service, which holds the plaintext features ``y_j``, computes the encrypted scores

    s_j = ||y_j||² − 2 ⟨x, y_j⟩   (= ||x − y_j||² − ||x||², the same order as the distance)

for :data:`SLOTS` images per ciphertext. The user decrypts the scores, takes the ``k`` smallest,
and checks the answer against the chain (record proofs, :mod:`offchain.protocols.retrieval_service`).

Packing (the "diagonal" matrix-vector product of Halevi–Shoup, with baby-step giant-step):

* Both sides first map vectors through the same :class:`Projection` (the service's PCA of its
  features, :meth:`Projection.fit`, or :meth:`Projection.identity` for the full descriptor)
  and pad them with zeros to ``d``, a power of two.
* Two real values per complex slot (CKKS slots are complex): the query becomes
  ``z = x[:h] + i·x[h:]`` (``h = d / 2``) and a feature row ``w = y[:h] − i·y[h:]``, so that
  ``Re(Σ w_k z_k) = ⟨x, y⟩``: half the diagonals, multiplications and rotations of a real packing.
* The user encrypts ONE ciphertext: ``z`` tiled ``SLOTS / h`` times over the slots, so that a
  rotation by ``k`` puts ``z[(i + k) mod h]`` in every slot ``i``. It sends Galois keys for the
  rotations the product needs once per session (:func:`public_context`), not per query.
* For each block of :data:`SLOTS` images (rows ``W``), slot ``i`` is image ``i``; the service
  precomputes (:class:`ScoringPlan`, once per index state) the ``h`` generalised diagonals
  ``diag_k[i] = W[i, (i + k) mod h]``, so that ``Σ_k diag_k ⊙ rot(z, k) = W z``. With
  ``k = g·b + j`` (``b`` baby steps) the ``b − 1`` baby rotations of the query are shared by all
  blocks, the diagonals are stored pre-rotated by ``−g·b`` and each block costs ``h / b − 1``
  giant rotations and ``h`` plaintext multiplications; then one rescale, and the plaintext
  norms plus a fresh uniform mask (±:data:`IMAGINARY_MASK`) over the imaginary parts, which
  would otherwise hold the cross terms ``y_a x_b − y_b x_a``.

CKKS parameters: polynomial modulus degree N = 8192 (:data:`SLOTS` = 4,096 slots), coefficient
moduli of 60, 40 and 60 bits (:data:`COEFF_MOD_BIT_SIZES`: 160 bits, under the 218 bits the
Homomorphic Encryption Standard allows for 128-bit classical security at N = 8192; SEAL itself
checks the parameters against its 128-bit table), scale 2^40. One ciphertext × plaintext
multiplication (depth 1), so one 40-bit prime to rescale by. The query is encrypted with the
secret key (symmetric, seeded: half the size of a public-key ciphertext); the answer is one
ciphertext per block, at the last level (one 60-bit prime).

Who learns what: the service learns the number of images, that a query was asked and the
query's dimension, not the query; the user learns the scores of every indexed image (so more
than its top K: a known leak of this simple scheme) and, with a PCA projection, the service's
projection (mean and principal axes of the indexed features). Scores carry CKKS noise (about
1e-5 absolute here, :data:`SCORE_TOLERANCE`): two images whose scores differ by less than that
may swap places (ties aside, the ranking is the plaintext one on the projected descriptor).
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tenseal.sealapi as seal
from numpy.typing import ArrayLike, NDArray

from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import real_array

__all__ = [
    "COEFF_MOD_BIT_SIZES",
    "IMAGINARY_MASK",
    "MAX_DIMENSION",
    "PCA_DIMENSION",
    "POLY_MODULUS_DEGREE",
    "SCALE_BITS",
    "SCORE_TOLERANCE",
    "SLOTS",
    "Projection",
    "ScoringPlan",
    "UserKey",
    "decrypt_scores",
    "encrypt_query",
    "encrypted_scores",
    "new_user_context",
    "padded_dimension",
    "public_context",
    "top_k",
]

#: CKKS ring dimension N.
POLY_MODULUS_DEGREE = 8192
#: Bit sizes of the coefficient moduli (the last is SEAL's special prime): 160 bits ≤ 218 bits,
#: 128-bit security at N = 8192 (Homomorphic Encryption Standard).
COEFF_MOD_BIT_SIZES = (60, 40, 60)
#: The encoding scale of the query and of the diagonals is 2**SCALE_BITS.
SCALE_BITS = 40
#: Images scored per ciphertext: every one of the N / 2 slots.
SLOTS = POLY_MODULUS_DEGREE // 2
#: Longest (padded) query vector.
MAX_DIMENSION = SLOTS
#: Default PCA length of the retrieval service's private queries: on the 10,000-image synthetic
#: set its P@20 is within 1 percentage point of the full 179-value descriptor's (README).
PCA_DIMENSION = 32
#: Half-width of the uniform mask the service adds to each score's imaginary part (below).
IMAGINARY_MASK = 2.0**12
#: Largest absolute error of a decrypted score measured over random data of norm ≤ 10 (tests).
SCORE_TOLERANCE = 1e-4

_MAGIC_KEYS = b"PQK1"
_MAGIC_QUERY = b"PQQ1"
_HEADER = struct.Struct(">4sI32s")  # magic, padded dimension, projection digest
_SCALE = float(2**SCALE_BITS)


def padded_dimension(dimension: int) -> int:
    """The power of two ``d ≥ max(dimension, 2)`` vectors are padded to (``d / 2`` divides the slots)."""
    if not 0 < dimension <= MAX_DIMENSION:
        raise InvalidInputError(f"a query has 1..{MAX_DIMENSION} values, got {dimension}")
    return max(2, 1 << (dimension - 1).bit_length())


def _baby_steps(width: int) -> int:
    """Baby steps ``b`` for ``width`` complex diagonals: about √(3·width), the optimum for three
    blocks (10,000 images), a power of two."""
    return min(width, 1 << round(np.log2(np.sqrt(3 * width))))


def _rotations(dimension: int) -> list[int]:
    """The slot rotations the product needs for padded dimension ``dimension`` (``dimension / 2``
    complex diagonals)."""
    width = dimension // 2
    baby = _baby_steps(width)
    return sorted(set(range(1, baby)) | set(range(baby, width, baby)))


def _complex(vectors: NDArray[np.float64], sign: float) -> NDArray[np.complex128]:
    """Two real values per complex slot: ``v[:d/2] + sign·i·v[d/2:]``."""
    half = vectors.shape[-1] // 2
    return vectors[..., :half] + sign * 1j * vectors[..., half:]


@functools.cache
def _seal_context() -> seal.SEALContext:
    parms = seal.EncryptionParameters(seal.SCHEME_TYPE.CKKS)
    parms.set_poly_modulus_degree(POLY_MODULUS_DEGREE)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(POLY_MODULUS_DEGREE, list(COEFF_MOD_BIT_SIZES)))
    context = seal.SEALContext(parms, True, seal.SEC_LEVEL_TYPE.TC128)  # refuses parameters under 128 bits
    if not context.parameters_set():  # pragma: no cover - fixed parameters
        raise InvalidInputError(f"CKKS parameters refused: {context.parameters_error_message()}")
    return context


@functools.lru_cache(maxsize=4)
def _session_keys(public: bytes) -> seal.GaloisKeys:
    """The Galois keys of a session, loaded once (loading expands the seeded keys: tens of ms).

    Keyed by the bytes themselves (Python caches a bytes object's hash), so a session's keys
    are parsed on its first query only.
    """
    keys = seal.GaloisKeys()
    _from_bytes(keys, _seal_context(), public[_HEADER.size :])
    return keys


def _galois_element(step: int) -> int:
    """SEAL's Galois element of a left rotation by ``step`` slots: 3**step mod 2N."""
    return pow(3, step, 2 * POLY_MODULUS_DEGREE)


def _scratch_dir() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _to_bytes(obj: object) -> bytes:
    """SEAL objects (via TenSEAL's bindings) serialise to files only: through a scratch file."""
    with tempfile.TemporaryDirectory(dir=_scratch_dir()) as folder:
        path = str(Path(folder) / "object")
        obj.save(path)  # type: ignore[attr-defined]
        return Path(path).read_bytes()


def _from_bytes(obj: object, context: seal.SEALContext, data: bytes) -> None:
    """Load ``data`` into ``obj``; SEAL checks it is valid for ``context`` (or raises)."""
    with tempfile.TemporaryDirectory(dir=_scratch_dir()) as folder:
        path = Path(folder) / "object"
        path.write_bytes(data)
        obj.load(context, str(path))  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)  # numpy fields: compare by digest
class Projection:
    """The map both sides apply before packing: ``(v − mean) @ components.T``, zero-padded.

    Attributes:
        mean: ``(n,)`` offset (zeros for the identity).
        components: ``(m, n)`` rows (principal axes, or the identity).
    """

    mean: NDArray[np.float64]
    components: NDArray[np.float64]

    @classmethod
    def identity(cls, dimension: int) -> Projection:
        """The full descriptor, unchanged (padded to a power of two)."""
        padded_dimension(dimension)
        return cls(np.zeros(dimension), np.eye(dimension))

    @classmethod
    def fit(cls, features: ArrayLike, dimension: int) -> Projection:
        """PCA of ``features`` onto its first ``dimension`` principal axes (fitted by the service).

        Distances between indexed vectors that lie in the span are kept exactly; a query's part
        outside it adds the same amount to every distance, so when ``dimension`` is at least the
        rank of the centred features the ranking is the full descriptor's.
        """
        matrix = real_array(features, np.float64, what="features")
        if matrix.ndim != 2 or matrix.shape[0] == 0:
            raise InvalidInputError(f"features must be a non-empty 2-D matrix, got shape {matrix.shape}")
        padded_dimension(dimension)
        mean = matrix.mean(axis=0)
        _, _, axes = np.linalg.svd(matrix - mean, full_matrices=False)
        return cls(mean, axes[: min(dimension, axes.shape[0])])

    @property
    def input_dimension(self) -> int:
        """Length of the vectors it takes."""
        return int(self.mean.shape[0])

    @property
    def dimension(self) -> int:
        """Padded length ``d`` of the vectors it makes (a power of two)."""
        return padded_dimension(self.components.shape[0])

    @property
    def digest(self) -> bytes:
        """SHA-256 of the projection: binds a query to the projection it was made with."""
        return hashlib.sha256(self.mean.astype("<f8").tobytes() + self.components.astype("<f8").tobytes()).digest()

    def apply(self, vectors: ArrayLike) -> NDArray[np.float64]:
        """Project ``vectors`` (one or a matrix of rows) and pad them to :attr:`dimension`.

        Raises:
            InvalidInputError: wrong length or non-finite values.
        """
        array = real_array(vectors, np.float64, what="vectors")
        if array.ndim not in (1, 2) or array.shape[-1] != self.input_dimension:
            raise InvalidInputError(f"expected vectors of {self.input_dimension} values, got shape {array.shape}")
        projected = (array - self.mean) @ self.components.T
        padding = [(0, 0)] * (array.ndim - 1) + [(0, self.dimension - projected.shape[-1])]
        return np.pad(projected, padding)


@dataclass
class UserKey:
    """The user's side of a session: the CKKS secret key and the projection it queries through.

    Make it with :func:`new_user_context`; keep it; send only :func:`public_context`.
    """

    projection: Projection
    context: seal.SEALContext = field(repr=False)
    secret_key: seal.SecretKey = field(repr=False)
    galois_keys: bytes = field(repr=False)


def new_user_context(projection: Projection) -> UserKey:
    """A fresh CKKS secret key, and (seeded) Galois keys for the rotations ``projection`` needs."""
    context = _seal_context()
    keygen = seal.KeyGenerator(context)
    steps = _rotations(projection.dimension)
    galois = _to_bytes(keygen.create_galois_keys([_galois_element(s) for s in steps])) if steps else b""
    return UserKey(projection, context, keygen.secret_key(), galois)


def _header(magic: bytes, projection: Projection) -> bytes:
    return _HEADER.pack(magic, projection.dimension, projection.digest)


def public_context(user: UserKey) -> bytes:
    """What the user sends the service once per session: the Galois keys (no secret key)."""
    return _header(_MAGIC_KEYS, user.projection) + user.galois_keys


def encrypt_query(user: UserKey, query: ArrayLike) -> bytes:
    """The user's query ``x``, projected, tiled and encrypted under its key (keccak256 goes on chain).

    Raises:
        InvalidInputError: on a query of the wrong length or with non-finite values.
    """
    vector = real_array(query, np.float64, what="a query", finite=False)  # apply() checks finiteness
    if vector.ndim != 1:
        raise InvalidInputError(f"a query is a 1-D vector, got shape {vector.shape}")
    projected = user.projection.apply(vector)
    encoder = seal.CKKSEncoder(user.context)
    plain = seal.Plaintext()
    packed = _complex(projected, 1.0)
    encoder.encode(np.tile(packed, SLOTS // packed.size).tolist(), _SCALE, plain)
    encryptor = seal.Encryptor(user.context, user.secret_key)
    return _header(_MAGIC_QUERY, user.projection) + _to_bytes(encryptor.encrypt_symmetric(plain))


def _split(data: bytes, magic: bytes, what: str) -> tuple[int, bytes, bytes]:
    if len(data) < _HEADER.size:
        raise InvalidInputError(f"not a private-query {what}: {len(data)} bytes")
    found, dimension, digest = _HEADER.unpack_from(data)
    if found != magic:
        raise InvalidInputError(f"not a private-query {what} (magic {found!r})")
    return dimension, digest, data[_HEADER.size :]


class ScoringPlan:
    """The service's side: its features projected and packed as pre-rotated diagonals.

    Build it once per index state (encoding is the costly part: ``d`` plaintexts per block)
    and score every query against it.

    Args:
        features: The plaintext features, one row per image, in the order of the scores.
        projection: The projection the users query through (:meth:`Projection.fit` or
            :meth:`Projection.identity`).

    Raises:
        InvalidInputError: on a feature matrix that is empty, non-finite or of the wrong width.
    """

    def __init__(self, features: ArrayLike, projection: Projection) -> None:
        matrix = real_array(features, np.float64, what="features", finite=False)  # apply() checks finiteness
        if matrix.ndim != 2 or matrix.shape[0] == 0:
            raise InvalidInputError(f"features must be a non-empty 2-D matrix, got shape {matrix.shape}")
        projected = projection.apply(matrix)
        self.projection = projection
        self.count = matrix.shape[0]
        self._context = _seal_context()
        self._evaluator = seal.Evaluator(self._context)
        encoder = seal.CKKSEncoder(self._context)
        first = self._context.first_parms_id()
        last = self._context.last_parms_id()
        width = projection.dimension // 2
        self._baby = _baby_steps(width)
        # scale after one multiplication (2^40 · 2^40) and a rescale by the 40-bit prime
        prime = self._context.first_context_data().parms().coeff_modulus()[-1].value()
        self._answer_scale = _SCALE * _SCALE / prime
        slot = np.arange(SLOTS)
        self._last = last
        self._encoder = encoder
        self._blocks: list[tuple[list[list[seal.Plaintext]], NDArray[np.float64]]] = []
        packed = _complex(projected, -1.0)  # conjugate: Re((y_a − i y_b)(x_a + i x_b)) = y_a x_a + y_b x_b
        for start in range(0, self.count, SLOTS):
            block = np.zeros((SLOTS, width), dtype=np.complex128)
            rows = packed[start : start + SLOTS]
            block[: len(rows)] = rows
            giants = []
            for giant in range(0, width, self._baby):
                row = []
                for baby in range(self._baby):
                    diagonal = block[slot, (slot + giant + baby) % width]
                    plain = seal.Plaintext()
                    encoder.encode(np.roll(-2.0 * diagonal, giant).tolist(), first, _SCALE, plain)
                    row.append(plain)
                giants.append(row)
            self._blocks.append((giants, (np.abs(block) ** 2).sum(axis=1)))

    def _load(self, public: bytes, encrypted_query: bytes) -> tuple[seal.Ciphertext, seal.GaloisKeys]:
        d = self.projection.dimension
        for data, magic, what in ((public, _MAGIC_KEYS, "key set"), (encrypted_query, _MAGIC_QUERY, "query")):
            dimension, digest, _ = _split(data, magic, what)
            if dimension != d or digest != self.projection.digest:
                raise InvalidInputError(
                    f"the {what} was made for another projection (dimension {dimension}, the index's is {d})"
                )
        query = seal.Ciphertext()
        try:
            _from_bytes(query, self._context, encrypted_query[_HEADER.size :])
            keys = _session_keys(public) if _rotations(d) else seal.GaloisKeys()
        except Exception as exc:  # SEAL raises ValueError / RuntimeError on malformed data
            raise InvalidInputError(f"malformed CKKS query or Galois keys: {exc}") from None
        if (
            query.parms_id() != self._context.first_parms_id()
            or query.size() != 2
            or not query.is_ntt_form()
            or query.scale != _SCALE
        ):
            raise InvalidInputError("the query is not a fresh CKKS ciphertext under this module's parameters")
        missing = [s for s in _rotations(d) if not keys.has_key(_galois_element(s))]
        if missing:
            raise InvalidInputError(f"the Galois keys lack the rotations {missing}")
        return query, keys

    def scores(self, public: bytes, encrypted_query: bytes) -> list[bytes]:
        """Encrypted ``||y_j||² − 2⟨x, y_j⟩`` for every row, one ciphertext per :data:`SLOTS` rows.

        Args:
            public: :func:`public_context` of the user.
            encrypted_query: :func:`encrypt_query`'s output.

        Raises:
            InvalidInputError: malformed or foreign key set or query, a projection mismatch,
                or Galois keys that lack a rotation.
        """
        query, keys = self._load(public, encrypted_query)
        evaluator = self._evaluator

        def rotate(ciphertext: seal.Ciphertext, step: int) -> seal.Ciphertext:
            out = seal.Ciphertext()
            evaluator.rotate_vector(ciphertext, step, keys, out)
            return out

        masks = np.random.default_rng(secrets.randbits(128))
        babies = [query] + [rotate(query, step) for step in range(1, self._baby)]
        answers = []
        for giants, norms in self._blocks:
            total: seal.Ciphertext | None = None
            for index, row in enumerate(giants):
                inner = seal.Ciphertext()
                evaluator.multiply_plain(babies[0], row[0], inner)
                for baby, plain in zip(babies[1:], row[1:], strict=True):
                    product = seal.Ciphertext()
                    evaluator.multiply_plain(baby, plain, product)
                    evaluator.add_inplace(inner, product)
                if index:
                    inner = rotate(inner, index * self._baby)
                if total is None:
                    total = inner
                else:
                    evaluator.add_inplace(total, inner)
            assert total is not None
            evaluator.rescale_to_next_inplace(total)
            # the norms, and a fresh mask over the imaginary parts (which hold y_a x_b − y_b x_a)
            mask = seal.Plaintext()
            noise = masks.uniform(-IMAGINARY_MASK, IMAGINARY_MASK, SLOTS)
            self._encoder.encode((norms + 1j * noise).tolist(), self._last, self._answer_scale, mask)
            evaluator.add_plain_inplace(total, mask)
            answers.append(_to_bytes(total))
        return answers


def encrypted_scores(public: bytes, encrypted_query: bytes, features: ArrayLike) -> list[bytes]:
    """One-shot :class:`ScoringPlan` over ``features`` with the identity projection.

    Raises:
        InvalidInputError: see :meth:`ScoringPlan.scores`.
    """
    matrix = real_array(features, np.float64, what="features", finite=False)  # ScoringPlan checks the rest
    if matrix.ndim != 2:
        raise InvalidInputError(f"features must be a 2-D matrix, got shape {matrix.shape}")
    return ScoringPlan(matrix, Projection.identity(matrix.shape[1])).scores(public, encrypted_query)


def decrypt_scores(user: UserKey, blocks: list[bytes], count: int) -> NDArray[np.float64]:
    """The user's side: the ``count`` scores, decrypted.

    Raises:
        VerificationError: the blocks do not parse under these parameters or hold other than
            ``count`` scores. NOTE: blocks made under another user's key parse and decrypt to
            noise, not to an error; the user's check of the chosen records against the chain
            (and the result hash on record) is what catches a wrong answer.
    """
    if not isinstance(user, UserKey):
        raise InvalidInputError("decrypting needs the user's key (new_user_context())")
    expected = -(-count // SLOTS)
    if len(blocks) != expected:
        raise VerificationError(f"expected {expected} score ciphertexts for {count} scores, got {len(blocks)}")
    decryptor = seal.Decryptor(user.context, user.secret_key)
    encoder = seal.CKKSEncoder(user.context)
    values: list[float] = []
    for block in blocks:
        ciphertext = seal.Ciphertext()
        try:
            _from_bytes(ciphertext, user.context, block)
        except Exception as exc:  # SEAL raises ValueError / RuntimeError on malformed data
            raise VerificationError(f"the scores do not parse under these parameters: {exc}") from None
        plain = seal.Plaintext()
        decryptor.decrypt(ciphertext, plain)
        values.extend(encoder.decode_double(plain))
    return np.asarray(values[:count], dtype=np.float64)


def top_k(scores: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """Row positions of the ``k`` smallest scores, smallest first (ties by position)."""
    if k <= 0:
        raise InvalidInputError(f"expected k > 0, got {k}")
    return np.argsort(scores, kind="stable")[:k].astype(np.int64)
