"""Real images that ship inside installed packages (no network): labelled sets for retrieval.

Research: Shen, Zhu, Xu, §6.6 measures retrieval on MedPix, which cannot be fetched here. These
loaders read only files installed with scikit-learn and scikit-image (checked with the network
off): nothing is downloaded. The research's feature encryption (Eq. 6.1–6.4) is NOT used
anywhere in this layer (it preserves distances and publishes its modulus).

- :func:`load_digits_images`: scikit-learn's 1,797 handwritten digits (8 × 8, 10 classes),
  upscaled to 64 × 64 grey (ink bright on dark).
- :func:`load_lfw_images`: scikit-image's ``lfw_subset``: 100 faces and 100 non-faces
  (25 × 25 grey), upscaled to 64 × 64, labels 1 (face) / 0.
- :func:`load_texture_images`: scikit-image's brick, grass and gravel textures (512 × 512 grey),
  cut into 16 tiles of 128 × 128 each, labels 0/1/2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.transform import resize

__all__ = ["LabelledImages", "load_digits_images", "load_lfw_images", "load_texture_images"]


@dataclass(frozen=True)
class LabelledImages:
    """A labelled image set.

    Attributes:
        name: Short name (``digits``, ``lfw``, ``textures``).
        images: uint8 array ``(n, H, W)``.
        labels: int64 array ``(n,)``.
        source: Where the pixels come from.
    """

    name: str
    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    source: str

    def __len__(self) -> int:
        return int(self.labels.size)


def _to_uint8(images: NDArray[np.float64], side_px: int) -> NDArray[np.uint8]:
    scaled = np.stack([resize(image, (side_px, side_px), order=1, anti_aliasing=False) for image in images])
    low, high = float(scaled.min()), float(scaled.max())
    out: NDArray[np.uint8] = np.rint((scaled - low) / (high - low) * 255.0).astype(np.uint8)
    return out


def load_digits_images(side_px: int = 64) -> LabelledImages:
    """scikit-learn's handwritten digits, upscaled to ``side_px`` (bilinear)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return LabelledImages(
        "digits",
        _to_uint8(digits.images.astype(np.float64), side_px),
        digits.target.astype(np.int64),
        "sklearn.datasets.load_digits (UCI optical digits, bundled)",
    )


def load_lfw_images(side_px: int = 64) -> LabelledImages:
    """scikit-image's ``lfw_subset``: faces (label 1) then non-faces (label 0)."""
    from skimage.data import lfw_subset

    images = lfw_subset().astype(np.float64)
    labels = np.concatenate([np.ones(100), np.zeros(images.shape[0] - 100)]).astype(np.int64)
    return LabelledImages("lfw", _to_uint8(images, side_px), labels, "skimage.data.lfw_subset (bundled)")


def load_texture_images(tile_px: int = 128) -> LabelledImages:
    """scikit-image's brick, grass and gravel textures cut into ``tile_px`` tiles."""
    from skimage import data

    tiles: list[NDArray[np.uint8]] = []
    labels: list[int] = []
    for label, texture in enumerate((data.brick(), data.grass(), data.gravel())):
        rows, cols = texture.shape[0] // tile_px, texture.shape[1] // tile_px
        for r in range(rows):
            for c in range(cols):
                tiles.append(texture[r * tile_px : (r + 1) * tile_px, c * tile_px : (c + 1) * tile_px])
                labels.append(label)
    return LabelledImages(
        "textures", np.stack(tiles), np.array(labels, dtype=np.int64), "skimage.data brick/grass/gravel (bundled)"
    )
