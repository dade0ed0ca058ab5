"""The theory's static questions asked of a real model: cosines per layer, effective beta, energy.

- :func:`cosine_profile`: the analogue of Fig. 1 of [GLPR] (Geshkovski, Letrouit, Polyanskiy,
  Rigollet, arXiv 2312.10794): histograms of the pairwise cosines <theta_i, theta_j> of the token
  directions theta = x / |x| at every layer, pooled over the sentences of a corpus (pairs within a
  sentence), and the fractions of pairs above 0.9 and 0.99.
- :func:`effective_beta`: the real tokens x_i = r_i theta_i are LayerNorm outputs, not unit
  vectors. Head h scores <A_h x_i, x_j> = r_i r_j <A_h theta_i, theta_j>, so on the directions
  the layer is the attnflow model with inverse temperature beta_ij = r_i r_j. With the norms of
  one layer's input nearly equal (their spread is reported), beta_eff = mean_{i,j} r_i r_j =
  (mean_i r_i)^2, the value used for the flows. The values follow from
  LN(z) = g * (z - mean z) / std z + b: |LN(z)|^2 = sum_k (g_k u_k + b_k)^2 with
  sum_k u_k^2 = d, so |x| ~ sqrt(d) rms(g) when the bias is small.
- :func:`energy_changes`: the interaction energy E_beta(x) = (1/(2 beta N^2)) sum_ij
  e^{beta <A x_i, x_j>} [GLPR] of the directions, for each head's A_h at the layer's beta_eff,
  before and after each real layer, and the energy with A = I along the layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..model import AttentionModel
from ..observables import log_energy
from ..schemes import directions
from ..validation import fail, real_array

__all__ = ["THRESHOLDS", "CosineProfile", "corpus", "cosine_profile", "effective_beta", "energy_changes",
           "head_energy", "identity_energy", "pair_cosines"]

#: the cosine thresholds of the report (fractions of pairs above them)
THRESHOLDS = (0.9, 0.99)


def corpus() -> list[str]:
    """The shipped sentences (``corpus.txt``: 40 sentences written for attnflow, CC0)."""
    text = resources.files(__package__).joinpath("corpus.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def pair_cosines(x: np.ndarray) -> np.ndarray:
    """The cosines <theta_i, theta_j>, i < j, of the directions of the rows of x (n, d)."""
    th = directions(np.asarray(x, dtype=np.float64))
    i, j = np.triu_indices(th.shape[0], 1)
    return np.einsum("pd,pd->p", th[i], th[j])


@dataclass(frozen=True)
class CosineProfile:
    """Pairwise cosines per layer, pooled over sentences.

    edges : (bins + 1,) histogram edges on [-1, 1]; counts : (L + 1, bins) pair counts;
    above : (L + 1, len(THRESHOLDS)) fractions of pairs with cosine > 0.9, > 0.99;
    mean : (L + 1,) mean cosine; pairs : number of pairs per layer.
    """

    edges: np.ndarray
    counts: np.ndarray
    above: np.ndarray
    mean: np.ndarray
    pairs: int


def cosine_profile(states: list[np.ndarray], bins: int = 80) -> CosineProfile:
    """The :class:`CosineProfile` of hidden states, one (L + 1, n, d) array per sentence."""
    if not states:
        raise fail("states", states, "is empty", "pass the hidden states of at least one sentence")
    layers = states[0].shape[0]
    cos = [np.concatenate([pair_cosines(s[layer]) for s in states]) for layer in range(layers)]
    edges = np.linspace(-1.0, 1.0, bins + 1)
    counts = np.stack([np.histogram(np.clip(c, -1.0, 1.0), edges)[0] for c in cos])
    above = np.array([[float(np.mean(c > t)) for t in THRESHOLDS] for c in cos])
    return CosineProfile(edges, counts, above, np.array([c.mean() for c in cos]), int(cos[0].size))


def effective_beta(x: np.ndarray) -> tuple[float, float]:
    """(beta_eff, spread) of states x (n, d): beta_eff = (mean_i |x_i|)^2 and the relative spread
    std_i |x_i| / mean_i |x_i| of the norms (module docstring)."""
    arr = real_array("x", x, fix="pass an (n, d) array of hidden states", ndim=2)
    r = np.linalg.norm(arr, axis=1)
    return float(r.mean() ** 2), float(r.std() / r.mean())


def head_energy(A: np.ndarray, beta: float, x: np.ndarray) -> float:
    """log E_beta of the directions of x for the score matrix A (:func:`attnflow.observables.log_energy`)."""
    th = directions(x)
    return float(log_energy(AttentionModel(d=th.shape[1], beta=beta, A=A), th))


def energy_changes(heads: list[tuple[np.ndarray, np.ndarray]], states: np.ndarray) -> np.ndarray:
    """log E_{beta_l, A_h^l}(theta^{l+1}) - log E_{beta_l, A_h^l}(theta^l) for every layer l and head h.

    Parameters
    ----------
    heads : per layer, the (A, V) stacks of :meth:`Transformer.heads`.
    states : (L + 1, n, d) hidden states of one sentence.

    Returns
    -------
    (L, H) array: positive where the real layer raised head h's energy (beta_l = beta_eff of the
    layer's input).
    """
    out = np.empty((len(heads), heads[0][0].shape[0]))
    for layer, (A, _) in enumerate(heads):
        beta = effective_beta(states[layer])[0]
        for h in range(A.shape[0]):
            out[layer, h] = (head_energy(A[h], beta, states[layer + 1])
                             - head_energy(A[h], beta, states[layer]))
    return out


def identity_energy(states: np.ndarray, beta: float) -> np.ndarray:
    """log E_beta with A = I of the directions at every layer, (L + 1,)."""
    return np.array([head_energy(np.eye(states.shape[2]), beta, s) for s in states])
