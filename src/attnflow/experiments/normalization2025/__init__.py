"""Normalization in attention dynamics [KGPR]: the equiangular laws of every scheme and the paper's
random-weight figure.

[KGPR] Karagodin, Ge, Polyanskiy, Rigollet, "Normalization in attention dynamics", arXiv
2510.22026, as summarized in the survey arXiv 2512.01868 (section "The impact of normalization",
with the paper's figure of the mean cosine). Only the survey's text and the figure could be read:
the schemes are attnflow's reading of each architecture (:mod:`attnflow.schemes`; nGPT and
sqrt-scaling [U]), the laws are derived in docs/theory/normalization.md.

Rows (every value comes from the runs made here):

1. the equiangular long-time laws (:mod:`.claims_rates`): particles from x_i = e_i, A = V = I,
   against :func:`attnflow.theory.equiangular_asymptotics`: the rates e^{-2t} (post, SA),
   e^{-2 e^beta t} (post, USA), e^{-2 alpha t} (nGPT), the powers t^-2 (pre, peri, Mix-LN) and
   t^-1 (sqrt-scaling) with their constants, and the radius laws r ~ c t, t, 2c t^{1/2};
2. the figure (:mod:`.claims_figure`): d = 512, beta = sqrt(d), n = 32 < d, random weights
   Q, K, V iid N(0, 1/d) fixed in time (A = K^T Q), 5 weight draws x 4 uniform starts, mean
   cosine with 90 % bands over t in [0, 10] for post-, pre-, peri-, Mix-LN (t_switch = 2.5),
   nGPT (alpha = 1) and sqrt-scaling; rows: the order of the schemes, the crossings, the
   coincidences while r = 1 and each curve against the curve read off the figure.

Modules: :mod:`.settings` (schemes, sizes, the read curves), :mod:`.runs` (the random-weight
runs), :mod:`.claims_rates`, :mod:`.claims_figure`, :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..report import Report, start
from . import claims_figure, claims_rates
from .claims_figure import crossing, paper_curve, separation, time_factor
from .figures import figures
from .runs import figure_runs, mean_cosine
from .settings import LABELS, MODES, PAPER_CURVES, SCHEMES, T_SWITCH

__all__ = ["PAPER", "TITLE", "crossing", "figure_runs", "mean_cosine", "paper_curve", "run", "separation",
           "time_factor"]

TITLE = "Normalization schemes: equiangular laws and the random-weight figure [KGPR]"
PAPER = ("Karagodin, Ge, Polyanskiy, Rigollet, \"Normalization in attention dynamics\", arXiv 2510.22026 "
         "(figure and summary in the survey arXiv 2512.01868)")


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the rate rows and the figure rows (module docstring); figures go into ``out_dir``."""
    rep, out = start("normalization2025", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    walls: dict[str, float] = {}

    t0 = time.perf_counter()
    rates = claims_rates.add_claims(rep)
    walls["equiangular particle runs"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    runs = figure_runs(P)
    walls["random-weight runs"] = time.perf_counter() - t0
    derived = claims_figure.add_claims(rep, runs)

    rep.data.update({"t": runs["t"], **{f"rho_{s}": runs["rho"][s] for s in SCHEMES},
                     **{f"r_{s}": runs["r"][s] for s in SCHEMES},
                     **{f"paper_rho_{s}": PAPER_CURVES[s] for s in SCHEMES}})
    rep.figures += figures(out, runs, derived, rates, runs["words"])
    factors = derived["f"]
    c_sqrt, e_sqrt = derived["sqrt_factor"]
    rep.notes += [
        "Weights: Q, K, V with iid N(0, 1/d) entries (attnflow.random_matrices, 'ginibre', seeds 0, 1, ...), "
        "A = K^T Q, fixed over time (one weight set for the whole depth), SA; the paper's weights (its file "
        "name says Kaiming initialization, one head) and its time scale may differ.",
        f"Mix-LN switches from post- to pre-LN at t_switch = {T_SWITCH:g}: the first quarter of the depth "
        "[0, 10], where the figure's Mix-LN curve leaves post-LN's (between t = 2.5 and 3).",
        "nGPT and peri-LN normalize the attention output (A/|A|), so they do not see the scale of V; post- "
        "and pre-LN move at a speed proportional to it (V -> f V is the time change t -> f t for both). "
        "Measured t_1/2 ratios against the figure: "
        + ", ".join(f"{LABELS[s]} {v:.3f}" for s, v in factors.items())
        + ". No row: one factor for post- and pre-LN cannot be told from a time unit common to every "
        "scheme, nor from no delay at 10 %.",
        "sqrt-scaling is read as the residual branch scaled by 1/sqrt(1 + t) (layer index ~ 1 + t) [U]; its "
        "1 - rho ~ 1/t law keeps it far from 1 at t = 10. The figure's sqrt-scaling curve lies within "
        f"{e_sqrt:.3f} of its own pre-LN curve run at {c_sqrt:.2f} times the speed (rho_sqrt(t) ~ "
        f"rho_pre({c_sqrt:.2f} t)), which a constant branch scale would give.",
        f"Backend of the random-weight runs: {runs['backend']} (float64, general A and V); RK4 with dt = "
        f"{P['dt']:g}.",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + " (per scheme: "
        + ", ".join(f"{s} {v:.1f} s" for s, v in runs["wall"].items()) + ").",
    ]
    return rep
