"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.linux import seam


@pytest.fixture
def kernel() -> Iterator[seam.Recording]:
    """The recording seam in force for one test: a stage runs without root, and the test
    reads back the order of its calls."""
    recording = seam.Recording()
    previous = seam.use(recording)
    try:
        yield recording
    finally:
        seam.use(previous)
