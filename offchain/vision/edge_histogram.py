"""MPEG-7 edge histogram descriptor (EHD), written from its definition (ISO/IEC 15938-3 §8.3;
Won, Park, Park, *Efficient use of MPEG-7 edge histogram descriptor*, ETRI J. 2002).

Research: Shen, Zhu, Xu, §6.3.1 (features of each diagnostic image) and §6.4 (Euclidean ranking).
The research's feature encryption (Eq. 6.1–6.4) is NOT used: it preserves distances and
publishes its modulus.

Steps:

1. The luma image is split into 4 × 4 sub-images and tiled by square image-blocks whose side is
   ``2·⌊√(W·H / 1100) / 2⌋`` (at least 2), so that about 1,100 blocks cover the image; a block
   belongs to the sub-image holding its top-left pixel.
2. Each block is split into 2 × 2 sub-blocks of mean luma ``a0 a1 / a2 a3`` and filtered with the
   five 2 × 2 edge filters: vertical ``[1 −1; 1 −1]``, horizontal ``[1 1; −1 −1]``, 45°
   ``[√2 0; 0 −√2]``, 135° ``[0 √2; −√2 0]`` and non-directional ``[2 −2; −2 2]``.
3. The strongest response, if at least :data:`EDGE_THRESHOLD` (11 grey levels, the reference
   value), names the block's edge type; otherwise the block has no edge.
4. Per sub-image, the count of each edge type is divided by the sub-image's number of blocks and
   quantised to 3 bits with the standard's per-type reconstruction tables
   (:data:`QUANTISATION_TABLE`, nearest value): 16 × 5 = 80 codes, sub-image-major, types in the
   order above.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from offchain.vision._image import as_rgb_uint8, checked_codes, luminance

__all__ = [
    "DESIRED_BLOCKS",
    "EDGE_BINS",
    "EDGE_THRESHOLD",
    "EDGE_TYPES",
    "QUANTISATION_TABLE",
    "dequantise_edges",
    "edge_histogram",
    "local_edge_fractions",
]

#: The five edge types, in bin order within a sub-image.
EDGE_TYPES = ("vertical", "horizontal", "diagonal_45", "diagonal_135", "non_directional")
#: 4 × 4 sub-images × 5 edge types.
EDGE_BINS = 80
#: The block layout aims at about this many image-blocks.
DESIRED_BLOCKS = 1100
#: Minimum filter response (grey levels) for a block to count as an edge.
EDGE_THRESHOLD = 11.0
#: Reconstruction values of the 8 codes, per edge type (rows in :data:`EDGE_TYPES` order).
QUANTISATION_TABLE = np.array(
    [
        [0.010867, 0.057915, 0.099526, 0.144849, 0.195573, 0.260504, 0.358031, 0.530128],
        [0.012266, 0.069934, 0.125879, 0.182307, 0.243396, 0.314563, 0.411728, 0.564319],
        [0.004193, 0.025852, 0.046860, 0.068519, 0.093286, 0.123490, 0.161505, 0.228960],
        [0.004174, 0.025924, 0.046232, 0.067163, 0.089655, 0.115391, 0.151904, 0.217745],
        [0.006778, 0.051667, 0.108650, 0.166257, 0.224226, 0.285691, 0.356375, 0.450972],
    ]
)

_ROOT2 = math.sqrt(2.0)
#: Filter coefficients on (a0, a1, a2, a3), one row per edge type.
_FILTERS = np.array(
    [
        [1.0, -1.0, 1.0, -1.0],
        [1.0, 1.0, -1.0, -1.0],
        [_ROOT2, 0.0, 0.0, -_ROOT2],
        [0.0, _ROOT2, -_ROOT2, 0.0],
        [2.0, -2.0, -2.0, 2.0],
    ]
)


def _block_side(height: int, width: int) -> int:
    side = int(math.sqrt(width * height / DESIRED_BLOCKS) / 2) * 2
    return max(side, 2)


def local_edge_fractions(image: object) -> NDArray[np.float64]:
    """The unquantised local histogram: per sub-image, the fraction of its blocks of each edge
    type, shape ``(80,)``.

    Raises:
        ImageDtypeError, ImageShapeError, EmptyImageError: a bad image.
    """
    luma = luminance(as_rgb_uint8(image))
    height, width = luma.shape
    side = _block_side(height, width)
    rows, cols = height // side, width // side
    half = side // 2
    blocks = luma[: rows * side, : cols * side].reshape(rows, 2, half, cols, 2, half)
    means = blocks.mean(axis=(2, 5))  # (rows, 2, cols, 2): the sub-block averages
    corners = np.stack([means[:, 0, :, 0], means[:, 0, :, 1], means[:, 1, :, 0], means[:, 1, :, 1]], axis=-1)
    responses = np.abs(corners @ _FILTERS.T)  # (rows, cols, 5)
    strongest = responses.argmax(axis=-1)
    is_edge = responses.max(axis=-1) >= EDGE_THRESHOLD
    top = np.arange(rows) * side
    left = np.arange(cols) * side
    sub_image = (top * 4 // height)[:, None] * 4 + (left * 4 // width)[None, :]
    blocks_per_sub_image = np.bincount(sub_image.ravel(), minlength=16)
    edges = np.bincount((sub_image * 5 + strongest)[is_edge].ravel(), minlength=EDGE_BINS).astype(np.float64)
    fractions: NDArray[np.float64] = edges / np.repeat(np.maximum(blocks_per_sub_image, 1), 5)
    return fractions


def edge_histogram(image: object) -> NDArray[np.uint8]:
    """The edge histogram descriptor of ``image``: 80 codes in 0 … 7.

    Args:
        image: uint8/bool/float-in-[0, 1] array, ``(H, W)`` or ``(H, W, 3)``, at least 8 × 8.

    Returns:
        uint8 array of 80 codes, sub-image-major (row by row), edge types in :data:`EDGE_TYPES`
        order; an image without edges has every code 0.

    Raises:
        ImageDtypeError, ImageShapeError, EmptyImageError: a bad image.
    """
    fractions = local_edge_fractions(image).reshape(16, 5)
    distance = np.abs(fractions[:, :, None] - QUANTISATION_TABLE[None, :, :])
    codes: NDArray[np.uint8] = distance.argmin(axis=2).astype(np.uint8).ravel()
    return codes


def dequantise_edges(codes: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The reconstruction value of each of the 80 codes.

    Raises:
        DescriptorError: not 80 codes in 0 … 7.
    """
    indices = checked_codes(codes, EDGE_BINS, 7, "edge histogram")
    values: NDArray[np.float64] = QUANTISATION_TABLE[np.tile(np.arange(5), 16), indices]
    return values
