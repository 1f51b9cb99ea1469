"""Nearest-neighbour indexes of feature vectors: exact numpy search and faiss.

Research: Shen, Zhu, Xu, §6.4 (the retrieval service keeps an index of the synced features and
ranks by Euclidean distance, Eq. 6.5) and §6.5.2 (the index supports adding images, deleting
duplicates and updating re-encrypted versions). The research's feature encryption (Eq. 6.1–6.4)
is NOT used: its ciphertexts preserve distances and its modulus is public.

Both indexes share one API: ``add(ids, vectors)``, ``delete(ids)``, ``update(ids, vectors)``,
``search(queries, k) -> (distances, ids)`` with Euclidean (not squared) distances, nearest first,
ties broken by the smaller id in :class:`ExactIndex`. :class:`FaissIndex` uses exact
``IndexFlatL2`` by default; ``kind="hnsw"`` or ``"ivf"`` trade exactness for speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import ThreadpoolController

from offchain.validation import real_array
from offchain.vision.errors import DescriptorError, IndexConfigurationError, UnknownImageError

__all__ = ["ExactIndex", "FaissIndex", "SearchResult"]

SearchResult = tuple[NDArray[np.float32], NDArray[np.int64]]

_ID_MAX = int(np.iinfo(np.int64).max)


def _ids(ids: ArrayLike) -> NDArray[np.int64]:
    array = np.asarray(ids)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise DescriptorError(f"expected a 1-D array of integer ids, found {array.dtype} {array.shape}")
    if array.size and int(array.max()) > _ID_MAX:
        # an unsigned id of 2**63 or more would wrap to a negative int64 and come back changed
        raise DescriptorError(f"expected ids that fit a signed 64-bit integer, found {int(array.max())}")
    if np.unique(array).size != array.size:
        raise UnknownImageError("expected distinct ids in one call", tuple(int(i) for i in array))
    return array.astype(np.int64)


def _vectors(vectors: ArrayLike, dimension: int, rows: int | None = None) -> NDArray[np.float32]:
    return _shaped(real_array(vectors, np.float32, what="vectors", error=DescriptorError), dimension, rows)


def _shaped(array: NDArray[np.float32], dimension: int, rows: int | None = None) -> NDArray[np.float32]:
    if array.ndim != 2 or array.shape[1] != dimension or (rows is not None and array.shape[0] != rows):
        raise DescriptorError(f"expected vectors of shape ({rows or 'n'}, {dimension}), found {array.shape}")
    return np.ascontiguousarray(array)


class _Base:
    def __init__(self, dimension: int) -> None:
        if dimension <= 0:
            raise IndexConfigurationError(f"expected a positive dimension, found {dimension}")
        self.dimension = dimension
        self._vectors: dict[int, NDArray[np.float32]] = {}

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._vectors

    def _check_new(self, ids: NDArray[np.int64]) -> None:
        held = tuple(int(i) for i in ids if int(i) in self._vectors)
        if held:
            raise UnknownImageError(f"ids already indexed: {held[:5]}", held)

    def _check_held(self, ids: NDArray[np.int64]) -> None:
        missing = tuple(int(i) for i in ids if int(i) not in self._vectors)
        if missing:
            raise UnknownImageError(f"ids not indexed: {missing[:5]}", missing)

    def _check_query(self, queries: ArrayLike, k: int) -> NDArray[np.float32]:
        if k <= 0:
            raise DescriptorError(f"expected k > 0, found {k}")
        array = real_array(queries, np.float32, what="queries", error=DescriptorError)
        return _shaped(array[None, :] if array.ndim == 1 else array, self.dimension)

    def vector(self, image_id: int) -> NDArray[np.float32]:
        """The stored vector of ``image_id``.

        Raises:
            UnknownImageError: not indexed.
        """
        self._check_held(np.array([image_id], dtype=np.int64))
        return self._vectors[image_id].copy()


#: One query's product is too small to gain from BLAS threads, and on a busy machine waking them
#: costs more than the product itself (10k × 179: 8 ms with two threads under load, 0.9 ms with one).
_BLAS = ThreadpoolController()


class ExactIndex(_Base):
    """Exact Euclidean search over a numpy matrix (brute force, ``O(n·d)`` per query)."""

    def __init__(self, dimension: int) -> None:
        super().__init__(dimension)
        self._matrix = np.empty((0, dimension), dtype=np.float32)
        self._row_ids = np.empty(0, dtype=np.int64)
        self._norms = np.empty(0, dtype=np.float64)
        self._matrix64_t = np.empty((dimension, 0), dtype=np.float64)
        self._dirty = False

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        """Index new images.

        Raises:
            UnknownImageError: an id is already indexed (use :meth:`update`) or repeated.
            DescriptorError: a bad id array or vector shape.
        """
        image_ids = _ids(ids)
        rows = _vectors(vectors, self.dimension, image_ids.size)
        self._check_new(image_ids)
        self._vectors.update(zip((int(i) for i in image_ids), rows, strict=True))
        self._dirty = True

    def delete(self, ids: ArrayLike) -> None:
        """Remove images (duplicates, withdrawn records).

        Raises:
            UnknownImageError: an id is not indexed.
        """
        image_ids = _ids(ids)
        self._check_held(image_ids)
        for image_id in image_ids:
            del self._vectors[int(image_id)]
        self._dirty = True

    def update(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        """Replace the vectors of indexed images (a new version of a record).

        Raises:
            UnknownImageError: an id is not indexed.
        """
        image_ids = _ids(ids)
        rows = _vectors(vectors, self.dimension, image_ids.size)
        self._check_held(image_ids)
        self._vectors.update(zip((int(i) for i in image_ids), rows, strict=True))
        self._dirty = True

    def _refresh(self) -> None:
        if self._dirty:
            self._row_ids = np.array(sorted(self._vectors), dtype=np.int64)
            self._matrix = (
                np.stack([self._vectors[int(i)] for i in self._row_ids])
                if self._row_ids.size
                else np.empty((0, self.dimension), dtype=np.float32)
            )
            # the transposed float64 copy is made once per change, not once per query
            self._matrix64_t = np.ascontiguousarray(self._matrix.astype(np.float64).T)
            self._norms = (self._matrix64_t**2).sum(axis=0)
            self._dirty = False

    def search(self, queries: ArrayLike, k: int) -> SearchResult:
        """The ``k`` nearest images of each query (fewer if the index holds fewer).

        Returns:
            ``(distances, ids)``, each of shape ``(queries, min(k, len(self)))``.

        Raises:
            DescriptorError: a bad query shape or ``k``.
        """
        query = self._check_query(queries, k).astype(np.float64)
        self._refresh()
        count = min(k, self._row_ids.size)
        squared = self._norms[None, :] - 2.0 * query @ self._matrix64_t + (query**2).sum(axis=1)[:, None]
        squared = np.maximum(squared, 0.0)
        if count == 0:
            return np.empty((query.shape[0], 0), np.float32), np.empty((query.shape[0], 0), np.int64)
        kth = np.partition(squared, count - 1, axis=1)[:, count - 1]
        rows = np.empty((query.shape[0], count), dtype=np.int64)
        for row, (values, bound) in enumerate(zip(squared, kth, strict=True)):
            # every row within the k-th distance, then (distance, id) order: rows are in id order
            candidates = np.flatnonzero(values <= bound)
            rows[row] = candidates[np.lexsort((candidates, values[candidates]))[:count]]
        distances = np.sqrt(np.take_along_axis(squared, rows, axis=1)).astype(np.float32)
        return distances, self._row_ids[rows]


class FaissIndex(_Base):
    """Euclidean search with faiss: ``kind="flat"`` (exact ``IndexFlatL2``, the default),
    ``"hnsw"`` (``IndexHNSWFlat``, ``hnsw_neighbours`` links, ``ef_search``) or ``"ivf"``
    (``IndexIVFFlat`` with ``nlist`` lists, ``nprobe`` searched; trained on the first batch added,
    which needs at least ``nlist`` vectors).

    Deletion and update: flat and IVF indexes remove vectors in place; HNSW cannot, so deleted
    and superseded entries are hidden (the search asks for more and drops them) and the graph is
    rebuilt once they outnumber the live ones.

    Raises:
        IndexConfigurationError: an unknown kind or a non-positive parameter.
    """

    KINDS = ("flat", "hnsw", "ivf")

    def __init__(
        self,
        dimension: int,
        kind: str = "flat",
        *,
        nlist: int = 100,
        nprobe: int = 10,
        hnsw_neighbours: int = 32,
        ef_search: int = 64,
    ) -> None:
        super().__init__(dimension)
        if kind not in self.KINDS:
            raise IndexConfigurationError(f"expected kind in {self.KINDS}, found {kind!r}")
        if min(nlist, nprobe, hnsw_neighbours, ef_search) <= 0:
            raise IndexConfigurationError("expected positive nlist, nprobe, hnsw_neighbours and ef_search")
        self.kind = kind
        self._settings = {"nlist": nlist, "nprobe": nprobe, "m": hnsw_neighbours, "ef": ef_search}
        self._label_of: dict[int, int] = {}  # image id -> faiss label
        self._id_of: dict[int, int] = {}  # faiss label -> image id (live labels only)
        self._next_label = 0
        self._hidden = 0
        self._index = self._new_index()

    def _new_index(self) -> Any:
        import faiss

        if self.kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatL2(self.dimension))
        if self.kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dimension, self._settings["m"])
            inner.hnsw.efSearch = self._settings["ef"]
            return faiss.IndexIDMap(inner)
        self._quantiser = faiss.IndexFlatL2(self.dimension)
        ivf = faiss.IndexIVFFlat(self._quantiser, self.dimension, self._settings["nlist"])
        ivf.nprobe = self._settings["nprobe"]
        return ivf

    def _insert(self, ids: NDArray[np.int64], rows: NDArray[np.float32]) -> None:
        if self.kind == "ivf" and not self._index.is_trained:
            if rows.shape[0] < self._settings["nlist"]:
                raise IndexConfigurationError(
                    f"an IVF index trains on its first batch: expected >= {self._settings['nlist']} vectors, "
                    f"found {rows.shape[0]}"
                )
            self._index.train(rows)
        labels = np.arange(self._next_label, self._next_label + ids.size, dtype=np.int64)
        self._next_label += ids.size
        self._index.add_with_ids(rows, labels)
        for image_id, label, row in zip(ids, labels, rows, strict=True):
            self._label_of[int(image_id)] = int(label)
            self._id_of[int(label)] = int(image_id)
            self._vectors[int(image_id)] = row

    def _remove(self, ids: NDArray[np.int64]) -> None:
        labels = np.array([self._label_of.pop(int(i)) for i in ids], dtype=np.int64)
        for label, image_id in zip(labels, ids, strict=True):
            del self._id_of[int(label)]
            del self._vectors[int(image_id)]
        if self.kind == "hnsw":
            self._hidden += labels.size
        else:
            self._index.remove_ids(labels)

    def _rebuild_if_sparse(self) -> None:
        if self.kind == "hnsw" and self._hidden > max(len(self._vectors), 1000):
            live = dict(self._vectors)
            self._index, self._label_of, self._id_of, self._vectors, self._hidden = self._new_index(), {}, {}, {}, 0
            if live:
                self._insert(np.array(list(live), dtype=np.int64), np.stack(list(live.values())))

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        """Index new images (see :meth:`ExactIndex.add`)."""
        image_ids = _ids(ids)
        rows = _vectors(vectors, self.dimension, image_ids.size)
        self._check_new(image_ids)
        self._insert(image_ids, rows)

    def delete(self, ids: ArrayLike) -> None:
        """Remove images (see :meth:`ExactIndex.delete`)."""
        image_ids = _ids(ids)
        self._check_held(image_ids)
        self._remove(image_ids)
        self._rebuild_if_sparse()

    def update(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        """Replace the vectors of indexed images (see :meth:`ExactIndex.update`)."""
        image_ids = _ids(ids)
        rows = _vectors(vectors, self.dimension, image_ids.size)
        self._check_held(image_ids)
        self._remove(image_ids)
        self._insert(image_ids, rows)
        self._rebuild_if_sparse()

    def search(self, queries: ArrayLike, k: int) -> SearchResult:
        """The ``k`` nearest images of each query (see :meth:`ExactIndex.search`)."""
        query = self._check_query(queries, k)
        count = min(k, len(self._vectors))
        if count == 0:
            empty = np.empty((query.shape[0], 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        asked = min(count + self._hidden, self._next_label)
        squared, labels = self._index.search(query, asked)
        distances = np.empty((query.shape[0], count), dtype=np.float32)
        found = np.full((query.shape[0], count), -1, dtype=np.int64)
        for row in range(query.shape[0]):
            live = [
                (d, self._id_of[int(lab)])
                for d, lab in zip(squared[row], labels[row], strict=True)
                if int(lab) in self._id_of
            ]
            live = live[:count]
            distances[row, : len(live)] = np.sqrt(np.maximum([d for d, _ in live], 0.0))
            found[row, : len(live)] = [i for _, i in live]
        return distances, found

    @staticmethod
    def from_vectors(ids: Sequence[int] | NDArray[np.int64], vectors: ArrayLike, kind: str = "flat") -> FaissIndex:
        """A new index of ``kind`` holding ``vectors`` under ``ids``."""
        rows = real_array(vectors, np.float32, what="vectors", error=DescriptorError, finite=False)  # add checks
        if rows.ndim != 2:
            raise DescriptorError(f"expected a 2-D matrix of vectors, found shape {rows.shape}")
        index = FaissIndex(rows.shape[1], kind)
        index.add(np.asarray(ids), rows)
        return index
