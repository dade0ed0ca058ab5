"""Equiangular inputs and the exact pre-LN layer on them.

- :func:`equiangular_tokens`: n unit vectors with pairwise cosine rho, x_i = sqrt(rho) e_0 +
  sqrt(1 - rho) e_i in R^{n+1};
- :func:`one_layer_cosines`: the pairwise cosines of the attention output of one pre-LN layer of an
  :class:`attnflow.AttentionModel` (the attention branch, as in the theorem);
- :func:`pre_ln_layer_map`: one residual pre-LN layer x -> x + h ATT(theta) on tokens x_i = r theta_i
  with common norm r and common cosine rho, in closed form.

The closed form (derived here): with SA weights a = A_ii, b = A_ij (i != j),
a = 1/(1 + (n - 1) n^-kappa), b = a n^-kappa, kappa = gamma (1 - rho), the output of token i
is ATT_i = (a - b) theta_i + b S, S = sum_k theta_k, so x_i' = u theta_i + v S with u = r + h (a - b),
v = h b. With <theta_i, S> = s = 1 + (n - 1) rho and |S|^2 = n s,

    |x_i'|^2 = u^2 + w,   <x_i', x_j'> = u^2 rho + w,   w = (2 u v + n v^2) s,

so rho' = (u^2 rho + w)/(u^2 + w) and r' = sqrt(u^2 + w): the configuration stays equiangular. At
r = 0 (or h -> infinity) rho' is the cosine of the attention branch itself,
:func:`attnflow.theory.long_context_cosine`.
"""

from __future__ import annotations

import math

import numpy as np

from ...model import AttentionModel

__all__ = ["equiangular_tokens", "one_layer_cosines", "pre_ln_layer_map"]


def equiangular_tokens(n: int, rho: float) -> np.ndarray:
    """(n, n + 1) unit vectors x_i = sqrt(rho) e_0 + sqrt(1 - rho) e_{i+1}: <x_i, x_j> = rho for i != j."""
    x = np.zeros((n, n + 1))
    x[:, 0] = math.sqrt(rho)
    x[np.arange(n), np.arange(1, n + 1)] = math.sqrt(1.0 - rho)
    return x


def one_layer_cosines(gamma: float, x: np.ndarray) -> np.ndarray:
    """Off-diagonal cosines <theta_i, theta_j> (i < j) of the attention output of one pre-LN layer
    (beta = "log", gamma; A = V = I; SA) at the tokens ``x`` (n, d): the layer's increment
    ``model.output`` is ATT(theta), the attention branch of the theorem."""
    n, d = x.shape
    model = AttentionModel(d, "log", gamma=gamma, layernorm="pre")
    y = model.field(x).output(0.0, x)
    theta = y / np.linalg.norm(y, axis=1, keepdims=True)
    return (theta @ theta.T)[np.triu_indices(n, 1)]


def pre_ln_layer_map(rho: float, r: float, n: int, gamma: float, h: float = 1.0) -> tuple[float, float]:
    """(rho', r') after one residual pre-LN layer x + h ATT(theta) on equiangular tokens (module
    docstring), SA weights with beta_n = gamma ln n and A = V = I."""
    kappa = gamma * (1.0 - rho)
    a = 1.0 / (1.0 + (n - 1) * n ** -kappa)
    b = a * n ** -kappa
    u, v = r + h * (a - b), h * b
    w = (2.0 * u * v + n * v * v) * (1.0 + (n - 1) * rho)
    return (u * u * rho + w) / (u * u + w), math.sqrt(u * u + w)
