"""Helpers of the figure tests (test_plot.py, test_plot_sweeps.py): decode PNGs, close pyplot figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")                    # the figure tests draw pyplot figures without a display

import matplotlib.image
import matplotlib.pyplot as plt
import pytest


@pytest.fixture(autouse=True)
def close_pyplot_figures():
    """Close the pyplot figures a test made (figures returned without a path stay open)."""
    yield
    plt.close("all")


def png_size(path) -> tuple[int, int]:
    """(width, height) in pixels of a written PNG, decoded."""
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    return img.shape[1], img.shape[0]
