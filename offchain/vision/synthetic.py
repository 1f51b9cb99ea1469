"""A deterministic, labelled set of synthetic images at the research's scale (10,000 images).

Research: Shen, Zhu, Xu, §6.6 evaluates retrieval on 10,000 MedPix images, which cannot be
fetched here. This set stands in for the scale, not for the medical content: 10 classes that
differ in colour, texture and shape (:data:`CLASSES`), pairs of classes sharing one or two of
those so that every descriptor matters, and per-image variation a real collection has: object
position, size and rotation, hue/saturation/value jitter, texture period and phase, an
illumination gradient, sensor noise, occasional blur and distracting blobs.

Image ``i`` is drawn from its own generator seeded with ``(seed, i)``: any image can be made
alone, in any order, on any machine (:class:`SyntheticImageSet` is lazy), and the same seed gives
the same pixels. Its label is ``i mod 10``. The descriptors are features of pixels; nothing here
claims that P@k on this set predicts P@k on medical images (see the README).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.color import hsv2rgb
from skimage.draw import polygon2mask
from skimage.filters import gaussian

from offchain.vision.errors import VisionError

__all__ = ["CLASSES", "ClassStyle", "SyntheticImageSet"]


@dataclass(frozen=True)
class ClassStyle:
    """What makes a class: object shape, object and background colour (HSV), object texture."""

    shape: str
    object_hsv: tuple[float, float, float]
    background_hsv: tuple[float, float, float]
    texture: str


#: The 10 classes. Classes 0/1, 2/3, 5/6 share colours and differ in shape and texture; 3/4 and
#: 6/9 share a shape family; 1 and 7 share a texture family.
CLASSES: tuple[ClassStyle, ...] = (
    ClassStyle("disc", (0.00, 0.85, 0.90), (0.62, 0.60, 0.35), "none"),
    ClassStyle("square", (0.00, 0.85, 0.90), (0.62, 0.60, 0.35), "horizontal_stripes"),
    ClassStyle("triangle", (0.33, 0.75, 0.75), (0.00, 0.00, 0.55), "none"),
    ClassStyle("cross", (0.33, 0.75, 0.75), (0.00, 0.00, 0.55), "vertical_stripes"),
    ClassStyle("plus_ring", (0.15, 0.80, 0.95), (0.40, 0.70, 0.30), "checker"),
    ClassStyle("star", (0.60, 0.80, 0.85), (0.00, 0.00, 0.85), "none"),
    ClassStyle("ellipse", (0.60, 0.80, 0.85), (0.00, 0.00, 0.85), "diagonal_stripes"),
    ClassStyle("hexagon", (0.83, 0.70, 0.80), (0.00, 0.00, 0.10), "mottled"),
    ClassStyle("bar", (0.50, 0.70, 0.85), (0.08, 0.60, 0.40), "none"),
    ClassStyle("crescent", (0.08, 0.85, 0.95), (0.75, 0.55, 0.30), "dots"),
)


def _polygon(radii: NDArray[np.float64], angle: float, cx: float, cy: float, size: int) -> NDArray[np.bool_]:
    turns = angle + np.arange(radii.size) * 2.0 * np.pi / radii.size
    vertices = np.stack([cy + radii * np.sin(turns), cx + radii * np.cos(turns)], axis=1)
    mask: NDArray[np.bool_] = polygon2mask((size, size), vertices)
    return mask


def _shape_mask(shape: str, size: int, cx: float, cy: float, radius: float, angle: float) -> NDArray[np.bool_]:
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    dx, dy = xx - cx, yy - cy
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    rho = np.hypot(u, v)
    if shape == "disc":
        return rho <= radius
    if shape == "square":
        return (np.abs(u) <= 0.8 * radius) & (np.abs(v) <= 0.8 * radius)
    if shape == "triangle":
        return _polygon(np.full(3, radius * 1.1), angle, cx, cy, size)
    if shape == "cross":
        arm = 0.3 * radius
        return ((np.abs(u) <= arm) & (np.abs(v) <= radius)) | ((np.abs(v) <= arm) & (np.abs(u) <= radius))
    if shape == "plus_ring":
        return ((rho <= radius) & (rho >= 0.6 * radius)) | ((np.abs(u) <= 0.2 * radius) & (rho <= radius))
    if shape == "star":
        return _polygon(np.tile([radius, 0.45 * radius], 5), angle, cx, cy, size)
    if shape == "ellipse":
        return (u / radius) ** 2 + (v / (0.55 * radius)) ** 2 <= 1.0
    if shape == "hexagon":
        return _polygon(np.full(6, radius), angle, cx, cy, size)
    if shape == "bar":
        return (np.abs(u) <= radius) & (np.abs(v) <= 0.3 * radius)
    if shape == "crescent":
        return (rho <= radius) & (np.hypot(u - 0.55 * radius, v) > 0.85 * radius)
    raise VisionError(f"unknown synthetic shape {shape!r}")


def _texture(kind: str, size: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """A pattern in [-1, 1] (0 for no texture)."""
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    period = rng.uniform(4.0, 7.0)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    tilt = rng.normal(0.0, 0.08)
    x = xx * np.cos(tilt) + yy * np.sin(tilt)
    y = -xx * np.sin(tilt) + yy * np.cos(tilt)
    wave = 2.0 * np.pi / period
    if kind == "none":
        return np.zeros((size, size))
    if kind == "horizontal_stripes":
        return np.sign(np.sin(wave * y + phase))
    if kind == "vertical_stripes":
        return np.sign(np.sin(wave * x + phase))
    if kind == "diagonal_stripes":
        return np.sign(np.sin(wave * (x + y) / np.sqrt(2.0) + phase))
    if kind == "checker":
        return np.sign(np.sin(wave * x + phase) * np.sin(wave * y + phase))
    if kind == "dots":
        return np.where(np.cos(wave * x + phase) * np.cos(wave * y + phase) > 0.5, 1.0, -0.3)
    if kind == "mottled":
        field = gaussian(rng.normal(size=(size, size)), sigma=1.5)
        return np.clip(field / (field.std() + 1e-9), -1.0, 1.0)
    raise VisionError(f"unknown synthetic texture {kind!r}")


def _jitter_hsv(hsv: tuple[float, float, float], rng: np.random.Generator) -> NDArray[np.float64]:
    hue = (hsv[0] + rng.normal(0.0, 0.025)) % 1.0
    saturation = np.clip(hsv[1] + rng.normal(0.0, 0.07), 0.0, 1.0)
    value = np.clip(hsv[2] + rng.normal(0.0, 0.07), 0.05, 1.0)
    return np.array([hue, saturation, value])


class SyntheticImageSet:
    """``size`` labelled RGB images of ``side_px`` × ``side_px``, generated on demand from ``seed``.

    Args:
        seed: Any non-negative integer; the same seed gives the same images.
        size: Number of images (10,000 by default, the research's collection size).
        side_px: Image side in pixels (64 by default; at least 32).

    Raises:
        VisionError: a negative seed, a non-positive size or a side under 32 px.
    """

    n_classes = len(CLASSES)

    def __init__(self, seed: int = 0, size: int = 10_000, side_px: int = 64) -> None:
        if seed < 0 or size <= 0 or side_px < 32:
            raise VisionError(f"expected seed >= 0, size > 0, side_px >= 32, found {seed}, {size}, {side_px}")
        self.seed = seed
        self.size = size
        self.side_px = side_px

    def __len__(self) -> int:
        return self.size

    def label(self, index: int) -> int:
        """The class of image ``index``."""
        self._check(index)
        return index % self.n_classes

    @property
    def labels(self) -> NDArray[np.int64]:
        """The class of every image, in order."""
        return np.arange(self.size, dtype=np.int64) % self.n_classes

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"image index {index} outside 0..{self.size - 1}")

    def __getitem__(self, index: int) -> NDArray[np.uint8]:
        """Image ``index`` as an ``(side_px, side_px, 3)`` uint8 array."""
        self._check(index)
        rng = np.random.default_rng([self.seed, index])
        style = CLASSES[index % self.n_classes]
        size = self.side_px
        # Background: a jittered colour under an illumination gradient.
        background = _jitter_hsv(style.background_hsv, rng)
        yy, xx = np.mgrid[:size, :size] / size
        gradient = 1.0 + rng.uniform(-0.15, 0.15) * (xx - 0.5) + rng.uniform(-0.15, 0.15) * (yy - 0.5)
        hsv = np.empty((size, size, 3))
        hsv[...] = background
        hsv[..., 2] = np.clip(hsv[..., 2] * gradient, 0.0, 1.0)
        # Distractors: up to two small blobs of any colour.
        for _ in range(rng.integers(0, 3)):
            x, y = rng.uniform(0, size, 2)
            blob = _shape_mask("disc", size, float(x), float(y), rng.uniform(2.0, 0.08 * size), 0.0)
            hsv[blob] = [rng.uniform(), rng.uniform(0.2, 1.0), rng.uniform(0.2, 1.0)]
        # The object: shape, position, scale, rotation, colour and texture.
        radius = rng.uniform(0.22, 0.34) * size
        centre = rng.uniform(0.5 * size - 0.12 * size, 0.5 * size + 0.12 * size, 2)
        mask = _shape_mask(style.shape, size, centre[0], centre[1], radius, rng.uniform(0.0, 2.0 * np.pi))
        colour = _jitter_hsv(style.object_hsv, rng)
        texture = _texture(style.texture, size, rng) * rng.uniform(0.18, 0.3)
        hsv[mask] = colour
        hsv[..., 2][mask] = np.clip(colour[2] * gradient[mask] + texture[mask], 0.0, 1.0)
        rgb = hsv2rgb(hsv)
        if rng.uniform() < 0.3:
            rgb = gaussian(rgb, sigma=rng.uniform(0.5, 1.0), channel_axis=2)
        rgb = rgb + rng.normal(0.0, rng.uniform(0.01, 0.05), rgb.shape)
        image: NDArray[np.uint8] = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
        return image

    def __iter__(self) -> Iterator[NDArray[np.uint8]]:
        return (self[i] for i in range(self.size))
