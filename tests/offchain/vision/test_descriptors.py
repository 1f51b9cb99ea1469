"""MPEG-7 descriptors (offchain.vision): known answers by construction, invariances, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.transform import rotate

from offchain.errors import InvalidInputError
from offchain.vision import ImageDescriptor, colour_structure, describe, distance, edge_histogram, region_shape
from offchain.vision.colour_structure import dequantise_amplitudes, quantise_amplitudes, quantise_hmmd
from offchain.vision.descriptor import DescriptorWeights
from offchain.vision.errors import DescriptorError, EmptyImageError, ImageDtypeError, ImageShapeError
from offchain.vision.region_shape import art_magnitudes, dequantise_shape

SIDE = 64


def disc(radius: float = 20.0, centre: tuple[float, float] = (31.5, 31.5)) -> np.ndarray:
    yy, xx = np.mgrid[:SIDE, :SIDE]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


@pytest.mark.parametrize("bins", [32, 64, 128, 256])
def test_a_uniform_colour_fills_one_colour_structure_bin(bins):
    image = np.empty((SIDE, SIDE, 3), dtype=np.uint8)
    image[:] = (200, 30, 40)
    codes = colour_structure(image, bins)
    assert codes.shape == (bins,)
    assert np.count_nonzero(codes) == 1
    assert codes.max() == 255
    assert np.argmax(codes) == quantise_hmmd(image[:8, :8], bins)[0, 0]


def test_two_colours_fill_two_bins_in_proportion_to_the_windows_holding_them():
    image = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    image[:, :16] = (0, 0, 255)
    codes = colour_structure(image, 64)
    assert np.count_nonzero(codes) == 2
    # 57 window columns: those starting at 0..15 hold blue (16), those starting at 9..56 black (48)
    values = np.sort(dequantise_amplitudes(codes[codes > 0]))
    assert values == pytest.approx([16 / 57, 48 / 57], abs=0.003)


def test_colour_structure_does_not_change_when_a_patch_moves_inside_the_frame():
    image = np.full((SIDE, SIDE, 3), 240, dtype=np.uint8)
    moved = image.copy()
    image[10:30, 12:28] = (20, 160, 40)
    moved[30:50, 36:52] = (20, 160, 40)
    assert np.array_equal(colour_structure(image), colour_structure(moved))


def test_amplitude_quantiser_is_monotone_and_round_trips_within_its_step():
    values = np.linspace(0.0, 1.0, 2001)
    codes = quantise_amplitudes(values)
    assert np.all(np.diff(codes.astype(int)) >= 0)
    assert codes[0] == 0 and codes[-1] == 255
    assert np.max(np.abs(dequantise_amplitudes(codes) - values)) < 0.0026


def test_a_pure_vertical_edge_fills_only_vertical_edge_bins_of_its_column():
    image = np.zeros((SIDE, SIDE), dtype=np.uint8)
    image[:, 33:] = 255  # blocks are 2 px wide: the edge runs through the blocks at columns 32-33
    codes = edge_histogram(image).reshape(4, 4, 5)  # sub-image row, column, edge type
    assert np.all(codes[:, 2, 0] > 0)
    codes[:, 2, 0] = 0
    assert not codes.any()


def test_a_horizontal_edge_fills_horizontal_bins_and_a_flat_image_none():
    image = np.zeros((SIDE, SIDE), dtype=np.uint8)
    image[17:, :] = 200
    codes = edge_histogram(image).reshape(4, 4, 5)
    assert np.all(codes[1, :, 1] > 0)
    codes[1, :, 1] = 0
    assert not codes.any()
    assert not edge_histogram(np.full((SIDE, SIDE), 90, dtype=np.uint8)).any()


def test_the_region_shape_of_a_disc_is_its_radial_term_only():
    magnitudes = art_magnitudes(disc())
    assert magnitudes[0, 1] == pytest.approx(8 / np.pi**2, abs=0.06)  # |F10| / |F00| of a disc
    assert magnitudes[0, 2] < 0.1  # F20 = 0 for the continuous disc
    assert magnitudes[1:].max() < 0.02  # no angular term
    codes = region_shape(disc())
    assert codes[0] == 15
    assert codes[2:].max() <= 2


@pytest.mark.parametrize("angle", [30, 90, 137])
def test_region_shape_does_not_change_under_rotation(angle):
    yy, xx = np.mgrid[:SIDE, :SIDE]
    shape = (np.abs(yy - 32) <= 6) & (np.abs(xx - 32) <= 20)
    shape |= (np.abs(xx - 40) <= 5) & (yy >= 20) & (yy <= 44)
    turned = rotate(shape.astype(float), angle, order=0) > 0.5
    assert np.abs(art_magnitudes(shape) - art_magnitudes(turned)).max() < 0.06  # pixel resampling
    original, rotated = dequantise_shape(region_shape(shape)), dequantise_shape(region_shape(turned))
    assert np.abs(original - rotated).sum() < 0.25 * np.abs(original - dequantise_shape(region_shape(disc()))).sum()


def test_a_flat_image_and_an_empty_mask_have_the_shape_of_the_whole_frame():
    flat = region_shape(np.full((SIDE, SIDE, 3), 77, dtype=np.uint8))
    assert np.array_equal(flat, region_shape(np.zeros((SIDE, SIDE), dtype=bool)))
    assert np.array_equal(flat, region_shape(np.ones((SIDE, SIDE), dtype=bool)))
    with pytest.raises(ImageDtypeError):
        art_magnitudes(np.zeros((SIDE, SIDE), dtype=bool))


def test_region_shape_is_the_same_for_the_object_of_a_colour_image():
    image = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    image[disc()] = (250, 200, 10)
    assert np.array_equal(region_shape(image), region_shape(disc()))


@pytest.mark.parametrize(
    ("image", "error"),
    [
        ([[1, 2], [3, 4]], ImageDtypeError),
        (np.zeros((16, 16), dtype=np.int32), ImageDtypeError),
        (np.full((16, 16), 1.5), ImageDtypeError),
        (np.full((16, 16), np.nan), ImageDtypeError),
        (np.zeros((0, 16), dtype=np.uint8), EmptyImageError),
        (np.zeros((16, 16, 4), dtype=np.uint8), ImageShapeError),
        (np.zeros((16,), dtype=np.uint8), ImageShapeError),
        (np.zeros((7, 64), dtype=np.uint8), ImageShapeError),
    ],
)
def test_bad_images_are_refused_with_a_typed_error(image, error):
    with pytest.raises(error):
        describe(image)
    assert issubclass(error, InvalidInputError)


def test_unsupported_colour_bins_and_bad_codes_are_refused():
    image = np.zeros((SIDE, SIDE), dtype=np.uint8)
    with pytest.raises(DescriptorError):
        describe(image, colour_bins=100)
    with pytest.raises(DescriptorError):
        ImageDescriptor(np.zeros(64, np.uint8), np.full(80, 9, np.uint8), np.zeros(35, np.uint8))
    with pytest.raises(DescriptorError):
        ImageDescriptor.from_bytes(b"\x06" + bytes(10))
    with pytest.raises(DescriptorError):
        distance(describe(image, 32), describe(image, 64))


@pytest.mark.parametrize(
    "weights",
    [
        {"colour": -1.0},
        {"edge": float("nan")},
        {"shape": float("inf")},
        {"colour": 10**400},  # beyond the float range: was a TypeError from np.isfinite
        {"colour": "1"},
        {"colour": None},
        {"colour": True},
        {"colour": np.bool_(True)},
        {"colour": 1 + 0j},
        {"colour": 0, "edge": 0, "shape": 0},
    ],
    ids=["negative", "nan", "inf", "int-beyond-float", "str", "none", "bool", "numpy-bool", "complex", "all-zero"],
)
def test_weights_that_are_not_finite_non_negative_reals_are_refused(weights):
    with pytest.raises(DescriptorError):
        DescriptorWeights(**weights)


def test_weights_accept_ints_floats_and_numpy_scalars():
    weights = DescriptorWeights(colour=2, edge=np.float32(0.5), shape=np.int64(0))
    assert (weights.colour, weights.edge, weights.shape) == (2, 0.5, 0)


def test_descriptor_bytes_round_trip_and_distance_to_itself_is_zero():
    image = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    image[disc()] = (30, 200, 90)
    descriptor = describe(image)
    assert ImageDescriptor.from_bytes(descriptor.to_bytes()).to_bytes() == descriptor.to_bytes()
    assert distance(descriptor, descriptor) == 0.0
    assert descriptor.vector().shape == (descriptor.dimension(),)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_any_noise_image_gives_codes_in_range_and_a_finite_unit_scaled_vector(seed):
    image = np.random.default_rng(seed).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    descriptor = describe(image)
    assert descriptor.edge_histogram.max() <= 7 and descriptor.region_shape.max() <= 15
    vector = descriptor.vector()
    assert np.all(np.isfinite(vector)) and np.linalg.norm(vector) <= np.sqrt(3) + 1e-5


@settings(max_examples=15, deadline=None)
@given(st.integers(7, 33), st.integers(7, 33))  # the element sees the whole patch
def test_colour_structure_of_a_patch_is_the_same_wherever_it_sits(top, left):
    image = np.full((SIDE, SIDE, 3), 250, dtype=np.uint8)
    image[top : top + 24, left : left + 24] = (10, 10, 200)
    reference = np.full((SIDE, SIDE, 3), 250, dtype=np.uint8)
    reference[20:44, 20:44] = (10, 10, 200)
    assert np.array_equal(colour_structure(image), colour_structure(reference))


def test_a_large_disc_is_subsampled_and_keeps_the_shape_of_a_disc():
    yy, xx = np.mgrid[:600, :600]
    large = (yy - 300) ** 2 + (xx - 300) ** 2 <= 200**2
    codes = region_shape(large)
    assert codes[0] == 15 and codes[2:].max() <= 2
