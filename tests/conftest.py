"""Shared fixtures and an independent reference implementation of the flow."""

from __future__ import annotations

import numpy as np
import pytest


def naive_output(beta, A, V, x, normalization):
    """Full-matrix attention output, written independently of attnflow (test oracle)."""
    scores = beta * (x @ A.T) @ x.T
    w = np.exp(scores)
    y = w @ (x @ V.T)
    if normalization == "sa":
        return y / w.sum(axis=1, keepdims=True)
    return y / x.shape[0]


def naive_velocity(beta, A, V, x, normalization):
    y = naive_output(beta, A, V, x, normalization)
    return y - np.sum(x * y, axis=1, keepdims=True) * x


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
