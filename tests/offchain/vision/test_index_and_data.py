"""Indexes (exact numpy, faiss), precision at k, the synthetic set and the bundled image loaders."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.vision import ExactIndex, FaissIndex, SyntheticImageSet, describe, mean_precision_at_k, precision_at_k
from offchain.vision.datasets import load_digits_images, load_lfw_images, load_texture_images
from offchain.vision.errors import DescriptorError, IndexConfigurationError, UnknownImageError, VisionError

DIMENSION = 16


@pytest.fixture(scope="module")
def vectors():
    return np.random.default_rng(7).normal(size=(300, DIMENSION)).astype(np.float32)


@pytest.fixture(params=["exact", "flat", "hnsw", "ivf"])
def index(request):
    if request.param == "exact":
        return ExactIndex(DIMENSION)
    return FaissIndex(DIMENSION, request.param, nlist=8, nprobe=8)


def test_a_stored_vector_is_its_own_nearest_neighbour(index, vectors):
    index.add(np.arange(300), vectors)
    distances, ids = index.search(vectors[:20], 5)
    assert ids[:, 0].tolist() == list(range(20))
    assert np.allclose(distances[:, 0], 0.0, atol=1e-3)
    assert np.all(np.diff(distances, axis=1) >= -1e-5)


def test_deleted_images_are_never_returned_and_updated_ones_move(index, vectors):
    index.add(np.arange(300), vectors)
    index.delete([0, 1, 2])
    assert len(index) == 297 and 0 not in index
    _, ids = index.search(vectors[:3], 10)
    assert not set(ids.ravel()) & {0, 1, 2}
    index.update([5], vectors[100:101] + 0.001)
    _, ids = index.search(vectors[100], 2)
    assert set(ids[0]) == {5, 100}
    with pytest.raises(UnknownImageError):
        index.delete([0])
    with pytest.raises(UnknownImageError):
        index.update([0], vectors[:1])
    with pytest.raises(UnknownImageError):
        index.add([5], vectors[:1])
    with pytest.raises(DescriptorError):
        index.add([1000], vectors[:1, :3])


def test_exact_and_faiss_flat_return_the_same_neighbours(vectors):
    exact, flat = ExactIndex(DIMENSION), FaissIndex.from_vectors(np.arange(300), vectors)
    exact.add(np.arange(300), vectors)
    queries = np.random.default_rng(8).normal(size=(25, DIMENSION))
    exact_d, exact_ids = exact.search(queries, 10)
    flat_d, flat_ids = flat.search(queries, 10)
    assert np.array_equal(exact_ids, flat_ids)
    assert np.allclose(exact_d, flat_d, atol=1e-4)


def test_exact_search_breaks_ties_by_the_smaller_id():
    index = ExactIndex(2)
    index.add([9, 3, 5], np.ones((3, 2)))
    assert index.search([1.0, 1.0], 3)[1].tolist() == [[3, 5, 9]]


@pytest.mark.parametrize(
    "row",
    [["0.5"] * DIMENSION, [1 + 1j] * DIMENSION, [None] * DIMENSION, [10**400] * DIMENSION, [1e300] * DIMENSION],
    ids=["text", "complex", "none", "int-beyond-float", "beyond-float32"],
)
def test_vectors_and_queries_of_other_than_finite_reals_are_refused(index, vectors, row):
    index.add(np.arange(20), vectors[:20])  # enough for the IVF index to train
    with pytest.raises(DescriptorError, match=r"^(vectors|queries) must be"):
        index.add([1000], [row])
    with pytest.raises(DescriptorError, match=r"^queries must be"):
        index.search(row, 1)
    assert len(index) == 20


@pytest.mark.parametrize(
    "ids", [[2**63], np.array([2**64 - 1], dtype=np.uint64), [2**64]], ids=["2^63", "uint64-max", "2^64"]
)
def test_ids_beyond_a_signed_64_bit_integer_are_refused_not_wrapped(index, vectors, ids):
    index.add(np.arange(20), vectors[:20])
    with pytest.raises(DescriptorError, match="integer"):
        index.add(ids, vectors[20:21])
    with pytest.raises(DescriptorError, match="integer"):
        index.delete(ids)
    assert len(index) == 20 and int(index.search(vectors[0], 1)[1][0, 0]) == 0


def test_bad_index_settings_are_refused():
    with pytest.raises(IndexConfigurationError):
        FaissIndex(DIMENSION, "lsh")
    with pytest.raises(IndexConfigurationError):
        ExactIndex(0)
    with pytest.raises(IndexConfigurationError):
        FaissIndex(DIMENSION, "ivf", nlist=50).add(np.arange(10), np.zeros((10, DIMENSION)))
    with pytest.raises(DescriptorError):
        ExactIndex(DIMENSION).search(np.zeros(DIMENSION), 0)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**31 - 1))
def test_exact_search_matches_a_full_sort(count, seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(-3, 4, size=(count, 4)).astype(np.float32)  # many ties
    index = ExactIndex(4)
    index.add(np.arange(count), data)
    query = rng.integers(-3, 4, size=4)
    squared = ((data - query) ** 2).sum(axis=1)
    expected = sorted(range(count), key=lambda i: (squared[i], i))[:5]
    assert index.search(query, 5)[1][0].tolist() == expected


def test_precision_at_k_counts_matching_labels():
    assert precision_at_k([1, 1, 0, 1], 1, 4) == 0.75
    assert mean_precision_at_k(np.array([[0, 1, 2], [1, 0, 2]]), [0, 1], [7, 7, 3], 2) == 0.5
    with pytest.raises(DescriptorError):
        precision_at_k([1], 1, 2)


def test_the_synthetic_set_is_deterministic_lazy_and_labelled():
    images = SyntheticImageSet(seed=3)
    assert len(images) == 10_000 and images.labels[:12].tolist() == [*range(10), 0, 1]
    assert np.array_equal(images[9_999], SyntheticImageSet(seed=3)[9_999])
    assert not np.array_equal(images[10], SyntheticImageSet(seed=4)[10])
    assert images[0].shape == (64, 64, 3) and images[0].dtype == np.uint8
    with pytest.raises(IndexError):
        images[10_000]
    with pytest.raises(VisionError):
        SyntheticImageSet(size=0)


def test_descriptors_retrieve_synthetic_classes_far_better_than_chance():
    images = SyntheticImageSet(seed=1, size=200)
    index = ExactIndex(describe(images[0]).dimension())
    index.add(np.arange(200), np.stack([describe(image).vector() for image in images]))
    _, ids = index.search(np.stack([index.vector(i) for i in range(50)]), 11)
    assert mean_precision_at_k(ids, np.arange(50), images.labels, 10) > 0.6  # chance: 0.1


@pytest.mark.parametrize(
    ("loader", "count", "classes"),
    [(load_digits_images, 1797, 10), (load_lfw_images, 200, 2), (load_texture_images, 48, 3)],
)
def test_bundled_image_sets_load_without_a_network(loader, count, classes):
    data = loader()
    assert len(data) == count and data.images.dtype == np.uint8
    assert np.unique(data.labels).size == classes
    describe(data.images[0])
