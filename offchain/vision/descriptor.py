"""The combined MPEG-7 descriptor of an image and its weighted Euclidean distance.

Research: Shen, Zhu, Xu, §6.3.1 — each hospital node extracts the colour structure, edge
histogram and region shape of a diagnostic image into one feature — and §6.4 / Eq. 6.5, where
the retrieval service ranks images by the Euclidean distance of those features. The research's
feature encryption (Eq. 6.1–6.4) is NOT used: its ciphertexts keep the distances between
features (that is their purpose) and its modulus is published, so anyone who reads the chain
can compare features; the toolkit protects features with its envelope encryption instead.

:class:`ImageDescriptor` keeps the three quantised descriptors exactly as MPEG-7 codes them.
:meth:`ImageDescriptor.vector` turns them into one float vector for an index: each part is
dequantised, scaled to unit length and multiplied by the square root of its weight, so that the
squared Euclidean distance of two vectors is ``Σ_part weight · ‖a_part − b_part‖²`` and no part
dominates merely by having more bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offchain.validation import as_finite_float
from offchain.vision.colour_structure import COLOUR_BINS, colour_structure, dequantise_amplitudes
from offchain.vision.edge_histogram import EDGE_BINS, dequantise_edges, edge_histogram
from offchain.vision.errors import DescriptorError
from offchain.vision.region_shape import ART_COEFFICIENTS, dequantise_shape, region_shape

__all__ = ["DEFAULT_WEIGHTS", "DescriptorWeights", "ImageDescriptor", "describe", "distance"]


@dataclass(frozen=True)
class DescriptorWeights:
    """Weights of the three parts in the combined distance (non-negative, not all zero)."""

    colour: float = 1.0
    edge: float = 1.0
    shape: float = 1.0

    def __post_init__(self) -> None:
        values = (self.colour, self.edge, self.shape)
        weights = [as_finite_float(value) for value in values]
        if any(w is None or w < 0 for w in weights) or sum(w or 0.0 for w in weights) == 0:
            raise DescriptorError(f"expected finite non-negative real weights, not all zero, found {values!r}")


#: The weights :func:`describe` users get unless they choose others.
DEFAULT_WEIGHTS = DescriptorWeights()


def _unit(values: NDArray[np.float64]) -> NDArray[np.float64]:
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 0 else values


@dataclass(frozen=True)
class ImageDescriptor:
    """The three MPEG-7 descriptors of one image, as quantised codes.

    Attributes:
        colour_structure: 32/64/128/256 codes (8 bits) of the colour structure histogram.
        edge_histogram: 80 codes (3 bits) of the local edge histogram.
        region_shape: 35 codes (4 bits) of the ART magnitudes.
    """

    colour_structure: NDArray[np.uint8]
    edge_histogram: NDArray[np.uint8]
    region_shape: NDArray[np.uint8]

    def __post_init__(self) -> None:
        for name, codes, sizes, top in (
            ("colour_structure", self.colour_structure, COLOUR_BINS, 255),
            ("edge_histogram", self.edge_histogram, (EDGE_BINS,), 7),
            ("region_shape", self.region_shape, (ART_COEFFICIENTS,), 15),
        ):
            if not isinstance(codes, np.ndarray) or codes.dtype != np.uint8 or codes.ndim != 1:
                raise DescriptorError(f"expected {name} as a 1-D uint8 array")
            if codes.size not in sizes or int(codes.max()) > top:
                raise DescriptorError(f"expected {name} of length in {sizes} with codes <= {top}")

    @property
    def colour_bins(self) -> int:
        """Size of the colour structure part."""
        return int(self.colour_structure.size)

    def dimension(self) -> int:
        """Length of :meth:`vector`."""
        return self.colour_bins + EDGE_BINS + ART_COEFFICIENTS

    def vector(self, weights: DescriptorWeights = DEFAULT_WEIGHTS) -> NDArray[np.float32]:
        """The float32 feature vector an index stores (see the module docstring)."""
        parts = (
            (weights.colour, dequantise_amplitudes(self.colour_structure)),
            (weights.edge, dequantise_edges(self.edge_histogram)),
            (weights.shape, dequantise_shape(self.region_shape)),
        )
        return np.concatenate([np.sqrt(w) * _unit(values) for w, values in parts]).astype(np.float32)

    def to_bytes(self) -> bytes:
        """A compact encoding: one byte of colour bins (log2), then the codes."""
        size = int(np.log2(self.colour_bins))
        return (
            bytes([size])
            + self.colour_structure.tobytes()
            + self.edge_histogram.tobytes()
            + self.region_shape.tobytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageDescriptor:
        """The inverse of :meth:`to_bytes`.

        Raises:
            DescriptorError: the bytes do not encode a descriptor.
        """
        if len(data) < 1 or 2 ** data[0] not in COLOUR_BINS:
            raise DescriptorError("expected a leading byte naming 32, 64, 128 or 256 colour bins")
        bins = 2 ** data[0]
        if len(data) != 1 + bins + EDGE_BINS + ART_COEFFICIENTS:
            raise DescriptorError(f"expected {1 + bins + EDGE_BINS + ART_COEFFICIENTS} bytes, found {len(data)}")
        codes = np.frombuffer(data, dtype=np.uint8, offset=1).copy()
        return cls(codes[:bins], codes[bins : bins + EDGE_BINS], codes[bins + EDGE_BINS :])


def describe(image: object, colour_bins: int = 64) -> ImageDescriptor:
    """Extract the three MPEG-7 descriptors of ``image``.

    Args:
        image: uint8/bool/float-in-[0, 1] array, ``(H, W)`` or ``(H, W, 3)``, at least 8 × 8.
        colour_bins: size of the colour structure descriptor (32, 64, 128 or 256).

    Returns:
        The image's :class:`ImageDescriptor`.

    Raises:
        ImageDtypeError, ImageShapeError, EmptyImageError: a bad image.
        DescriptorError: an unsupported ``colour_bins``.
    """
    return ImageDescriptor(
        colour_structure=colour_structure(image, colour_bins),
        edge_histogram=edge_histogram(image),
        region_shape=region_shape(image),
    )


def distance(first: ImageDescriptor, second: ImageDescriptor, weights: DescriptorWeights = DEFAULT_WEIGHTS) -> float:
    """The weighted Euclidean distance (research Eq. 6.5) of two descriptors' vectors.

    Raises:
        DescriptorError: the two use different colour structure sizes.
    """
    if first.colour_bins != second.colour_bins:
        raise DescriptorError(f"expected equal colour bins, found {first.colour_bins} and {second.colour_bins}")
    return float(np.linalg.norm(first.vector(weights).astype(np.float64) - second.vector(weights)))
