"""The random-weight runs of the paper's figure: mean cosine rho(t) and mean radius r(t) per scheme.

Setting (the figure: d = 512, beta = sqrt(d), n < d, random weights and random initial tokens):
for each of ``draws`` weight draws, Q, K, V with iid N(0, 1/d) entries
(:func:`attnflow.random_matrices`, "ginibre"; A = K^T Q in attnflow's convention), fixed over
time, and ``starts`` iid uniform starts on S^{d-1} (one batch); every scheme of
:data:`.settings.SCHEMES` is integrated with RK4 (SA) on [0, 10] from the same starts and weights.
The products (B n x d by d x d) are small enough that one BLAS thread is as fast as two on an idle
machine and much faster on a shared one (:func:`attnflow.analysis.blas_threads`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ... import sphere
from ...analysis import blas_threads
from ...ensembles import random_matrices
from ...integrate import simulate
from ...model import AttentionModel
from .settings import OPTIONS, SCHEMES, T_END

__all__ = ["figure_runs", "mean_cosine"]


def mean_cosine(x: np.ndarray) -> np.ndarray:
    """Mean of <theta_i, theta_j> over the pairs i != j of the directions of ``x`` (..., n, d):
    (|sum_i theta_i|^2 - n) / (n (n - 1)); shape x.shape[:-2]."""
    theta = x / np.linalg.norm(x, axis=-1, keepdims=True)
    n = x.shape[-2]
    s = theta.sum(axis=-2)
    return (np.einsum("...d,...d->...", s, s) - n) / (n * (n - 1))


def figure_runs(P: dict) -> dict:
    """Integrate the six schemes of the figure on ``P["draws"]`` weight draws x ``P["starts"]`` starts.

    Returns
    -------
    dict with ``t`` (T,), ``rho`` and ``r`` (scheme -> (T, draws * starts): the mean cosine and the
    mean token norm of each run), ``step_error`` (scheme -> max over t of |rho(dt) - rho(dt/2)| for
    the first start of the first draw), ``beta``, ``backend`` (the evaluator the runs used),
    ``wall`` (scheme -> seconds) and ``words`` (the setting in words).
    """
    d, n, draws, starts = P["d"], P["n"], P["draws"], P["starts"]
    beta = math.sqrt(d)
    t = np.arange(round(T_END / P["save"]) + 1) * P["save"]
    rho = {s: [] for s in SCHEMES}
    radius = {s: [] for s in SCHEMES}
    wall = dict.fromkeys(SCHEMES, 0.0)
    step_error = {}
    backends = set()
    with blas_threads(1):
        for k in range(draws):
            A, V = random_matrices(d, "ginibre", seed=k)
            x0 = sphere.uniform(starts * n, d, seed=1000 + k).reshape(starts, n, d)
            for scheme in SCHEMES:
                model = AttentionModel(d, beta, A=A, V=V, layernorm=scheme, **OPTIONS.get(scheme, {}))
                t0 = time.perf_counter()
                sol = simulate(model, x0, T_END, P["dt"], "rk4", save_at=t)
                wall[scheme] += time.perf_counter() - t0
                backends.add(sol.metadata["backend"])
                rho[scheme].append(mean_cosine(sol.x))
                radius[scheme].append(np.linalg.norm(sol.x, axis=-1).mean(axis=-1))
                if k == 0:                        # the step error: the first start again with dt / 2
                    half = simulate(model, x0[0], T_END, P["dt"] / 2, "rk4", save_at=t)
                    step_error[scheme] = float(np.max(np.abs(mean_cosine(half.x) - rho[scheme][0][:, 0])))
    words = (f"d = {d}, n = {n}, beta = sqrt(d) = {beta:.4g}, SA; Q, K, V iid N(0, 1/d) fixed in time "
             f"(A = K^T Q), {draws} draws x {starts} uniform starts; RK4, dt = {P['dt']:g}")
    return {"t": t, "rho": {s: np.concatenate(v, axis=1) for s, v in rho.items()},
            "r": {s: np.concatenate(v, axis=1) for s, v in radius.items()}, "step_error": step_error,
            "beta": beta, "backend": ", ".join(sorted(backends)), "wall": wall, "words": words}
