"""Input checks and conversions shared by the descriptors: every image enters through here."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offchain.vision.errors import DescriptorError, EmptyImageError, ImageDtypeError, ImageShapeError

__all__ = ["MIN_SIDE_PX", "as_rgb_uint8", "checked_codes", "luminance"]

#: The smallest side the descriptors accept: the colour structure's 8 × 8 structuring element.
MIN_SIDE_PX = 8


def as_rgb_uint8(image: object) -> NDArray[np.uint8]:
    """``image`` as an ``(H, W, 3)`` uint8 array (a copy only when a conversion is needed).

    Accepted: uint8 grey ``(H, W)`` or RGB ``(H, W, 3)``; bool masks (True = 255); float images
    with values in [0, 1]. An RGBA image is refused: drop or composite its alpha first.

    Raises:
        ImageDtypeError: not a numpy array, or an unsupported dtype, or floats outside [0, 1]
            or not finite.
        EmptyImageError: no pixels.
        ImageShapeError: not 2-D or ``(H, W, 3)``, or a side shorter than :data:`MIN_SIDE_PX`.
    """
    if not isinstance(image, np.ndarray):
        raise ImageDtypeError(f"expected a numpy array, found {type(image).__name__}")
    if image.size == 0:
        raise EmptyImageError(f"expected an image with pixels, found shape {image.shape}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ImageShapeError(f"expected shape (H, W) or (H, W, 3), found {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE_PX:
        raise ImageShapeError(f"expected both sides >= {MIN_SIDE_PX} px, found {image.shape[:2]}")
    if image.dtype == np.uint8:
        pixels = image
    elif image.dtype == np.bool_:
        pixels = image.astype(np.uint8) * np.uint8(255)
    elif np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)) or image.min() < 0.0 or image.max() > 1.0:
            raise ImageDtypeError("expected float pixel values in [0, 1], found values outside it")
        pixels = np.rint(image * 255.0).astype(np.uint8)
    else:
        raise ImageDtypeError(f"expected dtype uint8, bool or float in [0, 1], found {image.dtype}")
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return pixels


def luminance(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The luma ``Y = 0.299 R + 0.587 G + 0.114 B`` (0–255) the edge histogram works on."""
    weights = np.array([0.299, 0.587, 0.114])
    return rgb.astype(np.float64) @ weights


def checked_codes(codes: object, length: int, top: int, name: str) -> NDArray[np.int64]:
    """``codes`` as int64 after checking it holds ``length`` integer codes in ``0 … top``.

    Raises:
        DescriptorError: another shape, a non-integer dtype or a code out of range.
    """
    array = np.asarray(codes)
    if array.shape != (length,) or not np.issubdtype(array.dtype, np.integer):
        raise DescriptorError(f"expected {name} as {length} integer codes, found {array.dtype} {array.shape}")
    if array.min() < 0 or array.max() > top:
        raise DescriptorError(f"expected {name} codes in 0..{top}, found {array.min()}..{array.max()}")
    return array.astype(np.int64)
