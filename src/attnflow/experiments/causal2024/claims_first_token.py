"""Rows of the first token: it never moves, every token converges to it, and the pair law.

Causal SA with V = I (docs/theory/causal.md): token 1 attends only to itself, so it never moves
[KPR]; [KPR] Theorem 4.1: almost every start converges to x_1(0), for any A. With A = I the
cosine c = <x_1, x_2> obeys dc/dt = (1 - c^2)/(1 + e^{beta (1 - c)}) (derived,
:func:`attnflow.theory.causal_pair_cosine`), whose time from c0 to c1 is explicit
(:func:`attnflow.theory.causal_pair_time`); near the cluster 1 - <x_1, x_k> ~ K_k e^{-t} for every
k >= 2 (the triangular linearization, relative correction e^{-t/6} for k >= 3).

Rows: (1) the first token's largest displacement over every run; (2) token 2's cosine against the
pair ODE; (3) the closed-form time against the run's time; (4) every token at x_1 at the end of the
Ginibre-A runs; (5) token 2's rate; (6) the slowest of the later tokens' rates.
"""

from __future__ import annotations

import numpy as np

from ... import sphere
from ...analysis import line_fit
from ...integrate import simulate
from ...model import AttentionModel
from ...theory import causal_pair_cosine, causal_pair_time
from ..report import Report, at_most, compare
from .settings import PAIR, RATE_WINDOW

__all__ = ["add_claims", "cosines_to_first", "gaps_to_first"]

#: 1 - c above which the closed-form time is compared (dt/dc ~ 1/(1 - c) amplifies rounding)
_TIME_GAP = 1e-3


def cosines_to_first(x: np.ndarray) -> np.ndarray:
    """<x_1(t), x_k(t)> for every saved time and token: (T, n, d) -> (T, n)."""
    return np.einsum("td,tkd->tk", x[:, 0], x)


def gaps_to_first(x: np.ndarray) -> np.ndarray:
    """1 - <x_1(t), x_k(t)> = |x_k - x_1|^2 / 2 (unit vectors), accurate to relative rounding even
    where 1 - <x_1, x_k> is far below the machine epsilon: (T, n, d) -> (T, n)."""
    return 0.5 * np.sum((x - x[:, :1]) ** 2, axis=-1)


def add_claims(rep: Report, P: dict) -> dict:
    """Add the first-token rows (module docstring); return the runs' cosines for the figure."""
    n, d, beta = PAIR["n"], PAIR["d"], PAIR["beta"]
    times = np.arange(0.0, PAIR["t_end"] + PAIR["save"] / 2, PAIR["save"])
    x0 = sphere.uniform(n, d, seed=PAIR["seed"])
    pair = simulate(AttentionModel(d, beta, mask="causal"), x0, PAIR["t_end"], PAIR["dt"], "rk4",
                    save_at=times, backend="dense")
    c = cosines_to_first(pair.x)
    moved = [float(np.abs(pair.x[:, 0] - x0[0]).max())]
    gen_runs = {}
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d)) / np.sqrt(d)
    t_A = P["t_A"]
    saves_A = np.linspace(0.0, t_A, int(t_A) + 1)
    xa0 = sphere.uniform(P["n_A"], d, seed=4)
    for b in P["betas_A"]:
        run = simulate(AttentionModel(d, b, A=A, mask="causal"), xa0, t_A, PAIR["dt"], "rk4", save_at=saves_A,
                       backend="dense")
        moved.append(float(np.abs(run.x[:, 0] - xa0[0]).max()))
        gen_runs[b] = gaps_to_first(run.x)
    runs = (f"n = {n} tokens on S^{d - 1} (seed {PAIR['seed']}), A = V = I, beta = {beta:g}, causal SA, rk4 "
            f"dt = {PAIR['dt']:g}, t <= {PAIR['t_end']:g}")
    gen = (f"n = {P['n_A']} tokens on S^{d - 1}, Ginibre A / sqrt(d) (seed 0), V = I, beta in "
           f"{list(P['betas_A'])}, causal SA, rk4 dt = {PAIR['dt']:g}, t <= {t_A:g}")
    rep.add(compare("the first token never moves (causal SA, V = I, any A): max_t |x_1(t) - x_1(0)|", 0.0,
                    max(moved), 4 * float(np.finfo(float).eps), f"{runs}; and {gen}",
                    note="per run: " + ", ".join(f"{m:.1e}" for m in moved)))
    pred = causal_pair_cosine(times, beta, float(c[0, 1]))
    k = int(np.argmax(np.abs(pred - c[:, 1])))
    rep.add(compare("token 2's cosine c = <x_1, x_2> solves dc/dt = (1 - c^2)/(1 + e^(beta (1 - c))) "
                    "(derived, the pair law, any n)", float(pred[k]), float(c[k, 1]), 1e-8, runs,
                    note=f"largest deviation at t = {times[k]:g}; c(0) = {c[0, 1]:.4f}"))
    early = np.flatnonzero(1.0 - c[:, 1] > _TIME_GAP)
    closed = np.array([causal_pair_time(c[0, 1], min(max(c[i, 1], c[0, 1]), 1 - 1e-16), beta) for i in early])
    k = int(np.argmax(np.abs(closed - times[early])))
    rep.add(compare("closed-form time causal_pair_time(c(0), c(t)) (exponential integrals) equals t",
                    float(times[early][k]), float(closed[k]), 1e-6, runs,
                    note=f"compared while 1 - c > {_TIME_GAP:g} ({early.size} saves; dt/dc ~ 1/(1 - c))"))
    worst = max(float(g[-1].max()) for g in gen_runs.values())
    rep.add(at_most(f"every token converges to the first token's direction x_1(0) (Theorem 4.1): "
                    f"max_k (1 - <x_1, x_k>) at t = {t_A:g}", 1e-8, worst, gen))
    win = (times >= RATE_WINDOW[0]) & (times <= RATE_WINDOW[1])
    gap = gaps_to_first(pair.x)
    rates = np.array([-line_fit(times[win], np.log(gap[win, j])).slope for j in range(1, n)])
    fit = (f"{runs}; slope of ln(1 - <x_1, x_k>) = ln(|x_k - x_1|^2/2) on t in [{RATE_WINDOW[0]:g}, "
           f"{RATE_WINDOW[1]:g}]")
    rep.add(compare("token 2: 1 - <x_1, x_2> ~ K e^(-t), rate 1 (half a full-attention pair's rate 2: only "
                    "one token moves)", 1.0, float(rates[0]), 1e-6, fit))
    j = int(np.argmax(np.abs(rates[1:] - 1.0)))
    rep.add(compare("every later token inherits rate 1 (triangular linearization, rates (k-1)/k, slowest "
                    "mode token 2's): the rate farthest from 1 among k >= 3", 1.0, float(rates[1:][j]), 0.01,
                    fit, note="rates k = 2..n: " + ", ".join(f"{r:.4f}" for r in rates)
                    + "; relative correction e^(-t/6) for k >= 3"))
    return {"t": times, "gap": gap, "pred": 1.0 - pred, "t_A": saves_A, "gap_A": gen_runs,
            "rates": rates}
