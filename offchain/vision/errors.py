"""The vision layer's errors: a bad image, a bad descriptor, an index asked for what it lacks.

All are :class:`offchain.errors.InvalidInputError` (so also ``ValueError``): nothing was computed,
added or changed when one is raised.
"""

from __future__ import annotations

from offchain.errors import InvalidInputError

__all__ = [
    "DescriptorError",
    "EmptyImageError",
    "ImageDtypeError",
    "ImageShapeError",
    "IndexConfigurationError",
    "UnknownImageError",
    "VisionError",
]


class VisionError(InvalidInputError):
    """Base class of the vision layer's errors."""


class ImageDtypeError(VisionError):
    """An image is not a numpy array of a supported dtype (uint8, bool, or float in [0, 1])."""


class ImageShapeError(VisionError):
    """An image is not ``(height, width)`` or ``(height, width, 3)``, or is smaller than 8 × 8."""


class EmptyImageError(ImageShapeError):
    """An image has no pixels."""


class DescriptorError(VisionError):
    """A descriptor or feature vector has the wrong length, dtype or code range, or descriptors
    built with different settings were compared."""


class UnknownImageError(VisionError):
    """An index was asked to delete or update an image id it does not hold, or to add one it
    already holds.

    Attributes:
        image_ids: The offending ids.
    """

    def __init__(self, message: str, image_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.image_ids = image_ids


class IndexConfigurationError(VisionError):
    """An index was configured with an unknown kind or impossible parameters, or an IVF index
    was given too few vectors to train on."""
