"""MPEG-7 region shape descriptor: the Angular Radial Transform (ART), written from its
definition (ISO/IEC 15938-3 §8.1; Kim, Kim, *A region-based shape descriptor using Zernike
moments*, and Bober, *MPEG-7 visual shape descriptors*, IEEE TCSVT 2001).

Research: Shen, Zhu, Xu, §6.3.1 (region shape is one of the three features of each image) and
§6.4 (Euclidean ranking). The research's feature encryption (Eq. 6.1–6.4) is NOT used: it
preserves distances and publishes its modulus.

Definition: the shape is a binary mask ``f`` placed in the unit disc (centred on its centroid,
scaled so that its farthest pixel lies on the circle: translation and scale invariance). Its ART
coefficients are

    F_nm = Σ_pixels f(ρ, θ) · conj(V_nm(ρ, θ)),   V_nm = (1 / 2π) · exp(j m θ) · R_n(ρ),
    R_0(ρ) = 1,   R_n(ρ) = 2 cos(π n ρ) (n ≥ 1),

for n < 3 radial and m < 12 angular orders. The descriptor keeps the magnitudes (a rotation
only changes the phases) divided by ``|F_00|`` (the area), which leaves the other 35 values in
[0, 1]-ish, each quantised to 4 bits with the reference software's table
(:data:`QUANTISATION_THRESHOLDS`, reconstruction values :data:`RECONSTRUCTION`). Order: ``m``
major, ``n`` minor, ``(0, 0)`` left out.

A disc has, by construction, ``F_nm = 0`` for every ``m ≠ 0``, ``|F_10| / |F_00| = 8/π² ≈ 0.81``
(code 15) and ``F_20 = 0``.

:func:`shape_mask` gives colour and grey images a mask: Otsu's threshold on the luma, the side
that covers less of the image border taken as the object; a flat image is all object.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from skimage.filters import threshold_otsu

from offchain.vision._image import as_rgb_uint8, checked_codes, luminance
from offchain.vision.errors import ImageDtypeError

__all__ = [
    "ANGULAR_ORDERS",
    "ART_COEFFICIENTS",
    "MAX_SHAPE_SIDE_PX",
    "QUANTISATION_THRESHOLDS",
    "RADIAL_ORDERS",
    "RECONSTRUCTION",
    "art_magnitudes",
    "dequantise_shape",
    "region_shape",
    "shape_mask",
]

RADIAL_ORDERS = 3
ANGULAR_ORDERS = 12
#: Masks with a longer side are subsampled (by a whole step) before the transform.
MAX_SHAPE_SIDE_PX = 256
#: 3 × 12 coefficients less F_00.
ART_COEFFICIENTS = RADIAL_ORDERS * ANGULAR_ORDERS - 1
#: Code ``c`` covers ``[QUANTISATION_THRESHOLDS[c], QUANTISATION_THRESHOLDS[c + 1])``.
QUANTISATION_THRESHOLDS = np.array(
    [
        0.000000000, 0.003585473, 0.007418411, 0.011535520, 0.015982337, 0.020816302,
        0.026111312, 0.031964674, 0.038508176, 0.045926586, 0.054490513, 0.064619488,
        0.077016351, 0.092998687, 0.115524524, 0.154032694, 1.000000000,
    ]
)  # fmt: skip
#: The value each code stands for.
RECONSTRUCTION = np.array(
    [
        0.001763817, 0.005468893, 0.009438835, 0.013714449, 0.018346760, 0.023400748,
        0.028960940, 0.035140141, 0.042093649, 0.050043696, 0.059324478, 0.070472849,
        0.084434761, 0.103127662, 0.131506859, 0.192540857,
    ]
)  # fmt: skip


def shape_mask(image: object) -> NDArray[np.bool_]:
    """The object of ``image`` as a mask: a bool image is taken as it is (an empty one as a flat
    image); otherwise Otsu's
    threshold on the luma, keeping the side that covers less of the border (a flat image is
    all object).

    Raises:
        ImageDtypeError, ImageShapeError, EmptyImageError: a bad image.
    """
    if isinstance(image, np.ndarray) and image.dtype == np.bool_ and image.ndim == 2:
        as_rgb_uint8(image)  # the same shape checks as every other image
        return image if image.any() else np.ones(image.shape, dtype=np.bool_)  # empty: flat
    luma = luminance(as_rgb_uint8(image))
    if luma.max() - luma.min() < 1e-9:
        return np.ones(luma.shape, dtype=np.bool_)
    bright = luma > threshold_otsu(luma)
    border = np.concatenate([bright[0], bright[-1], bright[:, 0], bright[:, -1]])
    mask: NDArray[np.bool_] = ~bright if border.mean() > 0.5 else bright
    return mask


def art_magnitudes(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``|F_nm| / |F_00|`` of a mask, shape ``(ANGULAR_ORDERS, RADIAL_ORDERS)`` (``[0, 0]`` is 1).

    Raises:
        ImageDtypeError: ``mask`` is not a 2-D bool array, or has no object pixel.
    """
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim != 2:
        raise ImageDtypeError("expected a 2-D bool mask")
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ImageDtypeError("expected a mask with at least one object pixel, found none")
    y = rows - rows.mean()
    x = cols - cols.mean()
    distance = np.hypot(x, y)
    radius = distance.max() + 0.5  # the farthest pixel's centre lies inside the disc
    rho = distance / radius
    theta = np.arctan2(y, x)
    radial = np.stack([np.ones_like(rho)] + [2.0 * np.cos(np.pi * n * rho) for n in range(1, RADIAL_ORDERS)])
    angular = np.exp(-1j * np.arange(ANGULAR_ORDERS)[:, None] * theta[None, :])
    coefficients = angular @ radial.T  # (m, n); the 1/2π and the pixel area cancel in the ratio
    magnitudes: NDArray[np.float64] = np.abs(coefficients) / abs(coefficients[0, 0])
    return magnitudes


def region_shape(image: object) -> NDArray[np.uint8]:
    """The region shape descriptor: 35 ART magnitudes, 4-bit codes (0 … 15).

    Args:
        image: a 2-D bool mask, or any image :func:`shape_mask` accepts.

    Returns:
        uint8 array of 35 codes, ``m`` major and ``n`` minor, ``(0, 0)`` left out.

    Raises:
        ImageDtypeError, ImageShapeError, EmptyImageError: a bad image.
    """
    mask = shape_mask(image)
    step = -(-max(mask.shape) // MAX_SHAPE_SIDE_PX)  # ART is scale invariant: large masks are subsampled
    magnitudes = art_magnitudes(mask[::step, ::step] if mask[::step, ::step].any() else mask).ravel()[1:]
    codes = np.searchsorted(QUANTISATION_THRESHOLDS, magnitudes, side="right") - 1
    quantised: NDArray[np.uint8] = np.clip(codes, 0, 15).astype(np.uint8)
    return quantised


def dequantise_shape(codes: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The reconstruction value of each of the 35 codes.

    Raises:
        DescriptorError: not 35 codes in 0 … 15.
    """
    values: NDArray[np.float64] = RECONSTRUCTION[checked_codes(codes, ART_COEFFICIENTS, 15, "region shape")]
    return values
