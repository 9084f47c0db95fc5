"""Errors raised while reading an image."""

from __future__ import annotations

from bundlebench.errors import BundlebenchError


class ImageError(BundlebenchError):
    """The image is malformed, incomplete, or does not hold what was asked for."""


class BlobError(ImageError):
    """A blob is missing, or its bytes do not match its digest or size."""
